"""`--pack K` on the command line: a bounded integer, a one-line error otherwise, and a
packed run's rows say so."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from toytasks.cli import main


@pytest.mark.parametrize("value", ["0", "65", "two"])
def test_pack_out_of_range_is_refused_in_one_line(value):
    result = CliRunner().invoke(main, ["run", "--task", "cycle-pattern", "--pack", value,
                                       "--dry-run"])
    assert result.exit_code == 2
    assert "--pack" in result.output and "Traceback" not in result.output


def test_a_packed_and_an_unpacked_run_are_two_rows_and_the_packed_says_so(tmp_path):
    common = ["run", "--task", "cycle-pattern", "--arch", "gru", "--seeds", "2",
              "--max-depth", "1", "--width", "8", "--steps", "30", "-q", "--workers", "1",
              "--out", str(tmp_path / "out")]
    assert CliRunner().invoke(main, common).exit_code == 0
    result = CliRunner().invoke(main, [*common, "--pack", "2"])
    assert result.exit_code == 0, result.output
    assert "2 seeds packed per model" in result.output, result.output
    table = CliRunner().invoke(main, ["table", str(tmp_path / "out")]).output
    assert table.count("gru ") == 2  # two rows: packed trials are other trials
    assert table.count("seeds packed per model") == 1, table


def test_a_packed_sweep_says_so_in_its_caption(tmp_path):
    result = CliRunner().invoke(main, [
        "sweep", "--task", "cycle-pattern", "--arch", "gru", "--width", "8", "--seeds", "2",
        "--max-depth", "1", "--steps", "20", "--vary", "period_samples=4,6", "--pack", "2",
        "--workers", "1", "-q", "--out", str(tmp_path / "sweep")])
    assert result.exit_code == 0, result.output
    assert "2 seeds packed per model" in result.output
