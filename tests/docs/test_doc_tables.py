"""Every results table pasted into README.md or docs/*.md is re-rendered from the committed
store it came from and compared with the doc text (issue 23): a figure in the docs cannot
drift from its store, and a renderer change shows up here. The blocks and their commands:
`python scripts/doc_tables.py --list`; `python scripts/doc_tables.py` rewrites them."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from tests.helpers import without_total_compute

ROOT = Path(__file__).resolve().parents[2]
# Written by scripts/publish_study.py from a study store, not pasted; the lead's report
# test covers it. Its tables are checked here too once they carry the markers.
GENERATED = {"docs/ecg-question.md"}
# The header every minimal-depth table of `toytasks table` / `run` starts with, in the
# pipe formats (github, markdown) and the plain-text ones (simple, plain).
RENDERED_HEADER = re.compile(r"^\s*(\|\s*)?arch\s*(\|\s*)?min depth\s*(\|\s*)?solved \[95% CI\]")
# Pasted tables whose results folder was never committed: the debt, named. A file leaves
# this list when its table is rerun into stores/ and put in a rendered block (the test
# below fails while a listed file has no such table left, so the list cannot go stale).
UNBACKED = {
    "docs/extending.md": "the example plugin's table; rerun: toytasks run --task "
                         "first-last-sign --arch mini-mixer,cnn,lstm --set seq_len_samples=8 "
                         "--seeds 1 --max-depth 6 --steps 600 --out stores/...",
}


def doc_tables():
    spec = importlib.util.spec_from_file_location("doc_tables", ROOT / "scripts" / "doc_tables.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["doc_tables"] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


TOOL = doc_tables()
BLOCKS = [b for path in TOOL.documents(ROOT) for b in TOOL.blocks(path)]


def test_the_docs_hold_rendered_blocks() -> None:
    """The marker parser finds the blocks (a regex that matched nothing would pass every
    comparison below vacuously)."""
    assert len(BLOCKS) >= 10
    assert {b.path.name for b in BLOCKS} >= {"sequence-models.md", "tasks.md", "ecg.md"}


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"{b.path.name}:{b.line}")
def test_a_doc_table_equals_its_store_rendered_now(block) -> None:
    """Only the caption's total compute may differ: it counts speculative trials too,
    which depend on the worker count of the run (tests.helpers.without_total_compute)."""
    fresh = TOOL.render(block.command, ROOT)
    assert fresh, f"'{block.command}' printed nothing"
    assert without_total_compute(block.body) == without_total_compute(fresh), (
        f"{block.path.relative_to(ROOT)}:{block.line} differs from `{block.command}`; "
        "rerender with `python scripts/doc_tables.py`")


def loose_tables() -> dict[str, list[int]]:
    """Lines of tables with the renderer's header outside every rendered block, per file."""
    loose: dict[str, list[int]] = {}
    for path in TOOL.documents(ROOT):
        name = str(path.relative_to(ROOT))
        if name in GENERATED:
            continue
        inside = [(b.line, b.end) for b in TOOL.blocks(path)]
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if RENDERED_HEADER.match(line) and not any(a < number < b for a, b in inside):
                loose.setdefault(name, []).append(number)
    return loose


def test_every_pasted_minimal_depth_table_sits_in_a_rendered_block() -> None:
    """A table with the renderer's header outside a block is a figure nobody re-renders;
    the only ones allowed are the named debts of UNBACKED, and each of those must still
    exist (a list of debts that were paid would hide new ones)."""
    loose = loose_tables()
    assert set(loose) == set(UNBACKED), (
        f"tables outside a '<!-- rendered: ... -->' block: {loose}; known unbacked: "
        f"{sorted(UNBACKED)}")


def test_the_header_pattern_sees_both_table_styles() -> None:
    assert RENDERED_HEADER.match("| arch   |   min depth |   solved [95% CI] |   best")
    assert RENDERED_HEADER.match("arch           min depth    solved [95% CI]  ...")
    assert not RENDERED_HEADER.match("| arch | min depth | median steps | best at depth 1 |")


def test_a_block_without_its_end_is_refused(tmp_path) -> None:
    page = tmp_path / "page.md"
    page.write_text("text\n<!-- rendered: toytasks table stores/x -->\n| arch |\n")
    with pytest.raises(SystemExit, match="without '<!-- /rendered -->'"):
        TOOL.blocks(page)


def test_rewriting_restores_a_stale_block(tmp_path) -> None:
    """The rewrite puts back exactly what the comparison expects, and touches nothing
    outside the block."""
    block = next(b for b in BLOCKS if b.command.startswith("toytasks table"))
    page = tmp_path / "page.md"
    page.write_text(f"before\n<!-- rendered: {block.command} -->\n\n| stale |\n\n"
                    f"{TOOL.END}\nafter\n")
    assert TOOL.rewrite(page) == 1
    (fresh,) = TOOL.blocks(page)
    assert fresh.body == TOOL.render(block.command, ROOT)
    lines = page.read_text().splitlines()
    assert lines[0] == "before" and lines[-1] == "after"
    assert TOOL.rewrite(page) == 0


def test_a_code_block_is_compared_without_its_fence_and_rewritten_with_it(tmp_path) -> None:
    block = next(b for b in BLOCKS if b.command.startswith("toytasks table"))
    page = tmp_path / "page.md"
    page.write_text(f"<!-- rendered: {block.command} -->\n\n```\nstale\n```\n\n{TOOL.END}\n")
    (stale,) = TOOL.blocks(page)
    assert stale.fenced and stale.body == "stale"
    TOOL.rewrite(page)
    (fresh,) = TOOL.blocks(page)
    assert fresh.fenced and fresh.body == TOOL.render(block.command, ROOT)
    assert page.read_text().count("```") == 2
