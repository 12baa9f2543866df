"""Every option a user can type is documented: each command's long option appears in the
README or docs/ (the brief: "every command and knob a user can type is documented")."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from toytasks.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = "\n".join(p.read_text(encoding="utf-8")
                 for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])


def options() -> list[tuple[str, str]]:
    found = []
    for name, command in sorted(main.commands.items()):
        for param in command.params:
            if isinstance(param, click.Option):
                found += [(name, opt) for opt in param.opts if opt.startswith("--")
                          and opt != "--help"]
    return found


@pytest.mark.parametrize(("command", "option"), options())
def test_every_option_is_documented(command: str, option: str) -> None:
    assert f"{option}" in DOCS, f"`toytasks {command} {option}` is not in README.md or docs/"


def test_every_command_is_documented() -> None:
    missing = [name for name in main.commands if f"toytasks {name}" not in DOCS]
    assert not missing
