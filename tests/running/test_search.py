"""Decision rules and depth searches, on a fake trainer with a known success curve."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.search_fakes import drive, make_trial

from toytasks.errors import ToytasksError
from toytasks.training.search import (
    SEARCHES,
    AdaptiveDepthSearch,
    ExhaustiveSearch,
    LinearDepthSearch,
    make_search,
)
from toytasks.training.solve import (
    RULES,
    ClopperPearsonRule,
    SolveRule,
    counted_lrs,
    first_solved,
    get_rule,
    seed_outcome,
)
from toytasks.training.stats import clopper_pearson

# --- rules --------------------------------------------------------------------------------


def test_majority_needs_strictly_more_than_half() -> None:
    rule = SolveRule()
    assert [rule.solved(k, 3) for k in range(4)] == [False, False, True, True]
    assert [rule.solved(k, 4) for k in range(5)] == [False, False, False, True, True]


def test_cp95_with_ten_seeds_needs_nine_successes() -> None:
    rule = get_rule("cp95")
    assert [k for k in range(11) if rule.solved(k, 10)] == [9, 10]
    assert clopper_pearson(9, 10)[0] >= 0.5 > clopper_pearson(8, 10)[0]
    # 15/20 is the smallest count whose lower bound clears 0.5 at 20 seeds
    assert next(k for k in range(21) if rule.solved(k, 20)) == 15


def test_cp95_refuses_fewer_than_ten_seeds() -> None:
    rule = get_rule("cp95")
    assert not rule.solved(6, 6)  # 6/6 has lower bound 0.54, but 6 seeds are too few
    with pytest.raises(ToytasksError, match="at least 10 seeds"):
        rule.check_seeds(9)
    rule.check_seeds(10)


def test_unknown_rule_is_a_user_error() -> None:
    with pytest.raises(ToytasksError, match="unknown rule"):
        get_rule("always")


def test_cli_choices_list_every_rule_and_search() -> None:
    from toytasks.cli import RULE_NAMES, SEARCH_NAMES

    assert set(RULE_NAMES) == set(RULES)
    assert set(SEARCH_NAMES) == set(SEARCHES)


@pytest.mark.parametrize(("rule", "n"), [(SolveRule(), 1), (SolveRule(), 3), (SolveRule(), 4),
                                         (SolveRule(), 7), (ClopperPearsonRule(), 10)])
def test_sequential_verdict_is_forced_minimal_and_equals_full_data(rule: SolveRule,
                                                                    n: int) -> None:
    for outcomes in itertools.product([False, True], repeat=n):
        full = rule.solved(sum(outcomes), n)
        verdict = rule.verdict(list(outcomes), n)
        assert verdict.decided and verdict.solved == full
        c = verdict.counted
        assert verdict.successes == sum(outcomes[:c])
        # forced: every completion of the counted prefix gives the same full-data verdict
        for rest in range(n - c + 1):
            assert rule.solved(verdict.successes + rest, n) == full
        # minimal: one seed fewer would not have decided it
        shorter = rule.verdict([*outcomes[: c - 1], *([None] * (n - c + 1))], n)
        assert not shorter.decided
        # non-early counting uses every seed and reaches the same decision
        every = rule.verdict(list(outcomes), n, early=False)
        assert (every.solved, every.counted, every.successes) == (full, n, sum(outcomes))


def test_verdict_waits_for_the_first_unknown_seed() -> None:
    rule = SolveRule()
    # seeds 1 and 2 succeeded, seed 0 is still running: nothing is decided yet
    assert not rule.verdict([None, True, True], 3).decided
    assert rule.verdict([True, True, None], 3).solved


# --- best of the lr grid ------------------------------------------------------------------


def test_seed_outcome_is_best_of_lr_walked_in_ascending_order() -> None:
    lrs = (3e-3, 1e-3)
    assert seed_outcome({1e-3: True}, lrs) is True
    assert seed_outcome({1e-3: False, 3e-3: True}, lrs) is True
    assert seed_outcome({1e-3: False, 3e-3: False}, lrs) is False
    assert seed_outcome({1e-3: False}, lrs) is None
    # the larger lr succeeded first, but the smaller one is still unknown: wait for it,
    # so that which trials count never depends on which finished first
    assert seed_outcome({3e-3: True}, lrs) is None
    assert counted_lrs({1e-3: True, 3e-3: True}, lrs) == [1e-3]
    assert counted_lrs({1e-3: False, 3e-3: True}, lrs) == [1e-3, 3e-3]
    assert counted_lrs({1e-3: True, 3e-3: True}, lrs, early=False) == [1e-3, 3e-3]


def test_a_seed_succeeds_if_any_lr_succeeds() -> None:
    # even seeds only train at lr 1e-3, odd seeds only at 3e-3; depth does not matter
    def outcome(t):
        return (t.seed % 2 == 0) == (t.lr == 1e-3)

    single = LinearDepthSearch("cnn", make_trial, 4, (1e-3,), 1, 3)
    drive(single, outcome)
    assert single.minimal_depth is None  # 2/4 is not a majority
    grid = LinearDepthSearch("cnn", make_trial, 4, (3e-3, 1e-3), 1, 3)
    trained = drive(grid, outcome)
    assert grid.minimal_depth == 1
    # seeds 0 and 2 succeeded at the first lr: their second lr was never trained; 3 of 4
    # seeds decided the majority, so seed 3 was never trained either
    assert [(t.seed, t.lr) for t in trained] == [(0, 1e-3), (1, 1e-3), (1, 3e-3), (2, 1e-3)]


# --- the searches on known curves --------------------------------------------------------


def threshold_curve(d_star: int, late_seeds: frozenset[int] = frozenset()):
    """Seeds succeed from d_star on; seeds in ``late_seeds`` need one more layer."""
    return lambda t: t.depth >= d_star + (t.seed in late_seeds)


@pytest.mark.parametrize("kind", sorted(SEARCHES))
@pytest.mark.parametrize("d_star", [1, 2, 3, 5, 7, 8, 12])
def test_every_search_finds_the_known_minimal_depth(kind: str, d_star: int) -> None:
    search = make_search(kind, "cnn", make_trial, 3, (3e-3,), 1, 12)
    drive(search, threshold_curve(d_star, frozenset({2})))
    assert search.minimal_depth == d_star  # seeds 0, 1 at d_star: a majority of 3


@pytest.mark.parametrize("kind", sorted(SEARCHES))
def test_unsolvable_reports_none(kind: str) -> None:
    search = make_search(kind, "cnn", make_trial, 2, (3e-3,), 1, 12)
    drive(search, lambda t: False)
    assert search.minimal_depth is None and search.done


def test_adaptive_gallops_then_bisects() -> None:
    search = AdaptiveDepthSearch("cnn", make_trial, 1, (3e-3,), 1, 12)
    trained = drive(search, threshold_curve(5))
    assert [t.depth for t in trained] == [1, 2, 4, 8, 6, 5]
    assert search.minimal_depth == 5
    capped = AdaptiveDepthSearch("cnn", make_trial, 1, (3e-3,), 1, 12)
    assert [t.depth for t in drive(capped, lambda t: False)] == [1, 2, 4, 8, 12]
    offset = AdaptiveDepthSearch("cnn", make_trial, 1, (3e-3,), 3, 12)
    assert [t.depth for t in drive(offset, threshold_curve(6))] == [3, 4, 6, 5]


def test_adaptive_trains_fewer_depths_than_linear_when_the_answer_is_deep() -> None:
    adaptive = AdaptiveDepthSearch("cnn", make_trial, 1, (3e-3,), 1, 32)
    linear = LinearDepthSearch("cnn", make_trial, 1, (3e-3,), 1, 32)
    assert len(drive(adaptive, threshold_curve(20))) < len(drive(linear, threshold_curve(20)))


def test_exhaustive_trains_the_whole_grid() -> None:
    search = ExhaustiveSearch("cnn", make_trial, 3, (1e-3, 3e-3), 1, 4)
    trained = drive(search, threshold_curve(2))
    assert len(trained) == 4 * 3 * 2 and search.minimal_depth == 2


curves = st.lists(st.lists(st.booleans(), min_size=3, max_size=3), min_size=10, max_size=10)


@settings(max_examples=200, deadline=None)
@given(curves, st.integers(1, 5), st.sampled_from(sorted(SEARCHES)), st.integers(0, 2**32))
def test_never_reports_d_without_a_failed_d_minus_1(table: list[list[bool]], min_depth: int,
                                                      kind: str, order: int) -> None:
    """Any success table, even non-monotonic, any completion order and worker count."""
    def outcome(t):
        return table[t.depth - 1][t.seed]

    search = make_search(kind, "cnn", make_trial, 3, (3e-3,), min_depth, 10)
    drive(search, outcome, np.random.default_rng(order), workers=1 + order % 4)
    d = search.minimal_depth
    if d is not None:
        assert search.verdicts[d] is True
        assert d == min_depth or search.verdicts[d - 1] is False
    # and the verdicts are those of the rule on the full data, whatever the order
    for depth, solved in search.verdicts.items():
        assert solved == SolveRule().solved(sum(table[depth - 1]), 3)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 11), min_size=3, max_size=3), st.integers(0, 2**32))
def test_adaptive_linear_and_exhaustive_agree_on_monotone_curves(starts: list[int],
                                                                  order: int) -> None:
    def outcome(t):
        return t.depth >= starts[t.seed]  # seed s succeeds from depth starts[s] on

    answers = set()
    for kind in SEARCHES:
        search = make_search(kind, "cnn", make_trial, 3, (3e-3,), 1, 10)
        drive(search, outcome, np.random.default_rng(order), workers=3)
        answers.add(search.minimal_depth)
    expected = sorted(starts)[1] if sorted(starts)[1] <= 10 else None  # 2 of 3 seeds
    assert answers == {expected}


def test_first_solved() -> None:
    assert first_solved({1: False, 2: True, 3: True}, 1) == 2
    assert first_solved({3: True}, 3) == 3
    assert first_solved({2: False, 4: True}, 2) is None  # 3 never trained: no answer yet
    assert first_solved({1: False, 2: True, 3: False, 4: True}, 1) == 2


def test_unknown_search_and_bad_depths_are_user_errors() -> None:
    with pytest.raises(ToytasksError, match="unknown search"):
        make_search("random", "cnn", make_trial, 1, (1e-3,), 1, 2)
    with pytest.raises(ToytasksError, match="min depth"):
        make_search("adaptive", "cnn", make_trial, 1, (1e-3,), 5, 2)
