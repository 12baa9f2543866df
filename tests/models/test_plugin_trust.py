"""Issue 22, the rest of "a table no plugin can cheat": theory as a second guard (RF
bound), code identity (source hash), task data faults blamed on the task, and the smaller
ones (list with broken or shadowing entry points, tables without the plugin installed,
errors mid-training, the sweep's RF rows)."""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path

import pytest
from tests.helpers import make_trial
from tests.search_fakes import fake_train_from

import toytasks
from toytasks import plugins
from toytasks.errors import ToytasksError
from toytasks.models import _plugin as arch_plugin
from toytasks.reading.summary import Row
from toytasks.running import runner as runner_module
from toytasks.running.preflight import check_task
from toytasks.tasks import _plugin as task_plugin
from toytasks.tasks import get_generator
from toytasks.training.train import train
from toytasks.training.trial import ERROR

FIX = "tests.cheating_fixtures"
QUIET = ["--seeds", "1", "--width", "8", "--lr", "0.03", "--workers", "1", "-q"]


def lines(folder: Path) -> list[dict]:
    return [json.loads(x) for x in (folder / "trials.jsonl").read_text().splitlines()]


# --- 2. theory as a second guard ---------------------------------------------------------
def row(minimal: int | None, bound: int | None) -> Row:
    return Row(task="t", arch="a", config={}, minimal_depth=minimal, max_depth_tried=8,
               depths={}, receptive_field=None, rf_bound=bound, span_samples=6,
               blind_samples=5, metric="accuracy", baseline=0.5, flops=0.0, trials=0)


@pytest.mark.parametrize("minimal, bound, below", [
    (3, 4, True), (4, 4, False), (5, 4, False), (None, 4, False), (1, None, False)])
def test_below_the_rf_bound_at_its_boundary(minimal, bound, below):
    assert row(minimal, bound).below_rf_bound is below


def test_solving_below_the_rf_bound_is_marked_and_warned(cli_in_process, tmp_path):
    with pytest.warns(UserWarning, match=r"solved tests.plugin_fixtures:Sign at depth 1, "
                      r"below its receptive-field bound 6 \(blind window 5 samples\)"):
        code, out, err = cli_in_process(
            "run", "--task", "tests.plugin_fixtures:Sign", "--arch", f"{FIX}:ClaimsShortRF",
            "--max-depth", "1", "--steps", "300", *QUIET, "--out", str(tmp_path))
    assert code == 0, err
    assert "1 (below RF bound 6)" in out and "below RF bound: solved at a depth" in out


# --- 3. code identity ----------------------------------------------------------------------
SOURCE = '''
import torch
from torch import nn
from toytasks.models import SequenceModel


class Net(SequenceModel):
    def __init__(self, n_inputs, n_outputs, depth, width, output_steps=1):
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.proj = nn.Linear(n_inputs, width)

    def features(self, x):
        return torch.tanh(self.proj(x))
'''


def test_editing_an_import_path_plugin_means_retraining(tmp_path, monkeypatch):
    (tmp_path / "editme_plugin.py").write_text(SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))

    def run() -> list[dict]:
        toytasks.run("cycle-pattern", "editme_plugin:Net", knobs={"period_samples": 4},
                     out=tmp_path / "out", workers=1, seeds=1, max_depth=1, steps=5, width=8)
        return lines(tmp_path / "out")

    first = run()
    assert len(run()) == len(first)  # unchanged code: reused
    origin = first[0]["trial"]["arch_plugin"]
    assert origin.startswith("editme_plugin:Net unpackaged src=")
    (tmp_path / "editme_plugin.py").write_text(SOURCE.replace("tanh", "sigmoid"))
    sys.modules.pop("editme_plugin")
    arch_plugin.cache_clear()
    after = run()
    assert len(after) == 2 * len(first)  # edited: trained again, under a new identity
    assert after[-1]["trial"]["arch_plugin"] != origin
    assert after[-1]["key"] != first[0]["key"]


def test_builtin_identities_carry_no_source_hash():
    trial = make_trial("lstm")
    assert "arch_plugin" not in trial.config() and "task_plugin" not in trial.config()


# --- 7. task data faults blame the task ---------------------------------------------------
def test_the_preflight_catches_a_one_in_200_nan():
    with pytest.raises(ToytasksError, match=r"task plugin '.*RareNaN': sample\(\) returned "
                                            r"NaN or infinite values in \d+ of 1024"):
        check_task(f"{FIX}:RareNaN", get_generator(f"{FIX}:RareNaN")())


def test_nan_in_training_data_is_a_task_error_not_a_divergence():
    result = train(make_trial(arch="cnn", generator=f"{FIX}:NaNInBatches", batch_size=16))
    assert result.status == ERROR
    assert result.reason == f"task '{FIX}:NaNInBatches' sampled NaN or infinite values at step 1"


def test_audit_names_a_task_with_nan_data_in_one_line(cli_in_process):
    code, _, err = cli_in_process("audit", "--task", f"{FIX}:NaNPastTheCheck")
    assert code == 2 and "Traceback" not in err
    assert "sample() returned NaN or infinite values in the audit's 5000 sequences" in err


# --- 8. the smaller ones ------------------------------------------------------------------
def test_list_survives_a_broken_entry_point_and_warns_of_a_shadowing_one(cli_in_process,
                                                                       monkeypatch):
    fake = {
        plugins.ARCH_GROUP: {
            "cnn": metadata.EntryPoint("cnn", "tests.plugin_fixtures:Linear",
                                       plugins.ARCH_GROUP),
            "broken-net": metadata.EntryPoint("broken-net", "no_such_module_xyz:Net",
                                              plugins.ARCH_GROUP),
            "linear-net": metadata.EntryPoint("linear-net", "tests.plugin_fixtures:Linear",
                                              plugins.ARCH_GROUP)},
        plugins.TASK_GROUP: {
            "broken-task": metadata.EntryPoint("broken-task", "no_such_module_xyz:T",
                                               plugins.TASK_GROUP)},
    }
    monkeypatch.setattr(plugins, "registered", lambda group: fake[group])
    monkeypatch.setattr(plugins, "_WARNED", set())
    with pytest.warns(UserWarning, match="architecture plugin 'cnn' .* is named like a "
                                         "built-in architecture and is ignored"):
        code, out, err = cli_in_process("list")
    assert code == 0, err
    assert "broken-net: BROKEN: architecture plugin 'broken-net'" in out
    assert "broken-task: BROKEN: task plugin 'broken-task'" in out
    assert any(x.strip().startswith("linear-net") for x in out.splitlines())
    assert "Architectures" in out and "lstm" in out  # listed after the broken task


GONE = '''
from tests.plugin_fixtures import Linear, Sign


class Gone(Sign):
    pass


class GoneNet(Linear):
    @classmethod
    def receptive_field(cls, depth, **_):
        return depth
'''


def test_a_results_folder_renders_without_its_task_plugin(cli_in_process, tmp_path,
                                                          monkeypatch):
    (tmp_path / "gone_task.py").write_text(GONE)
    monkeypatch.syspath_prepend(str(tmp_path))
    out_dir = str(tmp_path / "out")
    code, _, err = cli_in_process("run", "--task", "gone_task:Gone", "--arch",
                                  "lstm,gone_task:GoneNet",
                                       "--max-depth", "1", "--steps", "5", *QUIET,
                                       "--out", out_dir)
    assert code == 0, err
    assert cli_in_process("baseline", out_dir, "--write", str(tmp_path / "b.json"))[0] == 0
    (tmp_path / "gone_task.py").unlink()
    sys.modules.pop("gone_task")
    task_plugin.cache_clear()
    arch_plugin.cache_clear()
    code, table, err = cli_in_process("table", out_dir)
    assert code == 0, err
    assert "lstm" in table and "gone_task:GoneNet" in table
    assert "span unknown (the task plugin is not installed)" in table
    code, out, err = cli_in_process("check", out_dir, "--baseline", str(tmp_path / "b.json"))
    assert code == 0, err + out


def test_an_error_mid_training_is_shown_and_the_run_exits_3(cli_in_process, tmp_path):
    code, _, err = cli_in_process("run", "--task", "cycle-pattern", "--arch",
                                  f"{FIX}:RaisesMidway", "--max-depth", "1", "--steps", "20",
                                  "--seeds", "1", "--width", "8", "--workers", "1",
                                  "--out", str(tmp_path))
    assert code == 3
    assert "error after 3 steps, " in err and "(RuntimeError: midway boom)" in err
    assert "best ," not in err
    assert "1 trial(s) ended in error" in err


@pytest.mark.filterwarnings("ignore:.*receptive-field bound")  # the fake solves at depth 2
def test_the_sweep_lists_rf_bounds_of_its_own_architectures_only(cli_in_process, tmp_path,
                                                                monkeypatch):
    monkeypatch.setattr(runner_module, "train", fake_train_from(lambda t: t.depth >= 2))
    code, out, err = cli_in_process("sweep", "--task", "cycle-pattern", "--vary",
                                    "period_samples=4,8", "--arch", "tcn,lstm", "--max-depth",
                                    "3", *QUIET, "--out", str(tmp_path))
    assert code == 0, err
    assert "RF bound tcn" in out and "RF bound cnn" not in out
