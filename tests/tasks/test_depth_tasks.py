"""xor-count and beat-flips (when do stacked recurrent layers help?): labels, knobs, honesty.

Both tasks count over the whole sequence, so no window is provably blind (blind_samples
0). The shortcut that matters for the property each isolates is a *linear* one: for
xor-count a linear read-out of the raw steps, or any model missing one channel; for
beat-flips a linear read-out of the raw samples or of the beats' energies. Each stays at
chance within 3 sigma, while a logistic read-out of the features a model must compute
(per-step XOR; per-transition sign products) reads the label.
"""

from __future__ import annotations

import numpy as np
import pytest

from toytasks.specs.spec import load_spec
from toytasks.tasks import GENERATORS, BeatFlips, XorCount
from toytasks.tasks.probes import chance_tolerance, probe_accuracy
from toytasks.tasks.xor_count import SOLVE_MARGIN, majority

N_TEST = 2000
NAMES = ("xor-count", "beat-flips")


def draw(task, n=512, seed=0):
    return task.sample(n, np.random.default_rng(seed))


def within(value, expected, p, n, sigmas=3.0):
    return abs(value - expected) <= sigmas * np.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("name", NAMES)
def test_spec_builds_sampling_is_seeded_and_labels_are_balanced(name):
    task = load_spec(name).make_generator()
    assert type(task) is GENERATORS[name]
    x1, y1 = draw(task, seed=3)
    x2, y2 = draw(task, seed=3)
    x3, _ = draw(task, seed=4)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2) and not np.array_equal(x1, x3)
    assert x1.shape == (512, task.seq_len, task.n_inputs) and x1.dtype == np.float32
    assert y1.shape == (512, 1) and y1.dtype == np.int64
    assert task.span_samples == task.seq_len and task.blind_samples == 0
    _, y = draw(task, n=8000)
    assert within(y.mean(), 0.5, 0.5, 8000)


def test_majority_breaks_ties_by_the_first_entry_and_stays_balanced():
    events = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 1]], dtype=bool)
    assert majority(events).tolist() == [1, 0, 1, 0]
    _, y = draw(XorCount(window_steps=4), n=8000)  # ties in 3/8 of sequences
    assert within(y.mean(), 0.5, 0.5, 8000)


# --- xor-count -------------------------------------------------------------------------
def xor_events(x):
    return (x > 0).sum(axis=2) % 2 == 1


@pytest.mark.parametrize("channels", [2, 3, 5])
def test_xor_count_label_is_the_majority_of_the_per_step_parity(channels):
    task = XorCount(channels=channels, window_steps=9)
    x, y = draw(task)
    assert x.shape[2] == channels
    assert np.array_equal(y[:, 0], (xor_events(x).sum(axis=1) > 4.5).astype(np.int64))


def test_xor_count_noise_is_bounded_so_every_sample_keeps_its_bits_sign():
    quiet, noisy = draw(XorCount(noise_amp=0.0)), draw(XorCount(noise_amp=0.8))
    assert set(np.unique(quiet[0])) == {-1.0, 1.0}
    deviation = np.abs(np.abs(noisy[0]) - 1.0)
    assert deviation.max() <= 0.8 + 1e-6 and deviation.mean() > 0.3  # uniform in [0, 0.8]
    assert np.array_equal(quiet[1], noisy[1])  # the same bits at the same seed


@pytest.mark.parametrize(("knob", "value", "check"), [
    ("channels", 4, lambda t, x, y: x.shape[2] == 4),
    ("window_steps", 31, lambda t, x, y: x.shape[1] == 31 and t.span_samples == 31),
])
def test_xor_count_shape_knobs(knob, value, check):
    task = XorCount(**{knob: value})
    assert check(task, *draw(task))


@pytest.mark.parametrize("cls", [XorCount, BeatFlips])
def test_label_noise_flips_that_share_of_labels_and_sets_the_bayes_accuracy(cls):
    clean, noisy = cls(), cls(label_noise=0.2)
    x_clean, y_clean = draw(clean, n=8000, seed=5)
    x_noisy, y_noisy = draw(noisy, n=8000, seed=5)
    assert np.array_equal(x_clean, x_noisy)  # the inputs do not change, only labels
    agree = (y_clean == y_noisy).mean()  # the best a model can do: predict the clean label
    assert within(agree, 0.8, 0.2, 8000)
    assert noisy.bayes_accuracy == pytest.approx(0.8)
    assert noisy.solve_threshold == pytest.approx(0.8 - SOLVE_MARGIN)
    assert clean.solve_threshold == pytest.approx(1.0 - SOLVE_MARGIN)
    assert load_spec(cls.name).threshold == pytest.approx(0.95)


# --- beat-flips ------------------------------------------------------------------------
def matched(task, x):
    beats = x[:, :, 0].reshape(len(x), task.n_beats, task.beat_samples)
    return beats @ task.waveform()


def test_beat_flips_label_is_the_majority_of_sign_changes_between_beats():
    task = BeatFlips(noise_std=0.0, n_beats=9)
    x, y = draw(task)
    signs = np.sign(matched(task, x))
    assert set(np.unique(signs)) == {-1.0, 1.0}
    flips = signs[:, 1:] != signs[:, :-1]
    assert np.array_equal(y[:, 0], majority(flips))
    beats = x[:, :, 0].reshape(len(x), 9, task.beat_samples)
    assert np.allclose(np.abs(beats), np.abs(task.waveform()), atol=1e-6)  # ± one sine cycle


@pytest.mark.parametrize(("knob", "value", "check"), [
    ("beat_samples", 12, lambda t, x, y: x.shape[1] == 12 * 8 and t.waveform().shape == (12,)),
    ("n_beats", 5, lambda t, x, y: x.shape[1] == 5 * 8 and t.span_samples == 40),
])
def test_beat_flips_shape_knobs(knob, value, check):
    task = BeatFlips(**{knob: value})
    assert check(task, *draw(task))


def test_beat_flips_noise_std_is_the_residual_and_beat_error_matches_a_matched_filter():
    for std in (0.2, 1.5):
        task = BeatFlips(noise_std=std)
        x, _ = draw(task, n=4000)
        quiet = draw(BeatFlips(noise_std=0.0), n=4000)[0]
        assert np.std(x - quiet) == pytest.approx(std, rel=0.02)  # the same signs at a seed
        misread = (np.sign(matched(task, x)) != np.sign(matched(task, quiet))).mean()
        assert within(misread, task.beat_error, task.beat_error, 4000 * 8)
    assert BeatFlips(noise_std=0.0).beat_error == 0.0
    assert BeatFlips().beat_error * BeatFlips().n_beats < 3e-4  # A* = 1 - label_noise here


# --- honesty ---------------------------------------------------------------------------
def assert_at_chance(accuracy):
    assert abs(accuracy - 0.5) <= chance_tolerance(0.5, N_TEST), accuracy


@pytest.mark.slow
@pytest.mark.parametrize("channels", [2, 3])
def test_xor_count_no_linear_feature_and_no_channel_subset_is_informative(channels):
    task = XorCount(channels=channels, window_steps=9)
    span = task.span_samples
    assert_at_chance(probe_accuracy(task, span, "logistic", n_test=N_TEST))
    drop_one = lambda w: w[:, :, 1:].reshape(len(w), -1)  # noqa: E731
    assert_at_chance(probe_accuracy(task, span, "mlp", n_test=N_TEST, early_stopping=True,
                                    features=drop_one))
    solved = probe_accuracy(task, span, "logistic", n_test=N_TEST, features=task.probe_features)
    assert solved >= 0.99


@pytest.mark.slow
def test_beat_flips_no_linear_feature_and_no_energy_feature_is_informative():
    task = BeatFlips(n_beats=7)
    span = task.span_samples
    assert_at_chance(probe_accuracy(task, span, "logistic", n_test=N_TEST))
    energy = lambda w: (w[:, :, 0].reshape(len(w), 7, -1) ** 2).sum(axis=2)  # noqa: E731
    assert_at_chance(probe_accuracy(task, span, "mlp", n_test=N_TEST, early_stopping=True,
                                    features=energy))
    signs = lambda w: np.sign(matched(task, w))  # noqa: E731  (first level only)
    assert_at_chance(probe_accuracy(task, span, "logistic", n_test=N_TEST, features=signs))
    solved = probe_accuracy(task, span, "logistic", n_test=N_TEST, features=task.probe_features)
    assert solved >= 0.99
