"""Every core task: determinism, shapes, each knob changes the data as claimed."""

from __future__ import annotations

import numpy as np
import pytest

from toytasks.errors import ToytasksError
from toytasks.tasks import GENERATORS, CopyMemory, CyclePattern, XorProducts

CORE = ("cycle-pattern", "copy-memory", "xor-products")


def draw(task, n=256, seed=0):
    return task.sample(n, np.random.default_rng(seed))


@pytest.mark.parametrize("name", CORE)
def test_same_seed_same_arrays_and_documented_shapes(name):
    task = GENERATORS[name]()
    x1, y1 = draw(task, seed=3)
    x2, y2 = draw(task, seed=3)
    x3, _ = draw(task, seed=4)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    assert x1.shape == (256, task.seq_len, task.n_inputs) and x1.dtype == np.float32
    assert y1.shape == (256, task.output_steps) and y1.dtype == np.int64
    assert np.isfinite(x1).all()
    assert y1.min() >= 0 and y1.max() < task.n_outputs


@pytest.mark.parametrize("name", CORE)
def test_labels_are_balanced_at_chance(name):
    task = GENERATORS[name]()
    _, y = draw(task, n=8000)
    freq = np.bincount(y.ravel(), minlength=task.n_outputs) / y.size
    assert np.allclose(freq, task.baseline, atol=0.02)


# --- cycle-pattern ---------------------------------------------------------------------
def clean_cycles(**knobs):
    return CyclePattern(noise_std=0.0, jitter=0.0, **knobs)


def cycle_signs(x, period):
    """Sign of each whole cycle, counted from the end (index 0 = last cycle)."""
    signal = x[:, ::-1, 0]
    n_cycles = signal.shape[1] // period
    quarter = period // 4 if period >= 4 else 1
    # a cycle read backwards: its last quarter is negative for an upright cycle
    samples = np.stack([signal[:, k * period + quarter] for k in range(n_cycles)], axis=1)
    return -np.sign(samples)


def test_cycle_pattern_label_is_the_sign_of_the_cycle_before_the_fixed_suffix():
    task = clean_cycles(period_samples=8, n_positive=3, prefix_cycles=2)
    x, y = draw(task)
    signs = cycle_signs(x, 8)
    assert (signs[:, 0] == -1).all()          # final cycle inverted
    assert (signs[:, 1:3] == 1).all()         # n_positive - 1 upright cycles before it
    assert np.array_equal(signs[:, 3] == 1, y[:, 0] == 1)  # the deciding cycle
    assert len(np.unique(signs[:, 4:], axis=0)) > 1        # prefix is random


def test_cycle_pattern_period_knob_sets_the_cycle_length():
    """Without jitter or noise the signal is a train of +-sin cycles of exactly the period."""
    for period in (4, 8, 16):
        task = clean_cycles(period_samples=period, prefix_cycles=1)
        x, _ = draw(task, n=32)
        cycles = x[:, ::-1, 0].reshape(32, -1, period)[:, :, ::-1]  # whole cycles, in time order
        template = np.sin(2 * np.pi * np.arange(period) / period)
        match = np.abs(np.abs((cycles * template).sum(-1)) - (template**2).sum())
        assert match.max() < 1e-4


def test_cycle_pattern_n_positive_moves_the_deciding_cycle():
    for n_positive in (1, 2, 5):
        task = clean_cycles(period_samples=8, n_positive=n_positive, prefix_cycles=1)
        x, y = draw(task)
        signs = cycle_signs(x, 8)
        assert (signs[:, 1:n_positive] == 1).all()
        assert np.array_equal(signs[:, n_positive] == 1, y[:, 0] == 1)
        assert task.span_samples == (n_positive + 1) * 8
        assert task.blind_samples == n_positive * 8


def test_cycle_pattern_prefix_knob_lengthens_the_sequence():
    lengths = [clean_cycles(period_samples=8, prefix_cycles=p).seq_len for p in (0, 1, 4)]
    assert lengths == [32, 40, 64]


def test_cycle_pattern_jitter_varies_cycle_lengths_and_zero_jitter_does_not():
    def zero_crossing_gaps(task):
        x, _ = draw(task, n=64)
        s = x[:, :, 0]
        ups = (s[:, :-1] <= 0) & (s[:, 1:] > 0)
        return {int(g) for row in ups for g in np.diff(np.flatnonzero(row))}

    steady = zero_crossing_gaps(CyclePattern(period_samples=10, jitter=0.0, noise_std=0.0))
    jittery = zero_crossing_gaps(CyclePattern(period_samples=10, jitter=0.3, noise_std=0.0))
    assert len(jittery) > len(steady)
    assert CyclePattern(period_samples=10, jitter=0.3).min_cycle == 7
    assert CyclePattern(period_samples=10, jitter=0.3).max_cycle == 13


def test_cycle_pattern_noise_knob_sets_the_noise_level():
    clean, _ = draw(CyclePattern(noise_std=0.0, jitter=0.0))
    noisy, _ = draw(CyclePattern(noise_std=0.5, jitter=0.0))
    assert abs(np.std(noisy - clean) - 0.5) < 0.02  # same seed: same cycles, added noise


def test_cycle_pattern_label_noise_flips_that_share_of_labels_and_only_the_labels():
    clean, noisy = CyclePattern(), CyclePattern(label_noise=0.2)
    x_clean, y_clean = draw(clean, n=8000, seed=5)
    x_noisy, y_noisy = draw(noisy, n=8000, seed=5)
    assert np.array_equal(x_clean, x_noisy)  # flips are drawn after every input
    flipped = (y_clean != y_noisy).mean()
    assert abs(flipped - 0.2) <= 3 * np.sqrt(0.2 * 0.8 / 8000)
    assert noisy.bayes_accuracy == pytest.approx(0.8) and clean.bayes_accuracy == 1.0


def test_cycle_pattern_label_noise_is_in_the_identity_only_when_set():
    """Added after results were stored: at 0 the data and the trial keys are as before."""
    assert "label_noise" not in CyclePattern().identity_values
    assert CyclePattern(label_noise=0.1).identity_values["label_noise"] == 0.1
    assert CyclePattern(label_noise=0.1).values.keys() == CyclePattern().values.keys()
    x_before, y_before = draw(CyclePattern(label_noise=0.0), seed=2)
    x_after, y_after = draw(CyclePattern(), seed=2)
    assert np.array_equal(x_before, x_after) and np.array_equal(y_before, y_after)


# --- copy-memory -----------------------------------------------------------------------
def test_copy_memory_layout_and_targets():
    task = CopyMemory(n_symbols=4, lag_steps=7, alphabet=5)
    x, y = draw(task, n=64)
    tokens = x.argmax(-1)
    assert task.seq_len == 2 * 4 + 7 + 1 and x.shape[2] == 5 + 2
    assert np.array_equal(tokens[:, :4] - 1, y)               # symbols, then recalled
    assert (tokens[:, 4 : 4 + 7] == 0).all()                  # lag_steps blanks
    assert (tokens[:, 11] == 6).all()                         # delimiter
    assert (tokens[:, 12:] == 0).all()                        # blanks while recalling
    assert y.max() < 5 and task.baseline == pytest.approx(1 / 5)


@pytest.mark.parametrize("lag", [0, 3, 50])
def test_copy_memory_lag_knob_moves_the_delimiter(lag):
    task = CopyMemory(n_symbols=3, lag_steps=lag)
    x, _ = draw(task, n=8)
    assert (x.argmax(-1)[:, 3 + lag] == task.alphabet + 1).all()
    assert task.span_samples == 3 + lag + 2


# --- xor-products ----------------------------------------------------------------------
def test_xor_products_label_is_sign_of_sum_of_marked_products():
    task = XorProducts(n_products=3, seq_len_samples=12)
    x, y = draw(task, n=512)
    assert x.shape[2] == 1 + 2 * 3
    values = x[:, :, 0]
    total = np.zeros(len(x))
    for i in range(3):
        a = (values * x[:, :, 1 + i]).sum(1)
        b = (values * x[:, :, 1 + 3 + i]).sum(1)
        total += a * b
    assert np.array_equal(total > 0, y[:, 0] == 1)
    assert (x[:, :, 1:].sum(1) == 1).all()   # each marker exactly once
    assert (x[:, 0, 1] == 1).all()            # a_1 at the first step: the span is everything


def test_xor_products_knobs_change_length_and_marks():
    assert XorProducts(seq_len_samples=20).seq_len == 20
    x, _ = draw(XorProducts(n_products=4, seq_len_samples=20), n=8)
    assert x.shape == (8, 20, 9) and x[:, :, 1:].sum() == 8 * 8
    with pytest.raises(ToytasksError, match="too short"):
        XorProducts(n_products=5, seq_len_samples=9)


def test_xor_products_needs_multiplication_not_addition():
    """Additive features of the marked values stay at chance; their product solves it."""
    from sklearn.linear_model import LogisticRegression

    task = XorProducts(n_products=1, seq_len_samples=8)
    x, y = draw(task, n=6000)
    a = (x[:, :, 0] * x[:, :, 1]).sum(1)
    b = (x[:, :, 0] * x[:, :, 2]).sum(1)
    additive = np.stack([a, b, a + b], axis=1)
    product = (a * b)[:, None]
    split = 4000

    def score(features):
        model = LogisticRegression(max_iter=2000).fit(features[:split], y[:split, 0])
        return model.score(features[split:], y[split:, 0])

    assert abs(score(additive) - 0.5) < 3 * np.sqrt(0.25 / 2000)
    assert score(product) > 0.99


# --- validation ------------------------------------------------------------------------
@pytest.mark.parametrize(("knobs", "message"), [
    ({"period_samples": 2}, "out of range"),
    ({"period_samples": 3.5}, "must be int"),
    ({"jitter": "lots"}, "must be float"),
    ({"bogus": 1}, "unknown knob 'bogus'"),
])
def test_bad_knobs_are_one_line_errors(knobs, message):
    with pytest.raises(ToytasksError, match=message):
        CyclePattern(**knobs)
