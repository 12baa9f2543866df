"""scripts/publish_study.py: the docs page of a study's report, headed by how it was made."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "data" / "study"


def publish():
    spec = importlib.util.spec_from_file_location("publish_study",
                                                  ROOT / "scripts" / "publish_study.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_states_the_command_runtime_and_commit_and_links_its_figures(tmp_path):
    pytest.importorskip("matplotlib")
    study = tmp_path / "study"
    shutil.copytree(FIXTURE, study)
    info = {"command": "toytasks study ecg-question --profile paper --workers 2 --out X -q",
            "seconds": 563, "commit": "abc1234", "date": "2026-12-01",
            "machine": "2 CPU cores"}
    (study / "publish.json").write_text(json.dumps(info))
    doc = tmp_path / "docs" / "page.md"
    doc.parent.mkdir()
    publish().main(["--no-run", "--out", str(study), "--doc", str(doc)])
    text = doc.read_text()
    head = text.split("## Verdicts")[0]
    assert f"`{info['command']}`" in head and "563 s (9 min 23 s)" in head
    assert "`abc1234`" in head and "2 CPU cores" in head
    links = [line.split("](")[1].rstrip(")") for line in text.splitlines()
             if line.startswith("![")]
    assert links and all(link.startswith("page/figures/") for link in links)
    assert all((doc.parent / link).is_file() for link in links)
    assert not (doc.parent / "page" / "report.md").exists()


def test_a_timed_run_refuses_a_folder_that_holds_results(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(FIXTURE, study)
    with pytest.raises(SystemExit, match="not empty"):
        publish().main(["--out", str(study), "--doc", str(tmp_path / "x.md")])
