"""Architecture knobs and plugins in runs: the syntax, the checks, and the trial identity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import make_trial
from tests.search_fakes import fake_train_from, tiny_spec

from toytasks.cli import main
from toytasks.errors import ToytasksError
from toytasks.reading.store import ResultStore
from toytasks.reading.summary import receptive_field
from toytasks.running import runner as runner_module
from toytasks.running.trials import trial_factory
from toytasks.specs.options import resolve


def invoke(args: list[str]):
    return CliRunner().invoke(main, args, standalone_mode=False, catch_exceptions=True)


def by_receptive_field(t) -> bool:
    """Solved once the receptive field (with the trial's knobs) passes the blind window."""
    from toytasks.training.train import make_generator

    rf = receptive_field(t.arch, t.depth, dict(t.arch_knobs))
    return rf is None or rf > make_generator(t).blind_samples


def test_builtin_identities_do_not_change():
    """Pinned from main before knobs and plugins existed: stores and baselines still match."""
    assert make_trial().key == "e1def212201c3b3b23de"
    # (a CUDA trial's key differs on purpose since the device kind joined the identity:
    # tests/running/test_device.py)
    assert make_trial(arch="cnn", gate_bias=1.0, device="cpu").key == "f3284a17f8bbf6b83481"
    assert set(make_trial().config()) >= {"arch", "gate_bias"}
    assert not {"arch_knobs", "arch_plugin", "task_plugin"} & set(make_trial().config())


def factory_trial(arch: str, knobs: tuple = ()):
    opts = resolve(tiny_spec(), {"arch": (arch,), "arch_knobs": knobs})
    return trial_factory(tiny_spec(), arch, opts)(1, 0, 3e-3)


def test_knobs_enter_the_identity_only_away_from_their_defaults():
    plain = factory_trial("cnn")
    assert factory_trial("cnn", (("cnn", "kernel", 3),)).key == plain.key
    wide = factory_trial("cnn", (("cnn", "kernel", 7),))
    assert wide.arch_knobs == (("kernel", 7),) and wide.key != plain.key
    assert wide.config()["arch_knobs"] == {"kernel": 7}


def test_the_gate_bias_knob_is_the_old_gate_bias_field():
    trial = factory_trial("lstm", (("lstm", "gate_bias", 1.0),))
    assert trial.gate_bias == 1.0 and trial.arch_knobs == ()
    assert trial.key == make_trial_like(trial, gate_bias=1.0).key


def make_trial_like(trial, **changes):
    from dataclasses import replace

    return replace(trial, **changes)


def test_a_plugin_is_named_in_the_identity():
    trial = factory_trial("tests.plugin_fixtures:Linear")
    assert trial.arch_plugin.startswith("tests.plugin_fixtures:Linear ")
    assert "arch_plugin" in trial.config()


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "cnn.kernel=99"], "knob 'kernel' = '99' is out of range"),
    (["--set", "cnn.kernels=5"], "unknown knob 'kernels' for architecture 'cnn'"),
    (["--set", "tcn.kernel=5"], "architecture 'tcn' is not in this run"),
    (["--set", "rnn.gate_bias=1", "--arch", "rnn"], "unknown knob 'gate_bias'"),
    (["--arch", "tests.plugin_fixtures:Peeker"], "is not causal"),
    (["--arch", "nosuchpkg.mod:Model"], "cannot import 'nosuchpkg.mod'"),
    (["--set", "transformer.heads=3", "--arch", "transformer"], "does not divide width"),
])
def test_run_refuses_before_training(args, message, tmp_path: Path):
    out = tmp_path / "out"
    result = invoke(["run", "--task", "cycle-pattern", "--arch", "cnn", "--seeds", "1",
                     "--out", str(out), "-q", *args])
    assert isinstance(result.exception, ToytasksError), result.output
    assert message in str(result.exception)
    assert not (out / "trials.jsonl").exists() or not ResultStore(out).records()


def test_sweep_over_an_architecture_knob(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(runner_module, "train", fake_train_from(by_receptive_field))
    result = invoke(["sweep", "--task", "cycle-pattern", "--vary", "cnn.kernel=3,5,9",
                     "--set", "n_positive=1,period_samples=8", "--arch", "cnn,tcn",
                     "--seeds", "1", "--workers", "1", "--max-depth", "12",
                     "--out", str(tmp_path), "-q"])
    assert result.exception is None, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["arch", "cnn.kernel=3", "cnn.kernel=5", "cnn.kernel=9"]
    cells = {line.split()[0]: line.split() for line in lines[2:]}
    # blind window 7: RF 1 + (k-1)d must exceed it: d = 4, 2, 1
    assert cells["cnn"][1::3] == ["4", "2", "1"]
    assert cells["tcn"][1::3] == ["3", "3", "3"]  # tcn keeps its own kernel: RF 2**(d+1)-1
    rows = {line[:16].strip(): line[16:].split() for line in lines[2:]}
    assert rows["RF bound cnn"] == [">=", "4", ">=", "2", ">=", "1"]
    stored = [json.loads(line)["trial"] for line in
              (tmp_path / "trials.jsonl").read_text().splitlines()]
    kernels = {json.dumps(t.get("arch_knobs")) for t in stored if t["arch"] == "cnn"}
    assert kernels == {"null", '{"kernel": 5}', '{"kernel": 9}'}


def test_run_with_a_knob_labels_the_row(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(runner_module, "train", fake_train_from(by_receptive_field))
    result = invoke(["run", "--task", "cycle-pattern", "--set", "n_positive=1",
                     "--set", "cnn.kernel=5", "--arch", "cnn", "--seeds", "1", "--workers",
                     "1", "--out", str(tmp_path), "-q"])
    assert result.exception is None, result.output
    assert "cnn@kernel=5" in result.stdout


def test_a_profile_sets_architecture_knobs(tmp_path: Path):
    from toytasks.running.suite import load_profile

    path = tmp_path / "p.toml"
    path.write_text('[[run]]\ntask = "cycle-pattern"\narch = ["cnn", "lstm"]\n'
                    'set = { n_positive = 1, cnn.kernel = 5, "lstm.gate_bias" = 1.0 }\n')
    (job,) = load_profile(str(path)).runs
    assert job.opts.arch_knobs == (("cnn", "kernel", 5), ("lstm", "gate_bias", 1.0))
    assert job.spec.knobs["n_positive"] == 1
    path.write_text('[[run]]\ntask = "cycle-pattern"\narch = ["cnn"]\n'
                    'set = { tcn.kernel = 5 }\n')
    with pytest.raises(ToytasksError, match=r"run\[0\]: set tcn.kernel: architecture 'tcn'"):
        load_profile(str(path))
