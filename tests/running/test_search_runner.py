"""The searches through the real runner, store, summary and table, with training faked."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from tests.helpers import without_total_compute
from tests.search_fakes import fake_train_from, tiny_spec

from toytasks.reading.store import ResultStore
from toytasks.reading.summary import summarise
from toytasks.reading.table import render
from toytasks.running import runner as runner_module
from toytasks.running.executor import InlineExecutor
from toytasks.running.plan import Job, run_job
from toytasks.specs.options import RunOptions, default_options
from toytasks.training.solve import SolveRule, get_rule


def options(**changes) -> RunOptions:
    base = replace(default_options(tiny_spec()), archs=("cnn", "lstm"), seeds=3,
                   max_depth=8, lrs=(3e-3,))
    return replace(base, **changes)


def run_fake(monkeypatch: pytest.MonkeyPatch, root: Path, outcome, opts: RunOptions,
             workers: int = 1, rule=None):
    train = fake_train_from(outcome)
    if workers > 1:  # random completion order: speculative trials past decisions
        def slow_train(trial):
            time.sleep((hash(trial.key) % 7) / 2000)
            return train(trial)
        monkeypatch.setattr(runner_module, "train", slow_train)
        executor = ThreadPoolExecutor(workers)
    else:
        monkeypatch.setattr(runner_module, "train", train)
        executor = InlineExecutor()
    store = ResultStore(root)
    rows = run_job(Job(tiny_spec(), opts, rule or SolveRule()), store, executor, workers)
    executor.shutdown()
    return rows, store


def curve(t) -> bool:  # cnn: seeds 0, 1 from depth 3, seed 2 from depth 4; lstm: depth 1
    if t.arch == "lstm":
        return True
    return t.depth >= 3 + (t.seed == 2)


def test_table_does_not_depend_on_worker_count(monkeypatch, tmp_path: Path) -> None:
    for search in ("adaptive", "linear", "exhaustive"):
        opts = options(search=search)
        one, _ = run_fake(monkeypatch, tmp_path / f"{search}-1", curve, opts)
        four, store = run_fake(monkeypatch, tmp_path / f"{search}-4", curve, opts, workers=4)
        assert without_total_compute(render(one)) == without_total_compute(render(four))
        counted = [(r.trials, r.steps) for r in one]
        assert counted == [(r.trials, r.steps) for r in four]  # what the table counts
        assert sum(r.spent_trials for r in four) >= sum(r.trials for r in four)
        assert [r.minimal_depth for r in one] == [3, 1]
        assert render(summarise(store.records())) == render(four)  # read back


def test_adaptive_reports_a_confirmed_failure_below(monkeypatch, tmp_path: Path) -> None:
    rows, _ = run_fake(monkeypatch, tmp_path, curve, options())
    cnn = rows[0]
    assert sorted(cnn.depths) == [1, 2, 3, 4]  # gallop 1, 2, 4; bisect 3
    assert cnn.minimal_depth == 3 and not cnn.depths[2].solved and cnn.depths[2].decided
    assert (cnn.evidence.successes, cnn.evidence.seeds) == (2, 2)  # decided after 2 seeds
    text = render(rows)
    assert "2/2 [0.16-1.00]" in text and "adaptive search" in text


def test_exhaustive_flags_non_monotonic_success(monkeypatch, tmp_path: Path) -> None:
    def bumpy(t) -> bool:  # solved at 2, fails again at 5 and 6 (e.g. trainability)
        return t.depth >= 2 and t.depth not in (5, 6)

    rows, _ = run_fake(monkeypatch, tmp_path, bumpy, options(search="exhaustive",
                                                             archs=("cnn",)))
    row = rows[0]
    assert row.minimal_depth == 2 and row.non_monotonic == (5, 6)
    assert row.trials == 8 * 3 and row.evidence.seeds == 3  # every seed counted
    assert "non-monotonic: fails at 5,6" in render(rows)


def test_a_stored_rule_is_the_rule_read_back(monkeypatch, tmp_path: Path) -> None:
    def nine_of_ten(t) -> bool:  # depth 2: 8/10 seeds; depth 3: 9/10 seeds
        return (t.depth >= 3 and t.seed != 0) or (t.depth == 2 and t.seed >= 2)

    opts = options(seeds=10, archs=("cnn",), search="linear")
    rows, store = run_fake(monkeypatch, tmp_path, nine_of_ten, opts, rule=get_rule("cp95"))
    assert rows[0].minimal_depth == 3  # 8/10 is a majority, but its CP bound is 0.44
    back = summarise(store.records())
    assert back[0].rule == "cp95" and back[0].minimal_depth == 3
    assert "rule cp95" in render(back)


def test_cp95_refuses_too_few_seeds(monkeypatch, tmp_path: Path) -> None:
    from toytasks.errors import ToytasksError

    with pytest.raises(ToytasksError, match="at least 10 seeds"):
        run_fake(monkeypatch, tmp_path, curve, options(), rule=get_rule("cp95"))


def test_best_of_lr_is_stated_and_counted(monkeypatch, tmp_path: Path) -> None:
    def lr_sensitive(t) -> bool:  # each seed trains at exactly one of the two lrs
        return (t.seed % 2 == 0) == (t.lr == 1e-3)

    rows, store = run_fake(monkeypatch, tmp_path, lr_sensitive,
                           options(archs=("cnn",), lrs=(3e-3, 1e-3), search="linear"))
    row = rows[0]
    assert row.minimal_depth == 1 and (row.evidence.successes, row.evidence.seeds) == (2, 2)
    assert row.trials == 3  # seed 0: lr 1e-3 only; seed 1: 1e-3 failed, then 3e-3
    assert "lr 0.001,0.003 best-of-lr per seed" in render(rows)
    # the same folder read back with one lr only counts that lr: 1/3 seeds, unsolved
    records = [replace(r, run=replace(r.run, lrs=(1e-3,))) for r in store.records()]
    assert summarise(records)[0].minimal_depth is None


def test_matched_parameter_counts(monkeypatch, tmp_path: Path) -> None:
    from toytasks.models.matching import match_width

    target = 5000
    rows, _ = run_fake(monkeypatch, tmp_path, curve, options(match_params=target))
    assert [r.arch for r in rows] == ["cnn", "lstm"]  # one row each although widths vary
    cnn = rows[0]
    widths = {d: s.width for d, s in cnn.depths.items()}
    assert widths == {d: match_width("cnn", 1, 2, d, target)[0] for d in widths}
    assert len(set(widths.values())) == len(widths)
    text = render(rows)
    assert "width matched to ~5,000 params" in text and f"(w={widths[3]})" in text
