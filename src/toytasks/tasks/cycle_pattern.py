"""cycle-pattern: does the signal end with n positive cycles followed by a negative one?

The signal is a train of sine cycles, each either upright (+) or inverted (-), with integer
cycle lengths jittered around ``period_samples``. Every sequence ends with the fixed suffix
``+ ... + -`` (``n_positive - 1`` positive cycles then one negative); the label is the sign
of the cycle just before that suffix. Positives are ``+ + + -`` and every negative is the
*hard* negative ``- + + -``: the last ``n_positive`` cycles are identically distributed in
both classes, so a model that cannot see back into cycle ``-(n_positive + 1)`` is at chance.
The random prefix cycles are independent of the label.

``label_noise`` flips each label with that probability, independently of the inputs, after
every input is drawn (the same inputs at a seed). At the default noise the clean label is
read from the span (an MLP on it reaches >= 0.99, tests/tasks/test_honesty.py), so the
Bayes-optimal accuracy is ``1 - label_noise`` (``bayes_accuracy``: its upper end, exact when
the clean label is readable; large ``noise_std`` lowers it). The spec's solve threshold
stays fixed: with label noise set, no depth may reach it, and the best depth at the budget
(``--best-depth``) is the measurement that still ranks depths. The knob was added after
results were stored: at its default it stays out of a trial's identity (``keyed_when_set``).
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from toytasks.tasks.base import Knob, Task
from toytasks.tasks.xor_count import flip, label_noise_knob

# Drawn as SIGNS[rng.integers(0, 2, size)]: the same draws as rng.choice(SIGNS, size),
# without its per-call overhead.
SIGNS = np.array([-1.0, 1.0])


class CyclePattern(Task):
    name = "cycle-pattern"
    summary = "ends with n_positive upright cycles then an inverted one? (receptive field)"
    prefix_knob = "prefix_cycles"  # random cycles before the deciding pattern
    knobs = (
        Knob("period_samples", int, 8, "nominal length of one cycle", "samples", 3, 512),
        Knob("n_positive", int, 3, "positive cycles required before the final negative",
             "cycles", 1, 32),
        Knob("prefix_cycles", int, 2, "random cycles before the deciding pattern", "cycles",
             0, 256),
        Knob("jitter", float, 0.1, "cycle lengths vary uniformly within +-jitter*period",
             "fraction", 0.0, 0.5),
        Knob("noise_std", float, 0.1, "standard deviation of additive Gaussian noise",
             "amplitude", 0.0, 10.0),
        label_noise_knob(keyed_when_set=True),
    )

    @property
    def min_cycle(self) -> int:
        return max(2, round(self.period_samples * (1 - self.jitter)))

    @property
    def max_cycle(self) -> int:
        return max(self.min_cycle, round(self.period_samples * (1 + self.jitter)))

    @property
    def seq_len(self) -> int:
        return (self.n_positive + 1 + self.prefix_cycles) * self.max_cycle

    @property
    def n_inputs(self) -> int:
        return 1

    @property
    def span_samples(self) -> int:
        # Enough trailing samples to contain the deciding cycle whatever the jitter.
        return (self.n_positive + 1) * self.max_cycle

    @property
    def blind_samples(self) -> int:
        # The last n_positive cycles: identical in both classes, however short they are.
        return self.n_positive * self.min_cycle

    @property
    def baseline(self) -> float:
        return 0.5

    @property
    def bayes_accuracy(self) -> float:
        """Upper end of the Bayes-optimal accuracy; exact when the span shows the deciding
        cycle's sign (the default noise)."""
        return 1.0 - self.label_noise

    @cached_property
    def _layout(self) -> tuple[int, int, int, int, np.ndarray]:
        """(T, shortest cycle, longest cycle, cycles drawn, reverse positions): fixed by
        the knobs, computed once."""
        t_len, lo, hi = self.seq_len, self.min_cycle, self.max_cycle
        return t_len, lo, hi, math.ceil(t_len / lo) + 1, np.arange(t_len)[None, :]

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        t_len, lo, hi, n_cycles, reverse = self._layout
        lengths = rng.integers(lo, hi + 1, size=(n, n_cycles))
        # Cycles are indexed from the end: 0 is the final (negative) cycle.
        signs = SIGNS[rng.integers(0, 2, size=(n, n_cycles))]  # = rng.choice(SIGNS, ...)
        labels = rng.integers(0, 2, size=n)
        k = self.n_positive
        signs[:, 0] = -1.0
        signs[:, 1 : k] = 1.0
        signs[:, k] = np.where(labels == 1, 1.0, -1.0)
        ends = lengths.cumsum(axis=1)  # reverse position just past each cycle
        # Locate, for every reverse position r, the cycle that covers it (vectorised): one
        # searchsorted over rows laid end to end gives its flat (row, cycle) index.
        row_offset = (np.arange(n) * (n_cycles * hi + 1))[:, None]
        cycle = np.searchsorted((ends + row_offset).ravel(), (reverse + row_offset).ravel(),
                                side="right").reshape(n, t_len)
        cycle_len = lengths.ravel()[cycle]
        offset_in_cycle = ends.ravel()[cycle] - 1 - reverse
        wave = np.sin(2 * np.pi * offset_in_cycle / cycle_len)
        wave *= signs.ravel()[cycle]
        if self.noise_std > 0:
            wave += rng.normal(0.0, self.noise_std, size=wave.shape)
        x = wave[:, ::-1].astype(np.float32)[:, :, None]
        return np.ascontiguousarray(x), flip(labels.astype(np.int64), self.label_noise,
                                             rng)[:, None]
