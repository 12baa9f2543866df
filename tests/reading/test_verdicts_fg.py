"""Verdict rules of (f) sampling rate and (g) rhythm/timing on synthetic stores whose answer
is known, at their boundaries: one seed (a point estimate, never enough), six seeds (0/6 vs
6/6 is the least that separates; 6/6 vs 6/6 the least that shows equivalence), opposite
differences, overlap and missing cells."""

from __future__ import annotations

import pytest
from tests.reading.test_verdicts import records

from toytasks.reading.summary import summarise
from toytasks.study.explanations.evidence import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED
from toytasks.study.explanations.f_sampling_rate import verdict_f
from toytasks.study.explanations.g_rhythm_timing import verdict_g


# --- (f) ---------------------------------------------------------------------------------
def f_store(shallow: str, deep: str, chrono: str, beside: dict[str, str] | None = None):
    out = records("ecg-resnet", {3: shallow, 12: deep}, generator="ecg-ectopy")
    out += records("chrono-lstm", {1: chrono}, generator="ecg-ectopy")
    for arch, cells in (beside or {}).items():
        out += records(arch, {1: cells}, generator="ecg-ectopy")
    return summarise(out)


def judge_f(rows):
    return verdict_f(rows, "ecg-resnet", 3, 12, "chrono-lstm", ["lstm", "s4d"])


def test_f_supported_on_six_seeds_and_the_beside_archs_do_not_decide():
    for beside in ({"lstm": "000000", "s4d": "111111"}, {"lstm": "111111"}, {}):
        verdict = judge_f(f_store("000000", "111111", "111111", beside))
        assert verdict.outcome == SUPPORTED, verdict.line
    assert "beside at depth 1: lstm 6/6" in verdict.line or "beside" not in verdict.line
    verdict = judge_f(f_store("000000", "111111", "111111", {"lstm": "000000"}))
    assert "lstm 0/6" in verdict.line and "chrono-lstm at depth 1: 6/6" in verdict.line


@pytest.mark.parametrize("n", [1, 5])
def test_f_inconclusive_on_too_few_seeds(n):
    verdict = judge_f(f_store("0" * n, "1" * n, "1" * n))  # 5/5 vs 0/5 overlaps
    assert verdict.outcome == INCONCLUSIVE, verdict.line


@pytest.mark.parametrize("shallow, deep, chrono", [
    ("111111", "000000", "111111"),  # deep worse than shallow, separated
    ("111111", "111111", "000000"),  # chrono-lstm worse than the shallow cnn, separated
])
def test_f_not_supported_when_an_opposite_difference_is_separated(shallow, deep, chrono):
    verdict = judge_f(f_store(shallow, deep, chrono))
    assert verdict.outcome == NOT_SUPPORTED, verdict.line


def test_f_not_supported_when_a_pair_is_equivalent():
    # the shallow cnn solves as often as the deep one: 10/10 vs 10/10, within 1/3
    verdict = judge_f(f_store("1" * 10, "1" * 10, "1" * 10))
    assert verdict.outcome == NOT_SUPPORTED and "equivalent within 1/3" in verdict.line
    # 6/6 vs 6/6: [0.54, 1] is wider than the margin
    assert judge_f(f_store("111111", "111111", "111111")).outcome == INCONCLUSIVE
    # one seed each: 1/1 vs 1/1 shows no equivalence
    assert judge_f(f_store("1", "1", "1")).outcome == INCONCLUSIVE


def test_f_inconclusive_when_one_difference_is_separated_and_the_other_overlaps():
    verdict = judge_f(f_store("000000", "111111", "111000"))  # 3/6 [0.12-0.88] vs 0/6
    assert verdict.outcome == INCONCLUSIVE, verdict.line


def test_f_inconclusive_when_a_cell_is_missing():
    rows = summarise(records("ecg-resnet", {3: "000000", 12: "111111"}, generator="ecg-ectopy"))
    verdict = judge_f(rows)
    assert verdict.outcome == INCONCLUSIVE and "needs" in verdict.line
    assert judge_f([]).outcome == INCONCLUSIVE


# --- (g) ---------------------------------------------------------------------------------
def g_store(lstm_rhythm: str, lstm_ectopy: str, cnn_rhythm: str, beside: str = ""):
    out = records("lstm", {1: lstm_rhythm}, generator="ecg-rhythm")
    out += records("lstm", {1: lstm_ectopy}, generator="ecg-ectopy")
    out += records("cnn", {22: cnn_rhythm}, generator="ecg-rhythm")
    if beside:
        out += records("gru", {1: beside}, generator="ecg-rhythm")
        out += records("gru", {1: beside}, generator="ecg-ectopy")
    return summarise(out)


def judge_g(rows):
    return verdict_g(rows, "ecg-rhythm", "ecg-ectopy", "lstm", "cnn", 22, ["gru"])


def test_g_supported_on_six_seeds_and_the_beside_archs_do_not_decide():
    for beside in ("", "000000", "111111"):
        verdict = judge_g(g_store("000000", "111111", "111111", beside))
        assert verdict.outcome == SUPPORTED, verdict.line
    assert "gru at depth 1: ecg-ectopy 6/6" in verdict.line


@pytest.mark.parametrize("n", [1, 5])
def test_g_inconclusive_on_too_few_seeds(n):
    assert judge_g(g_store("0" * n, "1" * n, "1" * n)).outcome == INCONCLUSIVE


@pytest.mark.parametrize("rhythm, ectopy, cnn", [
    ("111111", "000000", "111111"),  # lstm better on timing than on shape, separated
    ("111111", "111111", "000000"),  # cnn worse than lstm on timing, separated
    ("1" * 10, "1" * 10, "1" * 10),  # lstm as good on both: equivalent
    ("0" * 10, "1" * 10, "0" * 10),  # cnn as bad as lstm on timing: equivalent
])
def test_g_not_supported_on_an_opposite_separation_or_an_equivalent_pair(rhythm, ectopy,
                                                                         cnn):
    verdict = judge_g(g_store(rhythm, ectopy, cnn))
    assert verdict.outcome == NOT_SUPPORTED, verdict.line


def test_g_inconclusive_when_the_intervals_overlap():
    # 3/6 [0.12-0.88] on the timing task: neither separated from 6/6 nor equivalent to it
    assert judge_g(g_store("111000", "111111", "111111")).outcome == INCONCLUSIVE


def test_g_reads_each_task_separately_and_is_inconclusive_when_one_is_missing():
    rows = summarise(records("lstm", {1: "000000"}, generator="ecg-rhythm")
                     + records("cnn", {22: "111111"}, generator="ecg-rhythm"))
    verdict = judge_g(rows)  # no lstm result on ecg-ectopy: the rhythm cell does not stand in
    assert verdict.outcome == INCONCLUSIVE and "needs" in verdict.line


def test_evidence_of_a_section_over_two_tasks_names_each_row_by_its_task():
    """(g) stores rows of ecg-rhythm and ecg-ectopy, whose knobs differ: each evidence row
    says its task (the table once raised KeyError on a knob of the other task)."""
    from toytasks.reading.evidence_table import render_evidence

    text = render_evidence(g_store("000000", "111111", "111111"))
    lines = [line for line in text.splitlines() if line.startswith("| lstm")]
    assert len(lines) == 2
    assert any("ecg-rhythm" in line and "0/6" in line for line in lines)
    assert any("ecg-ectopy" in line and "6/6" in line for line in lines)


# --- the rules as stated: solve decisions *and* separated intervals ----------------------
def counts(k: int, n: int) -> str:
    return "1" * k + "0" * (n - k)


def test_f_a_separated_pair_the_rule_does_not_solve_supports_nothing():
    """Deep 7/10 [0.35-0.93] vs shallow 0/10 [0-0.31] is separated, but cp95 does not solve
    7/10 (lower bound 0.35 < 0.5): inconclusive; 9/10 is solved under cp95: supported."""
    def rows(deep: str, rule: str) -> list:
        out = records("ecg-resnet", {3: "0" * 10, 12: deep}, generator="ecg-ectopy", rule=rule)
        return summarise(out + records("chrono-lstm", {1: "1" * 10}, generator="ecg-ectopy",
                                       rule=rule))
    verdict = judge_f(rows(counts(7, 10), "cp95"))
    assert verdict.outcome == INCONCLUSIVE and "decisions do not differ" in verdict.line
    assert "7/10 [0.35-0.93] (not solved)" in verdict.line
    assert judge_f(rows(counts(9, 10), "cp95")).outcome == SUPPORTED
    assert judge_f(rows(counts(7, 10), "majority")).outcome == SUPPORTED  # 7/10 > half


def test_g_timing_3_of_20_against_shape_20_of_20():
    """lstm 3/20 on timing is not solved under either rule and separated from 20/20 on shape
    (and from cnn 20/20): supported as stated. cnn 13/20 [0.41-0.85] on timing is separated
    from 3/20 [0.03-0.38] but not solved under cp95: inconclusive."""
    def rows(cnn: str) -> list:
        out = records("lstm", {1: counts(3, 20)}, generator="ecg-rhythm", rule="cp95")
        out += records("lstm", {1: "1" * 20}, generator="ecg-ectopy", rule="cp95")
        return summarise(out + records("cnn", {22: cnn}, generator="ecg-rhythm", rule="cp95"))
    assert judge_g(rows("1" * 20)).outcome == SUPPORTED
    verdict = judge_g(rows(counts(13, 20)))
    assert verdict.outcome == INCONCLUSIVE and "cnn at depth 22 on ecg-rhythm" in verdict.line


# --- rows matched on every setting -----------------------------------------------------
def f_rate(rate: float, shallow: str, deep: str, chrono: str) -> list:
    out = records("ecg-resnet", {3: shallow, 12: deep}, generator="ecg-ectopy",
                  sampling_hz=rate)
    return out + records("chrono-lstm", {1: chrono}, generator="ecg-ectopy", sampling_hz=rate)


@pytest.mark.parametrize("first", [100.0, 250.0])
def test_f_judges_each_rate_in_a_mixed_store_whatever_comes_first(first):
    ten, none = "1" * 10, "0" * 10
    stores = {100.0: f_rate(100.0, none, ten, ten), 250.0: f_rate(250.0, ten, ten, ten)}
    other = 250.0 if first == 100.0 else 100.0
    verdict = judge_f(summarise(stores[first] + stores[other]))
    # 100 Hz supported, 250 Hz not (the shallow cnn solves there): no row is dropped
    assert verdict.outcome == INCONCLUSIVE and "disagree" in verdict.line
    assert "at sampling_hz=100.0: supported" in verdict.line
    assert "at sampling_hz=250.0: not supported" in verdict.line
    both = judge_f(summarise(f_rate(100.0, none, ten, ten) + f_rate(250.0, none, ten, ten)))
    assert both.outcome == SUPPORTED and "2 settings judged" in both.line
    one = judge_f(summarise(f_rate(100.0, none, ten, ten)))
    assert one.outcome == SUPPORTED and "settings" not in one.line


def test_f_a_rate_with_a_missing_cell_is_named_not_dropped():
    ten, none = "1" * 10, "0" * 10
    partial = records("chrono-lstm", {1: ten}, generator="ecg-ectopy", sampling_hz=250.0)
    verdict = judge_f(summarise(f_rate(100.0, none, ten, ten) + partial))
    assert verdict.outcome == INCONCLUSIVE and "not every setting is decided" in verdict.line
    assert "disagree" not in verdict.line
    assert "at sampling_hz=250.0: inconclusive (needs" in verdict.line


def g_rate(rate: float, rhythm: str, ectopy: str, cnn: str) -> list:
    out = records("lstm", {1: rhythm}, generator="ecg-rhythm", sampling_hz=rate)
    out += records("lstm", {1: ectopy}, generator="ecg-ectopy", sampling_hz=rate)
    return out + records("cnn", {22: cnn}, generator="ecg-rhythm", sampling_hz=rate)


@pytest.mark.parametrize("order", [(20.0, 50.0), (50.0, 20.0)])
def test_g_pairs_the_tasks_at_the_same_rate_whichever_comes_first(order):
    ten, none = "1" * 10, "0" * 10
    stores = {20.0: g_rate(20.0, none, ten, ten), 50.0: g_rate(50.0, ten, ten, ten)}
    verdict = judge_g(summarise(stores[order[0]] + stores[order[1]]))
    assert verdict.outcome == INCONCLUSIVE and "disagree" in verdict.line
    assert "at sampling_hz=20.0: supported" in verdict.line
    assert "at sampling_hz=50.0: not supported" in verdict.line
    # the shape task at 50 Hz never stands in for the one at 20 Hz
    lone = g_rate(20.0, none, ten, ten)[:10] + g_rate(20.0, none, ten, ten)[20:]
    lone += records("lstm", {1: ten}, generator="ecg-ectopy", sampling_hz=50.0)
    assert judge_g(summarise(lone)).outcome == INCONCLUSIVE
