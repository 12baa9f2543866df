"""CLI surface of the ablation work: the listing names each pair, run records diagnostics."""

from __future__ import annotations

import pytest

from toytasks.reading.store import ResultStore


def test_list_names_what_each_ablation_isolates(cli):
    proc = cli("list")
    assert proc.returncode == 0, proc.stderr
    for text in ("gated-cnn", "vs cnn: multiplicative gating", "res-cnn",
                 "vs cnn: residual connections", "res-lstm", "vs lstm: residual connections"):
        assert text in proc.stdout


@pytest.mark.slow
def test_run_with_diagnostics_and_a_finite_training_set(cli, tmp_path):
    out = tmp_path / "res"
    proc = cli("run", "--task", "cycle-pattern", "--arch", "res-cnn", "--max-depth", "1",
               "--seeds", "1", "--steps", "20", "--width", "8", "--workers", "1",
               "--diagnostics", "--train-size", "16", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "[1 done, 0 running]" in proc.stderr  # not a terminal: plain log lines
    (record,) = ResultStore(out, create=False).records()
    assert record.trial.diagnostics is True and record.trial.train_size == 16
    diag = record.result.diagnostics
    assert diag["layers"] == ["conv1", "head"] and diag["train_size"] == 16
    assert diag["gap"] == diag["train_metric"] - diag["test_metric"]
    quiet = cli("run", "--task", "cycle-pattern", "--arch", "res-cnn", "--max-depth", "1",
                "--seeds", "1", "--steps", "20", "--width", "8", "--workers", "1", "-q",
                "--diagnostics", "--train-size", "16", "--out", str(out))
    assert quiet.returncode == 0 and "done," not in quiet.stderr
