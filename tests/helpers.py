"""Small builders shared by tests."""

from __future__ import annotations

from toytasks.trial import Trial


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
