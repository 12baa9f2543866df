"""The trainer: deterministic, records faults as statuses, stops early, solves easy cases."""

from __future__ import annotations

import math

import pytest
import torch
from tests.helpers import make_trial

import toytasks.train as train_module
from toytasks.train import held_out_set, make_task, train
from toytasks.trial import DIVERGED, ERROR, SOLVED, UNSOLVED


def comparable(result):
    data = result.to_dict()
    data.pop("wall_s")
    return data


@pytest.mark.parametrize("arch", ["cnn", "lstm", "transformer"])
def test_same_trial_same_result_bit_for_bit(arch):
    trial = make_trial(arch, depth=2)
    assert comparable(train(trial)) == comparable(train(trial))


def test_different_seeds_give_different_runs():
    a, b = train(make_trial(seed=0)), train(make_trial(seed=1))
    assert (a.train_loss, a.final_metric) != (b.train_loss, b.final_metric)


def test_held_out_set_is_fixed_and_disjoint_from_training_stream():
    task = make_task(make_trial())
    x1, _ = held_out_set(task, 32)
    x2, _ = held_out_set(task, 32)
    train_x, _ = task.sample(32, train_module.train_rng(0))
    assert torch.equal(torch.from_numpy(x1), torch.from_numpy(x2))
    assert not torch.equal(torch.from_numpy(x1), torch.from_numpy(train_x))


def test_result_records_budget_params_and_flops():
    result = train(make_trial("cnn", depth=2, max_steps=40, eval_every=20, patience=10))
    assert result.status == UNSOLVED and result.steps == 40
    assert result.params > 0 and result.flops > 0 and result.evals >= 2
    assert result.metric == "accuracy" and result.baseline == 0.5
    assert 0.0 <= result.best_metric <= 1.0


def test_plateau_stops_early():
    # depth-1 cnn cannot see the deciding cycle: the held-out loss stays flat
    result = train(make_trial("cnn", depth=1, max_steps=5000, eval_every=20, patience=3))
    assert result.status == UNSOLVED and result.steps < 5000
    assert "flat" in result.reason


def test_non_finite_loss_is_recorded_as_diverged(monkeypatch):
    real_build = train_module.build_model

    def exploding(*args, **kwargs):
        model = real_build(*args, **kwargs)
        model.head.bias.data.fill_(math.inf)
        return model

    monkeypatch.setattr(train_module, "build_model", exploding)
    result = train(make_trial())
    assert result.status == DIVERGED and "non-finite" in result.reason


def test_exception_is_recorded_as_error_not_raised():
    result = train(make_trial(generator="no-such-task"))
    assert result.status == ERROR and "no-such-task" in result.reason


def test_finite_training_set_is_used_when_asked():
    fresh = train(make_trial(max_steps=30))
    finite = train(make_trial(max_steps=30, train_size=40))
    assert fresh.train_loss != finite.train_loss


@pytest.mark.slow
def test_lstm_solves_default_cycle_pattern_at_depth_one():
    from toytasks.options import default_options
    from toytasks.runner import trial_factory
    from toytasks.spec import load_spec

    spec = load_spec("cycle-pattern")
    trial = trial_factory(spec, "lstm", default_options(spec))(1, 0, spec.budget.lr)
    result = train(trial)
    assert result.status == SOLVED and result.best_metric >= spec.threshold
