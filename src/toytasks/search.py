"""Minimal-depth search: decides which trials to run next; never trains anything itself.

A search object proposes trials and is fed their results; the runner owns the executor and
the store. When a depth is "solved" is decided in one place, ``SolveRule``, and seeds are
consumed in order (0, 1, 2, ...): a depth's verdict is taken as soon as the seeds seen so
far decide it, so a depth that has failed twice out of three is not trained a third time.
Because the order is fixed, the verdict and its evidence never depend on timing or on the
number of workers; a seed that ran speculatively past the decision is stored but not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from toytasks.trial import Trial, TrialResult

TrialFactory = Callable[[int, int, float], Trial]  # (depth, seed, lr) -> Trial


@dataclass(frozen=True)
class Verdict:
    decided: bool
    solved: bool
    successes: int
    counted: int  # seeds that the decision used (a prefix of 0, 1, 2, ...)


@dataclass(frozen=True)
class SolveRule:
    """A depth is solved when a strict majority of seeds succeed (best over the lr grid)."""

    name: str = "majority"

    def solved(self, successes: int, seeds: int) -> bool:
        return 2 * successes > seeds

    def verdict(self, outcomes: Sequence[bool | None], seeds: int) -> Verdict:
        """Walk seed outcomes in order (None = not known yet) until the verdict is certain."""
        successes = failures = 0
        for outcome in outcomes[:seeds]:
            if outcome is None:
                break
            successes += outcome
            failures += not outcome
            remaining = seeds - successes - failures
            if self.solved(successes, seeds):
                return Verdict(True, True, successes, successes + failures)
            if not self.solved(successes + remaining, seeds):
                return Verdict(True, False, successes, successes + failures)
        return Verdict(False, False, successes, successes + failures)

    def describe(self) -> str:
        return "solved = more than half of the seeds reach the threshold (best over lr grid)"


def seed_outcomes(runs: dict[int, list[bool]], seeds: int, n_lrs: int) -> list[bool | None]:
    """Per seed: True if any lr succeeded, False if all lrs failed, None if still unknown."""
    outcomes: list[bool | None] = []
    for seed in range(seeds):
        got = runs.get(seed, [])
        outcomes.append(True if any(got) else (False if len(got) >= n_lrs else None))
    return outcomes


@dataclass
class LinearDepthSearch:
    """Train depths min..max in order; stop at the first depth the rule calls solved."""

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
    _runs: dict[int, list[bool]] = field(default_factory=dict)
    _started: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.depth = self.min_depth

    def candidates(self) -> list[Trial]:
        """Trials wanted now that have not been started, lowest seed first."""
        if self.done:
            return []
        trials = [self.make_trial(self.depth, seed, lr) for seed in range(self.seeds)
                  for lr in self.lrs]
        return [t for t in trials if t.key not in self._started]

    def started(self, trial: Trial) -> None:
        self._started.add(trial.key)

    def record(self, trial: Trial, result: TrialResult) -> None:
        if self.done or trial.depth != self.depth:
            return  # a speculative trial of a depth already decided: stored, not counted
        self._runs.setdefault(trial.seed, []).append(result.solved)
        verdict = self.rule.verdict(seed_outcomes(self._runs, self.seeds, len(self.lrs)),
                                    self.seeds)
        if not verdict.decided:
            return
        self._runs = {}
        if verdict.solved:
            self.minimal_depth, self.done = self.depth, True
        elif self.depth >= self.max_depth:
            self.done = True
        else:
            self.depth += 1
