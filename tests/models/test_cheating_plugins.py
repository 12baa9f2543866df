"""A table no plugin can cheat: every way a model can read the future is refused before
training or stored as refused, and never appears in a table as solved.

The plugins are in tests/cheating_fixtures.py; ``NextSign`` is a task no causal model can
solve (the label is the sign of the next input).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from tests.helpers import make_trial

from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES
from toytasks.models.causality import ATOL, first_leak, readout
from toytasks.running.preflight import check_architecture
from toytasks.running.suite import load_profile
from toytasks.specs.spec import load_spec
from toytasks.training.train import train
from toytasks.training.trial import ERROR, REFUSED, SOLVED

FIX = "tests.cheating_fixtures"
TASK = f"{FIX}:NextSign"
CYCLE = load_spec("cycle-pattern").with_knobs({"period_samples": 4}).make_generator()
NEXT = load_spec(TASK).make_generator()
TINY = ["--seeds", "1", "--width", "8", "--lr", "0.03", "--batch-size", "32", "--steps",
        "300", "--workers", "1", "-q"]


def refusal(arch: str, task=CYCLE, **kw) -> str:
    with pytest.raises(ToytasksError) as err:
        check_architecture(f"{FIX}:{arch}", task, width=8, **kw)
    assert "\n" not in str(err.value)
    return str(err.value)


# --- (a)-(d): refused before training -------------------------------------------------
@pytest.mark.parametrize("arch", ["ReversedForward", "ShiftedForward"])
def test_a_forward_that_reads_the_future_is_refused(arch):
    message = refusal(arch)
    assert "forward() or head is not toytasks' readout" in message


def test_a_reversed_forward_gains_nothing_even_unchecked():
    """Training scores toytasks' readout of features(): the override is never called, so
    the cheat trains bit for bit as the honest per-step model does."""
    kw = dict(generator=TASK, width=8, lr=0.03, max_steps=60, batch_size=32, eval_every=20,
              test_size=128)
    cheat = train(make_trial(arch=f"{FIX}:ShiftedForward", **kw)).to_dict()
    honest = train(make_trial(arch="tests.plugin_fixtures:Linear", **kw)).to_dict()
    for result in (cheat, honest):
        result.pop("key"), result.pop("wall_s")
    assert cheat == honest and cheat["status"] != SOLVED


def test_a_leak_only_at_depth_3_is_refused_at_depth_3():
    check_architecture(f"{FIX}:DeepPeek", CYCLE, width=8, depth=1, max_depth=2)
    message = refusal("DeepPeek", depth=1, max_depth=3)
    assert "at depth 3 is not causal" in message and "step 0" in message


def test_a_leak_between_the_old_probe_cuts_is_refused():
    length = min(CYCLE.seq_len, 32)  # the short probe, every cut
    message = refusal("BetweenCuts")
    assert f"output at step {length // 2 + 1} changes" in message


def test_a_run_refuses_a_deep_leak_before_training_anything(cli_in_process, tmp_path):
    code, _, err = cli_in_process("run", "--task", TASK, "--arch", f"{FIX}:DeepPeek",
                                  "--max-depth", "3", *TINY, "--out", str(tmp_path))
    assert code == 2 and "at depth 3 is not causal" in err
    assert not (tmp_path / "trials.jsonl").exists() or not (
        tmp_path / "trials.jsonl").read_text().strip()


# --- (b), (d): stored as refused after training, never solved --------------------------
def stored(folder: Path) -> list[dict]:
    return [json.loads(line)["result"] for line in
            (folder / "trials.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("arch, knobs, step", [
    ("GatedPeek", [], 0),  # causal at initialisation: passes the preflight
    ("LateLeak", ["--set", "seq_len_samples=48,targets=8,peek_step=40"], 40),  # past a probe
])
def test_a_model_that_leaks_once_trained_is_stored_as_refused(cli_in_process, tmp_path, arch,
                                                              knobs, step):
    code, out, err = cli_in_process("run", "--task", TASK, "--arch", f"{FIX}:{arch}",
                                    "--max-depth", "3", *knobs, *TINY, "--out", str(tmp_path))
    assert code == 3, err
    results = stored(tmp_path)
    assert [r["status"] for r in results] == [REFUSED]  # the search stops at a refusal
    assert results[0]["reason"] == f"not causal (leaked at step {step})"
    assert results[0]["best_metric"] >= 0.95  # it would have "solved" a task no causal can
    row = next(line for line in out.splitlines() if arch in line)
    assert f"refused: not causal (leaked at step {step})" in row
    assert "(1 refused)" in row
    assert "refused (not causal or not deterministic)" in err
    code, table, _ = cli_in_process("table", str(tmp_path))
    assert code == 0 and "refused: not causal" in table


def test_the_honest_model_is_not_refused_on_the_same_budget(cli_in_process, tmp_path):
    code, _, err = cli_in_process("run", "--task", TASK, "--arch", "tests.plugin_fixtures:Linear",
                                  "--max-depth", "1", *TINY, "--out", str(tmp_path))
    assert code == 0, err
    assert [r["status"] for r in stored(tmp_path)] == ["unsolved"]


# --- what the check allows, and how it words what it finds -------------------------------
def test_dropout_and_time_batch_norm_pass_in_eval_mode():
    for arch in ("WithDropout", "TimeBatchNorm"):
        check_architecture(f"{FIX}:{arch}", CYCLE, width=8, depth=1, max_depth=2)


def test_randomness_left_on_in_eval_mode_is_not_called_a_leak():
    message = refusal("AlwaysDropout")
    assert "is not deterministic: the same input gave two outputs" in message
    assert "not causal" not in message


def test_a_trained_time_batch_norm_model_is_not_refused():
    result = train(make_trial(arch=f"{FIX}:TimeBatchNorm", generator="cycle-pattern",
                              knobs={"period_samples": 4}, width=8, max_steps=40))
    assert result.status not in (REFUSED, ERROR), result.reason


class Leaky(torch.nn.Module):
    """Step t sees ``eps`` of input t+1 (at ``only``, if given): the tolerance's boundary."""

    def __init__(self, eps: float, only: int | None = None) -> None:
        super().__init__()
        self.eps, self.only, self.output_steps = eps, only, 1
        self.head = torch.nn.Linear(1, 1)

    def features(self, x):
        ahead = torch.cat([x[:, 1:], torch.zeros_like(x[:, :1])], dim=1)
        if self.only is not None:
            mask = torch.zeros_like(x)
            mask[:, self.only] = 1
            ahead = ahead * mask
        return x + self.eps * ahead


@pytest.mark.parametrize("eps, leaks", [(0.0, False), (ATOL / 100, False), (1e-2, True)])
def test_the_tolerance_separates_round_off_from_a_leak(eps, leaks):
    x, other = torch.randn(2, 1, 12, 1, generator=torch.Generator().manual_seed(0))
    assert (first_leak(Leaky(eps), x, other) is not None) == leaks


@pytest.mark.parametrize("only", [0, 5, 10])  # the first and the last cut, and one between
def test_every_cut_is_checked_and_the_step_is_named(only):
    x, other = torch.randn(2, 1, 12, 1, generator=torch.Generator().manual_seed(0))
    leak = first_leak(Leaky(1.0, only), x, other)
    assert leak is not None and leak.step == only and not leak.random


def test_the_readout_is_the_built_in_forward():
    model = ARCHITECTURES["lstm"](1, 2, 2, 8, 3)
    x = torch.randn(4, 10, 1)
    assert torch.equal(readout(model, x), model(x))


def quick_depths() -> list[tuple[str, int, str, int]]:
    """(arch, max depth, task, width) of every entry of the quick profile."""
    profile = load_profile("quick")
    return [(arch, job.opts.max_depth, job.spec.name, job.opts.width)
            for job in profile.jobs() for arch in job.opts.archs]


@pytest.mark.parametrize("arch, max_depth, task, width", quick_depths())
def test_builtins_pass_at_every_depth_of_the_quick_profile(arch, max_depth, task, width):
    jobs = {job.spec.name: job for job in load_profile("quick").jobs()}
    generator = jobs[task].spec.make_generator()
    check_architecture(arch, generator, width, depth=1, max_depth=max_depth)


def test_a_plugin_drawing_from_python_random_repeats_bit_for_bit():
    import random

    import numpy as np

    trial = make_trial(arch=f"{FIX}:PythonRandom", width=8, max_steps=20)
    random.seed(1), np.random.seed(1)
    first = train(trial).to_dict()
    random.seed(2), np.random.seed(2)
    second = train(trial).to_dict()
    first.pop("wall_s"), second.pop("wall_s")
    assert first == second


def test_a_refused_row_is_not_confirmed():
    from toytasks.reading.summary import DepthStats, Row
    from toytasks.running.plan import Job, confirm_jobs
    from toytasks.specs.options import default_options

    spec = load_spec("cycle-pattern")
    job = Job(spec, default_options(spec), confirm=True)
    stats = DepthStats(depth=2, seeds=1, successes=0, solved=False, params=0, best_metric=None,
                       steps_to_solve=[], flops=0.0, trials=1, faults={"refused": 1})
    row = Row(task="cycle-pattern", arch="cnn", config={"arch": "cnn"}, minimal_depth=None,
              max_depth_tried=2, depths={2: stats}, receptive_field=None, rf_bound=None,
              span_samples=28, blind_samples=15, metric="accuracy", baseline=0.5, flops=0.0,
              trials=1)
    assert len(confirm_jobs(job, [row])) == 1  # an unsolved row: its deepest depth
    row.refused = "not causal (leaked at step 0)"
    assert confirm_jobs(job, [row]) == []
