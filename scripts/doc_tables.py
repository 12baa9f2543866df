"""Results tables in the docs, re-rendered from the committed stores they came from.

A table pasted into README.md or docs/*.md sits between two HTML comments (invisible on
GitHub) that name the command rendering it from a committed store:

    <!-- rendered: toytasks table stores/architectures/selective-copy --format github -->
    | arch | ... |
    ...caption line...
    <!-- /rendered -->

A block may also be a code block (```...```) holding a plain-text table; the fence is kept.

The command is `toytasks ...` or `python scripts/NAME.py ...`, run in-process from the
repository root. `tests/docs/test_doc_tables.py` re-renders every block and compares; this
script rewrites the blocks in place after a store or the renderer changed:

    python scripts/doc_tables.py            # rewrite every block
    python scripts/doc_tables.py --list     # the blocks and their commands
"""

from __future__ import annotations

import contextlib
import io
import re
import runpy
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN = re.compile(r"^<!-- rendered: (?P<command>.+?) -->$")
END = "<!-- /rendered -->"


@dataclass(frozen=True)
class Block:
    """One rendered block: its command and the doc text between the two comments."""

    path: Path
    line: int  # 1-based line of the opening comment
    end: int  # 1-based line of the closing comment
    command: str
    body: str  # without the code fence, where the block is one (```...```)
    fenced: bool = False


def documents(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """Every rendered block of one document; an opening comment without its end is an
    error, so that a block cannot silently swallow the rest of a page."""
    lines = path.read_text().splitlines()
    out, i = [], 0
    while i < len(lines):
        match = BEGIN.match(lines[i].strip())
        if match:
            try:
                end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == END)
            except StopIteration:
                raise SystemExit(f"{path}:{i + 1}: '<!-- rendered: ... -->' without "
                                 f"'{END}'") from None
            body = "\n".join(lines[i + 1:end]).strip("\n")
            fenced = body.startswith("```") and body.endswith("```") and "\n" in body
            if fenced:  # a table in plain-text format shown as a code block
                body = body.split("\n", 1)[1].rsplit("\n", 1)[0]
            out.append(Block(path, i + 1, end + 1, match["command"], body, fenced))
            i = end
        i += 1
    return out


def render(command: str, root: Path = ROOT) -> str:
    """What the command prints (stdout), run in-process in the repository root."""
    argv = shlex.split(command)
    out = io.StringIO()
    with contextlib.chdir(root):
        if argv[0] == "toytasks":
            from click.testing import CliRunner

            from toytasks.cli.common import main
            result = CliRunner().invoke(main, argv[1:], catch_exceptions=False)
            if result.exit_code != 0:
                raise SystemExit(f"'{command}' exited {result.exit_code}: {result.output}")
            text = result.stdout
        elif argv[:1] == ["python"] and len(argv) > 1 and argv[1].startswith("scripts/"):
            saved = sys.argv
            sys.argv = argv[1:]
            try:
                with contextlib.redirect_stdout(out):
                    runpy.run_path(str(root / argv[1]), run_name="__main__")
            finally:
                sys.argv = saved
            text = out.getvalue()
        else:
            raise SystemExit(f"cannot render '{command}': not `toytasks ...` nor "
                             "`python scripts/...`")
    return text.strip("\n")


def rewrite(path: Path) -> int:
    """Re-render every block of one document in place; the number of blocks changed."""
    lines = path.read_text().splitlines()
    changed = 0
    for block in reversed(blocks(path)):  # from the bottom: earlier line numbers hold
        fresh = render(block.command)
        if fresh != block.body:
            fence = ["```"] if block.fenced else []
            lines[block.line:block.end - 1] = ["", *fence, *fresh.splitlines(), *fence, ""]
            changed += 1
    if changed:
        path.write_text("\n".join(lines) + "\n")
    return changed


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    for path in documents():
        for block in blocks(path):
            if "--list" in args:
                print(f"{path.relative_to(ROOT)}:{block.line}: {block.command}")
        if "--list" not in args:
            n = rewrite(path)
            if n:
                print(f"{path.relative_to(ROOT)}: {n} block(s) re-rendered")


if __name__ == "__main__":
    main()
