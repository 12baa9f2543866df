"""multiplication: output the product of the two marked values (the multiplication problem).

Hochreiter & Schmidhuber 1997 (LSTM paper, Exp. 5): the adding problem's sequences
(values U[0, 1], two marked steps; layout in ``marked_pair``) with the product of the two
marked values as the target. H&S counted a sequence as correct when its absolute error was
below 0.04; here the ``precision`` knob states that tolerance as a root-mean-square error:
the task is solved when the held-out MSE is at most ``precision ** 2`` (specs use
``[solve] from_task = true``). So ``precision`` changes the solve threshold of every trial,
and with it the trial's identity; it does not change the data.

Trivial baseline: predicting the mean, 1/4, gives MSE Var(ab) = E[a^2]E[b^2] - (E[a]E[b])^2
= 1/9 - 1/16 = 7/144. A model that misses the first mark predicts b/2 at best, MSE
E[b^2] Var(a) = 1/36 (4/7 of the baseline).
"""

from __future__ import annotations

import numpy as np

from toytasks.tasks.base import Knob
from toytasks.tasks.marked_pair import MarkedPairTask, marks_anywhere_knob, seq_len_knob

UNIFORM_MEAN, UNIFORM_SQ = 0.5, 1.0 / 3.0  # E[a], E[a^2] for a ~ U[0, 1]


class Multiplication(MarkedPairTask):
    name = "multiplication"
    summary = "product of the two marked values, to a required precision (precise products)"
    source = "Hochreiter & Schmidhuber 1997 (Exp. 5)"
    knobs = (
        seq_len_knob(32),
        Knob("precision", float, 0.04,
             "required root-mean-square error: solved when held-out MSE <= precision**2 "
             "(H&S 1997: absolute error 0.04)", "abs. error", 1e-4, 0.2),
        marks_anywhere_knob(),
    )

    @property
    def baseline(self) -> float:
        return UNIFORM_SQ**2 - UNIFORM_MEAN**4

    @property
    def solve_threshold(self) -> float:
        return self.precision**2

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x, pair = self.marked(n, rng)
        return x, pair.prod(axis=1, dtype=np.float32)[:, None]
