"""The runner's scheduling decisions, as a function of outcomes rather than of an executor.

A ``Schedule`` holds one job's searches and answers the loop's questions: which trials to
submit now (outcomes already known are fed to the searches first, so a resumed run reuses
what is stored; trials whose worker died go again first; then fresh candidates in
``flops.priority`` order, as many as there are free workers) and when the job is done.
``confirm_depths`` says which depths a finished job confirms. The runner
(``runner.run_trials``) drives a schedule with an executor and the store; the dry run
(``toytasks.cost.estimate``) with a clock and outcome scenarios. Both therefore ask for the
same trials in the same order, and neither copies the other's loop.

With packed seeds (``--pack K``) a free worker takes a pack rather than a trial: ``group``
names the pack of a trial, and ``submit`` hands out, for each of ``free`` packs, every
candidate of that pack that the searches ask for now (never a seed they did not ask for).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass, field
from typing import Any

from toytasks.specs.options import RunOptions
from toytasks.training.search import DepthSearch, Outcome, TrialFactory, make_search
from toytasks.training.solve import SolveRule
from toytasks.training.trial import Trial

Pair = tuple[DepthSearch, Trial]


def make_searches(opts: RunOptions, rule: SolveRule,
                  factory: Callable[[str], TrialFactory]) -> list[DepthSearch]:
    """One search per architecture of ``opts`` (``factory(arch)`` makes its trials)."""
    return [make_search(opts.search, arch, factory(arch), opts.seeds, opts.lrs,
                        opts.min_depth, opts.max_depth, rule) for arch in opts.archs]


@dataclass
class Schedule:
    """One job's searches and what to do next; ``stored(trial)``: an outcome to reuse, or
    None (train it); ``rank``: the order of fresh candidates; ``seen``: told of every
    candidate the searches ask for, reused or not; ``group``: the pack a trial trains in
    (None: alone), so that one worker takes a whole pack."""

    searches: list[DepthSearch]
    stored: Callable[[Trial], Outcome | None]
    rank: Callable[[Trial], Any]
    seen: Callable[[Trial], None] = lambda _: None
    group: Callable[[Trial], Hashable | None] = lambda _: None
    reused: list[Trial] = field(default_factory=list)  # fed from ``stored``, in order
    _retry: list[Pair] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return all(search.done for search in self.searches)

    def submit(self, free: int) -> list[Pair]:
        """The trials to start now on ``free`` workers (marked started in their search)."""
        ranked = sorted(self._take_stored(), key=lambda pair: self.rank(pair[1]))
        chosen, units = [], set()
        for pair in self._retry + ranked:
            unit = self.group(pair[1]) or pair[1].key
            if unit not in units:
                if len(units) >= free:
                    continue
                units.add(unit)
            chosen.append(pair)
        for search, trial in chosen:
            search.started(trial)
        taken = {trial.key for _, trial in chosen}
        self._retry = [pair for pair in self._retry if pair[1].key not in taken]
        return chosen

    def record(self, search: DepthSearch, trial: Trial, outcome: Outcome) -> None:
        search.record(trial, outcome)

    def retry(self, search: DepthSearch, trial: Trial) -> None:
        """Submit ``trial`` again, before any fresh candidate (its worker died)."""
        self._retry.append((search, trial))

    def _take_stored(self) -> list[Pair]:
        """Feed known outcomes to the searches until they ask for something new (resume);
        the candidates that still need training."""
        while True:
            fresh = []
            progressed = False
            for search in self.searches:
                for trial in search.candidates():
                    self.seen(trial)
                    outcome = self.stored(trial)
                    if outcome is not None:
                        search.started(trial)
                        search.record(trial, outcome)
                        self.reused.append(trial)
                        progressed = True
                        break  # the search may have moved on: ask it again
                    fresh.append((search, trial))
            if not progressed:
                return fresh


def deciding(minimal_depth: int | None, trained: Collection[int]) -> list[int]:
    """The depths that decide a row's minimal depth: that depth and the one below it (when
    trained), or the deepest depth tried when unsolved."""
    if minimal_depth is None:
        return [max(trained)] if trained else []
    return [d for d in (minimal_depth - 1, minimal_depth) if d in trained]


def confirm_depths(minimal_depth: int | None, counted: dict[int, int], seeds: int) -> list[int]:
    """The decisive depths whose evidence counts fewer than ``seeds`` seeds (``counted``:
    seeds counted per trained depth): a confirmation trains every seed there."""
    return [d for d in deciding(minimal_depth, counted) if counted[d] < seeds]
