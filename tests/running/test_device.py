"""The device in a trial's identity, CUDA determinism and device checks, tested without a GPU
(torch's CUDA queries are mocked; scripts/cuda_check.py checks the real thing on a GPU)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from tests.helpers import make_trial
from tests.search_fakes import fake_train_from, tiny_spec

import toytasks.training.train as train_module
from toytasks.reading.store import ResultStore
from toytasks.reading.summary import summarise
from toytasks.reading.table import render
from toytasks.running import runner as runner_module
from toytasks.running.executor import make_executor
from toytasks.running.plan import Job, run_job
from toytasks.specs.options import default_options
from toytasks.training.trial import ERROR, config_hash

DATA = Path(__file__).resolve().parents[1] / "data"
STORES = sorted(path.parent for path in DATA.rglob("trials.jsonl"))  # store, study/a..e


@pytest.mark.parametrize("folder", STORES, ids=lambda p: str(p.relative_to(DATA)))
def test_cpu_trials_keep_the_keys_stored_before_the_device_joined_the_identity(
        folder: Path) -> None:
    records = ResultStore(folder, create=False).records()
    assert records and all(r.trial.device == "cpu" for r in records)
    for record in records:
        assert "device" not in record.config
        assert record.trial.key == record.key == config_hash(record.config)


def test_the_kind_of_device_is_part_of_a_trials_identity() -> None:
    cpu, cuda = make_trial(device="cpu"), make_trial(device="cuda")
    assert cuda.key != cpu.key and cuda.config()["device"] == "cuda"
    assert "device" not in cpu.config()
    # which card is provenance: the same kind of device gives the same identity
    assert make_trial(device="cuda:1").key == cuda.key == make_trial(device="cuda:0").key


def _run(store: ResultStore, device: str) -> list:
    spec = tiny_spec()
    opts = default_options(spec)
    opts = type(opts)(**{**opts.__dict__, "archs": ("cnn",), "seeds": 1, "max_depth": 4,
                         "device": device})
    executor = make_executor(1)
    try:
        return run_job(Job(spec, opts), store, executor, 1)
    finally:
        executor.shutdown()


def test_resuming_a_cpu_folder_on_cuda_keeps_the_results_apart(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    trained: list[str] = []

    def fake(trial):
        trained.append(trial.device)
        return fake_train_from(lambda t: t.depth >= 2)(trial)

    monkeypatch.setattr(runner_module, "train", fake)
    store = ResultStore(tmp_path)
    cpu_rows = _run(store, "cpu")
    n_cpu = len(trained)
    assert n_cpu > 0 and set(trained) == {"cpu"}
    cpu_lines = (tmp_path / "trials.jsonl").read_text().splitlines()
    _run(store, "cpu")  # resume on the same device: nothing retrained
    assert len(trained) == n_cpu
    cuda_rows = _run(store, "cuda:0")  # nothing reused: a cuda result is another result
    assert trained[n_cpu:] and set(trained[n_cpu:]) == {"cuda:0"}
    assert (tmp_path / "trials.jsonl").read_text().splitlines()[:len(cpu_lines)] == cpu_lines
    records = store.records()
    assert {r.config.get("device") for r in records} == {None, "cuda"}
    rows = summarise(records)
    assert len(rows) == 2  # one row per device, never one row mixing both
    assert [r.config.get("device") for r in cuda_rows] == ["cuda"]
    assert [r.config.get("device") for r in cpu_rows] == [None]
    text = render(rows, "plain")
    assert text.count("device cuda") == 1  # the cuda table's caption says so
    assert "device=cuda" in render(rows, "plain", by="arch")


def test_a_cuda_trial_turns_on_deterministic_algorithms_and_cublas_workspace(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    monkeypatch.setattr(torch, "use_deterministic_algorithms", calls.append)
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", False)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", True)
    monkeypatch.setattr(train_module, "build_model", _stop)  # no GPU here: stop before it
    result = train_module.train(make_trial(device="cuda"))
    assert result.status == ERROR and "reached the model" in result.reason
    assert calls == [True]
    assert train_module.os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark


def test_a_cpu_trial_leaves_the_deterministic_switches_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(torch, "use_deterministic_algorithms", calls.append)
    train_module.train(make_trial(max_steps=2))
    assert calls == []


def _stop(*args, **kwargs):
    raise RuntimeError("reached the model")


@pytest.fixture
def two_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)


@pytest.mark.parametrize("device", ["cuda:7", "cuda:2"])
def test_a_gpu_the_machine_lacks_is_refused_up_front(two_gpus, cli_in_process, tmp_path: Path,
                                                     device: str) -> None:
    out = tmp_path / "o"
    code, stdout, err = cli_in_process("run", "--task", "cycle-pattern", "--device", device,
                                       "--out", str(out))
    assert code == 2 and stdout == ""
    assert err.strip() == (f"toytasks: error: --device {device}: this machine has 2 CUDA "
                           "GPU(s) (valid: cuda, cuda:0 to cuda:1)")
    assert not out.exists()


@pytest.mark.parametrize("device", ["cuda:", "cuda:x", "cudax", "cuda:-1"])
def test_a_malformed_cuda_device_is_an_unknown_device(two_gpus, cli_in_process,
                                                      device: str) -> None:
    code, _, err = cli_in_process("run", "--task", "cycle-pattern", "--device", device)
    assert code == 2 and err.strip() == (f"toytasks: error: unknown device '{device}' "
                                         "(valid: cpu, cuda, cuda:N)")


def test_an_accepted_cuda_device_sets_the_cublas_workspace_before_any_cuda_call(
        two_gpus) -> None:
    from toytasks.running.devices import check_device

    assert check_device("cuda:1") == "cuda:1"
    assert json.dumps(train_module.os.environ["CUBLAS_WORKSPACE_CONFIG"]) == '":4096:8"'


def test_cuda_check_trials_build_every_architecture_at_its_version() -> None:
    """scripts/cuda_check.py's trials carry each architecture's numerics version: its first
    GPU run erred for every version-2 architecture (transformer, s4d, mamba, ...)."""
    import importlib.util

    from toytasks.models import ARCHITECTURES
    from toytasks.training.train import train

    path = Path(__file__).parents[2] / "scripts" / "cuda_check.py"
    spec = importlib.util.spec_from_file_location("cuda_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for arch in ARCHITECTURES:
        result = train(replace(module.trial(arch, "cpu"), max_steps=2, eval_every=1))
        assert result.status != ERROR, f"{arch}: {result.reason}"
