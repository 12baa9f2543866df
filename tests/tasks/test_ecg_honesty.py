"""ECG tasks have no shortcut: the blind window is at chance, the span solves them."""

from __future__ import annotations

import pytest

from toytasks.specs.spec import load_spec
from toytasks.tasks.ecg_ectopy import EcgEctopy
from toytasks.tasks.ecg_rhythm import EcgRhythm
from toytasks.tasks.probes import chance_tolerance, probe_accuracy

pytestmark = pytest.mark.slow

N_TEST = 2000


def assert_at_chance(task, window, classifier):
    accuracy = probe_accuracy(task, window, classifier=classifier, n_test=N_TEST)
    assert abs(accuracy - task.baseline) <= chance_tolerance(task.baseline, N_TEST), accuracy


@pytest.mark.parametrize("task", [
    load_spec("ecg-ectopy").make_generator(),
    EcgEctopy(n_normal=1),
    EcgEctopy(n_normal=3, hrv=0.1, noise_std=0.1, pvc_prob=0.6),
], ids=["default", "n_normal=1", "n_normal=3-noisy"])
def test_ectopy_blind_window_is_at_chance_and_span_solves(task):
    assert_at_chance(task, task.blind_samples, "logistic")
    assert_at_chance(task, task.blind_samples, "mlp")
    assert probe_accuracy(task, task.span_samples, "mlp") >= 0.99


@pytest.mark.parametrize("task", [
    load_spec("ecg-rhythm").make_generator(),
    EcgRhythm(n_beats=4, p_waves=False),
], ids=["default", "n_beats=4-no-p"])
def test_rhythm_blind_window_is_at_chance_and_span_solves(task):
    assert_at_chance(task, task.blind_samples, "logistic")
    assert_at_chance(task, task.blind_samples, "mlp")
    assert probe_accuracy(task, task.span_samples, "mlp") >= 0.99


def test_rhythm_needs_a_comparison_not_a_template():
    """A linear probe on the span cannot compare intervals across varying heart rates."""
    task = load_spec("ecg-rhythm").make_generator()
    assert probe_accuracy(task, task.span_samples, "logistic") < 0.9
