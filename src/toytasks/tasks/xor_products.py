"""xor-products: the sign of a sum of products of marked values (multiplicative interaction).

Every position holds a value drawn from U[-1, 1]; ``n_products`` pairs (a_i, b_i) are
marked, each element with its own marker channel, and the label is
``sign(sum_i a_i * b_i)``. With one product this is the XOR of two sign bits: the label is
uncorrelated with every value and every weighted sum of values, so a model that only adds
its inputs must build the interaction from nonlinear pieces. With more products the signs
are not enough: magnitudes must be multiplied and compared.

The first marked value a_1 always sits at the first time step, so the span is the whole
sequence. With ``n_products = 1`` a model that misses that step sees a label independent of
everything it sees (exactly chance). With more products a partial view carries some
information (the other products), so ``blind_samples`` is 0 there: no window is provably blind.
"""

from __future__ import annotations

import numpy as np

from toytasks.errors import ToytasksError
from toytasks.tasks.base import Knob, Task


class XorProducts(Task):
    name = "xor-products"
    summary = "sign of the sum of n_products products of marked values (multiplication)"
    knobs = (
        Knob("n_products", int, 1, "marked pairs whose products are summed", "pairs", 1, 16),
        Knob("seq_len_samples", int, 8, "sequence length", "samples", 2, 4096),
    )

    def check(self) -> None:
        if self.seq_len_samples < 2 * self.n_products:
            raise ToytasksError(
                f"knob 'seq_len_samples' = {self.seq_len_samples} is too short for "
                f"{self.n_products} pairs (needs >= {2 * self.n_products})"
            )

    @property
    def seq_len(self) -> int:
        return self.seq_len_samples

    @property
    def n_inputs(self) -> int:
        return 1 + 2 * self.n_products

    @property
    def span_samples(self) -> int:
        return self.seq_len_samples

    @property
    def blind_samples(self) -> int:
        return self.seq_len_samples - 1 if self.n_products == 1 else 0

    @property
    def baseline(self) -> float:
        return 0.5

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        t_len, k = self.seq_len_samples, self.n_products
        values = rng.uniform(-1.0, 1.0, size=(n, t_len))
        # a_1 at t=0; the other 2k-1 marked positions are distinct, drawn from 1..t_len-1.
        others = np.argsort(rng.random((n, t_len - 1)), axis=1)[:, : 2 * k - 1] + 1
        positions = np.concatenate([np.zeros((n, 1), dtype=np.int64), others], axis=1)
        rows = np.arange(n)[:, None]
        marked = values[rows, positions]  # (n, 2k): a_1..a_k then b_1..b_k
        total = (marked[:, :k] * marked[:, k:]).sum(axis=1)
        x = np.zeros((n, t_len, self.n_inputs), dtype=np.float32)
        x[:, :, 0] = values
        x[rows, positions, 1 + np.arange(2 * k)[None, :]] = 1.0
        return x, (total > 0).astype(np.int64)[:, None]
