"""sparse-parity: the parity of k marked bits among n.

Sparse parity is the standard case where learning gets harder with k although the function
stays simple (Barak et al. 2022, "Hidden progress in deep learning: SGD learns parities
near the computational limit"; there the k relevant bits are a fixed hidden subset). Here
they are *marked* per example, so the task is a sequence task like the others: each of
``n_bits`` steps holds a bit as -1/+1 (channel 0) and a marker (channel 1, 1 on the k
relevant steps); the label is the XOR of the k marked bits (1 when an odd number are +1).

The first marked bit is always step 0 (the marker there is constant), the other k - 1 are
distinct steps drawn uniformly from 1..n-1. Any window that misses step 0 is at chance
exactly, for every k: the unseen bit is uniform and independent of everything else, and
XOR with it makes the label uniform. So the span is the whole sequence and the blind
window ``n_bits - 1``.
"""

from __future__ import annotations

import numpy as np

from toytasks.errors import ToytasksError
from toytasks.tasks.base import Knob, Task


class SparseParity(Task):
    name = "sparse-parity"
    summary = "XOR of k marked bits among n_bits (learning difficulty grows with k)"
    source = "Barak et al. 2022 (sparse parity), marked-bit sequence variant"
    knobs = (
        Knob("n_bits", int, 8, "sequence length: bits, one per step", "samples", 1, 4096),
        Knob("k", int, 2, "marked bits whose parity is the label", "bits", 1, 64),
    )

    def check(self) -> None:
        if self.k > self.n_bits:
            raise ToytasksError(f"knob 'k' = {self.k} is larger than n_bits = {self.n_bits}")

    @property
    def seq_len(self) -> int:
        return self.n_bits

    @property
    def n_inputs(self) -> int:
        return 2

    @property
    def span_samples(self) -> int:
        return self.n_bits

    @property
    def blind_samples(self) -> int:
        return self.n_bits - 1

    @property
    def baseline(self) -> float:
        return 0.5

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        t_len, k = self.n_bits, self.k
        bits = rng.integers(0, 2, size=(n, t_len))
        others = np.argsort(rng.random((n, t_len - 1)), axis=1)[:, : k - 1] + 1
        positions = np.concatenate([np.zeros((n, 1), dtype=np.int64), others], axis=1)
        rows = np.arange(n)[:, None]
        x = np.zeros((n, t_len, 2), dtype=np.float32)
        x[:, :, 0] = 2.0 * bits - 1.0
        x[rows, positions, 1] = 1.0
        label = bits[rows, positions].sum(axis=1) % 2
        return x, label.astype(np.int64)[:, None]
