"""Run lifecycle: one writer per folder, clear errors on unwritable or full folders,
crashed worker processes retried or recorded, exploding gradients recorded."""

from __future__ import annotations

import errno
import json
import math
import os
from concurrent.futures import BrokenExecutor, Executor, Future
from pathlib import Path

import pytest
from tests.helpers import make_trial

import toytasks.reading.store as store_module
import toytasks.training.train as train_module
from toytasks.errors import ToytasksError
from toytasks.reading.store import ResultStore
from toytasks.running.executor import LocalPool
from toytasks.running.plan import Job, run_job
from toytasks.specs.options import default_options
from toytasks.specs.spec import load_spec
from toytasks.training.train import train
from toytasks.training.trial import DIVERGED, ERROR

TINY = ["--task", "cycle-pattern", "--arch", "lstm", "--seeds", "1", "--max-depth", "1",
        "--steps", "20", "--workers", "1", "-q"]


def test_second_run_on_a_folder_in_use_is_refused(tmp_path, cli_in_process):
    store = ResultStore(tmp_path)
    with store.lock():
        code, _, err = cli_in_process("run", *TINY, "--out", str(tmp_path))
    assert code == 2 and "in use by another toytasks run" in err
    assert f"pid {os.getpid()}" in err
    code, out, _ = cli_in_process("run", *TINY, "--out", str(tmp_path))  # released
    assert code == 0 and "lstm" in out


def test_unwritable_results_folder_fails_before_training(tmp_path, cli_in_process):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, out, err = cli_in_process("run", *TINY, "--out", str(blocker / "results"))
    assert code == 2 and "not writable" in err and out == ""
    assert len(err.strip().splitlines()) == 1


def test_full_disk_is_a_clear_error_and_keeps_what_is_stored(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    first = make_trial(seed=0, max_steps=3)
    store.append(first, train(first), {})
    before = (tmp_path / "trials.jsonl").read_bytes()

    def full(path, record):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store_module, "_append_line", full)
    second = make_trial(seed=1, max_steps=3)
    with pytest.raises(ToytasksError, match=r"No space left on device.*1 trial"):
        store.append(second, train(second), {})
    assert (tmp_path / "trials.jsonl").read_bytes() == before
    assert second.key not in store


class FlakyExecutor(Executor):
    """Runs trials inline, but 'kills the worker' for chosen trials a number of times."""

    def __init__(self, crashes: dict[tuple[str, int], int]) -> None:
        self.crashes = dict(crashes)
        self.restarts = 0

    def submit(self, fn, /, *args, **kwargs):
        trial = args[0]
        future: Future = Future()
        left = self.crashes.get((trial.arch, trial.depth), 0)
        if left:
            self.crashes[(trial.arch, trial.depth)] = left - 1
            future.set_exception(BrokenExecutor("a worker process died"))
        else:
            future.set_result(fn(*args, **kwargs))
        return future

    def restart(self):
        self.restarts += 1


def tiny_run(tmp_path, executor):
    spec = load_spec("cycle-pattern")
    opts = default_options(spec)
    opts = type(opts)(**{**opts.__dict__, "archs": ("tcn",), "seeds": 1, "max_depth": 3,
                         "max_steps": 30})
    store = ResultStore(tmp_path)
    rows = run_job(Job(spec, opts), store, executor, 1)
    return rows, store


def test_a_worker_crash_is_retried_and_the_sweep_completes(tmp_path):
    executor = FlakyExecutor({("tcn", 2): 1})
    rows, store = tiny_run(tmp_path, executor)
    assert executor.restarts == 1
    assert rows[0].max_depth_tried == 3
    assert all(r.result.status != ERROR for r in store.records())


def test_a_trial_that_keeps_killing_its_worker_is_recorded_as_error(tmp_path):
    executor = FlakyExecutor({("tcn", 2): 99})
    rows, store = tiny_run(tmp_path, executor)
    errors = [r for r in store.records() if r.result.status == ERROR]
    assert len(errors) == 1 and errors[0].depth == 2
    assert "worker process died 3 times" in errors[0].result.reason
    assert rows[0].max_depth_tried == 3 and rows[0].faults == {"error": 1}


def _exit_now(code: int) -> None:
    os._exit(code)


def test_local_pool_restarts_after_a_real_worker_death():
    pool = LocalPool(1)
    try:
        with pytest.raises(BrokenExecutor):
            pool.submit(_exit_now, 3).result(timeout=120)
        pool.restart()
        assert pool.submit(math.sqrt, 16.0).result(timeout=120) == 4.0
    finally:
        pool.shutdown()


def test_exploding_gradients_are_recorded_as_diverged(monkeypatch):
    real_build = train_module.build_model

    def exploding(*args, **kwargs):
        model = real_build(*args, **kwargs)
        model.head.weight.register_hook(lambda grad: grad * math.inf)
        return model

    monkeypatch.setattr(train_module, "build_model", exploding)
    result = train(make_trial())
    assert result.status == DIVERGED and "gradient" in result.reason
    assert json.loads(json.dumps(result.to_dict(), default=str))["status"] == DIVERGED


def test_lock_file_is_released_when_the_holder_dies(tmp_path):
    """flock dies with its process: a killed run never leaves a stale lock."""
    import subprocess
    import sys

    code = ("import sys; from toytasks.reading.store import ResultStore; "
            "s = ResultStore(sys.argv[1]);"
            "s.lock().__enter__(); import os; os._exit(0)")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True,
                   env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")})
    with ResultStore(tmp_path).lock():
        pass


def test_a_nearly_full_disk_is_refused_before_training(tmp_path, monkeypatch, cli_in_process):
    import shutil

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage._replace(free=4096))
    code, out, err = cli_in_process("run", *TINY, "--out", str(tmp_path / "res"))
    assert code == 2 and "KiB free" in err and out == ""


def lines_of(store: ResultStore, key: str) -> list[dict]:
    return [json.loads(line) for line in store.trials_path.read_text().splitlines()
            if json.loads(line)["key"] == key]


def test_a_trial_stored_as_error_after_a_worker_death_is_retried_on_resume(tmp_path):
    _, store = tiny_run(tmp_path, FlakyExecutor({("tcn", 2): 99}))
    (error,) = [r for r in store.records() if r.result.status == ERROR]
    rows, resumed = tiny_run(tmp_path, FlakyExecutor({}))  # resume: the worker lives now
    assert resumed.result(error.key).status != ERROR
    assert all(r.result.status != ERROR for r in resumed.records())
    assert rows[0].faults == {}
    # the error stays in the trial's history, in the file and when read back
    (old,) = resumed.history(error.key)
    assert old.status == ERROR and "worker process died 3 times" in old.reason
    assert [line["result"]["status"] for line in lines_of(resumed, error.key)] == [
        ERROR, resumed.result(error.key).status]
    reread = ResultStore(tmp_path, create=False)
    assert reread.result(error.key).status != ERROR and len(reread.history(error.key)) == 1
    assert len(reread.records()) == len(resumed.records())  # one record per trial


def test_a_trial_that_keeps_killing_workers_is_retried_up_to_a_limit(tmp_path):
    from toytasks.running.runner import MAX_STORED_ERRORS

    for _ in range(MAX_STORED_ERRORS + 2):
        _, store = tiny_run(tmp_path, FlakyExecutor({("tcn", 2): 99}))
    (error,) = [r for r in store.records() if r.result.status == ERROR]
    assert len(lines_of(store, error.key)) == MAX_STORED_ERRORS  # then it is given up
    assert len(store.history(error.key)) == MAX_STORED_ERRORS - 1


def test_other_errors_and_results_are_never_retried(tmp_path):
    from toytasks.training.trial import error_result

    trial = make_trial("tcn", depth=1, max_steps=10)
    store = ResultStore(tmp_path)
    store.append(trial, error_result(trial.key, "RuntimeError: a bug in the model"), {})
    assert not store.retry_due(trial.key, 3)  # deterministic: the same error again
    store.append(trial, train(trial), {})  # a second writer: the first record stays
    assert store.result(trial.key).status == ERROR and store.history(trial.key) == []
    lost = make_trial("tcn", depth=2, max_steps=10)
    store.append(lost, error_result(lost.key, "worker process died 3 times on this trial"), {})
    assert not store.retry_due(lost.key, 3)  # not again in the run that stored it
    assert ResultStore(tmp_path).retry_due(lost.key, 3)  # but in a later one
    from toytasks.training.trial import lost_worker  # the runner's other lost-worker reason (Dask)
    assert lost_worker(error_result("k", "executor failed the trial: KilledWorker: w1"))
