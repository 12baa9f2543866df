"""The trainer: deterministic, records faults as statuses, stops early, solves easy cases."""

from __future__ import annotations

import math

import pytest
import torch
from tests.helpers import make_trial

import toytasks.training.train as train_module
from toytasks.training.train import held_out_set, make_generator, train
from toytasks.training.trial import DIVERGED, ERROR, SOLVED, UNSOLVED


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
    task = make_generator(make_trial())
    x1, _ = held_out_set(task, 32)
    x2, _ = held_out_set(task, 32)
    train_x, _ = task.sample(32, train_module.train_rng(0))
    assert torch.equal(torch.from_numpy(x1), torch.from_numpy(x2))
    assert not torch.equal(torch.from_numpy(x1), torch.from_numpy(train_x))


def test_result_records_budget_params_and_flops():
    trial = make_trial("cnn", depth=2, max_steps=40, eval_every=20, patience=10)
    result = train(trial)
    assert result.status == UNSOLVED and result.steps == 40
    assert result.metric == "accuracy" and result.baseline == 0.5
    assert 0.0 <= result.best_metric <= 1.0
    task = make_generator(trial)
    model = train_module.build_model(trial.arch, task.n_inputs, task.n_outputs, trial.depth,
                                     trial.width, task.output_steps,
                                     train_module.model_knobs(trial))
    assert result.params == model.param_count() == sum(p.numel() for p in model.parameters())
    assert result.evals == 2  # the cadence (20, 40): no hopeful evaluation at chance
    # training steps cost forward + backward (3 forwards), held-out evaluations 1 forward
    forward = model.forward_flops(task.seq_len)
    assert result.flops == forward * (3 * trial.batch_size * 40 + trial.test_size * 2)


@pytest.mark.filterwarnings("ignore:TF32 acceleration")
@pytest.mark.parametrize("arch", ["cnn", "lstm", "transformer"])
def test_a_training_step_costs_what_torchs_flop_counter_sees(arch):
    """The '3 forwards per training step' in the FLOPs column, against torch's count of a
    real forward + backward (the first layer's input gradient is never computed: a little
    under 3)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    trial = make_trial(arch, depth=2)
    task = make_generator(trial)
    model = train_module.build_model(arch, task.n_inputs, task.n_outputs, 2, trial.width,
                                     task.output_steps)
    x, _ = task.sample(trial.batch_size, train_module.train_rng(0))
    with torch.backends.mkldnn.flags(enabled=False), sdpa_kernel(SDPBackend.MATH), \
            FlopCounterMode(display=False) as counter:
        model(torch.from_numpy(x)).sum().backward()
    ratio = counter.get_total_flops() / (trial.batch_size * model.forward_flops(task.seq_len))
    assert 2.9 <= ratio <= 3.0


def test_plateau_stops_early():
    # depth-1 cnn cannot see the deciding cycle: the held-out loss stays flat
    result = train(make_trial("cnn", depth=1, max_steps=5000, eval_every=20, patience=3))
    assert result.status == UNSOLVED and result.steps < 5000
    assert "flat" in result.reason


def test_patience_0_turns_early_stopping_off():
    # the same plateau with patience 0 runs its whole budget (what a budget curve needs)
    result = train(make_trial("cnn", depth=1, max_steps=200, eval_every=20, patience=0))
    assert result.status == UNSOLVED and result.steps == 200
    assert result.reason == "step budget spent"


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


def test_finite_training_set_is_used_when_asked(monkeypatch):
    """With ``train_size`` N the task is sampled once for N examples and every training
    batch is made of those rows; without it, a fresh batch is sampled every step."""
    from toytasks.tasks import get_generator

    generator = get_generator("cycle-pattern")
    real_sample = generator.sample
    sampled: list[int] = []
    pools: list[torch.Tensor] = []

    def spy(self, n, rng):
        sampled.append(n)
        x, y = real_sample(self, n, rng)
        if n == 40:
            pools.append(torch.from_numpy(x).flatten(1))
        return x, y

    seen: list[torch.Tensor] = []
    real_build = train_module.build_model

    def recording(*args, **kwargs):
        model = real_build(*args, **kwargs)
        features = model.features  # training scores toytasks' readout of features()
        model.features = lambda x: (seen.append(x.detach()), features(x))[1]
        return model

    monkeypatch.setattr(generator, "sample", spy)
    monkeypatch.setattr(train_module, "build_model", recording)
    train(make_trial(max_steps=30, eval_every=1000))
    assert sampled == [64] + [16] * 30  # held-out set, then a fresh batch per step
    sampled.clear()
    seen.clear()
    finite = train(make_trial(max_steps=30, eval_every=1000, train_size=40))
    assert sampled == [64, 40] and finite.steps == 30  # one pool, no per-step sampling
    (pool,) = pools
    batches = [x for x in seen if x.shape[0] == 16]
    assert len(batches) == 30
    for batch in batches:  # every training example is a row of the pool
        rows = batch.flatten(1)
        assert (rows[:, None, :] == pool[None, :, :]).all(-1).any(-1).all()


@pytest.mark.slow
def test_lstm_solves_default_cycle_pattern_at_depth_one():
    from toytasks.running.trials import trial_factory
    from toytasks.specs.options import default_options
    from toytasks.specs.spec import load_spec

    spec = load_spec("cycle-pattern")
    trial = trial_factory(spec, "lstm", default_options(spec))(1, 0, spec.budget.lr)
    result = train(trial)
    assert result.status == SOLVED and result.best_metric >= spec.threshold
