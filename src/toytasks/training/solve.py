"""When a depth counts as solved: the solve rules and how seeds' outcomes are read.

Shared by the search (which decides what to train next) and the summary (which decides
what a table says), so that both read the same evidence the same way. Seeds are read in
order (0, 1, 2, ...) and a depth's verdict is taken as soon as the seeds seen so far decide
it; within a seed the lr grid is walked in ascending order and the seed succeeds at the
first lr that succeeds (best-of-lr).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from toytasks.errors import ToytasksError
from toytasks.training.stats import clopper_pearson


@dataclass(frozen=True)
class Verdict:
    decided: bool
    solved: bool
    successes: int
    counted: int  # seeds that the evidence uses (a prefix of 0, 1, 2, ...)


@dataclass(frozen=True)
class SolveRule:
    """A depth is solved when a strict majority of seeds succeed (best over the lr grid)."""

    name: str = "majority"
    min_seeds: int = 1

    def solved(self, successes: int, seeds: int) -> bool:
        """The rule on a complete count; must not decrease as ``successes`` grows."""
        return seeds >= self.min_seeds and 2 * successes > seeds

    def verdict(self, outcomes: Sequence[bool | None], seeds: int,
                early: bool = True) -> Verdict:
        """Walk seed outcomes in order (None = not known yet) until the verdict is certain.

        ``early=False`` (the exhaustive grid) keeps counting the known seeds after the
        decision, so the evidence uses every seed trained; the decision itself is the same.
        """
        successes = failures = 0
        decision: bool | None = None
        for outcome in outcomes[:seeds]:
            if outcome is None:
                break
            successes += outcome
            failures += not outcome
            if decision is None:
                remaining = seeds - successes - failures
                if self.solved(successes, seeds):
                    decision = True
                elif not self.solved(successes + remaining, seeds):
                    decision = False
            if decision is not None and early:
                break
        return Verdict(decision is not None, bool(decision), successes, successes + failures)

    def check_seeds(self, seeds: int) -> None:
        if seeds < self.min_seeds:
            raise ToytasksError(f"rule '{self.name}' needs at least {self.min_seeds} seeds "
                                f"(--seeds), got {seeds}")

    def describe(self) -> str:
        return "solved = more than half of the seeds reach the threshold"


@dataclass(frozen=True)
class ClopperPearsonRule(SolveRule):
    """Paper-grade: solved when the exact 95% lower bound of the success rate >= ``level``.

    With 10 seeds that takes 9 successes (lower bound 0.555; 8/10 gives 0.444), so a
    reported depth solves more often than not with 95% confidence, not just in this sample.
    """

    name: str = "cp95"
    min_seeds: int = 10
    level: float = 0.5
    confidence: float = 0.95

    def solved(self, successes: int, seeds: int) -> bool:
        if seeds < self.min_seeds:
            return False
        return clopper_pearson(successes, seeds, self.confidence)[0] >= self.level

    def describe(self) -> str:
        return (f"solved = {self.confidence:.0%} Clopper-Pearson lower bound of the success "
                f"rate >= {self.level:g} (needs >= {self.min_seeds} seeds)")


RULES: dict[str, SolveRule] = {rule.name: rule for rule in (SolveRule(), ClopperPearsonRule())}


def get_rule(name: str) -> SolveRule:
    try:
        return RULES[name]
    except KeyError:
        raise ToytasksError(f"unknown rule '{name}' (valid: {', '.join(RULES)})") from None


def seed_outcome(results: dict[float, bool], lrs: Sequence[float]) -> bool | None:
    """Best of the lr grid, walked in ascending lr: True at the first success, False when
    every lr failed, None while an lr before the first known success is still unknown."""
    for lr in sorted(lrs):
        if lr not in results:
            return None
        if results[lr]:
            return True
    return False


def counted_lrs(results: dict[float, bool], lrs: Sequence[float], early: bool = True
                ) -> list[float]:
    """The lrs whose trials a seed's outcome used: up to the first success (all if not early)."""
    used = []
    for lr in sorted(lrs):
        if lr not in results:
            break
        used.append(lr)
        if results[lr] and early:
            break
    return used


def seed_outcomes(runs: dict[int, dict[float, bool]], seeds: int,
                  lrs: Sequence[float]) -> list[bool | None]:
    return [seed_outcome(runs.get(seed, {}), lrs) for seed in range(seeds)]


def first_solved(verdicts: dict[int, bool], lowest: int) -> int | None:
    """The answer the table reports: the smallest solved depth d whose d-1 was trained and
    failed (or d is the lowest depth trained)."""
    return next((d for d in sorted(verdicts) if verdicts[d]
                 and (d == lowest or verdicts.get(d - 1) is False)), None)
