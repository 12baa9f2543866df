"""The Python API checks its arguments like the command line checks its options (issue 22):
a bad argument is one ``ToytasksError`` raised before anything is written, and a run that
is refused after its folder was made leaves no folder behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.search_fakes import fake_train_from

import toytasks
from toytasks.errors import ToytasksError
from toytasks.running import runner as runner_module

BAD_ARGUMENTS = [
    # raised TypeError or AttributeError from deep inside before
    ({"seed": 3}, "unknown option 'seed' (valid: "),
    ({"task": 123}, "task must be a task name, a .toml path or a TaskSpec, got 123"),
    ({"lr": "fast"}, "lr must be a number or a list of numbers, got 'fast'"),
    ({"lr": [0.01, "x"]}, "lr must be a number or a list of numbers, got [0.01, 'x']"),
    ({"workers": 1.5}, "'workers' must be an integer in [1, 256], got 1.5"),
    ({"progress": 5}, "progress must be a callable that takes each progress event, got 5"),
    # were accepted silently before
    ({"workers": 0}, "'workers' must be an integer in [1, 256], got 0"),
    ({"workers": -3}, "'workers' must be an integer in [1, 256], got -3"),
    ({"executor": "x"}, "executor must be one of local, dask, got 'x'"),
    ({"diagnostics": "no"}, "diagnostics must be True or False, got 'no'"),
    # left a results folder behind before
    ({"search": "x"}, "search must be one of adaptive, linear, exhaustive, got 'x'"),
    # the same rules for the other arguments
    ({"rule": "strict"}, "rule must be one of majority, cp95, got 'strict'"),
    ({"arch": 5}, "arch must be a string or a list of strings, got 5"),
    ({"knobs": ["n_positive"]}, "knobs must be a dict of knob names to values"),
    ({"device": 0}, "device must be a string, got 0"),
    ({"out": 3}, "out must be a folder path, got 3"),
    ({"train_size": True}, "'train_size' must be an integer in [0, 10000000], got True"),
    ({"workers_per_device": 0}, "'workers_per_device' must be an integer in [1, 256], got 0"),
    ({"gpu_memory_fraction": "half"}, "gpu_memory_fraction must be a number in (0, 1]"),
    ({"scheduler": "tcp://127.0.0.1:8786"}, "scheduler needs executor dask"),
    ({"device": "gpu"}, "unknown device 'gpu' (valid: cpu, cuda, cuda:N)"),
    ({"min_depth": 4, "max_depth": 2}, "min-depth 4 is larger than max-depth 2"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_ARGUMENTS)
def test_a_bad_argument_is_one_error_and_writes_nothing(
        kwargs, message, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default results folder would be made here
    call = {"task": "cycle-pattern", "arch": "cnn", "seeds": 1, **kwargs}
    with pytest.raises(ToytasksError) as err:
        toytasks.run(**call)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"search": "x"}, "search must be one of"),
    ({"workers": 0}, "'workers' must be an integer"),
    ({"progress": "yes"}, "progress must be a callable"),
    ({"vary": 3}, 'vary must be a string "KNOB=v1,v2,...", got 3'),
    ({"vary": "cnn.kernel=3,99"}, "out of range"),  # every value, before any folder
])
def test_a_sweep_checks_its_arguments_the_same_way(
        kwargs, message, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    call = {"task": "cycle-pattern", "vary": "n_positive=1,2", "arch": "cnn", **kwargs}
    with pytest.raises(ToytasksError) as err:
        toytasks.run_sweep(**call)
    assert message in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_good_arguments_in_every_accepted_form_run(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A tuple of archs, one lr as an int, a Path, a single tasks folder as a string."""
    monkeypatch.setattr(runner_module, "train", fake_train_from(lambda t: t.depth >= 2))
    res = toytasks.run("cycle-pattern", ("cnn",), lr=1, out=tmp_path / "r", seeds=1,
                       max_depth=3, workers=1, tasks_dir=str(tmp_path), diagnostics=False,
                       progress=lambda _: None)
    assert [r.minimal_depth for r in res.rows] == [2]
    assert {r["lr"] for r in res.records()} == {1.0}


def test_a_run_refused_after_its_folder_was_made_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-flight check refuses a model that sees the future once the folder exists:
    before, an empty results/<task>-<stamp>/ with its .lock stayed behind."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ToytasksError, match="is not causal"):
        toytasks.run("cycle-pattern", "tests.plugin_fixtures:Peeker", seeds=1, workers=1)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ToytasksError, match="is not causal"):  # a new --out, nested
        toytasks.run("cycle-pattern", "tests.plugin_fixtures:Peeker", seeds=1, workers=1,
                     out=tmp_path / "a" / "b")
    assert list(tmp_path.iterdir()) == []


def test_a_refusal_keeps_a_folder_that_was_there(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "train", fake_train_from(lambda t: True))
    toytasks.run("cycle-pattern", "cnn", seeds=1, max_depth=1, workers=1, out=tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ToytasksError, match="is not causal"):
        toytasks.run("cycle-pattern", "tests.plugin_fixtures:Peeker", seeds=1, workers=1,
                     out=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert len(toytasks.load(tmp_path).records()) == 1


def test_the_command_line_leaves_nothing_after_a_refusal(tmp_path: Path, cli_in_process,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli_in_process("run", "--task", "cycle-pattern", "--arch",
                                    "tests.plugin_fixtures:Peeker", "--seeds", "1",
                                    "--workers", "1")
    assert code == 2 and "is not causal" in err.splitlines()[-1] and out == ""
    assert list(tmp_path.iterdir()) == []
