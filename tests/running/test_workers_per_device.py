"""Several workers per GPU, spread over several GPUs: the round-robin pinning, the device
options' errors, and the flow from the command line to the executor, tested without a GPU
(torch's CUDA queries and calls are mocked; scripts/gpu_throughput.py measures the real
thing on a GPU)."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from concurrent.futures import Executor
from pathlib import Path

import pytest
import torch
from tests.helpers import fake_train, make_trial

import toytasks.running.devices as devices
import toytasks.running.executor as executor_module
from toytasks.errors import ToytasksError
from toytasks.running import runner
from toytasks.running.devices import (
    Placement,
    check_device,
    local_workers,
    plan_workers,
    worker_gpu,
)
from toytasks.running.executor import InlineExecutor, LocalPool, make_executor
from toytasks.training.trial import Trial

TINY_STUDY = Path(__file__).resolve().parents[1] / "data" / "tiny-study.toml"


@pytest.fixture(autouse=True)
def keep_sigint() -> Iterator[None]:
    """Some tests call the pool's worker initialiser in this process, and it ignores
    SIGINT (as a worker must): restore it, or every later test in this process, and every
    child process it starts, would ignore Ctrl-C."""
    handler = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, handler)


@pytest.fixture
def two_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)


@pytest.fixture
def four_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)


# --- which worker trains on which GPU -------------------------------------------------------
def test_workers_are_assigned_to_gpus_round_robin() -> None:
    assert [worker_gpu(i, (0, 1)) for i in range(8)] == [0, 1, 0, 1, 0, 1, 0, 1]
    assert [worker_gpu(i, (1, 3, 2)) for i in range(7)] == [1, 3, 2, 1, 3, 2, 1]
    assert [worker_gpu(i, (5,)) for i in range(3)] == [5, 5, 5]


def test_each_worker_started_pins_itself_to_the_next_gpu(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool initializer, called as each of its worker processes starts: worker i takes
    slot i from the pool's shared counter and sets its GPU and its memory cap there."""
    import multiprocessing

    pinned: list[int] = []
    caps: list[tuple[float, int]] = []
    monkeypatch.setattr(executor_module.signal, "signal", lambda *args: None)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)
    monkeypatch.setattr(torch.cuda, "set_device", pinned.append)
    monkeypatch.setattr(torch.cuda, "set_per_process_memory_fraction",
                        lambda fraction, gpu: caps.append((fraction, gpu)))
    slots = multiprocessing.get_context("spawn").Value("i", 0)
    for _ in range(7):
        executor_module._init_worker(slots, (0, 1, 2), 0.25)
    assert pinned == [0, 1, 2, 0, 1, 2, 0]
    assert caps == [(0.25, g) for g in pinned]
    executor_module._init_worker(multiprocessing.get_context("spawn").Value("i", 0), (0, 1))
    assert pinned[-1] == 0 and len(caps) == 7  # a fresh pool starts at slot 0; no cap asked


def test_a_cpu_worker_touches_no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executor_module.signal, "signal", lambda *args: None)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)
    monkeypatch.setattr(torch.cuda, "set_device", lambda gpu: pytest.fail("pinned on cpu"))
    executor_module._init_worker()


def test_the_local_pool_hands_its_gpus_and_cap_to_every_worker() -> None:
    pool = LocalPool(4, gpus=(0, 1), memory_fraction=0.5)
    try:  # no worker starts before the first submission: nothing spawned here
        inner = pool._pool
        assert inner._initializer is executor_module._init_worker
        slots, gpus, fraction, parent = inner._initargs
        assert slots.value == 0 and gpus == (0, 1) and fraction == 0.5
        assert parent == os.getpid()  # each worker ends with this process (no orphans)
        pool.restart()  # a restarted pool numbers its workers from 0 again
        assert pool._pool._initargs[0] is not slots and pool._pool._initargs[0].value == 0
    finally:
        pool.shutdown()


def test_one_worker_trains_in_process_unless_a_memory_cap_must_stay_in_a_worker() -> None:
    assert isinstance(make_executor(1, gpus=(0,)), InlineExecutor)
    capped = make_executor(1, gpus=(0,), memory_fraction=0.5)
    try:
        assert isinstance(capped, LocalPool) and capped.memory_fraction == 0.5
    finally:
        capped.shutdown()


# --- the options, checked together -----------------------------------------------------------
def test_workers_per_device_starts_k_workers_on_each_gpu(two_gpus) -> None:
    assert plan_workers("cuda", workers_per_device=4) == Placement(8, (0, 1), device="cuda")
    assert plan_workers("cuda:0,cuda:1", workers_per_device=3) == \
        Placement(6, (0, 1), device="cuda")
    assert plan_workers("cuda:1,cuda:0", workers_per_device=1) == \
        Placement(2, (1, 0), device="cuda")
    assert plan_workers("cuda:1", workers_per_device=4) == Placement(4, (1,), device="cuda:1")
    assert plan_workers("cuda", workers_per_device=2, memory_fraction=0.5) == \
        Placement(4, (0, 1), 0.5, "cuda")


def test_workers_without_workers_per_device_are_spread_over_the_gpus(
        two_gpus, monkeypatch: pytest.MonkeyPatch) -> None:
    assert plan_workers("cuda", workers=3) == Placement(3, (0, 1), device="cuda")
    assert plan_workers("cuda", workers=1) == Placement(1, (0, 1), device="cuda")  # GPU 0
    default = plan_workers("cuda:0,cuda:1")
    assert default == Placement(None, (0, 1), device="cuda")
    monkeypatch.setattr(devices, "default_workers", lambda: 1)
    assert local_workers(default) == 2  # one per core, but at least one per GPU
    assert local_workers(plan_workers("cpu")) == 1
    assert plan_workers("cpu", workers=3) == Placement(3)


def test_a_dask_cluster_places_its_own_workers(two_gpus) -> None:
    assert plan_workers("cuda", workers=3, executor_kind="dask") == Placement(3, device="cuda")


def test_a_device_list_trains_trials_of_the_kind_cuda(two_gpus) -> None:
    assert check_device("cuda:0,cuda:1") == "cuda"
    assert check_device("cuda:1") == "cuda:1" and check_device("cuda") == "cuda"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"device": "cpu", "workers_per_device": 2},
     "--workers-per-device needs a CUDA --device (cuda, cuda:N or cuda:N,cuda:M); on the CPU "
     "--workers sets how many trials run at once"),
    ({"device": "cpu", "memory_fraction": 0.5},
     "--gpu-memory-fraction needs a CUDA --device (cuda, cuda:N or cuda:N,cuda:M); on the "
     "CPU --workers sets how many trials run at once"),
    ({"device": "cuda", "workers": 2, "workers_per_device": 2},
     "--workers and --workers-per-device exclude each other (--workers-per-device K starts K "
     "workers on each GPU of --device)"),
    ({"device": "cuda", "workers_per_device": 0}, "--workers-per-device must be at least 1, "
                                                  "got 0"),
    ({"device": "cuda", "workers_per_device": -3}, "--workers-per-device must be at least 1, "
                                                   "got -3"),
    ({"device": "cuda", "memory_fraction": 0.0}, "--gpu-memory-fraction must be in (0, 1], "
                                                 "got 0"),
    ({"device": "cuda", "memory_fraction": 1.5}, "--gpu-memory-fraction must be in (0, 1], "
                                                 "got 1.5"),
    ({"device": "cuda", "workers_per_device": 200},
     "--workers-per-device 200 on 2 GPU(s) is 400 workers (at most 256)"),
    ({"device": "cuda:0,cuda:1", "workers": 1},
     "--workers 1 leaves GPUs of --device cuda:0,cuda:1 idle: give --workers 2 or more, or "
     "--workers-per-device"),
    ({"device": "cuda", "workers_per_device": 2, "executor_kind": "dask"},
     "--workers-per-device needs --executor local: a Dask cluster places its workers on GPUs "
     "itself (docs/cluster.md)"),
    ({"device": "cuda", "memory_fraction": 0.5, "executor_kind": "dask"},
     "--gpu-memory-fraction needs --executor local: a Dask cluster places its workers on GPUs "
     "itself (docs/cluster.md)"),
    ({"device": "cuda:0,cuda:1", "executor_kind": "dask"},
     "--device cuda:0,cuda:1 needs --executor local: a Dask cluster places its workers on GPUs "
     "itself (docs/cluster.md)"),
    ({"device": "cuda:0,cuda:2"},
     "--device cuda:0,cuda:2: this machine has 2 CUDA GPU(s) (valid: cuda, cuda:0 to cuda:1)"),
    ({"device": "cuda:0,cuda:0"}, "--device cuda:0,cuda:0 names cuda:0 twice"),
    ({"device": "cuda:0,cuda"},
     "--device cuda:0,cuda: 'cuda' is not cuda:N (a list names GPUs by index, e.g. "
     "cuda:0,cuda:1)"),
    ({"device": "cuda:0,"},
     "--device cuda:0,: '' is not cuda:N (a list names GPUs by index, e.g. cuda:0,cuda:1)"),
    ({"device": "cpu,cuda:0"},
     "--device cpu,cuda:0: 'cpu' is not cuda:N (a list names GPUs by index, e.g. "
     "cuda:0,cuda:1)"),
])
def test_conflicting_or_impossible_device_options_are_one_line(two_gpus, kwargs,
                                                               message) -> None:
    with pytest.raises(ToytasksError) as info:
        plan_workers(**kwargs)
    assert str(info.value) == message


def test_a_gpu_list_on_a_machine_without_gpus_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ToytasksError) as info:
        plan_workers("cuda:0,cuda:1", workers_per_device=2)
    assert str(info.value) == "--device cuda:0,cuda:1: no CUDA GPU is available here"


# --- from the command line to the executor -----------------------------------------------
class Recorder:
    """Stands in for ``executor.make_executor``: records what the command asked for and
    runs trials in-process (their devices recorded by a fake ``train``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[int, tuple[int, ...], float | None]] = []
        self.devices: list[str] = []
        monkeypatch.setattr(executor_module, "make_executor", self.make)
        monkeypatch.setattr(runner, "train", self.train)

    def make(self, workers: int, gpus: tuple[int, ...] = (),
             memory_fraction: float | None = None) -> Executor:
        self.calls.append((workers, tuple(gpus), memory_fraction))
        return InlineExecutor()

    def train(self, trial):
        self.devices.append(trial.device)
        return fake_train(trial)


RUN = ("run", "--task", "cycle-pattern", "--arch", "cnn,lstm", "--seeds", "1", "--max-depth",
       "3", "--steps", "10", "-q")


def test_run_hands_workers_per_device_and_gpus_to_the_executor(
        four_gpus, monkeypatch: pytest.MonkeyPatch, cli_in_process, tmp_path: Path) -> None:
    seen = Recorder(monkeypatch)
    code, _, err = cli_in_process(*RUN, "--device", "cuda:2,cuda:3", "--workers-per-device",
                                  "4", "--gpu-memory-fraction", "0.2", "--out",
                                  str(tmp_path / "a"))
    assert code == 0, err
    assert seen.calls == [(8, (2, 3), 0.2)]
    assert "8 worker(s) on cuda:2,cuda:3" in err
    assert seen.devices and set(seen.devices) == {"cuda"}  # the worker's pinned GPU
    code, _, err = cli_in_process(*RUN, "--device", "cuda", "--workers-per-device", "2",
                                  "--out", str(tmp_path / "b"))
    assert code == 0, err
    assert seen.calls[-1] == (8, (0, 1, 2, 3), None)


def test_which_gpus_ran_a_trial_never_changes_its_identity(
        four_gpus, monkeypatch: pytest.MonkeyPatch, cli_in_process, tmp_path: Path) -> None:
    Recorder(monkeypatch)
    keys = {}
    for device, extra in (("cuda", ()), ("cuda:3", ()), ("cuda:0,cuda:1", ()),
                          ("cuda:2,cuda:3", ("--workers-per-device", "8"))):
        out = tmp_path / device.replace(":", "").replace(",", "-")
        code, _, err = cli_in_process(*RUN, "--device", device, *extra, "--out", str(out))
        assert code == 0, err
        records = [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]
        keys[device] = [r["key"] for r in records]
        for record in records:
            assert record["trial"]["device"] == "cuda"
            for index in ("cuda:0", "cuda:3"):  # the same trial made for any one card
                assert _trial(record["trial"], index).key == record["key"]
    assert len({tuple(k) for k in keys.values()}) == 1 and keys["cuda"]


def _trial(config: dict, device: str) -> Trial:
    return Trial(**{**config, "knobs": tuple(sorted(config["knobs"].items())),
                    "device": device})


def test_sweep_takes_the_device_options(four_gpus, monkeypatch: pytest.MonkeyPatch,
                                        cli_in_process, tmp_path: Path) -> None:
    seen = Recorder(monkeypatch)
    code, _, err = cli_in_process("sweep", "--task", "cycle-pattern", "--vary",
                                  "period_samples=4,6", "--arch", "cnn", "--seeds", "1",
                                  "--max-depth", "2", "--steps", "10", "-q", "--device",
                                  "cuda:1,cuda:2", "--workers-per-device", "3", "--out",
                                  str(tmp_path / "s"))
    assert code == 0, err
    assert seen.calls == [(6, (1, 2), None)] and set(seen.devices) == {"cuda"}


def test_suite_takes_the_device_options(four_gpus, monkeypatch: pytest.MonkeyPatch,
                                        cli_in_process, tmp_path: Path) -> None:
    seen = Recorder(monkeypatch)
    profile = tmp_path / "p.toml"
    profile.write_text('[[run]]\ntask = "cycle-pattern"\narch = "cnn"\nseeds = 1\n'
                       'max_depth = 2\nsteps = 10\n')
    code, _, err = cli_in_process("suite", str(profile), "--device", "cuda",
                                  "--workers-per-device", "2", "--out", str(tmp_path / "o"),
                                  "-q")
    assert code == 0, err
    assert seen.calls == [(8, (0, 1, 2, 3), None)] and "8 worker(s) on cuda:0,cuda:1" in err
    assert seen.devices and set(seen.devices) == {"cuda"}
    records = (tmp_path / "o" / "trials.jsonl").read_text().splitlines()
    assert all(json.loads(r)["trial"]["device"] == "cuda" for r in records)


def test_study_takes_the_device_options(four_gpus, monkeypatch: pytest.MonkeyPatch,
                                        cli_in_process, tmp_path: Path) -> None:
    seen = Recorder(monkeypatch)
    out = tmp_path / "study"
    code, _, err = cli_in_process("study", str(TINY_STUDY), "--profile", "tiny", "--only", "a",
                                  "--device", "cuda:3", "--workers-per-device", "2", "--out",
                                  str(out), "-q")
    assert code == 0, err
    assert seen.calls == [(2, (3,), None)] and set(seen.devices) == {"cuda:3"}
    records = (out / "a" / "trials.jsonl").read_text().splitlines()
    assert records and all(json.loads(r)["trial"]["device"] == "cuda" for r in records)
    assert (out / "report" / "report.md").is_file()


@pytest.mark.parametrize("command", [
    RUN,
    ("sweep", "--task", "cycle-pattern", "--vary", "period_samples=4,6"),
    ("suite", "quick"),
    ("study", str(TINY_STUDY), "--profile", "tiny"),
])
@pytest.mark.parametrize(("options", "message"), [
    (("--workers-per-device", "2"), "--workers-per-device needs a CUDA --device"),
    (("--device", "cuda", "--workers", "2", "--workers-per-device", "2"),
     "--workers and --workers-per-device exclude each other"),
    (("--device", "cuda:0,cuda:1,cuda:2"), "--device cuda:0,cuda:1,cuda:2: this machine has 2 "
                                           "CUDA GPU(s) (valid: cuda, cuda:0 to cuda:1)"),
    (("--device", "cuda", "--workers-per-device", "0"),
     "Invalid value for '--workers-per-device': 0 is not in the range 1<=x<=256."),
    (("--device", "cuda", "--workers-per-device", "-1"),
     "Invalid value for '--workers-per-device': -1 is not in the range 1<=x<=256."),
    (("--device", "cuda", "--gpu-memory-fraction", "0"),
     "Invalid value for '--gpu-memory-fraction': 0.0 is not in the range 0<x<=1."),
])
def test_every_command_refuses_bad_device_options_before_any_folder(
        two_gpus, cli_in_process, tmp_path: Path, command, options, message) -> None:
    out = tmp_path / "o"
    code, stdout, err = cli_in_process(*command, *options, "--out", str(out))
    assert code == 2 and stdout == ""
    assert err.startswith(f"toytasks: error: {message}") and err.count("\n") == 1, err
    assert not out.exists()


# --- a GPU shared by several workers can run out of memory ---------------------------------
@pytest.mark.parametrize("error", [torch.OutOfMemoryError, MemoryError])
def test_out_of_memory_is_never_stored_as_a_trials_result(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, error: type) -> None:
    """Out of memory (neighbours on the GPU, a --gpu-memory-fraction cap) says where a trial
    ran, not what it gives: train raises it, the runner stores a lost-worker error, and a
    rerun retries the trial."""
    from tests.search_fakes import tiny_spec

    import toytasks.training.train as train_module
    from toytasks.reading.store import ResultStore
    from toytasks.running.plan import Job, run_job
    from toytasks.specs.options import default_options
    from toytasks.training.trial import lost_worker

    def full(*args, **kwargs):
        raise error("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(train_module, "build_model", full)
    with pytest.raises(error):
        train_module.train(make_trial())
    spec = tiny_spec()
    opts = default_options(spec)
    opts = type(opts)(**{**opts.__dict__, "archs": ("cnn",), "seeds": 1, "max_depth": 1})
    store = ResultStore(tmp_path)
    run_job(Job(spec, opts), store, InlineExecutor(), 1)
    (record,) = store.records()
    assert record.result.reason.startswith(
        f"executor failed the trial: {error.__name__}: CUDA out of memory")
    assert lost_worker(record.result) and store.retry_due(record.key, 3) is False  # this run
    assert ResultStore(tmp_path).retry_due(record.key, 3)  # the next run retries it


@pytest.mark.parametrize("command", [RUN, ("suite", "quick"),
                                     ("study", str(TINY_STUDY), "--profile", "tiny")])
def test_a_dry_run_counts_the_workers_the_run_would_start(
        four_gpus, monkeypatch: pytest.MonkeyPatch, cli_in_process, tmp_path: Path,
        command) -> None:
    """--dry-run estimates for K workers on each GPU of --device, on that device."""
    import toytasks.cost.dryrun as dryrun

    asked: list[tuple[int, set[str]]] = []

    def fake_dry_run(groups, workers, report=False):
        asked.append((workers, {j.opts.device for g in groups for j in g.jobs}))
        return "estimate"

    monkeypatch.setattr(dryrun, "dry_run", fake_dry_run)
    monkeypatch.setattr(dryrun, "render", str)
    code, out, err = cli_in_process(*command, "--device", "cuda:1,cuda:2",
                                    "--workers-per-device", "3", "--dry-run", "--out",
                                    str(tmp_path / "o"))
    assert code == 0, err
    assert asked == [(6, {"cuda"})] and "dry run on 6 worker(s)" in err
    assert out.strip() == "estimate" and not (tmp_path / "o").exists()
