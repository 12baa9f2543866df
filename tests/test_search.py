"""The sequential solve rule and the linear depth search, on a fake trainer."""

from __future__ import annotations

import pytest
from tests.helpers import make_trial

from toytasks.search import LinearDepthSearch, SolveRule
from toytasks.trial import SOLVED, UNSOLVED, TrialResult


def fake_result(trial, solved):
    return TrialResult(key=trial.key, status=SOLVED if solved else UNSOLVED, metric="accuracy",
                       best_metric=1.0 if solved else 0.5, final_metric=0.5, baseline=0.5,
                       steps=10, steps_to_solve=10 if solved else None, train_loss=0.1,
                       test_loss=0.1, params=10, flops=1.0, wall_s=0.0)


@pytest.mark.parametrize(("outcomes", "decided", "solved", "counted"), [
    ([True, True, None], True, True, 2),
    ([False, False, None], True, False, 2),
    ([True, False, None], False, False, 2),
    ([True, False, True], True, True, 3),
    ([False, True, False], True, False, 3),
    ([None, True, True], False, False, 0),  # seeds are consumed in order
])
def test_majority_verdict_is_sequential(outcomes, decided, solved, counted):
    verdict = SolveRule().verdict(outcomes, 3)
    assert (verdict.decided, verdict.solved, verdict.counted) == (decided, solved, counted)


def drive(search, solves):
    """Run a search to completion against a fake 'solves(depth, seed, lr)' trainer."""
    trained = []
    while not search.done:
        batch = search.candidates()
        assert batch, "a search that is not done must propose something"
        trial = batch[0]
        search.started(trial)
        trained.append((trial.depth, trial.seed, trial.lr))
        search.record(trial, fake_result(trial, solves(trial.depth, trial.seed, trial.lr)))
    return trained


def factory(depth, seed, lr):
    return make_trial("cnn", depth, seed, lr=lr)


def test_linear_search_finds_the_first_majority_depth_and_stops():
    search = LinearDepthSearch("cnn", factory, seeds=3, lrs=(1e-3,), min_depth=1, max_depth=8)
    trained = drive(search, lambda d, s, lr: d >= 4 or (d == 2 and s == 0))
    assert search.minimal_depth == 4
    assert max(d for d, _, _ in trained) == 4
    assert [s for d, s, _ in trained if d == 1] == [0, 1]  # decided after two failures
    assert [s for d, s, _ in trained if d == 2] == [0, 1, 2]


def test_linear_search_reports_none_when_nothing_solves():
    search = LinearDepthSearch("cnn", factory, seeds=1, lrs=(1e-3,), min_depth=1, max_depth=3)
    drive(search, lambda d, s, lr: False)
    assert search.done and search.minimal_depth is None


def test_best_of_lr_grid_counts_a_seed_as_solved_if_any_lr_solves():
    search = LinearDepthSearch("cnn", factory, seeds=1, lrs=(1e-3, 1e-2), min_depth=1,
                               max_depth=3)
    drive(search, lambda d, s, lr: d == 2 and lr == 1e-2)
    assert search.minimal_depth == 2
