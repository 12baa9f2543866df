"""Small builders shared by tests."""

from __future__ import annotations

import math
import re
from pathlib import Path

from toytasks.reading.store import ResultStore
from toytasks.reading.summary import summarise
from toytasks.reading.table import render
from toytasks.training.trial import SOLVED, UNSOLVED, Trial, TrialResult

VOLATILE = ("wall_s",)  # the only result field allowed to differ between two runs


def make_trial(arch: str = "lstm", depth: int = 1, seed: int = 0, *, generator: str =
               "cycle-pattern", knobs: dict | None = None, **overrides) -> Trial:
    fields = {
        "task": generator, "generator": generator,
        "knobs": tuple(sorted((knobs or {}).items())), "arch": arch, "depth": depth,
        "width": 16, "seed": seed, "lr": 3e-3, "max_steps": 60, "batch_size": 16,
        "eval_every": 20, "patience": 3, "test_size": 64, "threshold": 0.95,
    }
    fields.update(overrides)
    return Trial(**fields)


_TOTAL_COMPUTE = re.compile(
    r"compute \d+ trials, [\d,]+ steps, \S+ FLOPs( \([^)]*counted in the table\))?")


def without_total_compute(text: str) -> str:
    """A table with the caption's total compute blanked. The total counts every stored
    trial, speculative ones included, and how many those are depends on the worker count
    and on interruptions; everything else in a table must not."""
    return _TOTAL_COMPUTE.sub("compute", text)


def results(folder: Path) -> dict[str, dict]:
    """Per-trial results of a results folder, without the fields that may differ by run."""
    return {r.key: {k: v for k, v in r.result.to_dict().items() if k not in VOLATILE}
            for r in ResultStore(folder, create=False).records()}


def tables(folder: Path) -> dict[str, str]:
    rows = summarise(ResultStore(folder, create=False).records())
    return {fmt: without_total_compute(render(rows, fmt)) for fmt in ("simple", "csv")}


def fake_train(trial: Trial) -> TrialResult:
    """Stands in for train(): solved exactly from depth 2 on."""
    solved = trial.depth >= 2
    return TrialResult(key=trial.key, status=SOLVED if solved else UNSOLVED,
                       metric="accuracy", best_metric=1.0 if solved else 0.5,
                       final_metric=math.nan, baseline=0.5, steps=10,
                       steps_to_solve=5 if solved else None, train_loss=0.1, test_loss=0.2,
                       params=100, flops=1e6, wall_s=0.01)
