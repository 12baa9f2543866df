"""The API in scripts and notebooks (issue 22): what worker processes can import, and no
worker outliving its driver. Each test runs a real script in a fresh interpreter."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = '''
import torch
from torch import nn

import toytasks
from toytasks.models import SequenceModel


class Pointwise(SequenceModel):
    summary = "per-step linear map"

    def __init__(self, n_inputs, n_outputs, depth, width, output_steps=1):
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.proj = nn.Linear(n_inputs, width)

    def features(self, x):
        return torch.tanh(self.proj(x))
'''
TINY = 'seeds=1, max_depth=1, steps=20, out="out"'


def python(script: str, cwd: Path, how: str = "file",
           timeout: float = 300) -> subprocess.CompletedProcess:
    """``python script.py``; ``python -c SCRIPT`` (``__main__`` without a file, like a
    notebook's); or ``python -`` (the script read from stdin)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    args = {"file": ["script.py"], "command": ["-c", script], "stdin": ["-"]}[how]
    (cwd / "script.py").write_text(script)
    return subprocess.run([sys.executable, *args], input=script if how == "stdin" else None,
                          capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout, check=False)


def statuses(folder: Path) -> list[str]:
    lines = (folder / "trials.jsonl").read_text().splitlines()
    return [json.loads(line)["result"]["status"] for line in lines]


def error_lines(stderr: str) -> list[str]:
    """The exceptions the script ended with (its traceback's last line)."""
    return [line for line in stderr.splitlines()
            if line.startswith("toytasks.errors.ToytasksError: ")]


@pytest.mark.slow
def test_one_worker_trains_a_class_defined_in_an_unguarded_script(tmp_path: Path) -> None:
    """workers=1 trains in this process: no guard needed, a __main__ class just works."""
    done = python(MODEL + f'res = toytasks.run("cycle-pattern", "__main__:Pointwise", '
                          f'workers=1, {TINY})\nprint(res.table())\n', tmp_path)
    assert done.returncode == 0, done.stderr
    assert "__main__:Pointwise" in done.stdout
    assert statuses(tmp_path / "out") == ["unsolved"]


@pytest.mark.slow
def test_an_unguarded_script_with_workers_is_one_error_naming_the_guard(tmp_path: Path
                                                                        ) -> None:
    """Before: every worker re-ran the script and died, each trial was stored as 'worker
    process died 3 times', pages of tracebacks, exit code 0, and the table said '> 1'."""
    done = python(MODEL + f'toytasks.run("cycle-pattern", "lstm", workers=2, {TINY})\n',
                  tmp_path)
    assert done.returncode != 0
    [line] = error_lines(done.stderr)
    assert "script.py starts toytasks at line" in line
    assert "if __name__ == \"__main__\":" in line and "workers=1" in line
    assert "worker process died" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_notebook_class_with_workers_is_one_error_naming_the_fix(tmp_path: Path) -> None:
    """A class defined in a notebook cell (``__main__`` without a file): no worker can
    import it."""
    done = python(MODEL + f'toytasks.run("cycle-pattern", "__main__:Pointwise", workers=2, '
                          f'{TINY})\n', tmp_path, how="command")
    assert done.returncode != 0
    [line] = error_lines(done.stderr)
    assert "Pointwise is defined in __main__ (a notebook or an interactive session)" in line
    assert "move it to a module" in line and "workers=1" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_script_read_from_stdin_with_workers_is_one_error(tmp_path: Path) -> None:
    """``python -``: workers would try to run a file called '<stdin>' and die."""
    done = python(MODEL + f'toytasks.run("cycle-pattern", "lstm", workers=2, {TINY})\n',
                  tmp_path, how="stdin")
    assert done.returncode != 0
    [line] = error_lines(done.stderr)
    assert "'<stdin>' is not a file: save the script to a file, or run with workers=1" in line
    assert not (tmp_path / "out").exists()


def docs_script() -> str:
    """The script of docs/api.md's "Scripts and notebooks" section."""
    text = (ROOT / "docs" / "api.md").read_text()
    section = text[text.index("## Scripts and notebooks"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow
def test_the_documented_script_runs_with_two_workers(tmp_path: Path) -> None:
    script = docs_script()
    assert 'if __name__ == "__main__":' in script and "workers=2" in script
    assert "max_depth=3" in script and "steps=300" in script
    tiny = script.replace("max_depth=3", "max_depth=1").replace("steps=300", "steps=20")
    done = python(tiny, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "__main__:Pointwise" in done.stdout and "lstm" in done.stdout
    [folder] = (tmp_path / "results").iterdir()
    assert statuses(folder) and "error" not in statuses(folder)


SLOW_MODEL = '''
import multiprocessing, os, time
from pathlib import Path

import torch
from torch import nn

from toytasks.models import SequenceModel


class Slow(SequenceModel):
    """Sleeps in worker processes only (the driver's pre-flight check runs it too)."""

    summary = "sleeps"

    def __init__(self, n_inputs, n_outputs, depth, width, output_steps=1):
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.proj = nn.Linear(n_inputs, width)

    def features(self, x):
        if multiprocessing.parent_process() is not None:
            Path("marks", str(os.getpid())).touch()
            time.sleep(600)
        return torch.tanh(self.proj(x))
'''


def alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped by its new parent, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_die_with_a_killed_driver(tmp_path: Path) -> None:
    """kill -9 gives the driver no chance to clean up: before, its workers trained on
    (here: slept for 10 minutes) as orphans."""
    (tmp_path / "slowmodel.py").write_text(SLOW_MODEL)
    (tmp_path / "marks").mkdir()
    (tmp_path / "driver.py").write_text(textwrap.dedent('''
        import toytasks

        if __name__ == "__main__":
            toytasks.run("cycle-pattern", "slowmodel:Slow", workers=2, seeds=2,
                         max_depth=1, search="exhaustive", out="out")
    '''))
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{tmp_path}"}
    driver = subprocess.Popen([sys.executable, "driver.py"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while len(list((tmp_path / "marks").iterdir())) < 2:
            assert driver.poll() is None, driver.stderr.read().decode()
            assert time.monotonic() < deadline, "the workers never started a trial"
            time.sleep(0.2)
        workers = [int(p.name) for p in (tmp_path / "marks").iterdir()]
        spawned = set(children(driver.pid)) | set(workers)  # workers, resource tracker
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        deadline = time.monotonic() + 10
        while any(alive(p) for p in spawned) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [p for p in spawned if alive(p)]
        for pid in left:  # do not leave them behind ourselves
            os.kill(pid, signal.SIGKILL)
        assert not left, f"processes outlived their killed driver: {left}"
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
