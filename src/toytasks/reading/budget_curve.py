"""Minimal depth against step budget, read from one store: the budget curve.

Is "needs depth N" about what the depth can reach, or about how fast it trains? A store
trained once at the largest budget, with early stopping off (``--patience 0``) and
stopping when solved (as every trial does), answers it for every smaller budget: training
is the same step for step whatever the budget, so a seed solves within budget B exactly
when its steps-to-solve is <= B. Each budget's view of the store (``at_budget``) is then
summarised by the ordinary summary, under the store's own rule, so a minimal depth here
means what it means in every table.

Two stores cannot give a curve, and are refused: one whose trials could stop early (an
unsolved trial may have stopped short of a solve that a longer run would reach), and one
trained with fewer steps than the largest budget asked. A budget must be a multiple of
the evaluation period: a run stopped at B evaluates at B, which the long run did only there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from toytasks.errors import ToytasksError
from toytasks.reading.records import TrialRecord, cell_key
from toytasks.reading.summary import Row, summarise
from toytasks.reading.table import grid, varying_knobs
from toytasks.training.solve import SolveRule
from toytasks.training.stats import interval_text
from toytasks.training.trial import DIVERGED, SOLVED, UNSOLVED, can_stop_early


def check_curve(records: Sequence[TrialRecord], budgets: Sequence[int], where: str) -> None:
    """Refuse (one line) a store or budgets from which the curve cannot be read exactly."""
    if not records:
        raise ToytasksError(f"'{where}' holds no trial results")
    if not budgets or any(b < 1 for b in budgets):
        raise ToytasksError("--budgets: give one or more positive step counts, e.g. "
                            "2000,4000,8000")
    stopping = [r for r in records if can_stop_early(r.config["patience"],
                                                      r.config["eval_every"],
                                                      r.config["max_steps"])]
    if stopping:
        first = stopping[0].config
        raise ToytasksError(
            f"'{where}': {len(stopping)} trial(s) were trained with early stopping (patience "
            f"{first['patience']} evaluations of {first['eval_every']} steps, within "
            f"{first['max_steps']} steps): an unsolved one may have stopped short of a "
            "solve, so a budget curve needs a store trained with --patience 0")
    largest = max(budgets)
    short = [r for r in records if r.config["max_steps"] < largest]
    if short:
        raise ToytasksError(
            f"'{where}': {len(short)} trial(s) were trained with "
            f"{min(r.config['max_steps'] for r in short)} steps, fewer than the largest "
            f"budget asked ({largest}); ask for budgets up to the steps trained")
    for budget in budgets:
        period = next((r.config["eval_every"] for r in records
                       if budget % r.config["eval_every"]), None)
        if period is not None:
            raise ToytasksError(
                f"--budgets: {budget} is not a multiple of the evaluation period ({period} "
                "steps): a run stopped there would be evaluated at a step the stored run "
                "was not, so its outcome cannot be read from the store")


def at_budget(record: TrialRecord, budget: int) -> TrialRecord:
    """The record as a run with ``budget`` steps would have stored it: solved when its
    steps-to-solve is <= ``budget``, else unsolved after ``budget`` steps (its metrics at
    that step are unknown: NaN). A divergence after ``budget`` had not happened yet."""
    config = {**record.config, "max_steps": budget}
    result = record.result
    solved_within = (result.status == SOLVED and result.steps_to_solve is not None
                     and result.steps_to_solve <= budget)
    if solved_within or (result.steps <= budget and result.status != SOLVED):
        return replace(record, config=config)
    if result.status not in (SOLVED, UNSOLVED, DIVERGED):  # refused, error: what they were
        return replace(record, config=config)
    cut = replace(result, status=UNSOLVED, steps=budget, steps_to_solve=None,
                  best_metric=math.nan, final_metric=math.nan,
                  reason=f"not solved within {budget} steps")
    return replace(record, config=config, result=cut)


@dataclass
class CurveRow:
    """One architecture (one cell less its step budget) at every budget."""

    label: str
    rows: dict[int, Row]  # budget -> the summary row of the store's view at that budget
    trained: int = 0  # the steps its trials were trained for (the largest if several)


def curve(records: Sequence[TrialRecord], budgets: Sequence[int],
          rule: SolveRule | None = None) -> list[CurveRow]:
    """Per cell, its summary row at each budget (the store's rule unless ``rule``)."""
    def key(config: dict, match_params: int) -> str:
        return cell_key(config, match_params, drop=("max_steps",))

    found: dict[str, CurveRow] = {}
    for budget in sorted(set(budgets)):
        for row in summarise([at_budget(r, budget) for r in records], rule):
            found.setdefault(key(row.config, row.match_params), CurveRow("", {})
                             ).rows[budget] = row
    for record in records:
        item = found[key(record.config, record.run.match_params)]
        item.trained = max(item.trained, record.config["max_steps"])
    rows = list(found.values())
    firsts = [next(iter(c.rows.values())) for c in rows]
    for item, first in zip(rows, firsts, strict=True):
        same = [r for r in firsts if r.task == first.task]
        knobs = first.label(varying_knobs(same, sorted(first.config["knobs"])))
        tasks = len({r.task for r in firsts}) > 1
        where = ", ".join(filter(None, [first.task if tasks else "", knobs]))
        item.label = f"{first.arch_label} ({where})" if where else first.arch_label
    return rows


def _cell(row: Row, depth: int) -> str:
    stats = row.depths.get(depth)
    if stats is None:
        return "-"
    mark = "?" if not stats.decided else "✓" if stats.solved else "✗"
    return f"{interval_text(stats.successes, stats.seeds)} {mark}"


def _seeds(rows: list[CurveRow]) -> str:
    """'6', or '3-6' when depths count different numbers of seeds."""
    counts = sorted({s.seeds for item in rows for row in item.rows.values()
                     for s in row.depths.values()})
    return "?" if not counts else str(counts[0]) if len(counts) == 1 else \
        f"{counts[0]}-{counts[-1]}"


def render_curve(rows: list[CurveRow], budgets: Sequence[int], fmt: str = "simple") -> str:
    """Per architecture and depth, successes/seeds [95% Clopper-Pearson] within each budget
    (✓ solved, ✗ not, ? undecided by the rule), then the minimal depth at each budget."""
    budgets = sorted(set(budgets))
    headers = ["arch", "depth", *(f"{b:,} steps" for b in budgets)]
    body = []
    for item in rows:
        depths = sorted({d for row in item.rows.values() for d in row.depths})
        body += [[item.label, str(d), *(_cell(item.rows[b], d) for b in budgets)]
                 for d in depths]
        body.append([item.label, "minimal depth",
                     *(item.rows[b].depth_text("plain") for b in budgets)])
    first = next(iter(rows[0].rows.values())) if rows else None
    caption = "" if first is None else (
        f"Budget curve: {first.task}, trained once for "
        f"{'/'.join(sorted({f'{r.trained:,}' for r in rows}))} steps with early "
        f"stopping off; a seed solves within B steps when its steps-to-solve is <= B; rule "
        f"{first.rule}, {_seeds(rows)} seeds per depth.")
    table = grid(headers, body, fmt)
    return f"{table}\n\n{caption}" if caption else table
