"""ecg-rhythm: have the last n_beats beats come at a steady rate? (RR intervals only)

An irregular (atrial-fibrillation-like) rhythm gives way to a regular one. Regular RR
intervals stay within ``+-hrv`` of the sequence's own rate; irregular ones deviate from it
by ``irregularity`` to ``1.5 * irregularity`` (either sign, mean zero). Positives: the last
``n_beats`` beats are regular (``n_beats - 1`` regular intervals). Hard negatives: only the
last ``n_beats - 1`` beats are; the oldest interval of the window is irregular. Before the
window the rhythm is irregular in both classes.

Shortcuts closed by construction:
  * morphology: every beat is the same normal beat in both classes (P waves included, or
    removed from every beat by ``p_waves = false``); no single beat tells the class;
  * mean heart rate: each sequence draws its rate from the same range in both classes and
    irregular deviations have mean zero, so the rate says nothing;
  * beat count: the last ``n_beats - 1`` beats - and everything from the end back to where
    the oldest beat's waves stop (``blind_samples``) - are identically distributed in both
    classes, so counting beats in any window shorter than that says nothing.
A model must see back to the ``n_beats``-th beat from the end (``span_samples``) and compare
its interval with the rate of the others.
"""

from __future__ import annotations

import numpy as np

from toytasks.errors import ToytasksError
from toytasks.tasks.base import Knob
from toytasks.tasks.ecg_signal import (
    COMMON_KNOBS,
    NORMAL,
    EcgTask,
    hrv_blocks,
    intervals_from,
)

# Drawn as SIGNS[rng.integers(0, 2, size)]: the same draws as rng.choice(SIGNS, size),
# without its per-call overhead.
SIGNS = np.array([-1.0, 1.0])


class EcgRhythm(EcgTask):
    name = "ecg-rhythm"
    summary = "regular rhythm over the last n_beats beats? (RR-interval statistics only)"
    prefix_knob = "prefix_beats"  # label-independent beats before the deciding pattern
    source = "waves: McSharry et al. 2003 (ECGSYN); labels from RR intervals alone"
    knobs = (
        Knob("n_beats", int, 3, "beats that must be evenly spaced (window of n_beats-1 RR "
             "intervals)", "beats", 3, 32),
        Knob("irregularity", float, 0.2, "an irregular RR deviates from the rate by this to "
             "1.5x this", "fraction of RR", 0.05, 0.4),
        Knob("hrv", float, 0.03, "regular RR intervals vary within +-hrv", "fraction of RR",
             0.0, 0.1),
        Knob("hr_spread", float, 0.1, "each sequence's rate is heart_rate_bpm times "
             "1 +- up to this", "fraction", 0.0, 0.3),
        Knob("longer_share", float, 0.5, "share of irregular deciding intervals that are "
             "longer than the rate (0.5: either way, the label is monotone in no interval; "
             "1: always a pause)", "fraction", 0.0, 1.0),
        Knob("p_waves", bool, True, "draw P waves (in every beat of both classes)"),
        *COMMON_KNOBS,
    )

    all_normal = True  # rendering skips the kinds

    @property
    def p_waves_on(self) -> bool:  # read by EcgTask.check() to build the wave shapes
        return self.values["p_waves"]

    def check(self) -> None:
        if self.irregularity <= 3 * self.hrv:
            raise ToytasksError(
                f"task '{self.name}': irregularity {self.irregularity:g} must exceed 3 x hrv "
                f"({3 * self.hrv:g}), or an irregular interval can pass as a regular one"
            )
        super().check()

    @property
    def rate_range_s(self) -> tuple[float, float]:
        """Range of a sequence's own mean RR interval."""
        return self.rr_s * (1 - self.hr_spread), self.rr_s * (1 + self.hr_spread)

    def min_spacing_s(self) -> float:
        shortest = min(1 - self.hrv, 1 - 1.5 * self.irregularity)
        return self.rate_range_s[0] * shortest

    @property
    def span_samples(self) -> int:
        # Back to the QRS of the n_beats-th beat from the end, were its interval regular.
        regular_max = self.rate_range_s[1] * (1 + self.hrv)
        back = (self.tail_range_s[1] + (self.n_beats - 1) * regular_max + self.qrs_before_s)
        return self.samples(back) + 1

    @property
    def blind_samples(self) -> int:
        # Trailing samples that never reach the waves of the n_beats-th beat from the end.
        rate_min = self.rate_range_s[0]
        back = (self.tail_range_s[0] + (self.n_beats - 2) * rate_min * (1 - self.hrv)
                + self.min_spacing_s() - self.shapes.support_s(NORMAL)[1])
        return min(self.blind_from(back), self.span_samples - 1)

    @property
    def seq_len(self) -> int:
        longest = self.rate_range_s[1] * (1 + 1.5 * self.irregularity)
        return self.span_samples + self.samples(self.prefix_beats * longest)

    def beats_needed(self) -> int:
        return max(self.beats_to_cover(self.min_spacing_s()), self.n_beats + 1)

    def place_beats(self, n: int, rng: np.random.Generator,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        m = self.n_beats - 1  # RR intervals inside the window
        n_beats = self.beats_per_sequence
        c = n_beats - 1
        irr = self.irregularity
        # Consecutive uniform draws (rate, then the regular intervals' breathing, phase and
        # jitter, then the deviations) in one call, and both integer draws in one.
        spread, breath, phase, jitter, deviation = self.uniforms("beats", n, lambda: [
            (-1, 1, (n, 1)), *hrv_blocks(n, c), (irr, 1.5 * irr, (n, c))]).draw(rng)
        rate = self.rr_s * (1 + self.hr_spread * spread)
        regular = intervals_from(breath, phase, jitter, rate, self.hrv)
        bits = rng.integers(0, 2, size=n * c + n)
        sign = SIGNS[bits[:n * c].reshape(n, c)]  # = rng.choice(SIGNS, (n, c))
        labels = bits[n * c:]
        if self.longer_share != 0.5:  # drawn only off the default: default data unchanged
            longer = rng.random(n) < self.longer_share
            sign[:, m - 1] = np.where(longer, 1.0, -1.0)
        deviation *= sign  # irregular = rate (1 + sign deviation), in place
        deviation += 1
        deviation *= rate
        # intervals[:, j] = time between beat j+1 and beat j (index 0 = the last beat): the
        # newest m - 1 regular, the oldest of the window regular for label 1.
        intervals = deviation
        intervals[:, : m - 1] = regular[:, : m - 1]
        np.copyto(intervals[:, m - 1], regular[:, m - 1], where=labels == 1)
        back = np.zeros((n, n_beats))
        intervals.cumsum(axis=1, out=back[:, 1:])
        kinds = np.zeros((n, n_beats), dtype=np.int64)  # every beat NORMAL
        return back, kinds, labels
