"""Regression support end to end: [solve] rules, MSE objective, trainer, summary, table."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from toytasks.errors import ToytasksError
from toytasks.running.trials import trial_factory
from toytasks.specs.options import default_options
from toytasks.specs.spec import load_spec, parse_spec
from toytasks.tasks import get_generator
from toytasks.training.train import Objective


def spec_data(generator: str, solve: dict, **knobs) -> dict:
    return {"generator": generator, "knobs": knobs, "solve": solve}


def test_relative_threshold_is_a_share_of_the_baseline_and_goes_into_the_trial() -> None:
    spec = load_spec("adding")
    assert spec.relative_to_baseline == 0.01
    assert spec.threshold == pytest.approx(0.01 / 6)
    trial = trial_factory(spec, "lstm", default_options(spec))(1, 0, 3e-3)
    assert trial.threshold == pytest.approx(0.01 / 6)
    looser = parse_spec(spec_data("adding", {"relative_to_baseline": 0.05}), "x.toml")
    other = trial_factory(looser, "lstm", default_options(looser))(1, 0, 3e-3)
    assert other.threshold == pytest.approx(0.05 / 6) and other.key != trial.key
    assert spec.threshold_text() == "mse <= 0.001667 (1% of the baseline)"


def test_set_recomputes_a_relative_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    # The baseline of every classic regression task is independent of its knobs, so check
    # the mechanism with a stand-in baseline that depends on one.
    spec = load_spec("adding")
    monkeypatch.setattr(get_generator("adding"), "baseline",
                        property(lambda self: self.seq_len_samples / 100))
    assert spec.with_knobs({"seq_len_samples": "50"}).threshold == pytest.approx(0.005)


@pytest.mark.parametrize("solve, message", [
    ({}, "missing key 'solve.threshold'"),
    ({"threshold": 0.01, "relative_to_baseline": 0.01}, "exactly one of"),
    ({"relative": 0.01}, "unknown key 'solve.relative'"),
    ({"relative_to_baseline": 1.5}, "out of range"),
    ({"relative_to_baseline": 0.0}, "must be > 0"),
    ({"relative_to_baseline": "1%"}, "must be float"),
    ({"from_task": True}, "has no knob that sets"),
    ({"from_task": False}, "must be true"),
])
def test_solve_section_errors_name_file_and_key(solve: dict, message: str) -> None:
    with pytest.raises(ToytasksError, match=message) as info:
        parse_spec(spec_data("adding", solve), "tasks/bad.toml")
    assert str(info.value).startswith("tasks/bad.toml: ")


def test_relative_threshold_is_refused_for_accuracy() -> None:
    with pytest.raises(ToytasksError, match="lower-is-better"):
        parse_spec(spec_data("temporal-order", {"relative_to_baseline": 0.5}), "t.toml")


def test_a_knob_set_threshold_cannot_be_overridden_silently() -> None:
    with pytest.raises(ToytasksError, match="from_task = true"):
        parse_spec(spec_data("multiplication", {"threshold": 0.01}), "m.toml")


def test_mse_objective_is_lower_is_better() -> None:
    objective = Objective(get_generator("adding")())
    out, y = torch.tensor([[[1.0]], [[3.0]]]), torch.tensor([[1.0], [1.0]])
    assert objective.metric(out, y) == pytest.approx(2.0)  # (0 + 4) / 2
    assert objective.loss(out, y).item() == pytest.approx(2.0)
    assert objective.meets(0.001, 0.0016) and not objective.meets(0.002, 0.0016)


@pytest.mark.slow
def test_regression_trains_solves_and_tables_with_its_baseline(tmp_path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from toytasks.reading.store import ResultStore
    from toytasks.reading.summary import summarise
    from toytasks.reading.table import render
    from toytasks.running.plan import Job, run_job

    spec = load_spec("adding").with_knobs({"seq_len_samples": "8"})
    spec = dataclasses.replace(spec, budget=dataclasses.replace(spec.budget, eval_every=50))
    opts = dataclasses.replace(default_options(spec), archs=("lstm",), seeds=1,
                               max_depth=2, max_steps=1500)
    store = ResultStore(tmp_path / "res")
    with ThreadPoolExecutor(1) as pool:
        rows = run_job(Job(spec, opts), store, pool, workers=1)
    (row,) = rows
    assert row.metric == "mse" and row.baseline == pytest.approx(1 / 6)
    assert row.minimal_depth == 1
    best = row.evidence.best_metric
    assert best is not None and best <= spec.threshold  # solved means MSE at most 1% of 1/6
    record = store.records()[0]
    assert record.trial.threshold == pytest.approx(spec.threshold)
    text = render(summarise(store.records()))
    assert "metric mse (trivial baseline 0.1667)" in text
    assert "held-out mse <= 0.00167 (1% of baseline)" in text
    assert f"{best:.3g}" in text
