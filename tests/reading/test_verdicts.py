"""Verdict rules on synthetic results whose answer is known: for each explanation (a)-(e),
one store where it is supported, one where it is not, one where the evidence is too thin,
each at its boundary: one seed (a point estimate, never enough) and enough seeds to
separate intervals or show equivalence (``EQUIVALENCE_MARGIN``)."""

from __future__ import annotations

import pytest
from tests.search_fakes import fake_result

from toytasks.reading.records import TrialRecord
from toytasks.reading.summary import summarise
from toytasks.study.explanations.a_receptive_field import verdict_a
from toytasks.study.explanations.b_deep_stacks import verdict_b
from toytasks.study.explanations.c_overfitting import verdict_c
from toytasks.study.explanations.d_multiplication import verdict_d
from toytasks.study.explanations.e_parameter_count import verdict_e
from toytasks.study.explanations.evidence import (
    EQUIVALENCE_MARGIN,
    INCONCLUSIVE,
    NOT_SUPPORTED,
    SUPPORTED,
    compare_depths,
    equivalent,
    separated,
)
from toytasks.training.trial import Trial


def records(arch: str, outcomes: dict[int, str], generator: str = "cycle-pattern",
            match_params: int = 0, diagnostics: dict | None = None, seed: int = 0,
            seeds: int | None = None, rule: str = "majority", search: str = "exhaustive",
            **knobs) -> list[TrialRecord]:
    """Stored records: ``outcomes[depth]`` is one character per seed, '1' solved, '0' not
    (seeds from ``seed`` on); every seed counted (exhaustive). ``diagnostics`` is attached
    to every result; ``seeds`` is what the run asked for (default: the longest outcome)."""
    seeds = seeds or max(len(text) for text in outcomes.values())
    out = []
    for depth, text in outcomes.items():
        for offset, char in enumerate(text):
            trial = Trial(task=generator, generator=generator, knobs=tuple(sorted(knobs.items())),
                          arch=arch, depth=depth, width=16 + depth * (match_params > 0),
                          seed=seed + offset, lr=3e-3, max_steps=600, batch_size=32, eval_every=100,
                          patience=5, test_size=512, threshold=0.95)
            result = fake_result(trial, char == "1")
            result.diagnostics = dict(diagnostics or {})
            out.append(TrialRecord.from_dict({
                "key": trial.key, "trial": trial.config(), "result": result.to_dict(),
                "search": {"seeds": seeds, "rule": rule, "search": search,
                           "lrs": [3e-3], "match_params": match_params}}))
    return out


def cp(arch: str, outcomes: dict[int, str], period: int, **kw) -> list[TrialRecord]:
    return records(arch, outcomes, n_positive=1, period_samples=period, **kw)


# --- shared comparison -----------------------------------------------------------------
def test_separated_needs_non_overlapping_intervals():
    assert separated((6, 6), (0, 6))  # [0.54, 1] vs [0, 0.46]
    assert not separated((5, 5), (0, 5))  # [0.48, 1] vs [0, 0.52]
    assert not separated((3, 3), (0, 0))  # no evidence on one side


def test_equivalent_needs_both_intervals_within_the_margin():
    """The margin is 1/3: at 10 seeds only the unanimous pairs qualify, at 20 seeds 18/20 vs
    20/20 does; 1/10 vs 0/10 and 5/20 vs 0/20 (a margin of 0.5 called them equal) do not."""
    assert pytest.approx(1 / 3) == EQUIVALENCE_MARGIN
    assert equivalent((10, 10), (10, 10)) and equivalent((0, 10), (0, 10))  # [0.69, 1]: 0.31
    assert not equivalent((9, 10), (10, 10))  # [0.555, 1]: 0.445
    assert not equivalent((1, 10), (0, 10))  # [0, 0.445]
    assert equivalent((18, 20), (20, 20))  # [0.683, 1]: 0.317
    assert not equivalent((17, 20), (20, 20))  # [0.621, 1]: 0.379
    assert not equivalent((5, 20), (0, 20)) and equivalent((0, 20), (0, 20))
    assert not equivalent((6, 6), (6, 6))  # [0.54, 1]: 0.46, six seeds no longer suffice
    assert not equivalent((1, 1), (1, 1)) and not equivalent((0, 1), (0, 1))  # one seed
    assert not equivalent((6, 6), (0, 6))
    assert not equivalent((3, 3), (0, 0))  # no evidence on one side
    for n in range(1, 11):  # exhaustively at 10 seeds: only unanimous equal pairs
        for k in range(n + 1):
            for j in range(n + 1):
                if n == 10 and equivalent((k, n), (j, n)):
                    assert (k, j) in ((0, 0), (10, 10))
                if n < 10:
                    assert not equivalent((k, n), (j, n))


def test_compare_depths_pools_the_cells_between_the_minimal_depths():
    cnn_cells = {1: "000", 2: "000", 3: "111"}
    for lstm_cell, sep in (("111", False), ("111111", True)):  # 3/3 [0.29-1], 6/6 [0.54-1]
        rows = summarise(cp("lstm", {1: lstm_cell}, 8) + cp("cnn", cnn_cells, 8))
        lstm, cnn = (next(r for r in rows if r.arch == a) for a in ("lstm", "cnn"))
        order = compare_depths(lstm, cnn)  # cnn: 0/6 [0-0.46] at depths 1-2
        assert (order.relation, order.depths, order.b) == ("fewer", (1, 2), (0, 6))
        assert order.separated is sep, order.text
    assert compare_depths(cnn, lstm).relation == "more"
    unsolved = summarise(cp("rnn", {1: "000"}, 8) + cp("gru", {1: "000"}, 8))
    assert compare_depths(*unsolved).relation == "unknown"


# --- (a) ---------------------------------------------------------------------------------
def a_store(lstm8: dict[int, str], cnn8: dict[int, str], seeds: int = 6) -> list:
    ok = "1" * seeds
    return summarise(cp("lstm", {1: ok}, 4) + cp("cnn", {1: "0" * seeds, 2: ok}, 4)
                     + cp("lstm", lstm8, 8) + cp("cnn", cnn8, 8))


def test_a_supported_when_cnn_grows_with_span_and_lstm_stays_at_one():
    fail = {d: "0000" for d in range(1, 5)}
    rows = a_store({1: "1111"}, {**fail, 5: "1111"}, seeds=4)
    verdict = verdict_a(rows, "cnn", "lstm", "period_samples")
    assert verdict.outcome == SUPPORTED, verdict.line
    assert "lstm at depth 1 8/8" in verdict.line


def test_a_inconclusive_when_the_growth_of_the_cnn_depth_is_not_separated():
    # 3 seeds: cnn 3/3 [0.29-1] at depth 2 (span 4) vs 0/9 [0-0.34] at depths 2-4 (span 8)
    fail = {d: "000" for d in range(1, 5)}
    verdict = verdict_a(a_store({1: "111"}, {**fail, 5: "111"}, seeds=3), "cnn", "lstm",
                        "period_samples")
    assert verdict.outcome == INCONCLUSIVE, verdict.line
    assert verdict.line.endswith(": the growth of cnn's depth is not separated")


@pytest.mark.parametrize("n", [6, 1])
@pytest.mark.parametrize("lstm8, cnn8, why", [
    ({1: "0", 2: "1"}, {**{d: "0" for d in range(1, 5)}, 5: "1"}, "does not solve at depth 1"),
    ({1: "1"}, {1: "0", 2: "1"}, "below its receptive-field bound"),
])
def test_a_not_supported_only_on_separated_intervals(lstm8, cnn8, why, n):
    widen = {d: c * n for d, c in lstm8.items()}, {d: c * n for d, c in cnn8.items()}
    verdict = verdict_a(a_store(*widen, seeds=n), "cnn", "lstm", "period_samples")
    if n == 1:  # 0/1 vs 1/1 (or 1/1 below the bound) overlaps: a point estimate
        assert verdict.outcome == INCONCLUSIVE, verdict.line
    else:
        assert verdict.outcome == NOT_SUPPORTED and why in verdict.line


@pytest.mark.parametrize("n, outcome", [(10, NOT_SUPPORTED), (6, INCONCLUSIVE),
                                        (1, INCONCLUSIVE)])
def test_a_not_supported_when_cnn_depth_does_not_grow_with_its_bound(n, outcome):
    # the same minimal depth 5 at both spans: equivalent cells at depths 4 and 5 need 10
    # seeds (within 1/3: [0.69, 1] and [0, 0.31]; 6 seeds give [0.54, 1], too wide)
    cnn = {4: "0" * n, 5: "1" * n}
    rows = summarise(cp("lstm", {1: "1" * n}, 4) + cp("cnn", cnn, 4)
                     + cp("lstm", {1: "1" * n}, 8) + cp("cnn", cnn, 8))
    verdict = verdict_a(rows, "cnn", "lstm", "period_samples")  # bounds 2 and 4
    assert verdict.outcome == outcome, verdict.line
    assert "does not grow" in verdict.line or outcome == INCONCLUSIVE


def test_a_inconclusive_when_the_sweep_leaves_the_bound_unchanged():
    rows = summarise(cp("lstm", {1: "111"}, 3) + cp("cnn", {1: "000", 2: "111"}, 3)
                     + cp("lstm", {1: "111"}, 4) + cp("cnn", {1: "000", 2: "111"}, 4))
    verdict = verdict_a(rows, "cnn", "lstm", "period_samples")  # bound 2 at both
    assert verdict.outcome == INCONCLUSIVE and "do not move" in verdict.line


@pytest.mark.parametrize("rows", [
    a_store({1: "1"}, {1: "0", 2: "0", 3: "0", 4: "0", 5: "1"}, seeds=1),  # 2/2 vs 0/5 overlap
    summarise(cp("lstm", {1: "111"}, 4) + cp("cnn", {1: "000", 2: "111"}, 4)),  # one value
    a_store({1: "111111"}, {d: "000000" for d in range(1, 2)}),  # cnn not searched deep
])
def test_a_inconclusive(rows):
    assert verdict_a(rows, "cnn", "lstm", "period_samples").outcome == INCONCLUSIVE


# --- (b) ---------------------------------------------------------------------------------
GRAD_PLAIN = {"grad_norm_init": [1e-4, 1e-2, 1e-1, 1.0]}  # layers 1..3 and the readout
GRAD_RES = {"grad_norm_init": [0.5, 0.5, 0.5, 1.0]}


def b_store(deep: str, shallow: str = "111111") -> tuple[list, list]:
    recs = (cp("lstm", {1: shallow, 8: deep}, 4, diagnostics=GRAD_PLAIN)
            + cp("res-lstm", {1: shallow, 8: "111111"}, 4, diagnostics=GRAD_RES))
    return summarise(recs), recs


def test_b_supported_when_the_deep_stack_fails_where_the_shallow_one_solves():
    verdict = verdict_b(*b_store("000000"), "lstm", "res-lstm")
    assert verdict.outcome == SUPPORTED, verdict.line
    assert "first/last-layer gradient at init 0.001 (collapsed)" in verdict.line
    assert "res-lstm at depth 8: 6/6" in verdict.line and "gradient ratio 1" in verdict.line


def test_b_not_supported_when_the_deep_stack_still_trains():
    verdict = verdict_b(*b_store("1" * 10, "1" * 10), "lstm", "res-lstm")
    assert verdict.outcome == NOT_SUPPORTED and "equivalent" in verdict.line
    verdict = verdict_b(*b_store("111111"), "lstm", "res-lstm")  # 6/6 vs 6/6: too few
    assert verdict.outcome == INCONCLUSIVE, verdict.line


@pytest.mark.parametrize("shallow, deep", [("1", "1"), ("111", "111"), ("1", "0")])
def test_b_inconclusive_when_one_or_three_seeds_show_no_equivalence(shallow, deep):
    # 1/1 vs 1/1 and 3/3 vs 3/3 are not shown equivalent; 1/1 vs 0/1 is not separated
    verdict = verdict_b(*b_store(deep, shallow), "lstm", "res-lstm")
    assert verdict.outcome == INCONCLUSIVE, verdict.line


def test_b_inconclusive_with_too_few_seeds_or_one_depth():
    assert verdict_b(*b_store("000", "111"), "lstm", "res-lstm").outcome == INCONCLUSIVE
    one = cp("lstm", {1: "111111"}, 4)
    assert verdict_b(summarise(one), one, "lstm", "res-lstm").outcome == INCONCLUSIVE


# --- (c) ---------------------------------------------------------------------------------
def c_store(lstm_gaps: list[float], cnn_gap: float = 0.0, cnn_seeds: int = 6
            ) -> tuple[list, list]:
    recs = cp("cnn", {1: "0" * cnn_seeds, 2: "1" * cnn_seeds}, 4, diagnostics={"gap": cnn_gap})
    for seed, gap in enumerate(lstm_gaps):
        (one,) = cp("lstm", {1: "1"}, 4, diagnostics={"gap": gap}, seed=seed,
                    seeds=len(lstm_gaps))  # distinct seeds of one row
        recs.append(one)
    return summarise(recs), recs


def test_c_supported_when_the_lstm_overfits_clearly_more_often():
    verdict = verdict_c(*c_store([0.2] * 6), "lstm", "cnn")
    assert verdict.outcome == SUPPORTED, verdict.line
    assert "lstm at depth 1 (minimal): overfits 6/6" in verdict.line


def test_c_not_supported_when_the_lstm_overfits_no_more_often():
    verdict = verdict_c(*c_store([0.0] * 6, cnn_gap=0.1), "lstm", "cnn")
    assert verdict.outcome == NOT_SUPPORTED


def test_c_not_supported_when_both_overfit_equally_often_on_enough_seeds():
    verdict = verdict_c(*c_store([0.0] * 10, cnn_gap=0.0, cnn_seeds=10), "lstm", "cnn")
    assert verdict.outcome == NOT_SUPPORTED and "equivalent" in verdict.line
    verdict = verdict_c(*c_store([0.0] * 6, cnn_gap=0.0), "lstm", "cnn")  # 0/6: too wide
    assert verdict.outcome == INCONCLUSIVE, verdict.line


@pytest.mark.parametrize("lstm_seeds, cnn_seeds", [(1, 1), (1, 6), (3, 3)])
def test_c_inconclusive_on_point_estimates(lstm_seeds, cnn_seeds):
    # 0/1 vs 0/1 (the case), 0/1 vs 0/6, 0/3 vs 0/3: no equivalence shown
    verdict = verdict_c(*c_store([0.0] * lstm_seeds, cnn_seeds=cnn_seeds), "lstm", "cnn")
    assert verdict.outcome == INCONCLUSIVE, verdict.line


def test_c_inconclusive_when_intervals_overlap_or_gaps_are_missing():
    assert verdict_c(*c_store([0.2, 0.0, 0.2, 0.0, 0.0, 0.0]), "lstm", "cnn").outcome \
        == INCONCLUSIVE
    rows = summarise(cp("lstm", {1: "111"}, 4) + cp("cnn", {1: "111"}, 4))
    assert verdict_c(rows, [], "lstm", "cnn").outcome == INCONCLUSIVE


# --- (d) ---------------------------------------------------------------------------------
def xor(arch: str, outcomes: dict[int, str]) -> list[dict]:
    return records(arch, outcomes, generator="xor-products", n_products=1, seq_len_samples=4)


PAIRS = [["gated-cnn", "cnn"], ["lstm", "rnn"]]


def test_d_supported_when_gating_saves_layers_clearly():
    rows = summarise(xor("gated-cnn", {1: "000000", 2: "111111"})
                     + xor("cnn", {1: "000000", 2: "000000", 3: "000000", 4: "111111"})
                     + xor("lstm", {1: "111111"}) + xor("rnn", {1: "000000", 2: "000000"}))
    verdict = verdict_d(rows, PAIRS)
    assert verdict.outcome == SUPPORTED, verdict.line
    assert "cnn needs 2 layer(s) beyond its receptive-field bound 2" in verdict.line


@pytest.mark.parametrize("n, outcome", [(10, NOT_SUPPORTED), (6, INCONCLUSIVE),
                                        (3, INCONCLUSIVE), (1, INCONCLUSIVE)])
def test_d_not_supported_only_when_the_same_depth_is_shown_equivalent(n, outcome):
    cells = {1: "0" * n, 2: "1" * n}  # the same minimal depth 2 for both
    rows = summarise(xor("gated-cnn", cells) + xor("cnn", cells))
    verdict = verdict_d(rows, PAIRS)
    assert verdict.outcome == outcome, verdict.line
    if outcome == NOT_SUPPORTED:
        assert "gating does not reduce" in verdict.line and "equivalent" in verdict.line


@pytest.mark.parametrize("n, outcome", [(6, NOT_SUPPORTED), (1, INCONCLUSIVE)])
def test_d_not_supported_when_the_plain_cnn_needs_clearly_fewer_layers(n, outcome):
    rows = summarise(xor("gated-cnn", {1: "0" * n, 2: "0" * n, 3: "1" * n})
                     + xor("cnn", {1: "0" * n, 2: "1" * n}))
    assert verdict_d(rows, PAIRS).outcome == outcome


def test_d_inconclusive_when_one_layer_rests_on_three_seeds():
    rows = summarise(xor("gated-cnn", {1: "000", 2: "111"})
                     + xor("cnn", {1: "000", 2: "000", 3: "111"}))
    assert verdict_d(rows, PAIRS).outcome == INCONCLUSIVE


# --- (e) ---------------------------------------------------------------------------------
FIXED = cp("lstm", {1: "111111"}, 6) + cp("cnn", {1: "000000", 2: "000000", 3: "111111"}, 6)


def test_e_not_supported_when_the_ordering_stays_at_matched_parameters():
    matched = (cp("lstm", {1: "111111"}, 6, match_params=3000)
               + cp("cnn", {1: "000000", 2: "000000", 3: "111111"}, 6, match_params=3000))
    verdict = verdict_e(summarise(FIXED + matched), "lstm", "cnn", 3000)
    assert verdict.outcome == NOT_SUPPORTED and "ordering stays" in verdict.line


def test_e_supported_when_the_gap_closes_at_matched_parameters():
    cells = {1: "0" * 10, 2: "0" * 10, 3: "1" * 10}  # equivalent within 1/3 at 10 seeds
    matched = (cp("lstm", cells, 6, match_params=3000)
               + cp("cnn", cells, 6, match_params=3000))
    verdict = verdict_e(summarise(FIXED + matched), "lstm", "cnn", 3000)
    assert verdict.outcome == SUPPORTED and "gap closes" in verdict.line


def test_e_supported_when_the_order_reverses_clearly_at_matched_parameters():
    matched = (cp("lstm", {1: "000000", 2: "000000", 3: "111111"}, 6, match_params=3000)
               + cp("cnn", {1: "000000", 2: "111111"}, 6, match_params=3000))
    verdict = verdict_e(summarise(FIXED + matched), "lstm", "cnn", 3000)
    assert verdict.outcome == SUPPORTED, verdict.line


def test_e_inconclusive_when_the_fixed_width_gap_rests_on_one_seed():
    # the case: lstm 1/1 [0.03-1.00] vs cnn 0/1 [0.00-0.97] at the fixed width
    fixed = cp("lstm", {1: "1"}, 6) + cp("cnn", {1: "0", 2: "1"}, 6)
    matched = (cp("lstm", {1: "000000", 2: "111111"}, 6, match_params=3000)
               + cp("cnn", {1: "000000", 2: "111111"}, 6, match_params=3000))
    verdict = verdict_e(summarise(fixed + matched), "lstm", "cnn", 3000)
    assert verdict.outcome == INCONCLUSIVE, verdict.line
    assert "intervals overlap" in verdict.line


@pytest.mark.parametrize("n", [1, 3, 6])
def test_e_inconclusive_when_the_closed_gap_is_not_shown_equivalent(n):
    cells = {1: "0" * n, 2: "1" * n}  # the same minimal depth at matched parameters
    matched = (cp("lstm", cells, 6, match_params=3000) + cp("cnn", cells, 6, match_params=3000))
    verdict = verdict_e(summarise(FIXED + matched), "lstm", "cnn", 3000)
    assert verdict.outcome == INCONCLUSIVE, verdict.line


def test_e_inconclusive_with_overlapping_intervals_or_no_matched_runs():
    matched = (cp("lstm", {1: "1"}, 6, match_params=3000)
               + cp("cnn", {1: "0", 2: "1"}, 6, match_params=3000))
    assert verdict_e(summarise(FIXED + matched), "lstm", "cnn", 3000).outcome == INCONCLUSIVE
    assert verdict_e(summarise(FIXED), "lstm", "cnn", 3000).outcome == INCONCLUSIVE


def test_evidence_rows_sort_knob_values_in_numeric_order():
    from toytasks.reading.evidence_table import render_evidence

    periods = [12, 16, 4, 6, 8]
    rows = summarise([r for p in periods for r in cp("cnn", {4: "1"}, p)])
    assert [r.config["knobs"]["period_samples"] for r in rows] == [4, 6, 8, 12, 16]
    text = render_evidence(rows)
    assert [text.index(f"period_samples={p} ") for p in (4, 6, 8, 12, 16)] == \
        sorted(text.index(f"period_samples={p} ") for p in periods)
