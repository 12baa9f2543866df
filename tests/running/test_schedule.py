"""The scheduler the runner and the dry run share: reuse, submission order, retries,
and which depths a finished job confirms, at their boundaries."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from tests.search_fakes import make_trial

from toytasks.running.schedule import Schedule, confirm_depths, deciding
from toytasks.training.search import make_search


@dataclass(frozen=True)
class Done:
    solved: bool


def search(seeds: int = 3, max_depth: int = 4, kind: str = "linear"):
    return make_search(kind, "cnn", lambda d, s, lr: make_trial(d, s, lr), seeds, (1e-3,),
                       1, max_depth)


@pytest.mark.parametrize(("minimal", "trained", "expected"), [
    (3, {1, 2, 3}, [2, 3]),  # the solved depth and the failed one below
    (1, {1}, [1]),  # the lowest depth has no depth below it
    (3, {3, 4}, [3]),  # the depth below was never trained
    (None, {1, 2, 4}, [4]),  # unsolved: the deepest depth tried
    (None, set(), []),
])
def test_deciding_depths(minimal, trained, expected) -> None:
    assert deciding(minimal, trained) == expected


def test_confirmation_trains_only_depths_counting_fewer_seeds_than_asked() -> None:
    assert confirm_depths(3, {2: 2, 3: 3}, 3) == [2]  # 3 of 3 counted: nothing to add
    assert confirm_depths(3, {2: 3, 3: 3}, 3) == []
    assert confirm_depths(None, {1: 2, 2: 2}, 3) == [2]


def test_stored_outcomes_are_reused_and_fresh_ones_submitted_up_to_the_free_workers() -> None:
    stored = {make_trial(1, s, 1e-3).key: Done(False) for s in range(2)}  # depth 1 fails
    s = search()
    schedule = Schedule([s], stored=lambda t: stored.get(t.key),
                        rank=lambda t: (t.seed, -t.depth))
    assert schedule.submit(0) == []
    assert [t.key for t in schedule.reused] == list(stored)
    chosen = schedule.submit(2)
    assert [(t.depth, t.seed) for _, t in chosen] == [(2, 0), (2, 1)]
    for _, trial in chosen:
        schedule.record(s, trial, Done(True))
    assert s.done and s.minimal_depth == 2 and schedule.done
    assert schedule.submit(5) == []  # seed 2 is not needed: two of three decided
    assert s.counted() == {1: 2, 2: 2}  # two of three seeds decided each depth


def test_a_retried_trial_goes_before_every_fresh_candidate() -> None:
    s = search(max_depth=1)
    schedule = Schedule([s], stored=lambda t: None, rank=lambda t: t.seed)
    (pair,) = schedule.submit(1)
    schedule.retry(*pair)
    again = schedule.submit(1)
    assert again == [pair]
    assert [t.seed for _, t in schedule.submit(5)] == [1, 2]
