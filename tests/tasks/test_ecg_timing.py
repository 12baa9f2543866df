"""The rhythm puzzle's pieces: the longer_share knob, chrono-initialised recurrent nets, and
the sequence-length guard of the ECG tasks (docs/ecg.md, "The rhythm puzzle")."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from toytasks.errors import ToytasksError
from toytasks.models import build_model
from toytasks.tasks.ecg_ectopy import EcgEctopy
from toytasks.tasks.ecg_rhythm import EcgRhythm


def deciding_ratio(task, n=2048):
    """Oldest window interval over the newest one, and the labels."""
    _, y, beats = task.sample_annotated(n, np.random.default_rng(0))
    r = beats.r_peak_s[:, ::-1]
    rr = r[:, :-1] - r[:, 1:]
    m = task.n_beats - 1
    return rr[:, m - 1] / rr[:, 0], y[:, 0]


@pytest.mark.parametrize(("share", "longer"), [(0.5, (0.4, 0.6)), (1.0, (1.0, 1.0)),
                                                (0.0, (0.0, 0.0)), (0.8, (0.75, 0.85))])
def test_longer_share_knob_sets_which_side_irregular_deciding_intervals_fall(share, longer):
    ratio, y = deciding_ratio(EcgRhythm(n_beats=4, hrv=0.0, longer_share=share))
    negative = y == 0
    frac = (ratio[negative] > 1).mean()
    assert longer[0] - 1e-9 <= frac <= longer[1] + 1e-9
    assert np.abs(ratio[~negative] - 1).max() < 1e-9  # positives stay regular


def test_longer_share_default_leaves_the_data_unchanged_and_other_values_change_it():
    rng = np.random.default_rng
    x0, y0 = EcgRhythm().sample(256, rng(1))
    x1, y1 = EcgRhythm(longer_share=0.5).sample(256, rng(1))
    x2, y2 = EcgRhythm(longer_share=1.0).sample(256, rng(1))
    assert np.array_equal(x0, x1) and np.array_equal(y0, y1)
    assert not np.array_equal(x0, x2) and np.array_equal(y0, y2)


def test_symmetric_irregularity_makes_the_label_uncorrelated_with_each_interval():
    """Why the default task has no first-order timing cue (the rhythm puzzle): with negatives
    on both sides of the rate, the label is not monotone in the deciding interval."""
    ratio, y = deciding_ratio(EcgRhythm(n_beats=3), n=8000)
    assert abs(np.corrcoef(ratio, y)[0, 1]) < 0.05
    ratio, y = deciding_ratio(EcgRhythm(n_beats=3, longer_share=1.0), n=8000)
    assert np.corrcoef(ratio, y)[0, 1] < -0.5  # one-sided: longer means negative


@pytest.mark.parametrize(("arch", "base"), [("chrono-lstm", "lstm"), ("chrono-gru", "gru")])
def test_chrono_changes_only_the_gate_biases_and_spreads_time_scales_over_the_sequence(
        arch, base):
    torch.manual_seed(0)
    chrono = build_model(arch, 1, 2, depth=2, width=16)
    torch.manual_seed(0)
    plain = build_model(base, 1, 2, depth=2, width=16)
    chrono(torch.randn(3, 200, 1))  # the first forward pass sets T = 200
    width = 16
    for name, p in plain.rnn.named_parameters():
        q = dict(chrono.rnn.named_parameters())[name]
        if not name.startswith("bias"):
            assert torch.equal(p, q), name
    for layer in range(2):
        b_ih = getattr(chrono.rnn, f"bias_ih_l{layer}").detach()
        keep = b_ih[width : 2 * width]
        assert keep.min() >= 0 and keep.max() <= np.log(199)
        assert keep.max() > np.log(60)  # some time scales are long (vs 1 + e^3 = 21 steps)
        assert torch.all(getattr(chrono.rnn, f"bias_hh_l{layer}")[width : 2 * width] == 0)
        if base == "lstm":
            assert torch.equal(b_ih[:width], -keep)
    assert float(chrono.chrono_t_max) == 200


def test_chrono_time_scales_are_set_once_and_deterministically():
    outs = []
    for _ in range(2):
        torch.manual_seed(1)
        model = build_model("chrono-lstm", 1, 2, depth=1, width=8)
        model(torch.zeros(1, 50, 1))
        first = model.rnn.bias_ih_l0.detach().clone()
        model(torch.zeros(1, 500, 1))  # a later, longer batch does not re-draw
        assert torch.equal(first, model.rnn.bias_ih_l0.detach())
        outs.append(first)
    assert torch.equal(*outs)


def test_ecg_tasks_refuse_sequences_past_the_limit_naming_the_knob():
    with pytest.raises(ToytasksError, match="sampling_hz"):
        EcgEctopy(sampling_hz=1000.0, n_normal=16)


def test_ecg_tasks_warn_before_long_sequences_and_stay_quiet_at_250_hz():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EcgEctopy(sampling_hz=250.0)
    with pytest.warns(UserWarning, match="sampling_hz=500"):
        EcgEctopy(sampling_hz=500.0)
