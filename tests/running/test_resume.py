"""End to end, with real training (slow): kill -9 and resume; results independent of workers.

Runs are tiny (cycle-pattern, tcn + lstm, 300 steps) so each takes seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.helpers import results, tables, without_total_compute

from toytasks.reading.store import ResultStore

SRC = Path(__file__).resolve().parents[2] / "src"
RUN = ["run", "--task", "cycle-pattern", "--arch", "tcn,lstm", "--max-depth", "4",
       "--steps", "300", "-q"]


def toytasks(*args: str) -> subprocess.Popen:
    """`toytasks ARGS` in a child process that reacts to Ctrl-C as from a terminal: its
    SIGINT disposition is the default even if this test process ignores SIGINT (a child
    inherits an ignored signal, and Python then installs no KeyboardInterrupt handler:
    the Ctrl-C test saw exit 0 after another test had left SIGINT ignored)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.Popen([sys.executable, "-m", "toytasks", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def finish(proc: subprocess.Popen, timeout: float = 240) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return out


def stored_lines(folder: Path) -> list[str]:
    path = folder / "trials.jsonl"
    return path.read_text().splitlines() if path.exists() else []




ARGS = [*RUN, "--seeds", "2"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One uninterrupted run with one worker: (its folder, its stdout)."""
    folder = tmp_path_factory.mktemp("reference") / "out"
    return folder, finish(toytasks(*ARGS, "--workers", "1", "--out", str(folder)))


@pytest.mark.slow
def test_killed_and_resumed_run_equals_an_uninterrupted_one(
        tmp_path: Path, reference: tuple[Path, str]) -> None:
    whole, reference_out = reference
    killed = tmp_path / "killed"
    args = [*ARGS, "--workers", "1", "--out", str(killed)]
    proc = toytasks(*args)
    deadline = time.monotonic() + 120
    while len(stored_lines(killed)) < 2 and proc.poll() is None:
        assert time.monotonic() < deadline, "no trial stored within 120 s"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    n_before = len(stored_lines(killed))
    n_total = len(stored_lines(whole))
    assert proc.returncode == -signal.SIGKILL and 2 <= n_before < n_total

    resumed_out = finish(toytasks(*args))
    keys = [line.split('"key": "')[1][:20] for line in stored_lines(killed)]
    assert len(keys) == len(set(keys)) == n_total  # nothing lost, nothing twice
    assert results(killed) == results(whole)
    assert tables(killed) == tables(whole)
    assert without_total_compute(resumed_out) == without_total_compute(reference_out)


@pytest.mark.slow
def test_results_do_not_depend_on_the_number_of_workers(
        tmp_path: Path, reference: tuple[Path, str]) -> None:
    one, out_one = reference
    two = tmp_path / "two"
    out_two = finish(toytasks(*ARGS, "--workers", "2", "--out", str(two)))
    assert without_total_compute(out_one) == without_total_compute(out_two)
    assert tables(one) == tables(two)
    a, b = results(one), results(two)
    assert set(a) <= set(b)  # two workers may run a seed past a verdict (stored, not counted)
    assert a == {key: b[key] for key in a}  # per-trial metrics bit for bit


@pytest.mark.slow
def test_ctrl_c_keeps_results_prints_resume_command_and_resume_completes(
        tmp_path: Path, reference: tuple[Path, str]) -> None:
    whole, reference_out = reference
    folder = tmp_path / "interrupted"
    proc = toytasks(*ARGS, "--workers", "2", "--out", str(folder))
    deadline = time.monotonic() + 120
    while len(stored_lines(folder)) < 2 and proc.poll() is None:
        assert time.monotonic() < deadline, "no trial stored within 120 s"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("interrupted:") and f"--out {folder}" in last
    n_kept = len(stored_lines(folder))
    assert n_kept >= 2 and len(ResultStore(folder, create=False)) == n_kept
    command = last.split("resume with: toytasks ", 1)[1].split()
    assert without_total_compute(finish(toytasks(*command))) == \
        without_total_compute(reference_out)
    assert tables(folder) == tables(whole)
