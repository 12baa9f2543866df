"""Cross-check against neurokit2 (optional `[ecg]` extra; skipped when it is absent).

Our beats should look like ECGSYN's and sit where a standard R-peak detector finds them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from toytasks.tasks.ecg_ectopy import EcgEctopy
from toytasks.tasks.ecg_rhythm import EcgRhythm
from toytasks.tasks.ecg_signal import NORMAL

nk = pytest.importorskip("neurokit2")

FS = 250.0  # neurokit's detectors are made for clinical rates, not the coarse task default


def detect(signal: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, info = nk.ecg_peaks(signal.astype(float), sampling_rate=FS)
    return np.asarray(info["ECG_R_Peaks"], dtype=int)


def test_normal_beat_matches_the_neurokit_ecgsyn_beat():
    """Averaged beat of neurokit2's ECGSYN simulation vs our closed-form beat, R-aligned."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim = nk.ecg_simulate(duration=30, sampling_rate=int(FS), heart_rate=75,
                              heart_rate_std=1, method="ecgsyn", noise=0, random_state=0)
    window = np.arange(int(-0.3 * FS), int(0.45 * FS))
    peaks = detect(np.asarray(sim))[2:-2]
    template = np.mean([sim[p + window] for p in peaks], axis=0)
    ours = EcgEctopy(sampling_hz=FS).shapes.waves(NORMAL, window / FS)
    assert np.corrcoef(template, ours)[0, 1] > 0.98
    assert window[template.argmax()] == window[ours.argmax()] == 0


@pytest.mark.parametrize("task", [
    EcgEctopy(sampling_hz=FS, prefix_beats=20, pvc_prob=0.2),
    EcgRhythm(sampling_hz=FS, prefix_beats=20),
], ids=["ectopy", "rhythm"])
def test_neurokit_finds_the_normal_beats_we_placed(task):
    x, _, beats = task.sample_annotated(4, np.random.default_rng(0))
    start = -(task.seq_len - 1) / FS
    for signal, r_peaks, kinds in zip(x[..., 0], beats.r_peak_s, beats.kinds, strict=True):
        found = (detect(signal) - (task.seq_len - 1)) / FS
        inside = r_peaks >= start + 0.3  # the detector needs some signal before a beat
        gap = np.abs(r_peaks[:, None] - found[None, :]).min(axis=1)
        normal = inside & (kinds == NORMAL)
        assert normal.sum() >= 10 and (gap[normal] < 0.04).all()
        # Every detection is one of our beats (inverted PVCs are mostly not detected).
        nearest = np.abs(found[:, None] - r_peaks[None, :]).min(axis=1)
        assert (nearest < 0.06).all()
