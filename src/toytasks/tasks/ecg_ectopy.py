"""ecg-ectopy: were the last n_normal beats before the final PVC all normal? (the ECG cycle-pattern)

Every sequence ends with a premature ventricular beat (PVC: wide inverted QRS, no P wave,
compensatory pause). Before it come ``n_normal - 1`` normal beats in both classes; the label
is the kind of the beat before those: normal (positive, ``N N ... N V``: an isolated PVC
after at least ``n_normal`` normal beats) or a PVC (hard negative, ``V N ... N V``: couplet
for n_normal = 1, bigeminy for 2, trigeminy for 3). Earlier beats are random (PVC with
probability ``pvc_prob``) and independent of the label.

Timing follows a sinus clock with heart-rate variability; a PVC replaces a sinus beat and
fires early, at ``coupling`` of the sinus interval after the preceding sinus time, and the
next sinus beat comes on time (full compensatory pause). So the sinus clock, and with it
the time of every beat after the deciding one, is the same in both classes: the last
``n_normal`` beats - and everything from the end back to where the deciding beat's waves
stop - are identically distributed in both classes. That window is ``blind_samples``; a
model must see back to the deciding beat (``span_samples``) to beat chance.
"""

from __future__ import annotations

import numpy as np

from toytasks.tasks.base import Knob
from toytasks.tasks.ecg_signal import (
    COMMON_KNOBS,
    NORMAL,
    PVC,
    EcgTask,
    hrv_blocks,
    intervals_from,
)


class EcgEctopy(EcgTask):
    name = "ecg-ectopy"
    summary = "did n_normal normal beats precede the final PVC? (beats a model must see)"
    prefix_knob = "prefix_beats"  # label-independent beats before the deciding pattern
    source = "waves: McSharry et al. 2003 (ECGSYN); pattern: cycle-pattern with beats"
    knobs = (
        Knob("n_normal", int, 2, "normal beats required before the final PVC", "beats", 1, 16),
        Knob("pvc_prob", float, 0.3, "chance that a prefix beat is a PVC", "probability",
             0.0, 1.0),
        Knob("coupling", float, 0.6, "a PVC fires this fraction of the sinus interval after "
             "the previous sinus time", "fraction of RR", 0.5, 0.8),
        Knob("hrv", float, 0.05, "sinus RR intervals vary within +-hrv (breathing + jitter)",
             "fraction of RR", 0.0, 0.15),
        *COMMON_KNOBS,
    )

    def min_spacing_s(self) -> float:
        return self.coupling * self.rr_s * (1 - self.hrv)

    @property
    def rr_range_s(self) -> tuple[float, float]:
        return self.rr_s * (1 - self.hrv), self.rr_s * (1 + self.hrv)

    @property
    def span_samples(self) -> int:
        # From the end back to the QRS of the deciding beat were it normal (sinus time s_k):
        # end - s_k = tail + coupling * I_1 + I_2 + ... + I_k (I_j: sinus intervals).
        _, rr_max = self.rr_range_s
        back = (self.tail_range_s[1] + (self.coupling + self.n_normal - 1) * rr_max
                + self.qrs_before_s)
        return self.samples(back) + 1

    @property
    def blind_samples(self) -> int:
        # Trailing samples that never reach the deciding beat's waves, normal or PVC.
        rr_min, _ = self.rr_range_s
        tail = self.tail_range_s[0]
        after_normal = self.shapes.support_s(NORMAL)[1]
        after_pvc = self.shapes.support_s(PVC)[1]
        normal = tail + (self.coupling + self.n_normal - 1) * rr_min - after_normal
        pvc = tail + self.n_normal * rr_min - after_pvc  # a PVC sits (1-coupling)*I earlier
        return min(self.blind_from(normal), self.blind_from(pvc), self.span_samples - 1)

    @property
    def seq_len(self) -> int:
        return self.span_samples + self.samples(self.prefix_beats * self.rr_range_s[1])

    def beats_needed(self) -> int:
        return max(self.beats_to_cover(self.min_spacing_s()), self.n_normal + 2)

    def place_beats(self, n: int, rng: np.random.Generator,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k = self.n_normal
        n_beats = self.beats_per_sequence
        # intervals[:, j] = sinus time j minus sinus time j+1 (index 0 = the last beat).
        breath, phase, jitter = self.uniforms(
            "hrv", n, lambda: hrv_blocks(n, n_beats + 1)).draw(rng)
        intervals = intervals_from(breath, phase, jitter, self.rr_s, self.hrv)
        sinus_back = np.zeros((n, n_beats + 2))
        intervals.cumsum(axis=1, out=sinus_back[:, 1:])
        labels = rng.integers(0, 2, size=n)
        kinds = (rng.random((n, n_beats)) < self.pvc_prob).astype(np.int64)  # PVC = 1
        kinds[:, 0] = PVC
        kinds[:, 1:k] = NORMAL
        kinds[:, k] = 1 - labels  # label 1: NORMAL, 0: PVC
        # A PVC fires `coupling` of the way from the previous sinus time to its own
        # (premature >= 0, so premature * kind is premature or +0.0).
        premature = (1 - self.coupling) * intervals[:, :n_beats]
        premature *= kinds
        back = sinus_back[:, :n_beats] + premature
        back -= back[:, :1]  # seconds before the last (PVC) R peak
        return back, kinds, labels
