"""Plugins: resolution by import path, the protocol, and every check before training."""

from __future__ import annotations

import pytest

from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES, get_architecture
from toytasks.running.preflight import check_architecture, check_task
from toytasks.specs.spec import load_spec
from toytasks.tasks import GENERATORS, get_generator

FIX = "tests.plugin_fixtures"
TASK = load_spec("cycle-pattern").with_knobs({"period_samples": 4}).make_generator()


def refused(call, *needles):
    with pytest.raises(ToytasksError) as err:
        call()
    message = str(err.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, message
    return message


def test_an_import_path_resolves_to_the_class():
    from tests.plugin_fixtures import Linear

    assert get_architecture(f"{FIX}:Linear") is Linear
    assert get_generator(f"{FIX}:Sign").__name__ == "Sign"


@pytest.mark.parametrize("name, needle", [
    ("no_such_module_xyz:Model", "cannot import 'no_such_module_xyz'"),
    (f"{FIX}:Missing", "has no attribute 'Missing'"),
    (f"{FIX}:NotAModel", "not a subclass of toytasks.models.SequenceModel"),
    (f"{FIX}:NoFeatures", "does not implement features"),
    ("no-such-registered-arch", "unknown architecture 'no-such-registered-arch'"),
])
def test_architectures_that_miss_the_protocol_are_refused(name, needle):
    refused(lambda: get_architecture(name), needle)


@pytest.mark.parametrize("name, needle", [
    (f"{FIX}:Linear", "not a subclass of toytasks.tasks.Task"),
    ("no_such_module_xyz:Task", "task plugin 'no_such_module_xyz:Task': cannot import"),
])
def test_tasks_that_miss_the_protocol_are_refused(name, needle):
    refused(lambda: get_generator(name), needle)


def test_a_valid_plugin_architecture_passes_the_checks():
    check_architecture(f"{FIX}:Linear", TASK, width=8)


@pytest.mark.parametrize("name, needles", [
    ("Peeker", ["architecture plugin", "Peeker", "is not causal", "step 0"]),
    ("WrongShape", ["output shape", "expected (4, 1, 2)"]),
    ("Broken", ["cannot build or run it", "RuntimeError: boom"]),
])
def test_bad_architectures_are_refused_before_training(name, needles):
    refused(lambda: check_architecture(f"{FIX}:{name}", TASK, width=8), *needles)


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_every_builtin_architecture_is_causal_and_has_the_protocol_shape(arch):
    check_architecture(arch, TASK, width=8, depth=3)


@pytest.mark.parametrize("arch, knobs", [
    ("cnn", {"kernel": 5}), ("tcn", {"kernel": 2, "dilation": 3}), ("gated-cnn", {"kernel": 4}),
    ("res-cnn", {"kernel": 7}), ("transformer", {"heads": 2}), ("lstm", {"gate_bias": 1.0}),
])
def test_builtin_architectures_with_knobs_stay_causal(arch, knobs):
    check_architecture(arch, TASK, width=8, depth=3, knobs=knobs)


@pytest.mark.parametrize("name, needles", [
    ("Float64", ["task plugin", "x is float64", "expected float32"]),
    ("FlatLabels", ["y is int64 (4,)", "(n, output_steps)"]),
    ("Unseeded", ["not deterministic for a seed"]),
    ("BadLabels", ["labels must lie in [0, 2)"]),
])
def test_bad_tasks_are_refused(name, needles):
    task = get_generator(f"{FIX}:{name}")()
    refused(lambda: check_task(f"{FIX}:{name}", task), *needles)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_every_builtin_task_passes_the_task_checks(name):
    check_task(name, GENERATORS[name]())
