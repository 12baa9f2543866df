"""(h)'s verdict at its boundaries: one layer against the best deeper depth, per
initialisation, on synthetic stores whose answer is known (one seed, a few seeds, enough
to separate or to show equivalence)."""

from __future__ import annotations

import pytest
from tests.search_fakes import fake_result

from toytasks.reading.records import TrialRecord
from toytasks.reading.summary import summarise
from toytasks.study.explanations.evidence import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED
from toytasks.study.explanations.h_initialisation import best_deeper, verdict_h
from toytasks.training.trial import Trial

TORCH, KERAS = "lstm@torch_init=true", "lstm@gate_bias=1"


def records(variant: str, outcomes: dict[int, str]) -> list[TrialRecord]:
    """``outcomes[depth]``: one character per seed, '1' solved; every seed counted."""
    arch, _, knob = variant.partition("@")
    knobs = ()
    if knob:
        name, value = knob.split("=")
        knobs = ((name, value == "true" if value in ("true", "false") else float(value)),)
    seeds = max(len(t) for t in outcomes.values())
    out = []
    for depth, text in outcomes.items():
        for seed, char in enumerate(text):
            trial = Trial(task="cycle-pattern", generator="cycle-pattern", knobs=(), arch=arch,
                          arch_knobs=knobs, depth=depth, width=32, seed=seed, lr=3e-3,
                          max_steps=600, batch_size=32, eval_every=100, patience=5,
                          test_size=512, threshold=0.95)
            out.append(TrialRecord.from_dict({
                "key": trial.key, "trial": trial.config(),
                "result": fake_result(trial, char == "1").to_dict(),
                "search": {"seeds": seeds, "rule": "majority", "search": "exhaustive",
                           "lrs": [3e-3], "match_params": 0}}))
    return out


def judge(*stores: list[TrialRecord], inits: tuple[str, ...] = (TORCH, KERAS)):
    recs = [r for store in stores for r in store]
    return verdict_h(summarise(recs), "lstm", list(inits))


def test_supported_when_one_practitioners_init_needs_the_stack():
    verdict = judge(records(TORCH, {1: "000000", 2: "111111", 4: "111111"}),
                    records(KERAS, {1: "111111", 2: "111111", 4: "111111"}),
                    records("lstm", {1: "111111", 2: "111111", 4: "000000"}))
    assert verdict.outcome == SUPPORTED
    assert "lstm@torch_init=true" in verdict.line and "depth 2" in verdict.line
    assert "beside, the shipped lstm" in verdict.line


def test_not_supported_when_every_init_solves_at_depth_one_as_often():
    verdict = judge(records(TORCH, {1: "1" * 10, 2: "1" * 10}),
                    records(KERAS, {1: "1" * 10, 2: "1" * 10}))
    assert verdict.outcome == NOT_SUPPORTED
    # the opposite difference, separated, is not support either
    verdict = judge(records(TORCH, {1: "111111", 2: "000000"}),
                    records(KERAS, {1: "111111", 3: "000000"}))
    assert verdict.outcome == NOT_SUPPORTED


@pytest.mark.parametrize(("shallow", "deep"), [("0", "1"), ("000", "111"), ("00000", "11111")])
def test_inconclusive_on_one_to_five_seeds(shallow, deep):
    """1, 3 and 5 seeds: 5/5 vs 0/5 does not separate ([0.48, 1] vs [0, 0.52])."""
    verdict = judge(records(TORCH, {1: shallow, 2: deep}), inits=(TORCH,))
    assert verdict.outcome == INCONCLUSIVE


def test_separated_but_deep_not_solved_by_the_rule_is_inconclusive():
    """7/10 vs 0/10 separates, but 7/10 is not solved under cp95: the rule's decisions
    must differ too (the clause (f) and (g) once skipped)."""
    from toytasks.study.explanations.evidence import Cell, predicted

    outcome, _ = predicted(Cell("deep", (7, 10), False), Cell("one", (0, 10), False))
    assert outcome == INCONCLUSIVE


def test_mixed_inits_are_inconclusive_and_missing_rows_say_so():
    verdict = judge(records(TORCH, {1: "1" * 10, 2: "1" * 10}),
                    records(KERAS, {1: "00", 2: "11"}))
    assert verdict.outcome == INCONCLUSIVE
    verdict = judge(records(TORCH, {1: "1" * 10, 2: "1" * 10}))
    assert verdict.outcome == INCONCLUSIVE and "lstm@gate_bias=1: no results" in verdict.line


def test_best_deeper_depth_takes_the_most_solved_then_fewer_layers():
    row = summarise(records(TORCH, {1: "000000", 2: "110000", 3: "111100", 4: "111100"}))[0]
    assert best_deeper(row) == 3
    row = summarise(records(TORCH, {1: "0"}))[0]
    assert best_deeper(row) is None
