"""scripts/gpu_throughput.py: on a machine without a GPU it stops with one line before
measuring anything; its trial set, measurement, table and checks are exercised here on the
CPU (tiny sizes; no timing is asserted)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gpu_throughput.py"


def _load():
    spec = importlib.util.spec_from_file_location("gpu_throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_throughput"] = module  # dataclasses look their module up while built
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: it measures")
def test_without_a_gpu_it_exits_non_zero_with_one_line() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("gpu_throughput: no CUDA GPU is available here (torch ")
    assert proc.stderr.rstrip().endswith("nothing measured: run it on a machine with a GPU")


def test_the_trial_set_is_fixed_work_on_either_device() -> None:
    script = _load()
    cpu, cuda = script.make_trials(3, 40, "cpu"), script.make_trials(3, 40, "cuda")
    assert [(t.arch, t.depth, t.seed) for t in cpu] == [
        ("cnn", 8, 0), ("cnn", 8, 1), ("cnn", 8, 2), ("lstm", 1, 0), ("lstm", 1, 1),
        ("lstm", 1, 2)]
    assert all(t.max_steps == 40 and t.threshold > 1 and t.patience > 40 for t in cpu)
    assert [t.device for t in cuda] == ["cuda"] * 6 and len({t.key for t in cuda}) == 6
    assert [t.task for t in cpu] == ["cycle-pattern"] * 6 and cpu[0].width == 32


def test_a_measurement_trains_every_step_and_the_checks_compare_results() -> None:
    script = _load()
    trials = script.make_trials(1, 4, "cpu")
    rows = [script.measure(label, trials, 1) for label in ("cpu", "cuda x1/GPU",
                                                           "cuda x2/GPU")]
    for row in rows:
        assert row.trials == 2 and row.errors == [] and row.wall_s > 0
        assert set(row.trial_s) == {"cnn", "lstm"}
        assert all('"steps": 4' in f for f in row.fingerprints.values())
    assert script.check(rows) == []  # same trials, same results: nothing differs
    text = script.table(rows)
    assert text.count("\n") == 4 and "vs cpu" in text and "cnn d8 trial s" in text
    key = next(iter(rows[2].fingerprints))
    rows[2].fingerprints[key] = "changed"
    rows[1].errors.append("x: error boom")
    assert script.check(rows) == ["cuda x1/GPU: x: error boom",
                                  "cuda x2/GPU: 1 trial result(s) differ from cuda x1/GPU"]


@pytest.mark.parametrize("argv", [["--per-device", "0"], ["--per-device", "a"],
                                  ["--seeds", "0"]])
def test_bad_arguments_are_refused(argv, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        _load().parse(argv)
    assert info.value.code == 2 and "gpu_throughput.py: error:" in capsys.readouterr().err
