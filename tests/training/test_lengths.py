"""Length generalisation: a solved trial scored on longer sequences of the same task."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import make_trial, results
from tests.search_fakes import fake_result

import toytasks
from toytasks.cli import main
from toytasks.errors import ToytasksError
from toytasks.reading import lengths
from toytasks.reading.store import ResultStore
from toytasks.reading.summary import summarise
from toytasks.reading.table import render
from toytasks.running import runner as runner_module
from toytasks.specs.options import check_test_lengths
from toytasks.specs.spec import load_spec
from toytasks.tasks import get_generator
from toytasks.training.train import make_generator, train
from toytasks.training.trial import Trial, TrialResult

# tiny and noiseless: a cnn of depth 4 (receptive field 9) covers the span (8) and solves
# in a few dozen steps; the trained sequence (16) is longer than the receptive field, so
# what the model sees at the last step is distributed alike at every length
TINY = {"n_positive": 1, "period_samples": 4, "prefix_cycles": 2, "noise_std": 0.0}


def tiny_trial(depth: int = 4, **changes) -> Trial:
    fields = dict(knobs=TINY, max_steps=400, eval_every=50, width=16, batch_size=32,
                  test_size=256, test_lengths=(4,), lr=1e-2)
    return make_trial("cnn", depth, **{**fields, **changes})


def test_longer_raises_the_prefix_and_keeps_the_span():
    task = get_generator("cycle-pattern")(**TINY)
    longer = task.longer(4)
    assert longer.seq_len == 4 * task.seq_len  # linear in prefix_cycles: exactly x4
    assert longer.prefix_cycles == 14 and longer.n_positive == task.n_positive
    assert (longer.span_samples, longer.blind_samples) == (task.span_samples,
                                                           task.blind_samples)
    ecg = load_spec("ecg-ectopy").make_generator()
    assert ecg.longer(2).seq_len >= 2 * ecg.seq_len > ecg.longer(2).seq_len - 16
    assert ecg.longer(2).span_samples == ecg.span_samples


def test_a_task_without_a_prefix_knob_or_out_of_range_is_refused():
    with pytest.raises(ToytasksError, match="task 'copy-memory' has no prefix knob"):
        load_spec("copy-memory").make_generator().longer(2)
    far = get_generator("cycle-pattern")(n_positive=32, prefix_cycles=0)
    with pytest.raises(ToytasksError, match=r"prefix_cycles <= 256 cannot make the sequence "
                                            r"64x longer"):
        far.longer(64)


@pytest.mark.parametrize(("factors", "message"), [
    ((1,), "an integer in [2, 64]; got 1"), ((65,), "got 65"), ((2.5,), "got 2.5"),
])
def test_test_lengths_are_checked(factors, message):
    with pytest.raises(ToytasksError, match=message.replace("[", r"\[")):
        check_test_lengths(load_spec("cycle-pattern"), factors)
    assert check_test_lengths(load_spec("cycle-pattern"), (4, 2, 4)) == (2, 4)


def test_test_lengths_join_the_identity_only_when_set():
    plain = make_trial()
    assert plain.key == "e1def212201c3b3b23de"  # pinned: stored trials keep their keys
    assert "test_lengths" not in plain.config()
    longer = make_trial(test_lengths=(2, 4))
    assert longer.config()["test_lengths"] == (2, 4) and longer.key != plain.key
    assert Trial(**{**longer.config(), "test_lengths": [2, 4], "knobs": ()}).key == longer.key


@pytest.fixture(scope="module")
def solved() -> TrialResult:
    return train(tiny_trial())


def test_a_conv_net_whose_field_covers_the_span_keeps_its_accuracy_at_x4(solved):
    assert solved.solved, solved.reason
    (found,) = solved.lengths
    assert found["factor"] == 4
    assert found["seq_len"] == 4 * make_generator(tiny_trial()).seq_len == 64
    assert found["metric"] >= tiny_trial().threshold and found["meets"] is True


def test_an_unsolved_trial_is_not_scored_longer():
    result = train(tiny_trial(depth=1, max_steps=100))  # receptive field 3: blind
    assert not result.solved and result.lengths == []


def test_the_longer_evaluation_is_deterministic_and_leaves_training_unchanged(solved):
    again, without = train(tiny_trial()), train(tiny_trial(test_lengths=()))
    assert again.lengths == solved.lengths
    assert (solved.steps, solved.best_metric, solved.test_loss) == (
        without.steps, without.best_metric, without.test_loss)


def scored(trial: Trial) -> TrialResult:
    """Fake training: solved from depth 2; longer, the metric falls with depth and length."""
    result = fake_result(trial, trial.depth >= 2)
    if result.solved:
        metrics = {f: 1.1 - 0.1 * trial.depth - 0.1 * (f > 2) for f in trial.test_lengths}
        result.lengths = [{"factor": f, "seq_len": 10 * f, "metric": m, "meets": m >= 0.85}
                          for f, m in metrics.items()]
    return result


def test_the_table_has_one_column_per_length(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path):
    monkeypatch.setattr(runner_module, "train", scored)
    result = CliRunner().invoke(main, [
        "run", "--task", "cycle-pattern", "--arch", "lstm,lstm@gate_bias=0", "--max-depth",
        "1", "--test-lengths", "2,4", "--seeds", "1", "--workers", "1", "--out",
        str(tmp_path / "a"), "-q"], catch_exceptions=False)
    head, _, *body = result.stdout.splitlines()[:4]
    assert head.split()[-2:] == ["×2", "×4"]
    assert [line.split()[0] for line in body] == ["lstm", "lstm@gate_bias=0"]
    assert all(line.split()[-2:] == ["–", "–"] for line in body)  # unsolved at depth 1
    res = toytasks.run("cycle-pattern", arch="cnn", seeds=2, min_depth=2, max_depth=3,
                       test_lengths=[4, 2], out=tmp_path / "b", workers=1)
    (row,) = res.rows
    assert lengths.cells(row, [2, 4]) == ["0.9 (2/2)", "0.8 (0/2)"]
    csv = render(res.rows, "csv").splitlines()
    assert csv[0].split(",")[-3:] == ["×2", "×4", "caption"]
    assert "×N: at the minimal depth" in render(res.rows)
    assert r"$\times$4" in render(res.rows, "latex")
    stored = summarise(ResultStore(tmp_path / "b").records())  # read back: the same cells
    assert lengths.cells(stored[0], [2, 4]) == lengths.cells(row, [2, 4])
    assert all(r["lengths"] for r in results(tmp_path / "b").values())


def test_a_task_without_a_prefix_knob_is_refused_before_training(tmp_path: Path):
    result = CliRunner().invoke(main, ["run", "--task", "copy-memory", "--test-lengths", "2",
                                       "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, ToytasksError)
    assert "task 'copy-memory' has no prefix knob" in str(result.exception)
    assert not (tmp_path / "o" / "trials.jsonl").exists()


def test_at_the_trained_length_the_longer_evaluation_is_the_held_out_one(monkeypatch):
    """Factor 1 reproduces the trial's own held-out metric: the longer sets differ from it
    only in their length."""
    from toytasks.training import train as train_module

    seen = {}
    original = train_module.longer_evaluation

    def spy(model, task, factor, trial, to_device):
        seen["one"] = original(model, task, 1, trial, to_device)[0]
        return original(model, task, factor, trial, to_device)

    monkeypatch.setattr(train_module, "longer_evaluation", spy)
    result = train(tiny_trial())
    assert result.solved
    assert seen["one"]["seq_len"] == make_generator(tiny_trial()).seq_len
    assert seen["one"]["metric"] == result.final_metric
