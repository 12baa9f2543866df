"""ECG tasks: determinism, geometry of span/blind windows, and each knob does what it claims.

Knob claims are checked on the ground truth that ``sample_annotated`` returns with the
signal (where every R peak was placed, and each beat's kind), and on the signal itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from toytasks.errors import ToytasksError
from toytasks.specs.spec import load_spec
from toytasks.tasks import GENERATORS
from toytasks.tasks.ecg_ectopy import EcgEctopy
from toytasks.tasks.ecg_rhythm import EcgRhythm
from toytasks.tasks.ecg_signal import NORMAL, PVC, TABLE_STEP_S, TRUNCATE, beat_shapes, render

ECG = ("ecg-ectopy", "ecg-rhythm")
QUIET = {"noise_std": 0.0, "baseline_wander": 0.0}


def annotated(task, n=512, seed=0):
    return task.sample_annotated(n, np.random.default_rng(seed))


def intervals(beats):
    """RR intervals, newest first: column j is the time from beat j+1 to beat j (0 = last)."""
    r = beats.r_peak_s[:, ::-1]
    return r[:, :-1] - r[:, 1:]


def kinds_from_end(beats):
    return beats.kinds[:, ::-1]


# --- common to both tasks ----------------------------------------------------------------
@pytest.mark.parametrize("name", ECG)
def test_same_seed_same_arrays_shapes_and_balanced_labels(name):
    task = GENERATORS[name]()
    x1, y1 = task.sample(4000, np.random.default_rng(3))
    x2, y2 = task.sample(4000, np.random.default_rng(3))
    x3, _ = task.sample(4000, np.random.default_rng(4))
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    assert x1.shape == (4000, task.seq_len, 1) and x1.dtype == np.float32
    assert y1.shape == (4000, 1) and y1.dtype == np.int64 and np.isfinite(x1).all()
    assert abs(y1.mean() - 0.5) < 0.03
    xa, ya, _ = task.sample_annotated(4000, np.random.default_rng(3))
    assert np.array_equal(xa, x1) and np.array_equal(ya, y1)  # same draws as sample()


@pytest.mark.parametrize("name", ECG)
def test_specs_load_with_their_defaults(name):
    spec = load_spec(name)
    task = spec.make_generator()
    assert task.blind_samples < task.span_samples <= task.seq_len


@pytest.mark.parametrize("name", ECG)
def test_noise_knob_adds_white_noise_of_that_std(name):
    quiet = GENERATORS[name](**QUIET)
    noisy = GENERATORS[name](noise_std=0.2, baseline_wander=0.0)
    x0, _ = quiet.sample(512, np.random.default_rng(1))
    x1, _ = noisy.sample(512, np.random.default_rng(1))
    diff = (x1 - x0)[..., 0]
    assert diff.std() == pytest.approx(0.2, rel=0.02)
    assert abs(np.corrcoef(diff[:, 1:].ravel(), diff[:, :-1].ravel())[0, 1]) < 0.02


@pytest.mark.parametrize("name", ECG)
def test_baseline_wander_knob_adds_a_slow_wave_of_that_amplitude(name):
    quiet = GENERATORS[name](**QUIET)
    task = GENERATORS[name](noise_std=0.0, baseline_wander=0.5)
    x0, _ = quiet.sample(512, np.random.default_rng(1))
    x1, _ = task.sample(512, np.random.default_rng(1))
    diff = (x1 - x0)[..., 0]
    peak = np.abs(diff).max(axis=1)
    assert peak.max() <= 0.5 + 1e-5 and peak.mean() > 0.3
    step = np.abs(np.diff(diff, axis=1)).max()  # at most 0.4 Hz: a slope <= 2*pi*0.4*0.5/s
    assert step <= 2 * np.pi * 0.4 * 0.5 / task.sampling_hz + 1e-5


@pytest.mark.parametrize("name", ECG)
def test_heart_rate_knob_sets_the_typical_rr_interval(name):
    for bpm in (60.0, 100.0):
        _, _, beats = annotated(GENERATORS[name](heart_rate_bpm=bpm), n=256)
        kinds = kinds_from_end(beats)
        both_normal = (kinds[:, 1:] == NORMAL) & (kinds[:, :-1] == NORMAL)
        assert np.median(intervals(beats)[both_normal]) == pytest.approx(60.0 / bpm, rel=0.05)


@pytest.mark.parametrize("name", ECG)
def test_sampling_rate_knob_sets_samples_per_second(name):
    slow, fast = GENERATORS[name](sampling_hz=20.0), GENERATORS[name](sampling_hz=80.0)
    for length in ("seq_len", "span_samples", "blind_samples"):  # same seconds, 4x samples
        seconds = [getattr(task, length) / task.sampling_hz for task in (slow, fast)]
        assert seconds[0] == pytest.approx(seconds[1], abs=3.5 / slow.sampling_hz)
    x, _ = fast.sample(4, np.random.default_rng(0))
    assert x.shape[1] == fast.seq_len


def test_sampling_rate_resolves_the_qrs_only_when_fine():
    """At 250 Hz the normal R peak reaches ~1 and the PVC ~-1; at 20 Hz the 0.4-sample
    anti-aliasing filter flattens them (documented: the default is deliberately coarse)."""
    for hz, floor in ((250.0, 0.9), (20.0, 0.25)):
        task = EcgEctopy(sampling_hz=hz, **QUIET)
        x, _, beats = annotated(task, n=64)
        t = (np.arange(task.seq_len) - (task.seq_len - 1)) / hz
        inside = beats.r_peak_s >= t[0]
        nearest = np.abs(beats.r_peak_s[..., None] - t).argmin(-1)
        value = np.take_along_axis(x[..., 0], nearest, axis=1)
        assert value[inside & (beats.kinds == NORMAL)].mean() > floor
        assert value[inside & (beats.kinds == PVC)].mean() < -floor
    fine = EcgEctopy(sampling_hz=250.0, **QUIET)
    x, _, _ = annotated(fine, n=64)
    assert x.max() == pytest.approx(1.0, abs=0.06)


@pytest.mark.parametrize("name", ECG)
def test_prefix_beats_knob_adds_beats_before_the_pattern(name):
    counts, lengths = [], []
    for prefix in (0, 4):
        task = GENERATORS[name](prefix_beats=prefix)
        _, _, beats = annotated(task, n=256)
        start = -(task.seq_len - 1) / task.sampling_hz
        counts.append((beats.r_peak_s >= start).sum(axis=1).min())
        lengths.append(task.seq_len - task.span_samples)
    assert lengths[0] == 0 and lengths[1] > 0
    assert counts[1] - counts[0] >= 4  # room for at least 4 more beats, however long


@pytest.mark.parametrize("name", ECG)
def test_rendering_is_exact_with_truncated_waves(name):
    """The fast renderer (nearest beats, tabulated waves) equals a sum over all beats."""
    task = GENERATORS[name](sampling_hz=50.0, **QUIET)
    x, _, beats = annotated(task, n=16)
    t = (np.arange(task.seq_len) - (task.seq_len - 1)) / task.sampling_hz
    t = np.broadcast_to(t, (16, task.seq_len))
    slow = np.zeros_like(t)
    for b in range(beats.r_peak_s.shape[1]):
        for kind in (NORMAL, PVC):
            mine = beats.kinds[:, b:b + 1] == kind
            slow += np.where(mine, task.shapes.waves(kind, t - beats.r_peak_s[:, b:b + 1]), 0)
    assert np.abs(x[..., 0] - slow).max() < 1e-3


@pytest.mark.parametrize("hz", [20.0, 250.0])
def test_render_equals_every_beat_interpolated_at_every_sample_bit_for_bit(hz):
    """The fast renderer visits only the samples each beat's table reaches; summing every
    beat at every sample (beat order, plain table interpolation) gives the same bits."""
    task = EcgEctopy(sampling_hz=hz)
    rng = np.random.default_rng(3)
    back, kinds, _ = task.place_beats(8, rng)
    beat_times, beat_kinds = -back[:, ::-1], kinds[:, ::-1]
    times = rng.uniform(0.2, 0.3, size=(8, 1)) - task._steps_before_end_s
    shapes = task.shapes
    length = shapes.table.shape[1]
    slow = np.zeros(times.shape)
    for b in range(beat_times.shape[1]):
        dt = times - beat_times[:, b:b + 1]
        pos = np.clip((dt - shapes.table_start_s) / TABLE_STEP_S, 0, length - 1)
        left = np.minimum(pos.astype(np.int64), length - 2)
        frac = pos - left
        table = shapes.table[beat_kinds[:, b:b + 1]]  # (8, 1, L)
        a = np.take_along_axis(table[:, 0], left, axis=1)
        c = np.take_along_axis(table[:, 0], left + 1, axis=1)
        slow += a * (1 - frac) + c * frac
    fast = render(beat_times, beat_kinds, times, shapes, hz)
    assert np.array_equal(fast, slow)


def test_render_refuses_beats_too_close_to_render_exactly():
    shapes = beat_shapes(75.0, 20.0)
    with pytest.raises(ValueError, match="too close"):
        render(np.array([[0.0, 0.1]]), np.array([[0, 0]]), np.zeros((1, 4)), shapes, 20.0)


# --- ecg-ectopy ----------------------------------------------------------------------------
@pytest.mark.parametrize("n_normal", [1, 2, 3])
def test_ectopy_label_is_the_kind_of_the_beat_before_the_fixed_suffix(n_normal):
    task = EcgEctopy(n_normal=n_normal)
    _, y, beats = annotated(task, n=1024)
    kinds = kinds_from_end(beats)
    assert (kinds[:, 0] == PVC).all()
    assert (kinds[:, 1:n_normal] == NORMAL).all()
    assert np.array_equal(kinds[:, n_normal] == NORMAL, y[:, 0] == 1)
    assert len(np.unique(kinds[:, n_normal + 1:n_normal + 3], axis=0)) == 4  # prefix random


@pytest.mark.parametrize("n_normal", [1, 2, 4])
def test_ectopy_span_holds_the_deciding_beat_and_the_blind_window_never_reaches_it(n_normal):
    task = EcgEctopy(n_normal=n_normal)
    _, y, beats = annotated(task, n=2048)
    deciding = beats.r_peak_s[:, ::-1][:, n_normal]
    kinds = kinds_from_end(beats)[:, n_normal]
    first_span = -(task.span_samples - 1) / task.sampling_hz
    first_blind = -(task.blind_samples - 1) / task.sampling_hz
    normal = y[:, 0] == 1
    assert (deciding[normal] - task.qrs_before_s >= first_span - 1e-9).all()
    after = np.where(kinds == NORMAL, task.shapes.support_s(NORMAL)[1],
                     task.shapes.support_s(PVC)[1])
    assert (deciding + after < first_blind).all()
    assert task.blind_samples > 0


def test_ectopy_pvc_prob_knob_sets_the_share_of_pvcs_in_the_prefix():
    for p in (0.0, 0.3, 0.8):
        _, _, beats = annotated(EcgEctopy(pvc_prob=p), n=2048)
        prefix = kinds_from_end(beats)[:, 3:]
        assert (prefix == PVC).mean() == pytest.approx(p, abs=0.02)


def test_ectopy_coupling_knob_times_the_pvc_and_keeps_a_full_compensatory_pause():
    for coupling in (0.5, 0.75):
        task = EcgEctopy(coupling=coupling, hrv=0.0, pvc_prob=0.5)
        _, _, beats = annotated(task, n=512)
        rr = intervals(beats)
        kinds = kinds_from_end(beats)
        # The final PVC comes `coupling` RR after the normal beat before it.
        assert np.allclose(rr[:, 0], coupling * task.rr_s)
        # A PVC between two normal beats: the normal-to-normal time is exactly two RR.
        sandwiched = (kinds[:, 1:-1] == PVC) & (kinds[:, :-2] == NORMAL) & (kinds[:, 2:] == NORMAL)
        around = rr[:, :-1] + rr[:, 1:]
        assert sandwiched.sum() > 100
        assert np.allclose(around[sandwiched], 2 * task.rr_s)


def test_ectopy_hrv_knob_bounds_the_sinus_intervals():
    spreads = []
    for hrv in (0.0, 0.05, 0.12):
        task = EcgEctopy(hrv=hrv, pvc_prob=0.0)
        _, _, beats = annotated(task, n=512)
        kinds = kinds_from_end(beats)
        both_normal = (kinds[:, 1:] == NORMAL) & (kinds[:, :-1] == NORMAL)
        sinus = intervals(beats)[both_normal] / task.rr_s
        assert np.abs(sinus - 1).max() <= hrv + 1e-9
        spreads.append(sinus.std())
    assert spreads[0] < 1e-9 < spreads[1] < spreads[2]


def test_ectopy_rejects_knobs_that_put_beats_too_close():
    with pytest.raises(ToytasksError, match="too close"):
        EcgEctopy(heart_rate_bpm=200, coupling=0.5, hrv=0.15)


# --- ecg-rhythm ----------------------------------------------------------------------------
@pytest.mark.parametrize("n_beats", [3, 4, 6])
def test_rhythm_label_is_whether_the_oldest_window_interval_is_regular(n_beats):
    task = EcgRhythm(n_beats=n_beats, hrv=0.0, irregularity=0.2)
    _, y, beats = annotated(task, n=1024)
    rr = intervals(beats)
    rate = rr[:, :1]  # with hrv = 0 a regular interval is exactly the sequence's rate
    off = np.abs(rr / rate - 1)
    assert (off[:, : n_beats - 2] < 1e-9).all()
    assert np.array_equal(off[:, n_beats - 2] < 1e-9, y[:, 0] == 1)
    negative = y[:, 0] == 0
    assert (off[negative, n_beats - 2] >= 0.2 - 1e-9).all()
    assert (off[:, n_beats - 1:] >= 0.2 - 1e-9).all()  # the rhythm before is irregular


def test_rhythm_irregularity_knob_sets_how_far_irregular_intervals_stray():
    for irregularity in (0.1, 0.3):
        _, _, beats = annotated(EcgRhythm(n_beats=3, hrv=0.0, irregularity=irregularity),
                                n=1024)
        rr = intervals(beats)
        off = np.abs(rr[:, 2:] / rr[:, :1] - 1)  # prefix intervals: always irregular
        assert off.min() >= irregularity - 1e-9 and off.max() <= 1.5 * irregularity + 1e-9


def test_rhythm_hrv_knob_bounds_the_regular_intervals():
    spreads = []
    for hrv in (0.0, 0.03, 0.06):
        task = EcgRhythm(n_beats=6, hrv=hrv, hr_spread=0.0)
        _, _, beats = annotated(task, n=512)
        regular = intervals(beats)[:, :4] / task.rr_s
        assert np.abs(regular - 1).max() <= hrv + 1e-9
        spreads.append(regular.std())
    assert spreads[0] < 1e-9 < spreads[1] < spreads[2]


def test_rhythm_hr_spread_knob_sets_the_range_of_sequence_rates():
    for spread in (0.0, 0.2):
        task = EcgRhythm(hrv=0.0, hr_spread=spread)
        _, _, beats = annotated(task, n=2048)
        rate = intervals(beats)[:, 0] / task.rr_s
        assert rate.min() >= 1 - spread - 1e-9 and rate.max() <= 1 + spread + 1e-9
        assert rate.max() - rate.min() == pytest.approx(2 * spread, abs=0.02)


def test_rhythm_p_waves_knob_removes_p_waves_from_every_beat():
    with_p = EcgRhythm(sampling_hz=250.0, **QUIET)
    without = EcgRhythm(sampling_hz=250.0, p_waves=False, **QUIET)
    x1, _, beats = annotated(with_p, n=64)
    x0, _, _ = annotated(without, n=64)
    diff = (x1 - x0)[..., 0]
    t = (np.arange(with_p.seq_len) - (with_p.seq_len - 1)) / 250.0
    p_centre = with_p.shapes.centre_s[NORMAL, 0]
    p_reach = TRUNCATE * with_p.shapes.width_s[NORMAL, 0] + 0.01
    near_p = np.zeros_like(diff, dtype=bool)
    for r in beats.r_peak_s.T:
        near_p |= np.abs(t - (r[:, None] + p_centre)) < p_reach
    assert np.abs(diff[~near_p]).max() < 1e-6
    assert np.abs(diff[near_p]).max() > 0.15


def test_rhythm_mean_rate_and_beat_count_do_not_tell_the_class():
    task = EcgRhythm(n_beats=4)
    _, y, beats = annotated(task, n=8000)
    start = -(task.seq_len - 1) / task.sampling_hz
    inside = beats.r_peak_s >= start
    count = inside.sum(axis=1)
    span = np.where(inside, beats.r_peak_s, 0).max(1) - np.where(inside, beats.r_peak_s, 0).min(1)
    mean_rr = span / (count - 1)
    for stat in (count, mean_rr):
        pos, neg = stat[y[:, 0] == 1], stat[y[:, 0] == 0]
        se = np.sqrt(pos.var() / len(pos) + neg.var() / len(neg))
        assert abs(pos.mean() - neg.mean()) < 4 * se


def test_rhythm_span_holds_the_deciding_beat_and_the_blind_window_never_reaches_it():
    task = EcgRhythm(n_beats=4)
    _, y, beats = annotated(task, n=2048)
    oldest = beats.r_peak_s[:, ::-1][:, 3]
    first_span = -(task.span_samples - 1) / task.sampling_hz
    first_blind = -(task.blind_samples - 1) / task.sampling_hz
    regular = y[:, 0] == 1
    assert (oldest[regular] - task.qrs_before_s >= first_span - 1e-9).all()
    assert (oldest + task.shapes.support_s(NORMAL)[1] < first_blind).all()


def test_rhythm_rejects_irregularity_within_reach_of_hrv():
    with pytest.raises(ToytasksError, match="irregularity"):
        EcgRhythm(irregularity=0.1, hrv=0.05)
