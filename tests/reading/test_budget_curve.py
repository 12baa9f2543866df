"""The budget curve: one store trained at the largest budget with early stopping off gives
the minimal depth at every smaller budget (a seed solves within B when its steps-to-solve
is <= B). Synthetic records with known steps-to-solve; nothing trains."""

from __future__ import annotations

import math

import pytest

from toytasks.errors import ToytasksError
from toytasks.reading.budget_curve import at_budget, check_curve, curve, render_curve
from toytasks.reading.records import TrialRecord
from toytasks.reading.store import ResultStore
from toytasks.training.solve import get_rule
from toytasks.training.trial import DIVERGED, SOLVED, UNSOLVED, Trial, TrialResult


def trial(depth: int, seed: int, steps: int = 8000, patience: int = 0,
          arch: str = "cnn") -> Trial:
    return Trial(task="cycle-pattern", generator="cycle-pattern",
                 knobs=(("n_positive", 1), ("period_samples", 4)), arch=arch, depth=depth,
                 width=16, seed=seed, lr=3e-3, max_steps=steps, batch_size=32,
                 eval_every=100, patience=patience, test_size=512, threshold=0.95)


def result(t: Trial, solved_at: int | None, status: str | None = None,
           stopped: int | None = None) -> TrialResult:
    """Solved at step ``solved_at`` (None: unsolved after the whole budget, or at
    ``stopped``)."""
    solved = solved_at is not None
    return TrialResult(key=t.key, status=status or (SOLVED if solved else UNSOLVED),
                       metric="accuracy", best_metric=0.97 if solved else 0.6,
                       final_metric=0.97 if solved else 0.6, baseline=0.5,
                       steps=solved_at or stopped or t.max_steps, steps_to_solve=solved_at,
                       train_loss=0.1, test_loss=0.2, params=100, flops=1e6, wall_s=0.1)


def record(t: Trial, r: TrialResult, seeds: int, rule: str = "majority") -> TrialRecord:
    return TrialRecord.from_dict({
        "key": t.key, "trial": t.config(), "result": r.to_dict(),
        "search": {"seeds": seeds, "rule": rule, "search": "exhaustive", "lrs": [3e-3],
                   "match_params": 0}})


def store(cells: dict[int, list[int | None]], rule: str = "majority", **kw
          ) -> list[TrialRecord]:
    """``cells[depth]``: per seed, its steps-to-solve (None: never solved)."""
    return [record(trial(d, s, **kw), result(trial(d, s, **kw), at), len(steps), rule)
            for d, steps in cells.items() for s, at in enumerate(steps)]


def test_a_seed_solves_within_b_exactly_when_its_steps_to_solve_is_at_most_b():
    t = trial(10, 0)
    rec = record(t, result(t, 4000), 1)
    assert at_budget(rec, 4000).result.status == SOLVED  # steps == B: solved within B
    assert at_budget(rec, 4000).result.steps_to_solve == 4000
    below = at_budget(rec, 3900)
    assert below.result.status == UNSOLVED and below.result.steps_to_solve is None
    assert below.result.steps == 3900 and math.isnan(below.result.best_metric)
    assert below.config["max_steps"] == 3900 and rec.config["max_steps"] == 8000


def test_a_divergence_after_the_budget_had_not_happened_yet():
    t = trial(3, 0)
    rec = record(t, result(t, None, status=DIVERGED, stopped=5000), 1)
    assert at_budget(rec, 4000).result.status == UNSOLVED
    assert at_budget(rec, 6000).result.status == DIVERGED


def test_minimal_depth_per_budget_with_intervals():
    # depth 9 never solves; depth 10 solves at 2,400, 3,100 and 7,000 (none by 2,000, 2/3
    # by 4,000, 3/3 by 8,000); depth 12 by 1,500 on every seed (11 not trained: "<=12")
    recs = store({9: [None, None, None], 10: [2400, 3100, 7000], 12: [1200, 1500, 900]})
    rows = curve(recs, [2000, 4000, 8000])
    assert len(rows) == 1
    (item,) = rows
    assert {b: r.depth_text() for b, r in item.rows.items()} == \
        {2000: "<=12", 4000: "10", 8000: "10"}
    assert item.rows[2000].depths[10].successes == 0
    assert item.rows[4000].depths[10].successes == 2
    assert item.rows[8000].depths[10].successes == 3
    assert item.trained == 8000
    text = render_curve(rows, [2000, 4000, 8000])
    assert "2/3 [0.09-0.99] ✓" in text and "0/3 [0.00-0.71] ✗" in text
    assert "minimal depth" in text and "trained once for 8,000 steps" in text
    assert "rule majority, 3 seeds per depth" in text


def test_depths_with_fewer_seeds_are_counted_against_their_own():
    # the docs' plan: two depths at 6 seeds, the at-chance depth at 3, in one store
    recs = store({10: [2400, 3100, 7000, None, 5000, 1900], 11: [300] * 6})
    recs += store({9: [None] * 3})
    (item,) = curve(recs, [2000, 8000])
    assert (item.rows[8000].depths[9].seeds, item.rows[8000].depths[9].decided) == (3, True)
    assert item.rows[2000].depth_text() == "11" and item.rows[8000].depth_text() == "10"
    assert "3-6 seeds per depth" in render_curve([item], [2000, 8000])


def test_one_seed_store():
    recs = store({4: [None], 5: [2000]})
    (item,) = curve(recs, [1000, 2000])
    assert item.rows[1000].depth_text() == ">5"
    assert item.rows[2000].depth_text() == "5"


def test_the_rule_can_be_the_studys_cp95():
    recs = store({6: [None] * 10, 7: [1000] * 9 + [None], 8: [1000] * 8 + [None, None]},
                 rule="cp95")
    (item,) = curve(recs, [2000])
    assert item.rows[2000].depth_text() == "7"  # 9/10 solves under cp95
    (majority,) = curve(recs, [2000], get_rule("majority"))
    assert majority.rows[2000].depth_text() == "7"
    assert item.rows[2000].depths[8].solved is False  # 8/10: not under cp95


def test_an_early_stopped_store_is_refused():
    recs = store({3: [None, 1000]}, patience=5)  # 5 evaluations of 100 < 8,000 steps
    with pytest.raises(ToytasksError, match=r"early stopping .*--patience 0"):
        check_curve(recs, [2000], "DIR")


def test_patience_that_cannot_fire_within_the_budget_is_off():
    # 80 evaluations in 8,000 steps: patience 80 could end a trial only at its last step
    check_curve(store({3: [None]}, patience=80), [8000], "DIR")
    with pytest.raises(ToytasksError, match="early stopping"):
        check_curve(store({3: [None]}, patience=79), [8000], "DIR")


def test_a_store_trained_with_fewer_steps_than_the_largest_budget_is_refused():
    recs = store({3: [None, 1000]}, steps=4000)
    check_curve(recs, [2000, 4000], "DIR")  # the largest budget == steps trained: fine
    with pytest.raises(ToytasksError, match="4000 steps, fewer than the largest budget"):
        check_curve(recs, [2000, 4100], "DIR")


def test_budgets_must_be_multiples_of_the_evaluation_period():
    recs = store({3: [None]})
    with pytest.raises(ToytasksError, match="2050 is not a multiple of the evaluation"):
        check_curve(recs, [2050], "DIR")
    with pytest.raises(ToytasksError, match="positive"):
        check_curve(recs, [0, 2000], "DIR")
    with pytest.raises(ToytasksError, match="no trial results"):
        check_curve([], [2000], "DIR")


def test_the_command_prints_the_curve_and_refuses_in_one_line(tmp_path, cli_in_process):
    good, bad = ResultStore(tmp_path / "good"), ResultStore(tmp_path / "bad")
    for d, s, at in [(9, 0, None), (10, 0, 2400), (10, 1, 5000)]:
        good.append(trial(d, s), result(trial(d, s), at), {}, {"seeds": 2, "rule": "majority",
                                                              "search": "exhaustive"})
    bad.append(trial(1, 0, patience=5), result(trial(1, 0, patience=5), None), {}, {})
    code, out, err = cli_in_process("budget-curve", str(tmp_path / "good"), "--budgets",
                                    "2000,4000,8000", "--format", "plain")
    assert code == 0, err
    line = next(x for x in out.splitlines() if "minimal depth" in x)
    assert line.split()[-3:] == [">10", ">10", "10"]  # 0/2, 1/2 (no majority), 2/2
    code, out, err = cli_in_process("budget-curve", str(tmp_path / "bad"), "--budgets", "2000")
    assert code != 0 and "early stopping" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = cli_in_process("budget-curve", str(tmp_path / "good"), "--budgets", "2k")
    assert code != 0 and "--budgets expects comma-separated int" in err
