"""benchmarks.long_sequences runs end to end at tiny sizes and prints every section.

No timing is asserted (speed targets are ratios printed by the benchmark itself); these
tests pin that the benchmark runs, covers what it was asked for, and plans its cases.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_benchmark(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmarks.long_sequences", *args],
                          capture_output=True, text=True, cwd=REPO, timeout=300)


def test_tiny_run_prints_throughput_paths_and_memory() -> None:
    done = run_benchmark("--lengths", "20", "--steps", "2", "--repeats", "1",
                         "--archs", "cnn,gru", "--case-seconds", "1")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for arch, depth in (("cnn", 8), ("gru", 1)):
        match = re.search(rf"T=\s+20 {arch}\s+d{depth}: raw\s+([\d.]+) steps/s .*trainer\s+"
                          r"([\d.]+) steps/s, ratio ([\d.]+)x", out)
        assert match, out
        assert all(float(v) > 0 for v in match.groups())
    assert "target (trainer >= 0.9x raw at every length)" in out
    for cell in ("lstm", "gru"):  # every path, each with its difference from today's
        for path in ("native", "native-no-mkldnn", "cell-loop", "hoisted", "hoisted-script",
                     "chunked-250"):
            assert re.search(rf"{cell}\s+T=\s+20 {path}\s+[\d.]+ steps/s .* out \S+ grad",
                             out), (cell, path, out)
    assert re.search(r"gru\s+T=\s+20 manual-backward", out)
    assert re.search(r"lstm\s+T=\s+20 native\s+.* exact", out)  # today's path against itself
    assert re.search(r"transformer memory.*\n\s+T=\s+20: step \+\s*[\d.]+ MiB", out)
    assert "long sequences: done in" in out


@pytest.fixture
def long_sequences(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))
    return importlib.import_module("benchmarks.long_sequences")


def test_plan_fits_the_case_budget(long_sequences) -> None:
    plan = long_sequences.plan
    assert plan(0.001, 20, 3, 6.0) == (20, 3)  # fast: the most steps and rounds asked for
    assert plan(0.1, 20, 3, 6.0) == (10, 3)    # 2 sides x 3 rounds x 10 steps x 0.1 s = 6 s
    assert plan(0.5, 20, 3, 6.0) == (2, 3)     # two steps a run (one interval), 3 rounds
    assert plan(1.0, 20, 3, 6.0) == (3, 1)     # rounds given up first, the rest goes to steps
    assert plan(1.5, 20, 3, 6.0) == (2, 1)     # 2 sides x 1 round x 2 steps x 1.5 s = 6 s
    assert plan(30.0, 20, 3, 6.0) == (2, 1)    # slower than the budget: two steps, once


def test_step_seconds_is_the_fastest_interval_between_optimizer_steps(
        long_sequences, monkeypatch) -> None:
    import torch

    clock = iter([10.0, 13.0, 14.5, 16.0])  # read once at the end of each optimizer step
    monkeypatch.setattr(long_sequences, "CLOCK", lambda: next(clock))
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.1)

    def run() -> None:  # whatever happens before the first step is in no interval
        for _ in range(4):
            optimizer.step()

    assert long_sequences.step_seconds(run) == 1.5
    optimizer.step()  # the hook is gone once the run is timed: the clock is not read again


def test_unknown_architecture_is_a_one_line_error(long_sequences, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        long_sequences.main(["--archs", "lstm,nope", "--lengths", "20"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown architecture nope" in err and "Traceback" not in err


def test_every_builtin_has_a_depth(long_sequences) -> None:
    from toytasks.models import ARCHITECTURES

    assert set(long_sequences.DEPTHS) == set(ARCHITECTURES)
    assert long_sequences.DEPTHS["lstm"] == 1 and long_sequences.DEPTHS["cnn"] == 8
    assert long_sequences.DEPTHS["res-lstm"] == 2
