"""Regression check: baseline round trip, readable diffs naming the cell, tolerances, exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toytasks.errors import ToytasksError
from toytasks.reading.baselines import compare, compare_cell, load_baseline

DATA = Path(__file__).resolve().parents[1] / "data"
FIXTURE_STORE = DATA / "store"  # 24 real trial records (cycle-pattern, xor-products)



def write_fixture_baseline(tmp_path: Path, cli_in_process) -> Path:
    path = tmp_path / "baseline.json"
    code, _, err = cli_in_process("baseline", str(FIXTURE_STORE), "--write", str(path))
    assert code == 0, err
    assert "6 cell(s) in 3 table(s)" in err
    return path


def edit_cell(path: Path, task: str, arch: str, **values: object) -> None:
    data = json.loads(path.read_text())
    for table in data["tables"]:
        if table["task"] == task and arch in table["cells"]:
            table["cells"][arch].update(values)
    path.write_text(json.dumps(data, indent=2))


def test_baseline_is_small_sorted_json_and_the_store_matches_it(tmp_path: Path,
                                                                cli_in_process) -> None:
    path = write_fixture_baseline(tmp_path, cli_in_process)
    data = json.loads(path.read_text())
    # the fixture's runs recorded rule majority (see the cp95 tests below for another rule)
    assert data["format"] == "toytasks-baseline/1" and data["rule"] == "majority"
    assert path.read_text() == json.dumps(data, indent=2, sort_keys=True) + "\n"
    cells = {(t["task"], arch): c for t in data["tables"] for arch, c in t["cells"].items()}
    assert cells[("cycle-pattern", "tcn")] == {"minimal_depth": 4, "max_depth_tried": 4,
                                               "successes": 2, "seeds": 2}
    assert cells[("xor-products", "cnn")]["minimal_depth"] is None
    assert len(path.read_text().splitlines()) < 200  # reviewable: not the raw store
    code, out, _ = cli_in_process("check", str(FIXTURE_STORE), "--baseline", str(path))
    assert code == 0 and "all 6 cell(s) match" in out


def test_check_fails_with_a_diff_that_names_the_moved_cell(tmp_path: Path, cli_in_process) -> None:
    path = write_fixture_baseline(tmp_path, cli_in_process)
    edit_cell(path, "cycle-pattern", "tcn", minimal_depth=3)
    edit_cell(path, "cycle-pattern", "lstm", successes=1, seeds=3)
    code, out, _ = cli_in_process("check", str(FIXTURE_STORE), "--baseline", str(path))
    assert code == 1
    assert "2 finding(s) changed" in out and "4 cell(s) match" in out
    assert ("cycle-pattern (jitter=0.1, n_positive=3, noise_std=0.1, period_samples=6, "
            "prefix_cycles=1) tcn: min depth 3 -> 4") in out
    assert "lstm: solved 1/3 -> 2/2" in out
    assert "toytasks baseline" in out  # says how to accept an intended change


def test_tolerances_are_explicit_and_default_exact(tmp_path: Path, cli_in_process) -> None:
    path = write_fixture_baseline(tmp_path, cli_in_process)
    edit_cell(path, "cycle-pattern", "tcn", minimal_depth=5)
    args = ("check", str(FIXTURE_STORE), "--baseline", str(path))
    assert cli_in_process(*args)[0] == 1
    assert cli_in_process(*args, "--depth-tolerance", "1")[0] == 0
    edit_cell(path, "cycle-pattern", "gru", successes=1)  # 1/2 -> 2/2: one success more
    assert cli_in_process(*args, "--depth-tolerance", "1")[0] == 1
    assert cli_in_process(*args, "--depth-tolerance", "1", "--success-tolerance", "1")[0] == 0


def test_solved_versus_unsolved_is_a_change_whatever_the_tolerance() -> None:
    old = {"minimal_depth": None, "max_depth_tried": 4, "successes": 0, "seeds": 2}
    new = {"minimal_depth": 4, "max_depth_tried": 4, "successes": 2, "seeds": 2}
    assert compare_cell(old, new, depth_tolerance=10, success_tolerance=10) == [
        "min depth > 4 -> 4"]
    deeper = {**old, "max_depth_tried": 6}
    assert compare_cell(old, deeper) == ["min depth > 4 -> > 6"]
    assert compare_cell(old, old) == []


def test_missing_new_and_reconfigured_cells_are_reported(tmp_path: Path, cli_in_process) -> None:
    path = write_fixture_baseline(tmp_path, cli_in_process)
    data = load_baseline(path)
    from toytasks.reading.store import ResultStore
    from toytasks.reading.summary import summarise

    rows = summarise(ResultStore(FIXTURE_STORE, create=False).records())
    xor = next(t for t in data["tables"] if t["task"] == "xor-products")
    xor["cells"]["gru"] = dict(xor["cells"]["cnn"])  # in the baseline, not in the results
    del xor["cells"]["lstm"]  # in the results, not in the baseline
    cycle = next(t for t in data["tables"] if t["config"]["knobs"]["period_samples"] == 6)
    cycle["config"]["max_steps"] = 500  # the budget changed since the baseline was made
    findings, matched = compare(data, rows)
    text = "\n".join(str(f) for f in findings)
    assert "xor-products (n_products=1, seq_len_samples=8) gru: missing from the results" in text
    assert "xor-products (n_products=1, seq_len_samples=8) lstm: not in the baseline" in text
    assert "tcn: configuration changed (max_steps 500 -> 1000); finding unchanged" in text
    assert len(findings) == 5 and matched == 2


@pytest.mark.parametrize(("content", "message"), [
    (None, "not found"),
    ("{not json", "not valid JSON"),
    ('{"format": "other"}', "not a toytasks baseline"),
    ('{"format": "toytasks-baseline/1", "tables": [{"task": "t", "config": {}, '
     '"cells": {"cnn": {"minimal_depth": 1}}}]}', "cells.cnn needs"),
])
def test_a_bad_baseline_is_a_one_line_error_with_exit_2(tmp_path: Path, cli_in_process,
                                                         content, message) -> None:
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ToytasksError, match=message):
        load_baseline(path)
    code, out, err = cli_in_process("check", str(FIXTURE_STORE), "--baseline", str(path))
    assert code == 2 and out == "" and err.startswith("toytasks: error:") and message in err
    assert len(err.strip().splitlines()) == 1


def test_check_of_a_folder_without_results_exits_2(tmp_path: Path, cli_in_process) -> None:
    path = write_fixture_baseline(tmp_path, cli_in_process)
    code, _, err = cli_in_process("check", str(tmp_path / "none"), "--baseline", str(path))
    assert code == 2 and "holds no results" in err


def store_with_rule(tmp_path: Path, rule: str, task: str | None = None) -> Path:
    """The fixture store with the recorded solve rule changed (for ``task`` only, if given)."""
    folder = tmp_path / f"store-{rule}-{task}"
    folder.mkdir()
    lines = []
    for line in (FIXTURE_STORE / "trials.jsonl").read_text().splitlines():
        record = json.loads(line)
        if task is None or record["trial"]["task"] == task:
            record["search"]["rule"] = rule
        lines.append(json.dumps(record, sort_keys=True))
    (folder / "trials.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_the_baseline_records_the_rule_the_results_were_decided_by(tmp_path: Path,
                                                                  cli_in_process) -> None:
    cp95 = store_with_rule(tmp_path, "cp95")
    path = tmp_path / "cp95.json"
    assert cli_in_process("baseline", str(cp95), "--write", str(path))[0] == 0
    data = json.loads(path.read_text())
    assert data["rule"] == "cp95"
    assert all("rule" not in c for t in data["tables"] for c in t["cells"].values())
    code, out, _ = cli_in_process("check", str(cp95), "--baseline", str(path))
    assert code == 0 and "all 6 cell(s) match" in out


def test_cp95_results_checked_against_a_majority_baseline_are_flagged(tmp_path: Path,
                                                                     cli_in_process) -> None:
    path = write_fixture_baseline(tmp_path, cli_in_process)  # majority
    cp95 = store_with_rule(tmp_path, "cp95")
    code, out, _ = cli_in_process("check", str(cp95), "--baseline", str(path),
                                  "--depth-tolerance", "256", "--success-tolerance", "1000")
    assert code == 1 and "6 finding(s) changed" in out
    assert out.count("solve rule majority -> cp95") == 6
    assert ("cycle-pattern (jitter=0.1, n_positive=3, noise_std=0.1, period_samples=6, "
            "prefix_cycles=1) tcn: solve rule majority -> cp95") in out


def test_a_folder_with_two_rules_keeps_each_cells_rule(tmp_path: Path, cli_in_process) -> None:
    mixed = store_with_rule(tmp_path, "cp95", task="xor-products")
    path = tmp_path / "mixed.json"
    assert cli_in_process("baseline", str(mixed), "--write", str(path))[0] == 0
    data = json.loads(path.read_text())
    rules = {(t["task"], arch): c.get("rule") for t in data["tables"]
             for arch, c in t["cells"].items()}
    assert data["rule"] == "majority"  # 4 of 6 cells
    assert {k: v for k, v in rules.items() if v} == {("xor-products", "cnn"): "cp95",
                                                     ("xor-products", "lstm"): "cp95"}
    assert cli_in_process("check", str(mixed), "--baseline", str(path))[0] == 0
    code, out, _ = cli_in_process("check", str(FIXTURE_STORE), "--baseline", str(path))
    assert code == 1 and out.count("solve rule cp95 -> majority") == 2
