"""`toytasks sweep` and the search options of `toytasks run`, with training faked."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.search_fakes import fake_train_from

from toytasks.cli import main
from toytasks.errors import ToytasksError
from toytasks.running import runner as runner_module
from toytasks.running.sweep import parse_vary


def by_receptive_field(t) -> bool:
    """Solved once the model sees past the blind window (what the theory predicts).

    This fake trainer *encodes* the receptive-field theory, so the sweep table below shows
    that theory by construction: these tests check the plumbing (values, columns, bounds,
    caption), not the claim. The claim is measured with real training in
    tests/running/test_findings.py (test_a_span_sweep_moves_the_cnn_depth_with_its_bound_
    and_not_the_lstm, and the flagship test there)."""
    from toytasks.models import ARCHITECTURES
    from toytasks.training.train import make_generator

    rf = ARCHITECTURES[t.arch].receptive_field(t.depth)
    return rf is None or rf > make_generator(t).blind_samples


def invoke(args: list[str]):
    result = CliRunner().invoke(main, args, standalone_mode=False, catch_exceptions=True)
    return result


def test_sweep_table(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(runner_module, "train", fake_train_from(by_receptive_field))
    result = invoke(["sweep", "--task", "cycle-pattern", "--vary", "period_samples=4,8,16",
                     "--set", "n_positive=1", "--arch", "cnn,tcn,lstm", "--seeds", "1",
                     "--workers", "1", "--max-depth", "12", "--out", str(tmp_path), "-q"])
    assert result.exception is None, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["arch", "period_samples=4", "period_samples=8",
                                "period_samples=16"]
    cells = {line.split()[0]: line for line in lines[2:]}
    # blind windows 4, 7, 14 samples: cnn needs 1 + 2d > blind, tcn 2**(d+1) - 1 > blind
    assert cells["cnn"].split()[1::3] == ["2", "4", "7"]
    assert cells["tcn"].split()[1::3] == ["2", "3", "3"]
    assert cells["lstm"].split()[1::3] == ["1", "1", "1"]
    rows = {line[:16].strip(): line[16:].split() for line in lines[2:]}
    assert rows["RF bound cnn"] == [">=", "2", ">=", "4", ">=", "7"]
    assert rows["RF bound tcn"] == [">=", "2", ">=", "3", ">=", "3"]
    assert rows["blind window"] == ["4", "7", "14"]
    assert "cycle-pattern sweep over period_samples" in result.output


def test_sweep_rf_bound_row_says_n_a_where_the_task_has_no_blind_window(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(runner_module, "train", fake_train_from(by_receptive_field))
    result = invoke(["sweep", "--task", "xor-products", "--vary", "n_products=1,2",
                     "--arch", "cnn,lstm", "--seeds", "1", "--workers", "1", "--max-depth",
                     "6", "--out", str(tmp_path), "-q"])
    assert result.exception is None, result.output
    lines = result.stdout.splitlines()
    rows = {line[:16].strip(): line[16:].split() for line in lines[2:]}
    assert rows["blind window"] == ["7", "0"]  # seq_len_samples 8: one product, then none
    assert rows["RF bound cnn"] == [">=", "4", "n/a"]


@pytest.mark.parametrize(("args", "message"), [
    (["--vary", "period_samples"], "--vary expects KNOB=v1,v2"),
    (["--vary", "periods=4,8"], "unknown knob 'periods'"),
    (["--vary", "period_samples=4,2"], "out of range"),
    (["--vary", "period_samples=4,4"], "lists a value twice"),
    (["--vary", "period_samples=4,8", "--set", "period_samples=6"], "both varied"),
    (["--vary", "period_samples=4,8", "--rule", "cp95", "--seeds", "3"], "at least 10 seeds"),
    (["--vary", "period_samples=4,8", "--width", "8", "--match-params", "900"], "exclude"),
])
def test_sweep_errors_are_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    result = invoke(["sweep", "--task", "cycle-pattern", "--out", str(tmp_path), *args])
    assert isinstance(result.exception, ToytasksError)
    assert message in str(result.exception)


def test_parse_vary() -> None:
    assert parse_vary("period_samples=4, 8,16") == ("period_samples", ["4", "8", "16"])


def test_run_exhaustive_and_rule_options(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    monkeypatch.setattr(runner_module, "train", fake_train_from(by_receptive_field))
    result = invoke(["run", "--task", "cycle-pattern", "--set", "n_positive=1,period_samples=4",
                     "--arch", "cnn", "--seeds", "10", "--rule", "cp95", "--exhaustive",
                     "--max-depth", "4", "--workers", "1", "--out", str(tmp_path), "-q"])
    assert result.exception is None, result.output
    # every seed of an exhaustive grid is counted, and the caption says so (issue 14)
    assert "rule cp95 (every seed trained and counted), exhaustive search" in result.output
    assert "10/10 [0.69-1.00]" in result.output
    table = invoke(["table", str(tmp_path)])
    assert table.stdout == result.stdout
