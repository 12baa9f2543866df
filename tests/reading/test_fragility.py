"""Fragile verdicts: a verdict that one seed's flipped outcome would change is marked, with
the cell named. Built on the case that showed it: section (c), the published run's lstm at
depth 4 solved 8/10 (not solved under cp95: "inconclusive"), a rerun on another CPU 9/9
(solved: the verdict moved)."""

from __future__ import annotations

from dataclasses import replace

from tests.reading.test_verdicts import records

from toytasks.reading.summary import summarise
from toytasks.study.explanations.c_overfitting import verdict_c
from toytasks.study.explanations.evidence import INCONCLUSIVE, NOT_SUPPORTED
from toytasks.study.fragility import fragility
from toytasks.study.report import outcome_text, verdict_text


def c_records(lstm4: str, gap16: float = 0.2) -> list:
    """cp95, 10 seeds: cnn fails at 3 and solves at 4 (no gap); lstm as published: 8/10 at
    2 and ``lstm4`` at 4 (no gap), 0/10 at 16 (half overfitting by ``gap16``)."""
    def cells(arch: str, outcomes: dict[int, str], gap: float) -> list:
        return records(arch, outcomes, rule="cp95", diagnostics={"gap": gap}, n_positive=2,
                       period_samples=4)
    out = cells("cnn", {3: "0" * 10, 4: "1" * 10}, 0.0)
    out += cells("lstm", {2: "1111111100", 4: lstm4}, 0.0)
    deep = cells("lstm", {16: "0" * 10}, 0.0)
    out += [replace(r, result=replace(r.result, diagnostics={"gap": gap16 if r.seed < 5
                                                             else 0.0})) for r in deep]
    return out


def judge(rows, recs):
    return verdict_c(rows, recs, "lstm", "cnn")


def test_the_published_case_is_fragile_at_lstm_depth_4():
    recs = c_records("1111111100")  # 8/10 at depth 4: not solved under cp95
    rows = summarise(recs)
    verdict = judge(rows, recs)
    assert verdict.outcome == INCONCLUSIVE, verdict.line  # 5/10 vs 0/10 overlap
    fragile = fragility(rows, recs, verdict, judge)
    assert "lstm at depth 4 -> not supported" in fragile
    assert "lstm at depth 2 -> not supported" in fragile  # 8/10 there too
    assert "cnn" not in fragile  # one flip leaves cnn 9/10 solved at 4, 1/10 failed at 3
    marked = replace(verdict, fragile=fragile)
    assert outcome_text(marked) == "inconclusive (fragile)"
    assert verdict_text(marked).endswith(f"; fragile: {fragile}")


def test_the_rerun_9_of_10_moves_the_verdict_and_is_itself_fragile():
    recs = c_records("1111111110")  # 9/10 at depth 4: solved, minimal depth <= 4
    rows = summarise(recs)
    verdict = judge(rows, recs)
    assert verdict.outcome == NOT_SUPPORTED, verdict.line  # 0/10 vs 0/10 overfit
    assert "lstm at depth 4 (minimal depth <=4)" in verdict.line
    assert "lstm at depth 4" in fragility(rows, recs, verdict, judge)


def test_a_verdict_no_single_flip_changes_is_not_fragile():
    # 10/10 vs 0/10 overfitting on 10 seeds each: one flip leaves 9/10 vs 1/10 separated
    def cells(arch, outcomes, gap):
        return records(arch, outcomes, rule="cp95", diagnostics={"gap": gap}, n_positive=2,
                       period_samples=4)
    recs = (cells("cnn", {3: "0" * 10, 4: "1" * 10}, 0.0)
            + cells("lstm", {1: "1" * 10}, 0.2))
    rows = summarise(recs)
    verdict = judge(rows, recs)
    # overfitting 10/10 vs 0/10; a flip gives 9/10 (still solved under cp95) vs 1/10
    assert verdict.outcome != INCONCLUSIVE, verdict.line
    assert fragility(rows, recs, verdict, judge) == ""
    assert outcome_text(verdict) == verdict.outcome
