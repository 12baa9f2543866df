"""A fake trainer with a known success-vs-(arch, depth, seed, lr) table, for search tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from toytasks.specs.spec import load_spec
from toytasks.training.search import DepthSearch
from toytasks.training.trial import SOLVED, UNSOLVED, Trial, TrialResult

Outcome = Callable[[Trial], bool]


def fake_result(trial: Trial, solved: bool) -> TrialResult:
    steps = 100 if solved else 1000
    return TrialResult(
        key=trial.key, status=SOLVED if solved else UNSOLVED, metric="accuracy",
        best_metric=1.0 if solved else 0.5, final_metric=1.0 if solved else 0.5,
        baseline=0.5, steps=steps, steps_to_solve=steps if solved else None, train_loss=0.1,
        test_loss=0.1, params=100 * trial.depth * trial.width, flops=1e6 * trial.depth * steps,
        wall_s=0.0,
    )


def make_trial(depth: int, seed: int, lr: float, arch: str = "cnn") -> Trial:
    return Trial(task="fake", generator="cycle-pattern", knobs=(), arch=arch, depth=depth,
                 width=8, seed=seed, lr=lr, max_steps=1000, batch_size=8, eval_every=100,
                 patience=5, test_size=64, threshold=0.9)


def drive(search: DepthSearch, outcome: Outcome, rng: np.random.Generator | None = None,
          workers: int = 1) -> list[Trial]:
    """Run a search to the end like the runner would: up to ``workers`` trials in flight,
    completing in order (rng None) or in a random order. Returns every trial trained."""
    running: list[Trial] = []
    trained: list[Trial] = []
    while not search.done:
        for trial in search.candidates()[: max(0, workers - len(running))]:
            search.started(trial)
            running.append(trial)
        assert running, "search stalled: not done, nothing to run"
        trial = running.pop(0 if rng is None else int(rng.integers(len(running))))
        trained.append(trial)
        search.record(trial, fake_result(trial, outcome(trial)))
    return trained


def fake_train_from(outcome: Outcome) -> Callable[[Trial], TrialResult]:
    def train(trial: Trial) -> TrialResult:
        return fake_result(trial, outcome(trial))

    return train


def tiny_spec():  # a real spec (the runner needs one); training is faked
    return load_spec("cycle-pattern").with_knobs({"n_positive": 1, "period_samples": 4})
