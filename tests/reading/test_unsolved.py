"""Unsolved cells classed by their best held-out metric, at the class boundaries: blind
below the receptive-field bound; at chance within baseline + 3 SE of the held-out set;
learning above it; and a verdict that rests on a learning cell says so."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from tests.reading.test_verdicts import records

from toytasks.reading.evidence_table import render_evidence
from toytasks.reading.summary import summarise
from toytasks.reading.unsolved import (
    BLIND,
    CHANCE,
    LEARNING,
    chance_band,
    class_text,
    unsolved_class,
)
from toytasks.study.explanations.evidence import SUPPORTED
from toytasks.study.explanations.f_sampling_rate import verdict_f
from toytasks.study.fragility import rests_on_learning

EDGE = 0.5 + 3 * math.sqrt(0.25 / 512)  # accuracy, baseline 0.5, 512 held-out samples


def with_metric(recs: list, metric: float, depth: int | None = None) -> list:
    return [replace(r, result=replace(r.result, best_metric=metric))
            if not r.result.solved and (depth is None or r.depth == depth) else r
            for r in recs]


def one_row(recs):
    (row,) = summarise(recs)
    return row


def test_the_chance_band_is_baseline_plus_three_standard_errors():
    row = one_row(records("lstm", {1: "0" * 6}))
    assert chance_band(row) == pytest.approx(EDGE)


@pytest.mark.parametrize("metric, expected", [
    (0.5, CHANCE), (EDGE - 1e-4, CHANCE), (EDGE + 1e-4, LEARNING), (0.94, LEARNING)])
def test_an_unsolved_cell_is_at_chance_or_learning_by_its_best_metric(metric, expected):
    row = one_row(with_metric(records("lstm", {1: "0" * 6}), metric))
    assert unsolved_class(row, 1) == expected
    assert class_text(row, 1).startswith(f" ({expected.split(',')[0].split()[0]}"
                                         if expected == LEARNING else " (chance")


def test_only_the_failed_trials_class_a_mixed_cell():
    # 2/6 solved (best 1.0), the four failures at chance: the median of all would be 0.5,
    # of the failures 0.5; with failures at 0.8 it is learning whatever the successes
    row = one_row(with_metric(records("lstm", {1: "110000"}), 0.8))
    assert unsolved_class(row, 1) == LEARNING and "best 0.8" in class_text(row, 1)


def test_below_the_receptive_field_bound_is_blind_whatever_the_metric():
    recs = with_metric(records("cnn", {1: "0" * 6, 2: "0" * 6, 3: "1" * 6}, n_positive=1,
                               period_samples=4), 0.9)
    row = one_row(recs)  # bound 2: depth 1 blind, depth 2 learning
    assert row.rf_bound == 2
    assert unsolved_class(row, 1) == BLIND and unsolved_class(row, 2) == LEARNING
    assert unsolved_class(row, 3) is None  # solved: no class
    text = render_evidence([row])
    assert "1: 0/6 [0.00-0.46] ✗ (blind)" in text and "✗ (learning, best 0.9)" in text


def test_an_undecided_cell_has_no_class():
    row = one_row(records("lstm", {1: "00"}, seeds=6))  # majority of 6: 0/2 undecided
    assert not row.depths[1].decided and unsolved_class(row, 1) is None


def f_recs(shallow_metric: float) -> list:
    # gru as (f)'s "conv" arch: no receptive-field bound, so its cells are classed by metric
    out = with_metric(records("gru", {3: "0" * 10, 12: "1" * 10}, generator="ecg-ectopy"),
                      shallow_metric)
    return out + records("chrono-lstm", {1: "1" * 10}, generator="ecg-ectopy")


def judge(rows, recs):
    return verdict_f(rows, "gru", 3, 12, "chrono-lstm", [])


@pytest.mark.parametrize("metric, named", [(0.5, ""), (0.8, "gru at depth 3 (best 0.8)")])
def test_a_verdict_resting_on_a_learning_cell_says_so(metric, named):
    recs = f_recs(metric)
    rows = summarise(recs)
    verdict = judge(rows, recs)
    assert verdict.outcome == SUPPORTED, verdict.line
    assert rests_on_learning(rows, recs, verdict, judge) == named


def test_the_report_line_says_a_verdict_rests_on_a_learning_cell():
    from toytasks.study.report import verdict_text

    recs = f_recs(0.8)
    rows = summarise(recs)
    verdict = judge(rows, recs)
    marked = replace(verdict, learning=rests_on_learning(rows, recs, verdict, judge))
    assert "rests on unsolved cells still learning when the budget ran out" in \
        verdict_text(marked)
    assert "still learning" not in verdict_text(verdict)
