"""No shortcuts: a classifier that sees only the blind window is at chance; the span solves it."""

from __future__ import annotations

import numpy as np
import pytest

from toytasks.specs.spec import load_spec
from toytasks.tasks import CopyMemory, CyclePattern, XorProducts
from toytasks.tasks.probes import chance_tolerance, finite_draws, probe_accuracy, trailing_window

pytestmark = pytest.mark.slow

N_TEST = 2000


def assert_at_chance(task, window, classifier="logistic"):
    accuracy = probe_accuracy(task, window, classifier=classifier, n_test=N_TEST)
    assert abs(accuracy - task.baseline) <= chance_tolerance(task.baseline, N_TEST), accuracy


@pytest.mark.parametrize("task", [
    load_spec("cycle-pattern").make_generator(),
    CyclePattern(period_samples=8, jitter=0.0, noise_std=0.0),
    CyclePattern(period_samples=10, n_positive=2, jitter=0.3, noise_std=0.3),
], ids=["default", "clean", "jittery"])
def test_cycle_pattern_blind_window_is_at_chance_and_span_solves(task):
    assert_at_chance(task, task.blind_samples, "logistic")
    assert_at_chance(task, task.blind_samples, "mlp")
    assert probe_accuracy(task, task.span_samples, "mlp") >= 0.99


def test_cycle_pattern_label_noise_a_classifier_of_the_span_scores_the_bayes_accuracy():
    """A* = 1 - label_noise: an MLP trained on noisy labels learns the clean rule (it
    agrees with the clean labels of the same inputs), and its accuracy on noisy labels is
    what flips independent of the inputs give: agree * A* + (1 - agree) * (1 - A*)."""
    from sklearn.neural_network import MLPClassifier

    spec = load_spec("cycle-pattern")
    noisy = spec.with_knobs({"label_noise": 0.2}).make_generator()
    clean = spec.make_generator()
    rng = np.random.default_rng(0)
    x_train, y_train, _, _ = finite_draws(noisy, 6000, 1, rng)
    x_test, y_noisy = noisy.sample(N_TEST, np.random.default_rng(1))
    _, y_clean = clean.sample(N_TEST, np.random.default_rng(1))  # the same inputs
    window = noisy.span_samples
    model = MLPClassifier((64,), max_iter=600, random_state=0, early_stopping=True,
                          n_iter_no_change=20)
    model.fit(trailing_window(x_train, window, 0, 1), y_train[:, 0])
    pred = model.predict(trailing_window(x_test, window, 0, 1))
    agree = (pred == y_clean[:, 0]).mean()
    a_star = noisy.bayes_accuracy
    expected = agree * a_star + (1 - agree) * (1 - a_star)
    assert agree >= 0.97, agree
    assert abs((pred == y_noisy[:, 0]).mean() - expected) <= chance_tolerance(a_star, N_TEST)


def test_copy_memory_blind_window_is_at_chance_and_span_solves():
    task = CopyMemory(n_symbols=4, lag_steps=10)
    for target in (0, 3):
        assert abs(probe_accuracy(task, task.blind_samples, "logistic", target=target)
                   - task.baseline) <= chance_tolerance(task.baseline, N_TEST)
        assert probe_accuracy(task, task.span_samples, "logistic", target=target) >= 0.99


def test_xor_products_blind_window_is_at_chance_and_span_needs_a_nonlinear_model():
    task = XorProducts(n_products=1, seq_len_samples=6)
    assert_at_chance(task, task.blind_samples, "mlp")
    assert_at_chance(task, task.span_samples, "logistic")  # linear model: no product
    assert probe_accuracy(task, task.span_samples, "mlp", n_train=20000) >= 0.95


def test_xor_products_with_several_products_declares_no_blind_window():
    """A partial view sees other products, so no window is provably blind: it says so."""
    assert XorProducts(n_products=2, seq_len_samples=8).blind_samples == 0
