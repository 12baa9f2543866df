"""The Python API: same validation, same folders and same tables as the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import results, tables
from tests.search_fakes import fake_train_from

import toytasks
from toytasks.cli import main
from toytasks.errors import ToytasksError
from toytasks.reading.summary import Row, receptive_field
from toytasks.running import runner as runner_module


def by_receptive_field(t) -> bool:
    from toytasks.training.train import make_generator

    rf = receptive_field(t.arch, t.depth, dict(t.arch_knobs))
    return rf is None or rf > make_generator(t).blind_samples


@pytest.fixture(autouse=True)
def fake_training(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "train", fake_train_from(by_receptive_field))


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), standalone_mode=False,
                                catch_exceptions=True)
    assert result.exception is None, result.output
    return result.stdout


def test_run_from_python_equals_the_command_line(tmp_path: Path) -> None:
    res = toytasks.run("cycle-pattern", ["cnn", "lstm"], knobs={"n_positive": 1,
                       "cnn.kernel": 5}, seeds=2, workers=1, out=tmp_path / "api")
    printed = cli("run", "--task", "cycle-pattern", "--arch", "cnn,lstm", "--set",
                  "n_positive=1", "--set", "cnn.kernel=5", "--seeds", "2", "--workers", "1",
                  "--out", str(tmp_path / "cli"), "-q")
    assert results(tmp_path / "api") == results(tmp_path / "cli")
    assert tables(tmp_path / "api") == tables(tmp_path / "cli")
    assert res.table() + "\n" == printed
    assert all(isinstance(row, Row) for row in res.rows)
    assert [r.arch_label for r in res.rows] == ["cnn@kernel=5", "lstm"]
    assert res.table(format="csv").splitlines()[0].startswith("task,knobs,arch,")


def test_load_records_and_pandas(tmp_path: Path) -> None:
    res = toytasks.run("cycle-pattern", "cnn", knobs={"n_positive": 1}, seeds=1, workers=1,
                       out=tmp_path)
    loaded = toytasks.load(tmp_path)
    assert loaded.table() == res.table()
    records = loaded.records()
    assert len(records) == res.rows[0].trials
    assert {"key", "arch", "depth", "seed", "result_status"} <= set(records[0])
    pd = pytest.importorskip("pandas")
    frame = loaded.to_pandas()
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(records)


def test_to_pandas_without_pandas_is_a_one_line_error(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    res = toytasks.run("cycle-pattern", "lstm", knobs={"n_positive": 1}, seeds=1, workers=1,
                       out=tmp_path)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ToytasksError, match="needs pandas"):
        res.to_pandas()


def test_sweep_from_python_equals_the_command_line(tmp_path: Path) -> None:
    res = toytasks.run_sweep("cycle-pattern", "cnn.kernel=3,5", "cnn,tcn",
                         knobs={"n_positive": 1}, seeds=1, workers=1, out=tmp_path / "api")
    printed = cli("sweep", "--task", "cycle-pattern", "--vary", "cnn.kernel=3,5", "--arch",
                  "cnn,tcn", "--set", "n_positive=1", "--seeds", "1", "--workers", "1",
                  "--out", str(tmp_path / "cli"), "-q")
    assert results(tmp_path / "api") == results(tmp_path / "cli")
    assert res.table() + "\n" == printed
    again = toytasks.run_sweep("cycle-pattern", "cnn.kernel=3,5", "cnn,tcn",  # resumes
                               knobs={"n_positive": 1}, seeds=1, workers=1,
                               out=tmp_path / "api")
    assert again.table() == res.table()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"seeds": 0}, "'seeds' must be an integer in [1, 1000]"),
    ({"min_depth": 5, "max_depth": 2}, "min-depth 5 is larger than max-depth 2"),
    ({"lr": 20.0}, "lr values must be in (0, 10]"),
    ({"knobs": {"cnn.kernel": 1}}, "out of range"),
    ({"rule": "cp95", "seeds": 3}, "at least 10 seeds"),
])
def test_bad_options_are_one_line_errors(kwargs, message, tmp_path: Path) -> None:
    with pytest.raises(ToytasksError) as err:
        toytasks.run("cycle-pattern", "cnn", out=tmp_path, **kwargs)
    assert message in str(err.value)
