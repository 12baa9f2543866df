"""The minimal depth as every renderer prints it, at its boundary: solved at N with N-1
never trained (or undecided) is an upper bound, "<= N", never "> N" beside "N: 10/10 ✓";
solved at N with N-1 trained and failed is exact; and captions count every trial stored."""

from __future__ import annotations

import pytest
from tests.reading.test_verdicts import records

from toytasks.reading.evidence_table import render_evidence
from toytasks.reading.summary import SweepPoint, summarise
from toytasks.reading.table import render, render_sweep
from toytasks.specs.spec import load_spec
from toytasks.study.explanations.evidence import compare_depths

TEN, NONE = "1" * 10, "0" * 10


def row(outcomes: dict[int, str], arch: str = "cnn", **kw):
    (found,) = summarise(records(arch, outcomes, n_positive=1, period_samples=4, **kw))
    return found


@pytest.mark.parametrize("outcomes, plain, table", [
    ({8: NONE, 13: TEN}, "<=13", "<= 13"),  # the (f) case: 12 never trained
    ({12: NONE, 13: TEN}, "13", "13"),  # 12 trained and failed: exact
    ({13: TEN}, "<=13", "<= 13"),  # the lowest depth trained, above 1
    ({1: TEN}, "1", "1"),  # depth 1 has no depth below
    ({2: NONE, 3: NONE}, ">3", "> 3"),  # unsolved
    ({1: NONE, 3: TEN, 4: NONE, 5: TEN}, "<=3", "<= 3 (non-monotonic: fails at 4)"),
])
def test_depth_text_in_every_style(outcomes, plain, table):
    found = row(outcomes)
    assert found.depth_text() == plain
    assert found.depth_text("table").startswith(table)
    assert found.depth_text("cell").startswith(plain)


def test_undecided_depth_below_leaves_an_upper_bound():
    # majority over 10 seeds: 4 successes and 0 failures known at 12 is undecided
    found = row({8: NONE, 12: "1111", 13: TEN}, seeds=10)
    assert not found.depths[12].decided and found.depth_text() == "<=13"


def test_every_renderer_prints_the_upper_bound_beside_its_solved_cell():
    found = row({8: NONE, 13: TEN}, arch="ecg-resnet")
    rows = [found]
    for fmt in ("simple", "github", "csv"):
        text = render(rows, fmt)
        assert "<= 13" in text and "> 13" not in text, fmt
        assert "10/10" in text  # the counts of the solved depth, not of the deepest failure
    latex = render(rows, "latex")
    assert r"$\leq$ 13" in latex and r"$>$ 13" not in latex
    evidence = render_evidence(rows)
    assert "<=13" in evidence and "13: 10/10 [0.69-1.00] ✓" in evidence
    spec = load_spec("cycle-pattern").with_knobs({"n_positive": 1, "period_samples": 4})
    sweep = render_sweep([SweepPoint(4, spec, rows)], "period_samples", ("ecg-resnet",))
    assert "<=13 (10/10" in sweep and "'<=N': solved at N, N-1 never trained" in sweep


def test_an_upper_bound_is_compared_by_what_it_allows():
    """<= 13 (8 failed) allows 9..13: fewer than a row unsolved to 13, not comparable to
    a row that needs exactly 10."""
    bound = row({8: NONE, 13: TEN})
    unsolved = row({13: NONE}, arch="lstm")
    assert compare_depths(bound, unsolved).relation == "fewer"
    assert bound.least_depth == 9 and unsolved.least_depth == 14
    exact = row({9: NONE, 10: TEN}, arch="lstm")
    assert compare_depths(bound, exact).relation == "unknown"
    assert compare_depths(row({8: NONE, 9: TEN}), exact).relation == "fewer"


def test_caption_counts_every_trial_stored_and_says_which_the_table_counts():
    # sequential majority over 3 seeds: decided after 2 successes, the third seed's trial
    # (trained speculatively) is stored but not counted
    recs = records("cnn", {1: "000", 2: "111"}, search="adaptive", n_positive=1,
                   period_samples=4)
    text = render(summarise(recs), "github")
    assert "compute 6 trials," in text and "(4 trials, " in text
    assert "counted in the table" in text
    exhaustive = render(summarise(records("cnn", {1: "000", 2: "111"}, n_positive=1,
                                          period_samples=4)), "github")
    assert "compute 6 trials," in exhaustive and "counted in the table" not in exhaustive


def test_a_reads_an_upper_bound_at_the_shortest_span_as_solved():
    """(a) once called a conv row "unsolved at the shortest span" when its depth below the
    solved one was never trained; "<= 3" (period 4, depth 2 untried) vs 5 (period 8, 4
    failed) is growth, separated by the pooled failures at 3-4."""
    from toytasks.study.explanations.a_receptive_field import verdict_a
    from toytasks.study.explanations.evidence import SUPPORTED

    def cp(arch, outcomes, period):
        return records(arch, outcomes, n_positive=1, period_samples=period)
    rows = summarise(cp("lstm", {1: "1" * 6}, 4) + cp("cnn", {1: "0" * 6, 3: "1" * 6}, 4)
                     + cp("lstm", {1: "1" * 6}, 8)
                     + cp("cnn", {1: "0" * 6, 3: "0" * 6, 4: "0" * 6, 5: "1" * 6}, 8))
    verdict = verdict_a(rows, "cnn", "lstm", "period_samples")
    assert "cnn <=3 (bound 2)" in verdict.line
    assert verdict.outcome == SUPPORTED, verdict.line
