"""(d) RNN gates multiply inputs while a CNN only adds, so a CNN needs many layers to
imitate multiplication. Tested by pairs that differ only in multiplicative gating, at the
same receptive field, on a task that needs products.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toytasks.errors import ToytasksError
from toytasks.reading.summary import Row
from toytasks.study.explanations.base import Explanation, Parts, check_arch
from toytasks.study.explanations.evidence import (
    EQUIVALENCE_MARGIN,
    INCONCLUSIVE,
    NOT_SUPPORTED,
    Verdict,
    compare_depths,
    fewer_layers,
    find_rows,
)

if TYPE_CHECKING:
    from toytasks.reading.records import TrialRecord
    from toytasks.specs.spec import TaskSpec

RULE = ("decided by the first pair (gated vs plain CNN, same receptive field): supported if "
        "the gated arch needs fewer layers, with separated intervals (pooled over the depths "
        "between the two minimal depths); not supported if the plain arch needs fewer with "
        "separated intervals, or both need the same depth with equivalent cells (within "
        f"{EQUIVALENCE_MARGIN:g}) at that depth and the one below; else inconclusive. Other "
        "pairs (lstm vs rnn) are reported beside.")


class Multiplication(Explanation):
    letter = "d"
    title = "multiplication"
    claim = ("RNN gates multiply inputs while a CNN only adds, so a CNN needs many layers to "
             "imitate multiplication")
    keys = ("pairs",)
    rule = RULE

    def parse(self, values: dict[str, Any], spec: TaskSpec,
              where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        pairs = values["pairs"]
        if (not isinstance(pairs, list) or not pairs
                or not all(isinstance(p, list) and len(p) == 2 for p in pairs)):
            raise ToytasksError(f"{where}: 'pairs' must be a list of [gated, plain] pairs")
        checked = [[check_arch(a, "pairs", where) for a in pair] for pair in pairs]
        archs = tuple(dict.fromkeys(a for pair in checked for a in pair))
        return {"pairs": checked}, archs

    def judge(self, rows: list[Row], records: list[TrialRecord],
              exp: dict[str, Any]) -> Verdict:
        return verdict_d(rows, exp["pairs"])

    def experiment_text(self, exp: dict[str, Any], p: Parts) -> str:
        pairs = "; ".join(f"`{g}` vs `{q}`" for g, q in exp["pairs"])
        return (f"minimal depth on {p.task} of each pair differing only in multiplicative "
                f"gating: {pairs}; depths {exp['min_depth']}..{exp['max_depth']}; "
                f"{p.budget}.")


def verdict_d(rows: list[Row], pairs: list[list[str]]) -> Verdict:
    orderings = []
    for gated, plain in pairs:
        g, p = find_rows(rows, gated), find_rows(rows, plain)
        if not g or not p:
            if not orderings:
                return Verdict("d", INCONCLUSIVE, f"needs {gated} and {plain} results")
            continue
        order = compare_depths(g[0], p[0])
        extra = ""
        if p[0].rf_bound and p[0].minimal_depth:
            extra = (f" ({plain} needs {p[0].minimal_depth - p[0].rf_bound} layer(s) beyond "
                     f"its receptive-field bound {p[0].rf_bound})")
        orderings.append((order, extra))
    line = "; ".join(o.text + extra for o, extra in orderings)
    outcome = fewer_layers(orderings[0][0])
    if outcome == NOT_SUPPORTED:
        return Verdict("d", outcome, f"{line}: gating does not reduce the CNN's depth")
    return Verdict("d", outcome, line)


EXPLANATION = Multiplication()
