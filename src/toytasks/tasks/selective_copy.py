"""selective-copy: recall, in order, the few symbols scattered among noise (Gu & Dao 2023).

The copy task with the symbols at random positions: ``n_tokens`` symbols from an alphabet
of ``alphabet`` letters sit at random (sorted, distinct) positions of a region of
``region_steps`` steps; every other region step holds a noise token (one of
``noise_tokens``). Then come ``n_tokens`` marker steps, and at marker i the model outputs
the i-th symbol. The symbols' positions vary from sequence to sequence, so no fixed
time-shift (a linear time-invariant filter, such as an LTI SSM's kernel) recalls them: the
model must decide by content which steps to keep, which is the property Gu & Dao's
selective copying isolates (their Table 1: S4 18%, their selective S6 97% at length 4096).

Scored by accuracy on the recalled symbols only (every output step is a recall; noise is
never scored); a model that ignores the input scores ``1/alphabet``. Inputs are one-hot:
channels 0..noise_tokens-1 noise, then the symbols, then the marker.
"""

from __future__ import annotations

import numpy as np

from toytasks.errors import ToytasksError
from toytasks.tasks.base import Knob, Task


class SelectiveCopy(Task):
    name = "selective-copy"
    summary = "recall n_tokens symbols scattered at random among noise (content selection)"
    source = "Gu & Dao 2023 (Mamba), after Arjovsky et al. 2016 (copy task)"
    knobs = (
        Knob("n_tokens", int, 4, "symbols to find and recall in order", "symbols", 1, 64),
        Knob("region_steps", int, 40, "steps over which the symbols are scattered (with "
             "noise)", "steps", 1, 4096),
        Knob("alphabet", int, 8, "number of distinct symbols", "symbols", 2, 64),
        Knob("noise_tokens", int, 1, "distinct noise tokens filling the region (1: a single "
             "blank, as Gu & Dao)", "tokens", 1, 64),
    )

    def check(self) -> None:
        if self.n_tokens > self.region_steps:
            raise ToytasksError(
                f"selective-copy: n_tokens ({self.n_tokens}) must not exceed region_steps "
                f"({self.region_steps})")

    @property
    def seq_len(self) -> int:
        return self.region_steps + self.n_tokens

    @property
    def n_inputs(self) -> int:
        return self.noise_tokens + self.alphabet + 1

    @property
    def n_outputs(self) -> int:
        return self.alphabet

    @property
    def output_steps(self) -> int:
        return self.n_tokens

    @property
    def span_samples(self) -> int:
        # The last output may recall a symbol from the region's first step.
        return self.seq_len

    @property
    def blind_samples(self) -> int:
        # Output 0 recalls the first symbol, which sits at or before region step
        # region_steps - n_tokens: the trailing n_tokens steps up to output 0 never hold it.
        return self.n_tokens

    @property
    def baseline(self) -> float:
        return 1.0 / self.alphabet

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        region, k = self.region_steps, self.n_tokens
        positions = np.sort(np.argsort(rng.random((n, region)), axis=1)[:, :k], axis=1)
        symbols = rng.integers(0, self.alphabet, size=(n, k))
        tokens = np.empty((n, self.seq_len), dtype=np.int64)
        tokens[:, :region] = rng.integers(0, self.noise_tokens, size=(n, region))
        np.put_along_axis(tokens, positions, symbols + self.noise_tokens, axis=1)
        tokens[:, region:] = self.n_inputs - 1  # markers: "recall now"
        x = np.eye(self.n_inputs, dtype=np.float32)[tokens]
        return x, symbols.astype(np.int64)
