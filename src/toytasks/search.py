"""Minimal-depth search: decides which trials to run next; never trains anything itself.

A search object is fed results and proposes trials; the runner owns the executor and the
store. The decision rule (when is a depth "solved") lives in one place: ``SolveRule``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from toytasks.trial import Trial, TrialResult

TrialFactory = Callable[[int, int, float], Trial]  # (depth, seed, lr) -> Trial


@dataclass(frozen=True)
class SolveRule:
    """A depth is solved when a strict majority of seeds succeed (best over the lr grid)."""

    name: str = "majority"

    def solved(self, successes: int, seeds: int) -> bool:
        return 2 * successes > seeds

    def decided(self, successes: int, failures: int, seeds: int) -> bool:
        """True once the remaining seeds cannot change the verdict."""
        remaining = seeds - successes - failures
        return self.solved(successes, seeds) or not self.solved(successes + remaining, seeds)

    def describe(self) -> str:
        return "solved = more than half of the seeds reach the threshold (best over lr grid)"


@dataclass
class DepthRecord:
    """Results at one depth, per seed: a seed succeeds if any lr in the grid succeeds."""

    outcomes: dict[int, list[bool]] = field(default_factory=dict)

    def add(self, seed: int, solved: bool) -> None:
        self.outcomes.setdefault(seed, []).append(solved)

    def seed_success(self, seed: int, n_lrs: int) -> bool | None:
        runs = self.outcomes.get(seed, [])
        if any(runs):
            return True
        return False if len(runs) == n_lrs else None


@dataclass
class LinearDepthSearch:
    """Train depths min..max in order, all seeds (and lrs) per depth; stop at the first solved."""

    arch: str
    make_trial: TrialFactory
    seeds: int
    lrs: tuple[float, ...]
    min_depth: int
    max_depth: int
    rule: SolveRule = field(default_factory=SolveRule)
    depth: int = 0
    minimal_depth: int | None = None
    done: bool = False
    history: dict[int, DepthRecord] = field(default_factory=dict)
    _outstanding: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.depth = self.min_depth

    def next_trials(self) -> list[Trial]:
        """Trials to run now; empty while waiting for results or when done."""
        if self.done or self._outstanding or self.depth in self.history:
            return []
        self.history[self.depth] = DepthRecord()
        trials = [self.make_trial(self.depth, seed, lr) for seed in range(self.seeds)
                  for lr in self.lrs]
        self._outstanding = {t.key for t in trials}
        return trials

    def record(self, trial: Trial, result: TrialResult) -> None:
        self._outstanding.discard(trial.key)
        self.history[trial.depth].add(trial.seed, result.solved)
        if self._outstanding:
            return
        record = self.history[trial.depth]
        successes = sum(bool(record.seed_success(s, len(self.lrs))) for s in range(self.seeds))
        if self.rule.solved(successes, self.seeds):
            self.minimal_depth, self.done = trial.depth, True
        elif trial.depth >= self.max_depth:
            self.done = True
        else:
            self.depth = trial.depth + 1
