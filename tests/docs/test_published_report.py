"""docs/ecg-question.md is re-rendered from its committed store (stores/ecg-question-paper)
and compared with the page (issue 23: every verdict and table of the report traces to a
store): a renderer or rule change that moves a verdict, a cell or a line of the published
report fails here until the page is regenerated (`python scripts/publish_study.py --no-run
--out stores/ecg-question-paper`)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from tests.helpers import without_total_compute

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "stores" / "ecg-question-paper"
PAGE = ROOT / "docs" / "ecg-question.md"


def publish_study():
    spec = importlib.util.spec_from_file_location("publish_study",
                                                  ROOT / "scripts" / "publish_study.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["publish_study"] = module
    spec.loader.exec_module(module)
    return module


def comparable(text: str) -> list[str]:
    """The page's lines, less the caption's total compute (it counts speculative trials,
    which depend on the worker count)."""
    return [without_total_compute(line) for line in text.splitlines()]


@pytest.mark.slow
def test_the_published_report_rerenders_from_its_store(tmp_path: Path) -> None:
    page = tmp_path / "ecg-question.md"
    pytest.importorskip("matplotlib")  # the page links its figures; the render draws them
    publish_study().main(["--no-run", "--out", str(STORE), "--doc", str(page)])
    assert comparable(page.read_text()) == comparable(PAGE.read_text())
