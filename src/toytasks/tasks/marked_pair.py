"""Shared layout of the adding and multiplication problems: two marked values in a sequence.

Every step holds a value drawn from U[0, 1] (channel 0) and a marker (channel 1): 1 at the
two marked steps, 0 elsewhere (Bai et al. 2018). Where the two marks go decides what a
window of trailing samples can know, so it is stated here once:

* default, Hochreiter & Schmidhuber 1997 (Exp. 4 and 5): the first mark is on one of the
  first ``min(10, h)`` steps, the second on one of the first ``h = T // 2 - 1`` steps
  (distinct from the first). The last ``T - h`` steps never hold a mark: a window of that
  many trailing samples is *blind* (at the baseline MSE exactly), and a window of
  ``T - min(10, h)`` samples never sees the first mark (bounded away from solving).
* ``marks_anywhere = true``, Bai et al. 2018 (TCN paper code): two distinct steps drawn
  uniformly from the whole sequence. A mark may sit on the last step, so no window is
  provably blind (``blind_samples`` is 0).

In both layouts a mark may sit on step 0, so the span is the whole sequence.
"""

from __future__ import annotations

import numpy as np

from toytasks.tasks.base import REGRESSION, Knob, Task

FIRST_MARK_STEPS = 10  # H&S 1997: the first mark is on one of the first ten steps
MIN_SEQ_LEN = 6  # the H&S layout needs h = T // 2 - 1 >= 2 steps for two distinct marks


def seq_len_knob(default: int) -> Knob:
    return Knob("seq_len_samples", int, default, "sequence length T", "samples",
                MIN_SEQ_LEN, 4096)


def marks_anywhere_knob() -> Knob:
    return Knob("marks_anywhere", bool, False,
                "false: H&S 1997 layout (both marks in the first half); true: Bai et al. 2018 "
                "layout (two distinct steps anywhere)")


class MarkedPairTask(Task):
    """Two marked U[0, 1] values; subclasses say how the target combines them."""

    kind = REGRESSION

    @property
    def seq_len(self) -> int:
        return self.seq_len_samples

    @property
    def n_inputs(self) -> int:
        return 2

    @property
    def n_outputs(self) -> int:
        return 1

    @property
    def mark_region(self) -> int:
        """H&S layout: both marks lie on the first ``mark_region`` steps."""
        return self.seq_len_samples // 2 - 1

    @property
    def first_mark_region(self) -> int:
        """H&S layout: the first mark lies on the first ``first_mark_region`` steps."""
        return min(FIRST_MARK_STEPS, self.mark_region)

    @property
    def span_samples(self) -> int:
        return self.seq_len_samples

    @property
    def blind_samples(self) -> int:
        return 0 if self.marks_anywhere else self.seq_len_samples - self.mark_region

    @property
    def first_mark_missed_samples(self) -> int:
        """Largest trailing window that never sees the first mark (0 if none is certain)."""
        return 0 if self.marks_anywhere else self.seq_len_samples - self.first_mark_region

    def positions(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, 2) distinct marked steps: [first, second] in sampling order, not time order."""
        if self.marks_anywhere:
            first_range, second_range = self.seq_len_samples, self.seq_len_samples
        else:
            first_range, second_range = self.first_mark_region, self.mark_region
        first = rng.integers(0, first_range, size=n)
        second = rng.integers(0, second_range - 1, size=n)
        second = second + (second >= first)  # skip the first mark's step: distinct, uniform
        return np.stack([first, second], axis=1)

    def marked(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Inputs x (n, T, 2) and the two marked values (n, 2)."""
        values = rng.uniform(0.0, 1.0, size=(n, self.seq_len_samples))
        pos = self.positions(n, rng)
        rows = np.arange(n)[:, None]
        x = np.zeros((n, self.seq_len_samples, 2), dtype=np.float32)
        x[:, :, 0] = values
        x[rows, pos, 1] = 1.0
        return x, x[rows, pos, 0]  # the float32 values the model sees
