"""Shared test helpers: the committed results fixture and an in-process CLI runner."""

from __future__ import annotations

import shutil
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from toytasks.cli import entry

DATA = Path(__file__).parent / "data"
FIXTURE_STORE = DATA / "store"  # 24 real trial records (cycle-pattern, xor-products)
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def store_copy(tmp_path: Path) -> Path:
    """A writable copy of the committed fixture store."""
    target = tmp_path / "store"
    shutil.copytree(FIXTURE_STORE, target)
    return target


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
        ) -> Callable[..., tuple[int, str, str]]:
    """Run `toytasks ARGS` in this process through ``entry()``: (exit code, stdout, stderr)."""

    # entry() installs a one-line warning format: restore it after the test
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["toytasks", *args])
        capsys.readouterr()
        try:
            entry()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return run
