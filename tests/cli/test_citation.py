"""CITATION.cff stays in step with the package version (a cited version must exist)."""

from __future__ import annotations

import re
from pathlib import Path

from toytasks import __version__

ROOT = Path(__file__).resolve().parents[2]


def test_citation_file_names_the_current_version_and_required_fields() -> None:
    text = (ROOT / "CITATION.cff").read_text()
    fields = dict(re.findall(r"^([a-z-]+):\s*(.*)$", text, flags=re.MULTILINE))
    assert fields["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "version", "license"):
        assert key in fields, key
    assert fields["version"] == __version__
