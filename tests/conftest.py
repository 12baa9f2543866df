"""Shared fixtures: small specs and a CLI runner that behaves like the installed command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `python -m toytasks ARGS` in a subprocess, exactly as a user would."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "toytasks", *args], capture_output=True, text=True,
        cwd=cwd or ROOT, timeout=timeout, env=full_env, check=False,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def cli_in_process(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch):
    """`toytasks ARGS` through ``entry()`` in this process (fast; for many small calls):
    returns (exit code, stdout, stderr)."""
    import warnings

    from toytasks.cli import entry

    # entry() installs a one-line warning format: restore it after the test
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            entry(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def pytest_collection_modifyitems(config, items):
    """Slow tests first (a stable sort, otherwise in collection order): with `make test`'s
    `-n auto --dist worksteal`, the longest tests start at once on every worker and the
    short ones fill in behind them, instead of one slow test starting last and holding the
    whole run (the flagship finding alone takes 1.5-3 minutes). Order never changes a
    result: every test is independent."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
