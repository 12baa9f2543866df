"""Minimal-depth search: decides which trials to run next; never trains anything itself.

A search object proposes trials and is fed their results; the runner owns the executor and
the store. When a depth is "solved" is decided in one place, ``SolveRule``, and seeds are
consumed in order (0, 1, 2, ...): a depth's verdict is taken as soon as the seeds seen so
far decide it, so a depth that has failed twice out of three is not trained a third time.
Within a seed the lr grid is walked in ascending order and the seed succeeds at the first
lr that succeeds (best-of-lr). Because both orders are fixed, the verdict, its evidence
and the compute it counts never depend on timing or on the number of workers; a trial that
ran speculatively past a decision is stored but not counted.

Three searches share that bookkeeping and differ only in which depths they probe:
``adaptive`` (the default: gallop 1, 2, 4, 8, ... then bisect, and report d only once d-1
has been trained and failed), ``linear`` (every depth upwards until one is solved) and
``exhaustive`` (the whole grid: every depth, seed and lr, no early verdicts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from toytasks.errors import ToytasksError
from toytasks.stats import clopper_pearson
from toytasks.trial import Trial, TrialResult

TrialFactory = Callable[[int, int, float], Trial]  # (depth, seed, lr) -> Trial


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


@dataclass
class DepthSearch:
    """Shared bookkeeping; subclasses choose which depths to probe next (``_advance``)."""

    arch: str
    make_trial: TrialFactory
    seeds: int
    lrs: tuple[float, ...]
    min_depth: int
    max_depth: int
    rule: SolveRule = field(default_factory=SolveRule)
    minimal_depth: int | None = None
    done: bool = False
    verdicts: dict[int, bool] = field(default_factory=dict)  # decided depths -> solved
    probing: list[int] = field(default_factory=list)
    early = True  # stop a depth (and a seed's lr grid) as soon as its verdict is certain
    _runs: dict[int, dict[int, dict[float, bool]]] = field(default_factory=dict)
    _started: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.min_depth > self.max_depth:
            raise ToytasksError(f"min depth {self.min_depth} > max depth {self.max_depth}")
        self.lrs = tuple(sorted(set(self.lrs)))
        self.probing = self._first()

    def _first(self) -> list[int]:
        return [self.min_depth]

    def _advance(self, depth: int, solved: bool) -> None:
        raise NotImplementedError

    def candidates(self) -> list[Trial]:
        """Trials wanted now that have not been started, lowest depth and seed first."""
        if self.done:
            return []
        trials = []
        for depth in self.probing:
            runs = self._runs.get(depth, {})
            for seed in range(self.seeds):
                known = runs.get(seed, {})
                if self.early and seed_outcome(known, self.lrs) is not None:
                    continue
                trials += [self.make_trial(depth, seed, lr) for lr in self.lrs
                           if lr not in known]
        return [t for t in trials if t.key not in self._started]

    def started(self, trial: Trial) -> None:
        self._started.add(trial.key)

    def record(self, trial: Trial, result: TrialResult) -> None:
        depth = trial.depth
        if self.done or depth not in self.probing or trial.lr not in self.lrs:
            return  # a speculative trial of a depth already decided: stored, not counted
        runs = self._runs.setdefault(depth, {})
        runs.setdefault(trial.seed, {})[trial.lr] = result.solved
        outcomes = seed_outcomes(runs, self.seeds, self.lrs)
        verdict = self.rule.verdict(outcomes, self.seeds)
        if not verdict.decided:
            return
        if not self.early and sum(len(r) for r in runs.values()) < self.seeds * len(self.lrs):
            return  # the exhaustive grid waits for every trial of the depth
        self.verdicts[depth] = verdict.solved
        self.probing.remove(depth)
        self._advance(depth, verdict.solved)


class LinearDepthSearch(DepthSearch):
    """Train depths min..max in order; stop at the first depth the rule calls solved."""

    def _advance(self, depth: int, solved: bool) -> None:
        if solved:
            self.minimal_depth, self.done = depth, True
        elif depth >= self.max_depth:
            self.done = True
        else:
            self.probing = [depth + 1]


class AdaptiveDepthSearch(DepthSearch):
    """Gallop (min, min+1, min+3, min+7, ..., max) to the first solved depth, then bisect
    between the deepest failed and the shallowest solved depth until they are adjacent.

    It reports d only when d-1 has been trained and failed (or d is the minimum depth), so
    its answer equals the table's rule on the depths it trained. It assumes success does
    not fall with depth; ``exhaustive`` checks that assumption.
    """

    def __post_init__(self) -> None:
        self.failed_below = self.min_depth - 1  # deepest depth known to fail (virtual at start)
        self.solved_at: int | None = None  # shallowest depth known to solve
        super().__post_init__()

    def _gallop_after(self, depth: int) -> int | None:
        step = 1
        while self.min_depth - 1 + step <= depth:
            step *= 2
        if depth >= self.max_depth:
            return None
        return min(self.min_depth - 1 + step, self.max_depth)

    def _advance(self, depth: int, solved: bool) -> None:
        if solved:
            self.solved_at = depth
        else:
            self.failed_below = depth
        if self.solved_at is None:
            nxt = self._gallop_after(depth)
            if nxt is None:
                self.done = True
            else:
                self.probing = [nxt]
        elif self.solved_at - self.failed_below == 1:
            self.minimal_depth, self.done = self.solved_at, True
        else:
            self.probing = [(self.failed_below + self.solved_at) // 2]


class ExhaustiveSearch(DepthSearch):
    """Every depth, seed and lr: the whole success-vs-depth curve (checks monotonicity)."""

    early = False

    def _first(self) -> list[int]:
        return list(range(self.min_depth, self.max_depth + 1))

    def _advance(self, depth: int, solved: bool) -> None:
        if not self.probing:
            self.done = True
            self.minimal_depth = first_solved(self.verdicts, self.min_depth)


SEARCHES: dict[str, type[DepthSearch]] = {
    "adaptive": AdaptiveDepthSearch, "linear": LinearDepthSearch, "exhaustive": ExhaustiveSearch,
}


def make_search(kind: str, arch: str, make_trial: TrialFactory, seeds: int,
                lrs: tuple[float, ...], min_depth: int, max_depth: int,
                rule: SolveRule | None = None) -> DepthSearch:
    if kind not in SEARCHES:
        raise ToytasksError(f"unknown search '{kind}' (valid: {', '.join(SEARCHES)})")
    return SEARCHES[kind](arch, make_trial, seeds, tuple(lrs), min_depth, max_depth,
                          rule or SolveRule())
