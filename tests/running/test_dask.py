"""Sweeps on a Dask cluster: same results as local, workers that die, resume, bad input.

The cluster tests start one 2-worker LocalCluster on 127.0.0.1 (no dashboard) and run a
tiny sweep (cycle-pattern, tcn + lstm, 1 seed, depths 1..4, 300 steps) through it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Executor, Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import fake_train, make_trial, results, tables

from toytasks.reading.store import ResultStore
from toytasks.reading.table import render
from toytasks.running import runner
from toytasks.running.executor import InlineExecutor
from toytasks.running.plan import Job, run_job
from toytasks.specs.options import default_options
from toytasks.specs.spec import load_spec
from toytasks.training import train as train_module
from toytasks.training.trial import ERROR, Trial

RUN = ["run", "--task", "cycle-pattern", "--arch", "tcn,lstm", "--seeds", "1",
       "--max-depth", "4", "--steps", "300", "-q"]


def sweep_inputs(archs: tuple[str, ...] = ("tcn", "lstm"), max_depth: int = 4,
                 max_steps: int = 300, patience: int | None = None):
    """The same sweep as RUN, for plan.run_job (or a longer one, to have time to kill it)."""
    spec = load_spec("cycle-pattern")
    if patience is not None:
        spec = replace(spec, budget=replace(spec.budget, patience=patience))
    opts = replace(default_options(spec), archs=archs, seeds=1, max_depth=max_depth,
                   max_steps=max_steps)
    return spec, opts




def stored_keys(folder: Path) -> list[str]:
    """Every key in trials.jsonl, in file order (duplicates included)."""
    return [line.split('"key": "')[1][:20]
            for line in (folder / "trials.jsonl").read_text().splitlines()]


# --- without a cluster: fast ------------------------------------------------------------

def test_dask_executor_without_distributed_says_how_to_install(
        cli_in_process: Callable, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    code, out, err = cli_in_process(*RUN, "--executor", "dask", "--out", str(tmp_path / "o"))
    assert code == 2 and out == ""
    last = err.strip().splitlines()[-1]
    assert last.startswith("toytasks: error: --executor dask needs the optional 'distributed'")
    assert "pip install 'toytasks[dask]'" in last and "Traceback" not in err


@pytest.mark.parametrize("command", [
    RUN, ["suite", "quick"],
    ["sweep", "--task", "cycle-pattern", "--vary", "period_samples=4,6", "--arch", "lstm"]])
def test_scheduler_without_dask_executor_is_an_error(cli_in_process: Callable, tmp_path: Path,
                                                     command: list[str]) -> None:
    code, _, err = cli_in_process(*command, "--scheduler", "tcp://127.0.0.1:1",
                                  "--out", str(tmp_path / "o"))
    assert code == 2
    assert err.strip() == "toytasks: error: --scheduler needs --executor dask"
    assert not (tmp_path / "o").exists()  # refused before the results folder is made




class FailingExecutor(Executor):
    """Runs fake_train inline, except that chosen trials' futures fail like a lost worker."""

    def __init__(self, fail: Callable[[Trial], BaseException | None]) -> None:
        self.fail = fail
        self.submitted: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        trial = args[0]
        self.submitted.append(trial.key)
        future: Future = Future()
        exc = self.fail(trial)
        if exc is None:
            future.set_result(fake_train(trial))
        elif isinstance(exc, CancelledError):  # as dask's executor delivers a cancellation
            future.cancel()
            future.set_running_or_notify_cancel()
        else:
            future.set_exception(exc)
        return future


@pytest.mark.parametrize("exc", [RuntimeError("worker tcp://127.0.0.1:1 died while busy"),
                                 CancelledError()])
def test_a_failed_future_becomes_an_error_result_and_the_sweep_completes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: Exception) -> None:
    monkeypatch.setattr(runner, "train", fake_train)
    spec, opts = sweep_inputs(max_depth=3)
    executor = FailingExecutor(lambda t: exc if (t.arch, t.depth) == ("tcn", 2) else None)
    store = ResultStore(tmp_path / "o")
    rows = run_job(Job(spec, opts), store, executor, 1)
    assert sorted(stored_keys(tmp_path / "o")) == sorted(executor.submitted)  # all, once
    errors = [r.result for r in store.records() if r.result.status == ERROR]
    assert len(errors) == 1
    assert errors[0].reason.startswith(f"executor failed the trial: {type(exc).__name__}")
    tcn = next(r for r in rows if r.arch == "tcn")
    assert tcn.minimal_depth == 3  # the lost depth-2 trial counts as not solved, the sweep goes on


def test_trials_in_threads_of_one_process_equal_sequential_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A Dask worker with several threads runs trials side by side in one process: their
    weight initialisations (torch's global RNG) must not interleave."""
    trials = [make_trial("tcn", 2, seed=s, max_steps=5, eval_every=5) for s in (0, 1)]
    alone = [train_module.train(t).to_dict() for t in trials]
    build = train_module.build_model

    def slow_build(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)  # without the lock, the other thread re-seeds the global RNG here
        return build(*args, **kwargs)

    monkeypatch.setattr(train_module, "build_model", slow_build)
    together: list[dict] = [{}, {}]
    start = threading.Barrier(2)

    def go(i: int) -> None:
        start.wait()
        together[i] = train_module.train(trials[i]).to_dict()

    threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for a, b in zip(alone, together, strict=True):
        assert {k: v for k, v in a.items() if k != "wall_s"} == \
            {k: v for k, v in b.items() if k != "wall_s"}


class FakeClient:
    """Stands in for a distributed.Client in check_workers()."""

    def __init__(self, versions: dict | Exception) -> None:
        self.versions = versions
        self.scheduler = type("S", (), {"address": "tcp://10.0.0.5:8786"})()

    def run(self, fn: Callable[[], Any]) -> dict:
        if isinstance(self.versions, Exception):
            raise self.versions
        return self.versions


def test_workers_without_toytasks_or_with_another_version_are_refused() -> None:
    from toytasks.errors import ToytasksError
    from toytasks.running.cluster import _worker_versions, check_workers

    mine = _worker_versions()
    check_workers(FakeClient({"tcp://w1": mine, "tcp://w2": mine}))  # same code: accepted
    with pytest.raises(ToytasksError, match=r"cannot run toytasks .*ModuleNotFoundError"):
        check_workers(FakeClient(ModuleNotFoundError("No module named 'toytasks'")))
    with pytest.raises(ToytasksError, match=r"tcp://w2 runs toytasks 0\.0\.1"):
        check_workers(FakeClient({"tcp://w1": mine, "tcp://w2": {**mine, "toytasks": "0.0.1"}}))
    with pytest.warns(UserWarning, match=r"tcp://w1 has torch 1\.0"):
        check_workers(FakeClient({"tcp://w1": {**mine, "torch": "1.0"}}))


def test_own_local_cluster_listens_on_loopback_only() -> None:
    pytest.importorskip("distributed")
    from toytasks.running import cluster

    executor = cluster.start(None, 1)
    try:
        assert executor.address.startswith("tcp://127.0.0.1:")
        assert executor.capacity() == 1
        assert listening_addresses() == {"127.0.0.1"}
    finally:
        executor.shutdown()


# --- on a real LocalCluster (loopback only) ---------------------------------------------

@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The sweep on the local executor (one worker): (its folder, its table)."""
    folder = tmp_path_factory.mktemp("local") / "out"
    spec, opts = sweep_inputs()
    rows = run_job(Job(spec, opts), ResultStore(folder), InlineExecutor(), 1)
    return folder, render(rows, "simple")


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, worker_dashboard_address=None)
    try:
        yield cluster
    finally:
        cluster.close()


def listening_addresses() -> set[str]:
    """IP addresses on which this process or its children (the workers) accept connections."""
    import psutil

    found = set()
    for proc in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            conns = proc.net_connections(kind="inet")
        except psutil.NoSuchProcess:
            continue
        found |= {c.laddr.ip for c in conns if c.status == psutil.CONN_LISTEN}
    return found


@pytest.mark.slow
def test_dask_sweep_equals_the_local_one(cli_in_process: Callable, dask_cluster: Any,
                                         reference: tuple[Path, str], tmp_path: Path) -> None:
    local, local_table = reference
    out = tmp_path / "dask"
    code, table, err = cli_in_process(*RUN, "--executor", "dask", "--scheduler",
                                      dask_cluster.scheduler_address, "--out", str(out))
    assert code == 0, err
    assert table.strip() == local_table.strip()
    assert tables(out) == tables(local)
    assert results(out) == results(local)  # per-trial metrics bit for bit
    assert len(stored_keys(out)) == len(set(stored_keys(out)))
    assert listening_addresses() == {"127.0.0.1"}


@pytest.mark.slow
def test_resume_through_dask_reuses_stored_trials(cli_in_process: Callable, dask_cluster: Any,
                                                 reference: tuple[Path, str],
                                                 tmp_path: Path) -> None:
    local, _ = reference
    lines = (local / "trials.jsonl").read_text().splitlines(keepends=True)
    out = tmp_path / "resumed"
    out.mkdir()
    (out / "trials.jsonl").write_text("".join(lines[:-1]))  # as if stopped before the last
    code, _, err = cli_in_process(*RUN[:-1], "--executor", "dask", "--scheduler",
                                  dask_cluster.scheduler_address, "--out", str(out))
    assert code == 0, err
    assert f"reused {len(lines) - 1} stored trial(s)" in err
    assert sorted(stored_keys(out)) == sorted(stored_keys(local))  # nothing twice
    assert results(out) == results(local)


class Recording(Executor):
    """Delegates to a dask executor; remembers the key of every trial submitted."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.submitted: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        self.submitted.append(args[0].key)
        return self.inner.submit(fn, *args, **kwargs)


def _busy(dask_worker: Any) -> tuple[int, int]:
    return os.getpid(), dask_worker.state.executing_count


def sweep_killing_a_worker(cluster: Any, folder: Path, spec: Any, opts: Any,
                           after_stored: int) -> tuple[Recording, list]:
    """Run the sweep on the cluster; once `after_stored` trials are stored, SIGKILL a worker
    process that is running a trial. Returns the (recording) executor and the rows."""
    from distributed import Client

    from toytasks.running.cluster import DaskExecutor

    client = Client(cluster.scheduler_address)
    client.wait_for_workers(2, timeout=120)
    executor = Recording(DaskExecutor(client))
    store = ResultStore(folder)
    with ThreadPoolExecutor(1) as pool:
        sweep = pool.submit(run_job, Job(spec, opts), store, executor, executor.inner.capacity)
        killed = 0
        deadline = time.monotonic() + 180
        while not killed:
            assert time.monotonic() < deadline and not sweep.done(), "no busy worker to kill"
            busy = [pid for pid, n in client.run(_busy).values() if n]
            if busy and len(store) >= after_stored:
                os.kill(busy[0], signal.SIGKILL)
                killed = busy[0]
            time.sleep(0.02)
        rows = sweep.result(timeout=240)
    executor.inner.shutdown()
    return executor, rows


@pytest.mark.slow
def test_worker_killed_mid_sweep_is_retried_and_results_are_unchanged(
        dask_cluster: Any, reference: tuple[Path, str], tmp_path: Path) -> None:
    local, _ = reference
    spec, opts = sweep_inputs(max_depth=2)  # 3 trials: tcn depths 1, 2 and lstm depth 1
    executor, rows = sweep_killing_a_worker(dask_cluster, tmp_path / "o", spec, opts,
                                            after_stored=1)
    keys = stored_keys(tmp_path / "o")
    assert len(keys) == 3 and sorted(keys) == sorted(set(executor.submitted))  # all, once
    ran, expected = results(tmp_path / "o"), results(local)
    assert ran == {key: expected[key] for key in ran}  # the killed trial ran again, elsewhere
    assert [(r.arch, r.minimal_depth) for r in rows] == [("tcn", None), ("lstm", 1)]


@pytest.mark.slow
def test_worker_killed_with_retries_spent_is_recorded_as_an_error(
        dask_cluster: Any, tmp_path: Path) -> None:
    # one trial, the one killed: a depth-1 tcn cannot solve it and, with no early stop,
    # trains for seconds, so the test always finds it running (an lstm solves in < 1 s)
    spec, opts = sweep_inputs(archs=("tcn",), max_depth=1, max_steps=20000, patience=10**6)
    scheduler = dask_cluster.scheduler
    allowed, scheduler.allowed_failures = scheduler.allowed_failures, 0
    try:
        executor, rows = sweep_killing_a_worker(dask_cluster, tmp_path / "o", spec, opts,
                                                after_stored=0)
    finally:
        scheduler.allowed_failures = allowed
    records = ResultStore(tmp_path / "o", create=False).records()
    assert [r.key for r in records] == executor.submitted
    (result,) = [r.result for r in records]
    assert result.status == ERROR
    assert result.reason.startswith("executor failed the trial: KilledWorker")
    assert rows and rows[0].arch == "tcn" and rows[0].minimal_depth is None
