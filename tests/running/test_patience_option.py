"""Early stopping can be turned off: ``--patience 0`` (``patience = 0`` in a spec's
[budget]) reaches every trial, and a patience given on the command line is part of the
trial's identity (a run with another patience never reuses a stored trial)."""

from __future__ import annotations

import pytest

from toytasks.errors import ToytasksError
from toytasks.running.launch import RunRequest, prepare, python_request
from toytasks.running.trials import trial_factory
from toytasks.specs.options import resolve
from toytasks.specs.spec import load_spec
from toytasks.training.trial import can_stop_early


def test_patience_defaults_to_the_spec_and_can_be_turned_off():
    spec = load_spec("cycle-pattern")
    default = trial_factory(spec, "cnn", resolve(spec, {}))(2, 0, 3e-3)
    off = trial_factory(spec, "cnn", resolve(spec, {"patience": 0}))(2, 0, 3e-3)
    assert default.patience == spec.budget.patience and off.patience == 0
    assert default.key != off.key


def test_the_request_carries_patience_to_the_job():
    plan = prepare(RunRequest(task="cycle-pattern", arch=("cnn",), patience=0))
    assert plan.job.opts.patience == 0
    with pytest.raises(ToytasksError, match="patience"):
        python_request("cycle-pattern", patience=-1)


def test_can_stop_early_at_its_boundaries():
    assert not can_stop_early(0, 100, 8000)  # off
    assert not can_stop_early(80, 100, 8000)  # fires at the last step at the earliest
    assert can_stop_early(79, 100, 8000)
    assert can_stop_early(5, 100, 2000)


def test_the_dry_run_prices_an_unsolved_trial_without_early_stopping_at_its_budget():
    from dataclasses import replace

    from tests.helpers import make_trial

    from toytasks.cost.estimate import likely_steps

    trial = make_trial(max_steps=3000, eval_every=100, patience=5)
    assert likely_steps(trial, False) == 1000  # about twice its patience
    assert likely_steps(replace(trial, patience=0), False) == 3000
    assert likely_steps(replace(trial, patience=0), True) == 200
