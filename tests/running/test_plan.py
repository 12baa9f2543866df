"""The plan layer: jobs, the one loop that runs them, confirmation, the option table, and
cost estimates that leave torch's random generator alone. Training is faked."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import click
import pytest
import torch
from tests.search_fakes import fake_train_from, tiny_spec

from toytasks.cli import main
from toytasks.models import ARCHITECTURES, build_model
from toytasks.reading.store import ResultStore
from toytasks.running import runner as runner_module
from toytasks.running.executor import InlineExecutor
from toytasks.running.flops import expected_cost
from toytasks.running.plan import Job, confirm_jobs, decisive_depths, run_jobs
from toytasks.running.trials import trial_factory
from toytasks.specs.options import (
    BOUNDS,
    DEFAULTS,
    RunOptions,
    default_options,
    default_out,
    resolve,
)


def opts(**changes) -> RunOptions:
    base = dict(archs=("cnn", "lstm"), seeds=3, max_depth=6, lrs=(3e-3,))
    return replace(default_options(tiny_spec()), **{**base, **changes})


def cnn_from_3(trial) -> bool:  # cnn solves from depth 3 on (seed 2 from depth 4); lstm at 1
    return trial.arch == "lstm" or trial.depth >= 3 + (trial.seed == 2)


def run(monkeypatch, root: Path, jobs: list[Job]) -> tuple[list, list[str], ResultStore]:
    monkeypatch.setattr(runner_module, "train", fake_train_from(cnn_from_3))
    events: list[str] = []
    store = ResultStore(root)
    rows = run_jobs(jobs, store, InlineExecutor(), 1, lambda e: events.append(str(e)))
    return rows, events, store


def test_run_jobs_gives_each_job_its_own_rows_and_announces_it(monkeypatch, tmp_path):
    spec = tiny_spec()
    wide = spec.with_knobs({"period_samples": 5})
    rows, events, _ = run(monkeypatch, tmp_path, [Job(spec, opts(), announce="first"),
                                                   Job(wide, opts(archs=("lstm",)))])
    assert [[r.arch for r in found] for found in rows] == [["cnn", "lstm"], ["lstm"]]
    assert rows[1][0].config["knobs"]["period_samples"] == 5
    assert events[0] == "first" and events.count("first") == 1
    assert any(re.match(r"\[\d+ done, \d+ running\] cnn depth=", e) for e in events)


def test_confirmation_trains_every_seed_at_the_decisive_depths(monkeypatch, tmp_path):
    plain, _, _ = run(monkeypatch, tmp_path / "plain", [Job(tiny_spec(), opts())])
    cnn = next(r for r in plain[0] if r.arch == "cnn")
    assert cnn.minimal_depth == 3 and decisive_depths(cnn) == [2, 3]
    assert cnn.depths[3].seeds == 2  # seeds 0 and 1 solved: the majority decided early
    checks = confirm_jobs(Job(tiny_spec(), opts()), plain[0])
    assert [(j.opts.archs, j.opts.min_depth, j.opts.search) for j in checks] == [
        (("cnn",), 2, "exhaustive"), (("cnn",), 3, "exhaustive"), (("lstm",), 1, "exhaustive")]
    assert not any(j.confirm for j in checks)

    _, events, store = run(monkeypatch, tmp_path / "confirmed",
                                   [Job(tiny_spec(), opts(), confirm=True)])
    assert "confirm cnn depth 3: all 3 seeds" in events
    from toytasks.reading.summary import summarise
    again = {r.arch: r for r in summarise(store.records())}
    assert again["cnn"].minimal_depth == 3  # the decision does not change
    assert (again["cnn"].depths[3].successes, again["cnn"].depths[3].seeds) == (2, 3)


def test_an_exhaustive_job_is_never_confirmed(monkeypatch, tmp_path):
    _, events, _ = run(monkeypatch, tmp_path, [Job(tiny_spec(), opts(search="exhaustive",
                                                                     max_depth=3),
                                                   confirm=True)])
    assert not any(e.startswith("confirm") for e in events)


def test_click_ranges_and_toml_readers_share_one_table_of_bounds():
    ranges = {p.name: (p.type.min, p.type.max) for p in main.commands["run"].params
              if isinstance(p.type, click.IntRange)}
    for key in ("seeds", "min_depth", "max_depth", "width", "steps", "batch_size", "workers",
                "train_size", "match_params"):
        assert ranges[key] == BOUNDS[key], key
    from toytasks.specs.spec import _BUDGET_RANGES, _SEARCH_RANGES

    assert _SEARCH_RANGES["seeds"] == BOUNDS["seeds"]
    assert _BUDGET_RANGES["max_steps"] == BOUNDS["steps"]


def test_resolve_fills_what_is_not_given_from_the_spec_and_the_defaults():
    spec = tiny_spec()
    base = resolve(spec, {})
    assert base == default_options(spec)
    assert (base.search, base.device, base.train_size) == (
        DEFAULTS["search"], DEFAULTS["device"], DEFAULTS["train_size"])
    changed = resolve(spec, {"seeds": 7, "steps": 11, "arch": ("gru",), "lr": (0.1, 0.2),
                             "width": None})
    assert (changed.seeds, changed.max_steps, changed.archs, changed.lrs, changed.width) == (
        7, 11, ("gru",), (0.1, 0.2), spec.defaults.width)


def test_default_out_names_a_folder_per_command():
    assert default_out("study", "ecg", "quick", stamp=False) == Path("results/study-ecg-quick")
    assert re.fullmatch(r"results/cycle-pattern-sweep-\d{8}-\d{6}",
                        str(default_out("cycle-pattern", "sweep")))


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_cost_estimates_leave_torchs_random_generator_alone(arch):
    spec = tiny_spec()
    task = spec.make_generator()
    trial = trial_factory(spec, arch, opts(archs=(arch,)))(3, 0, 3e-3)
    torch.manual_seed(123)
    before = torch.random.get_rng_state().clone()
    cost = expected_cost(trial, task.seq_len, task.n_inputs)
    assert torch.equal(torch.random.get_rng_state(), before)
    real = build_model(arch, task.n_inputs, 2, 3, trial.width).forward_flops(task.seq_len)
    assert cost == real * trial.max_steps
