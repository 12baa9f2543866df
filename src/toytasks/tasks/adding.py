"""adding: output the sum of the two marked values (the adding problem).

Hochreiter & Schmidhuber 1997 (LSTM paper, Exp. 4) introduced it; Bai et al. 2018 (TCN
paper, after Arjovsky et al. 2016) made this variant standard: values U[0, 1], markers 1
at two steps, target the plain sum of the two marked values, scored by MSE. The layout of
the marks (H&S 1997 by default, Bai et al. with ``marks_anywhere``) is described in
``marked_pair``.

Trivial baseline: predicting the mean, 1, gives MSE Var(a + b) = 2 * Var(U[0, 1]) = 1/6.
A model that misses the first mark but sees everything else can do no better than
Var(a) = 1/12, half the baseline, so it cannot meet a threshold below that.
"""

from __future__ import annotations

import numpy as np

from toytasks.tasks.marked_pair import MarkedPairTask, marks_anywhere_knob, seq_len_knob

UNIFORM_VAR = 1.0 / 12.0  # variance of U[0, 1]


class Adding(MarkedPairTask):
    name = "adding"
    summary = "sum of the two marked values among seq_len_samples (memory over long lags)"
    source = "Hochreiter & Schmidhuber 1997 (Exp. 4); Bai et al. 2018 variant"
    knobs = (seq_len_knob(32), marks_anywhere_knob())

    @property
    def baseline(self) -> float:
        return 2 * UNIFORM_VAR

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x, pair = self.marked(n, rng)
        return x, pair.sum(axis=1, dtype=np.float32)[:, None]
