"""The example plugin package (examples/toytasks-example-plugin, installed by `make setup`)
end to end: listed, trained, audited, and run on a Dask cluster."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tests.helpers import results

pytest.importorskip("toytasks_example", reason="run `make setup`: it installs the example plugin")

RUN = ["run", "--task", "first-last-sign", "--set", "seq_len_samples=6", "--arch",
       "mini-mixer,cnn", "--seeds", "1", "--max-depth", "4", "--steps", "400", "-q"]


def test_list_shows_the_plugins_and_where_they_come_from(cli_in_process):
    code, out, _ = cli_in_process("list")
    assert code == 0
    assert "first-last-sign: do the first and the last sign agree?" in out
    assert "[plugin toytasks_example.tasks:FirstLastSign toytasks-example-plugin==0.1.0 src=" \
        in out  # an editable install: its source hash too
    line = next(x for x in out.splitlines() if x.strip().startswith("mini-mixer"))
    assert "4, 7, 10, 13" in line and "kernel=4 (int in [2, 64])" in line
    assert "plugin toytasks_example.models:MiniMixer toytasks-example-plugin==0.1.0" in line


def stored(folder: Path) -> list[dict]:
    return [json.loads(line)["trial"] for line in
            (folder / "trials.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_the_plugin_trains_and_its_origin_is_in_the_identity(cli_in_process, tmp_path):
    code, out, err = cli_in_process(*RUN, "--workers", "2", "--out", str(tmp_path))
    assert code == 0, err
    assert "mini-mixer" in out and "cnn" in out
    assert re.search(r"mini-mixer = plugin toytasks_example\.models:MiniMixer "
                     r"toytasks-example-plugin==0\.1\.0 src=[0-9a-f]{12} \(FLOPs measured "
                     r"with torch's FLOP counter\)", out)
    assert "task plugin toytasks_example.tasks:FirstLastSign" in out
    trials = stored(tmp_path)
    # an editable install: the version and a hash of the package's modules (code identity)
    (task_origin,) = {t["task_plugin"] for t in trials}
    assert re.fullmatch(r"toytasks_example\.tasks:FirstLastSign "
                        r"toytasks-example-plugin==0\.1\.0 src=[0-9a-f]{12}", task_origin)
    (arch_origin,) = {t.get("arch_plugin", "") for t in trials if t["arch"] == "mini-mixer"}
    assert arch_origin.startswith("toytasks_example.models:MiniMixer "
                                  "toytasks-example-plugin==0.1.0 src=")
    assert arch_origin.split("src=")[1] == task_origin.split("src=")[1]  # one package
    assert all("arch_plugin" not in t for t in trials if t["arch"] == "cnn")


@pytest.mark.slow
def test_the_plugin_runs_on_dask_workers_with_the_same_results(cli_in_process, tmp_path):
    pytest.importorskip("distributed")
    code, _, err = cli_in_process(*RUN, "--workers", "2", "--out", str(tmp_path / "local"))
    assert code == 0, err
    code, _, err = cli_in_process(*RUN, "--workers", "2", "--executor", "dask",
                                  "--out", str(tmp_path / "dask"))
    assert code == 0, err
    assert results(tmp_path / "dask") == results(tmp_path / "local")
    assert all(r["status"] != "error" for r in results(tmp_path / "dask").values())


@pytest.mark.slow
def test_the_example_task_passes_the_audit(cli_in_process):
    code, out, _ = cli_in_process("audit", "--task", "first-last-sign")
    assert code == 0, out
    assert "first-last-sign: pass" in out
