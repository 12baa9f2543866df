"""The results store beyond tests/reading/test_store.py: torn-line repair, integrity, provenance
fields, resume counts, and the warning a user sees."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from toytasks.errors import ToytasksError
from toytasks.reading.store import TRIALS_FILE, ResultStore, provenance, read_jsonl
from toytasks.running import runner
from toytasks.running.executor import InlineExecutor
from toytasks.running.plan import Job, run_job
from toytasks.specs.options import default_options
from toytasks.specs.spec import load_spec
from toytasks.training.trial import SOLVED, UNSOLVED, Trial, TrialResult

FIXTURE_STORE = Path(__file__).resolve().parents[1] / "data" / "store"


@pytest.fixture
def store_copy(tmp_path: Path) -> Path:
    """A writable copy of the committed fixture store (24 real trial records)."""
    target = tmp_path / "store"
    shutil.copytree(FIXTURE_STORE, target)
    return target


def make_trial(depth: int = 1, seed: int = 0) -> Trial:
    return Trial(task="cycle-pattern", generator="cycle-pattern",
                 knobs=(("n_positive", 3), ("period_samples", 6)), arch="tcn", depth=depth,
                 width=8, seed=seed, lr=3e-3, max_steps=10, batch_size=4, eval_every=5,
                 patience=2, test_size=16, threshold=0.95)


def make_result(trial: Trial, solved: bool) -> TrialResult:
    return TrialResult(key=trial.key, status=SOLVED if solved else UNSOLVED,
                       metric="accuracy", best_metric=1.0 if solved else 0.5,
                       final_metric=math.nan, baseline=0.5, steps=10,
                       steps_to_solve=5 if solved else None, train_loss=0.1, test_loss=0.2,
                       params=100, flops=1e6, wall_s=0.01)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_append_and_reload_keeps_records_and_provenance(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    trials = [make_trial(depth=d) for d in (1, 2)]
    for t in trials:
        store.append(t, make_result(t, t.depth == 2), provenance(), {"seeds": 1})
    store.append(trials[0], make_result(trials[0], True), provenance())  # duplicate: ignored
    again = ResultStore(tmp_path, create=False)
    assert len(again) == 2 and len(lines(tmp_path / TRIALS_FILE)) == 2
    assert again.result(trials[1].key).solved and not again.result(trials[0].key).solved
    record = again.records()[0]
    assert record.result.final_metric is None  # NaN stored as null: strict JSON
    stored = json.loads(lines(tmp_path / TRIALS_FILE)[0])
    prov = stored["provenance"]
    for key in ("toytasks", "git_commit", "python", "torch", "numpy", "device",
                "device_name", "threads", "date"):
        assert key in prov, key
    assert prov["device"] == "cpu" and prov["threads"] == 1
    assert stored["search"] == {"seeds": 1}
    assert record.provenance.date == prov["date"] and record.run.seeds == 1
    assert dict(record.provenance.extra)["threads"] == 1


def test_torn_last_line_is_ignored_with_a_warning_and_cut_before_the_next_append(
        tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    first, second = make_trial(1), make_trial(2)
    store.append(first, make_result(first, False), provenance())
    path = tmp_path / TRIALS_FILE
    full = json.dumps({"key": second.key, "trial": second.config()})
    with open(path, "a") as handle:  # the process died in the middle of a write
        handle.write(full[: len(full) // 2])
    with pytest.warns(UserWarning, match="torn last line"):
        reopened = ResultStore(tmp_path)
    assert len(reopened) == 1 and second.key not in reopened
    reopened.append(second, make_result(second, True), provenance())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the repaired file reads back without a warning
        records = read_jsonl(path)
    assert [r["key"] for r in records] == [first.key, second.key]
    assert all(json.loads(line) for line in lines(path))


def test_complete_record_missing_only_its_newline_is_kept(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    first, second = make_trial(1), make_trial(2)
    store.append(first, make_result(first, False), provenance())
    path = tmp_path / TRIALS_FILE
    path.write_bytes(path.read_bytes()[:-1])  # the write stopped one byte short
    reopened = ResultStore(tmp_path)
    assert first.key in reopened
    reopened.append(second, make_result(second, True), provenance())
    assert len(lines(path)) == 2 and len(ResultStore(tmp_path, create=False)) == 2


def test_a_record_edited_by_hand_is_refused(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    trial = make_trial(1)
    store.append(trial, make_result(trial, False), provenance())
    path = tmp_path / TRIALS_FILE
    record = json.loads(path.read_text())
    record["trial"]["depth"] = 7  # the key no longer names this configuration
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(ToytasksError, match="does not match its trial configuration"):
        ResultStore(tmp_path, create=False)


class CountingTrainer:
    """Stands in for train(): solved from depth 3 on; counts what it was asked to train."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, trial: Trial) -> TrialResult:
        self.calls.append(trial.key)
        return make_result(trial, trial.depth >= 3)


def fake_run(store: ResultStore, monkeypatch: pytest.MonkeyPatch) -> tuple[CountingTrainer,
                                                                           list[str], list]:
    trainer = CountingTrainer()
    monkeypatch.setattr(runner, "train", trainer)
    spec = load_spec("cycle-pattern")
    from dataclasses import replace

    opts = replace(default_options(spec), archs=("cnn", "tcn"), seeds=3, max_depth=5,
                   max_steps=10, search="linear")
    messages: list[str] = []
    rows = run_job(Job(spec, opts), store, InlineExecutor(), 1,
                   progress=lambda event: messages.append(str(event)))
    return trainer, messages, rows


def test_resume_skips_every_stored_trial_and_trains_only_the_missing_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _, rows = fake_run(ResultStore(tmp_path), monkeypatch)
    # per arch: depths 1, 2 fail (2 seeds decide), depth 3 solves (2 seeds): 6 trials each
    assert len(first.calls) == 12
    assert {r.arch: r.minimal_depth for r in rows} == {"cnn": 3, "tcn": 3}

    again, messages, rows_again = fake_run(ResultStore(tmp_path), monkeypatch)
    assert again.calls == []
    assert any("reused 12 stored trial(s)" in m for m in messages)
    assert [(r.arch, r.minimal_depth) for r in rows_again] == [(r.arch, r.minimal_depth)
                                                                for r in rows]

    path = tmp_path / TRIALS_FILE
    kept = lines(path)[:-5]  # as if the run had been killed five trials before its end
    path.write_text("\n".join(kept) + "\n")
    resumed, messages, _ = fake_run(ResultStore(tmp_path), monkeypatch)
    assert len(resumed.calls) == 5 and set(resumed.calls) == set(first.calls[-5:])
    assert any("reused 7 stored trial(s)" in m for m in messages)
    keys = [json.loads(line)["key"] for line in lines(path)]
    assert len(keys) == len(set(keys)) == 12




def test_cli_reports_a_torn_line_as_one_warning_line_and_still_renders(store_copy: Path
                                                                       ) -> None:
    with open(store_copy / TRIALS_FILE, "a") as handle:
        handle.write('{"key": "abc", "tri')
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.run([sys.executable, "-m", "toytasks", "table", str(store_copy)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0 and "tcn" in proc.stdout
    assert proc.stderr.strip() == (f"toytasks: warning: {store_copy / TRIALS_FILE}:25: "
                                   "ignoring a torn last line (interrupted write)")
