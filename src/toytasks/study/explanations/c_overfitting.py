"""(c) RNNs overfit sequential data fast. Tested on a small fixed training set: how often
each architecture's trials at its minimal depth fit the training set clearly better than
held-out data.
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

from toytasks.reading.summary import Row
from toytasks.specs.options import check_int
from toytasks.study.explanations.base import Explanation, Parts, conv_and_recurrent
from toytasks.study.explanations.evidence import (
    INCONCLUSIVE,
    MARGIN_TEXT,
    Cell,
    Verdict,
    find_rows,
    predicted,
    row_records,
)
from toytasks.training.solve import get_rule
from toytasks.training.stats import interval_text

if TYPE_CHECKING:
    from toytasks.reading.records import TrialRecord
    from toytasks.running.plan import Job
    from toytasks.specs.spec import TaskSpec
    from toytasks.study.sections import Experiment

OVERFIT_MARGIN = 0.05  # a trial overfits when its train metric beats held-out by this

RULE = ("each trial at an architecture's minimal depth (its deepest tried if unsolved) "
        f"overfits when its training-set metric beats its held-out metric by >= "
        f"{OVERFIT_MARGIN:g}; an architecture overfits when the study's rule, applied to "
        "its count of overfitting trials, says so; supported if the recurrent arch overfits "
        "and the conv arch does not, with separated intervals; not supported if the conv "
        "arch overfits clearly more often (separated) or both as often: every rate in one "
        f"interval within {MARGIN_TEXT} of every rate in the other (equivalence); else "
        "inconclusive.")


class Overfitting(Explanation):
    letter = "c"
    title = "overfitting"
    claim = "RNNs overfit sequential data fast"
    keys = ("conv", "recurrent", "train_size")
    rule = RULE

    def parse(self, values: dict[str, Any], spec: TaskSpec,
              where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        params = conv_and_recurrent(values, where)
        params["train_size"] = check_int(values["train_size"], "train_size", where,
                                         (1, 10**7))
        return params, (params["recurrent"], params["conv"])

    def jobs(self, exp: Experiment) -> list[Job]:
        return [self.job(exp, train_size=exp.params["train_size"], diagnostics=True)]

    def judge(self, rows: list[Row], records: list[TrialRecord],
              exp: dict[str, Any]) -> Verdict:
        return verdict_c(rows, records, exp["recurrent"], exp["conv"])

    def experiment_text(self, exp: dict[str, Any], p: Parts) -> str:
        return (f"minimal depth of `{exp['recurrent']}` and `{exp['conv']}` on {p.task} "
                f"trained on a fixed set of {exp['train_size']} examples (--train-size), "
                f"train and held-out metric recorded (--diagnostics); {p.budget}.")

    def commands(self, exp: dict[str, Any], p: Parts) -> list[str]:
        return [f"toytasks run {p.task_option} --arch {p.archs} {p.depth} {p.common} --width "
                f"{exp['width']} {p.search} --train-size {exp['train_size']} --diagnostics"]


def gaps_at(row: Row, records: list[TrialRecord]) -> tuple[int, list[float]]:
    """(depth, train-minus-held-out gaps of the counted trials) at the row's minimal depth
    (its smallest solved depth, also when that is an upper bound), or at its deepest depth
    tried when unsolved."""
    depth = row.solved_depth or row.max_depth_tried
    counted = row.depths[depth].seeds
    gaps = []
    for record in row_records(row, records):
        diag = record.result.diagnostics or {}
        if (record.depth == depth and record.seed < counted and record.lr in row.lrs
                and diag.get("gap") is not None):
            gaps.append(float(diag["gap"]))
    return depth, sorted(gaps)


def verdict_c(rows: list[Row], records: list[TrialRecord], recurrent: str,
              conv: str) -> Verdict:
    found = {}
    for arch in (recurrent, conv):
        match = find_rows(rows, arch)
        if not match:
            return Verdict("c", INCONCLUSIVE, f"no {arch} results")
        depth, gaps = gaps_at(match[0], records)
        if not gaps:
            return Verdict("c", INCONCLUSIVE, f"no train/held-out gap recorded for {arch} "
                           "(run with a finite training set and diagnostics)")
        found[arch] = (match[0], depth, gaps, (sum(g >= OVERFIT_MARGIN for g in gaps),
                                               len(gaps)))
    parts = []
    for arch, (row, depth, gaps, count) in found.items():
        which = ("unsolved, deepest tried" if not (row.solved_depth) else
                 f"minimal depth {row.depth_text()}" if row.minimal_is_upper_bound
                 else "minimal")
        parts.append(f"{arch} at depth {depth} ({which}): overfits {interval_text(*count)}, "
                     f"median gap {statistics.median(gaps):.3f}")
    line = "; ".join(parts)
    cells = []
    for arch in (recurrent, conv):
        row, _, _, count = found[arch]
        cells.append(Cell(f"{arch} overfitting", count, get_rule(row.rule).solved(*count)))
    outcome, why = predicted(*cells)
    return Verdict("c", outcome, f"{line}: {why}")


EXPLANATION = Overfitting()
