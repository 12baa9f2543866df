"""The command line, as a user types it: one-line errors, exit codes, a real small run."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize(("args", "fragment"), [
    (["run", "--task", "nope"], "unknown task 'nope' (valid: "),
    (["run", "--task", "cycle-pattern", "--arch", "lstm,resnet"], "unknown architecture"),
    (["run", "--task", "cycle-pattern", "--set", "period_samples"], "key=value"),
    (["run", "--task", "cycle-pattern", "--set", "period_samples=1"], "out of range"),
    (["run", "--task", "cycle-pattern", "--set", "colour=red"], "unknown knob 'colour'"),
    (["run", "--task", "cycle-pattern", "--seeds", "0"], "--seeds"),
    (["run", "--task", "cycle-pattern", "--lr", "fast"], "--lr"),
    (["run", "--task", "cycle-pattern", "--min-depth", "5", "--max-depth", "2"], "larger"),
    (["run", "--task", "cycle-pattern", "--device", "tpu"], "unknown device"),
    (["run"], "--task"),
    (["frobnicate"], "No such command"),
    (["table", "/nonexistent/folder"], "holds no results"),
])
def test_bad_input_is_one_line_exit_2_no_traceback(cli, args, fragment):
    proc = cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("toytasks: error:"), proc.stderr
    assert fragment in lines[0]


def test_list_shows_tasks_knobs_and_architectures(cli):
    proc = cli("list")
    assert proc.returncode == 0
    for word in ("cycle-pattern", "copy-memory", "xor-products", "period_samples",
                 "lag_steps", "n_products", "cnn", "tcn", "lstm", "transformer"):
        assert word in proc.stdout


def test_small_run_prints_a_table_and_stores_every_trial(cli, tmp_path):
    out = tmp_path / "res"
    proc = cli("run", "--task", "cycle-pattern", "--arch", "tcn,lstm", "--seeds", "1",
               "--max-depth", "4", "--steps", "300", "--workers", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stderr            # the results folder is named on stderr
    rows = {line.split()[0]: line.split() for line in proc.stdout.splitlines()
            if line.split() and line.split()[0] in ("tcn", "lstm")}
    assert rows["lstm"][1] == "1" and rows["tcn"][1] == "4"
    records = [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]
    assert {r["trial"]["arch"] for r in records} == {"tcn", "lstm"}
    assert all(r["trial"]["knobs"]["period_samples"] == 6 for r in records)
    # re-rendering from the store gives the same table; rerunning trains nothing new
    assert cli("table", str(out)).stdout == proc.stdout
    again = cli("run", "--task", "cycle-pattern", "--arch", "tcn,lstm", "--seeds", "1",
                "--max-depth", "4", "--steps", "300", "--workers", "1", "--out", str(out))
    assert again.stdout == proc.stdout and "reused" in again.stderr
    assert len((out / "trials.jsonl").read_text().splitlines()) == len(records)
