"""Minimal-depth search: decides which trials to run next; never trains anything itself.

A search object proposes trials and is fed their results; the runner owns the executor and
the store. When a depth is "solved" is decided in one place, ``toytasks.training.solve``,
and seeds are consumed in order (0, 1, 2, ...): a depth's verdict is taken as soon as the
seeds seen so far decide it, so a depth that has failed twice out of three is not
trained a third time.
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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from toytasks.errors import ToytasksError
from toytasks.training.solve import SolveRule, first_solved, seed_outcome, seed_outcomes
from toytasks.training.trial import REFUSED, Trial

TrialFactory = Callable[[int, int, float], Trial]  # (depth, seed, lr) -> Trial


class Outcome(Protocol):
    """What a search reads of a result: a ``TrialResult``, or a dry run's scenario outcome."""

    @property
    def solved(self) -> bool: ...


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

    def counted(self) -> dict[int, int]:
        """Per decided depth, how many seeds its verdict counts (a prefix: the sequential
        rule stops reading once decided); confirmation trains the seeds it left out."""
        return {depth: self.rule.verdict(seed_outcomes(self._runs.get(depth, {}), self.seeds,
                                                       self.lrs), self.seeds).counted
                for depth in self.verdicts}

    def record(self, trial: Trial, result: Outcome) -> None:
        depth = trial.depth
        if getattr(result, "status", None) == REFUSED:  # a leaking model: no minimal depth
            self.done, self.minimal_depth, self.probing = True, None, []
            return
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
