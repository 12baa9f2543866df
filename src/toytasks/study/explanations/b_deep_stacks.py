"""(b) Deep recurrent stacks are hard to train (vanishing gradients). Tested by training a
plain and a residual recurrent stack at a few fixed depths with every seed, recording the
gradient per layer at initialisation.
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

from toytasks.reading.summary import Row
from toytasks.study.explanations.base import Explanation, Parts, check_arch, distinct_depths
from toytasks.study.explanations.evidence import (
    INCONCLUSIVE,
    MARGIN_TEXT,
    Verdict,
    cell,
    find_rows,
    predicted,
    row_cell,
    row_records,
)
from toytasks.training.stats import interval_text

if TYPE_CHECKING:
    from toytasks.reading.records import TrialRecord
    from toytasks.running.plan import Job
    from toytasks.specs.spec import TaskSpec
    from toytasks.study.explanations.base import Figure
    from toytasks.study.sections import Experiment, Section

COLLAPSE_RATIO = 0.1  # first-layer gradient below this share of the last layer's

RULE = ("supported if the plain stack succeeds less often at the deepest depth than at the "
        "shallowest: the study's rule solves the shallowest and not the deepest, and their "
        "intervals are separated; not supported if it succeeds clearly more often at the "
        "deepest (separated), or as often: every rate in one interval within "
        f"{MARGIN_TEXT} of every rate in the other (equivalence); else inconclusive. The "
        "gradient at "
        "initialisation (median over seeds of the first layer's gradient norm over the "
        f"last layer's; 'collapsed' below {COLLAPSE_RATIO:g}) and the residual stack's "
        "success are reported beside as the mechanism, not used for the verdict.")


class DeepStacks(Explanation):
    letter = "b"
    title = "deep recurrent stacks are hard to train"
    claim = "deep RNN stacks are hard to train (vanishing gradients)"
    keys = ("arch", "residual", "depths")
    rule = RULE

    def parse(self, values: dict[str, Any], spec: TaskSpec,
              where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        params: dict[str, Any] = {k: check_arch(values[k], k, where)
                                  for k in ("arch", "residual")}
        params["depths"] = distinct_depths(values["depths"], where)
        return params, (params["arch"], params["residual"])

    def jobs(self, exp: Experiment) -> list[Job]:
        return [self.job(exp, f"(b) depth {depth}, every seed", min_depth=depth,
                         max_depth=depth, search="exhaustive", diagnostics=True)
                for depth in exp.params["depths"]]

    def judge(self, rows: list[Row], records: list[TrialRecord],
              exp: dict[str, Any]) -> Verdict:
        return verdict_b(rows, records, exp["arch"], exp["residual"])

    def experiment_text(self, exp: dict[str, Any], p: Parts) -> str:
        depths = ", ".join(map(str, exp["depths"]))
        return (f"`{exp['arch']}` and `{exp['residual']}` on {p.task} at depths {depths}, "
                f"every seed trained, per-layer gradient norms recorded (--diagnostics); "
                f"{p.budget}.")

    def commands(self, exp: dict[str, Any], p: Parts) -> list[str]:
        return [f"toytasks run {p.task_option} --arch {p.archs} --min-depth {d} --max-depth "
                f"{d} {p.common} --width {exp['width']} --exhaustive --diagnostics"
                for d in exp["depths"]]

    def figures(self, section: Section) -> list[Figure]:
        from toytasks.reading.figures import grad_norm_by_layer

        deep = max(section.exp["depths"]) if section.exp else 0
        return [*super().figures(section),
                ("b-grad-norm-by-layer.png",
                 f"(b) per-layer gradient norm at depth {deep}, dashed at initialisation",
                 lambda p, d=deep, s=section: grad_norm_by_layer(s.records, p, depths=[d]))]


def init_gradient_ratio(records: list[TrialRecord], depth: int) -> float | None:
    """Median over seeds of |grad| of the first layer / |grad| of the last layer (before the
    readout), at initialisation; None without diagnostics."""
    ratios = []
    for record in records:
        diag = record.result.diagnostics or {}
        norms = diag.get("grad_norm_init")
        if record.depth == depth and norms and len(norms) >= 3 and norms[-2]:
            ratios.append(norms[0] / norms[-2])
    return statistics.median(ratios) if ratios else None


def _steps(row: Row, depth: int) -> str:
    solved = row.depths[depth].steps_to_solve
    return f" (median {statistics.median(solved):g} steps to solve)" if solved else ""


def verdict_b(rows: list[Row], records: list[TrialRecord], arch: str,
              residual: str) -> Verdict:
    plain = find_rows(rows, arch)
    if not plain or len(plain[0].depths) < 2:
        return Verdict("b", INCONCLUSIVE, f"needs {arch} at two depths or more")
    row = plain[0]
    shallow, deep = min(row.depths), max(row.depths)
    s, d = cell(row, shallow), cell(row, deep)
    notes = []
    ratio = init_gradient_ratio(row_records(row, records), deep)
    if ratio is not None:
        state = "collapsed" if ratio < COLLAPSE_RATIO else "not collapsed"
        notes.append(f"first/last-layer gradient at init {ratio:.2g} ({state})")
    res = find_rows(rows, residual)
    if res and deep in res[0].depths:
        res_ratio = init_gradient_ratio(row_records(res[0], records), deep)
        ratio_text = f", gradient ratio {res_ratio:.2g}" if res_ratio is not None else ""
        notes.append(f"{residual} at depth {deep}: {interval_text(*cell(res[0], deep))}"
                     f"{ratio_text}")
    head = (f"{arch} at depth {shallow}: {interval_text(*s)}{_steps(row, shallow)}, at depth "
            f"{deep}: {interval_text(*d)}{_steps(row, deep)}")
    line = "; ".join([head, *notes])
    high, low = row_cell(row, shallow), row_cell(row, deep)
    assert high is not None and low is not None  # both are depths of the row
    outcome, why = predicted(high, low)
    return Verdict("b", outcome, f"{line}: {why}")


EXPLANATION = DeepStacks()
