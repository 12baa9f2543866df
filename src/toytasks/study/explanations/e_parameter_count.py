"""(e) RNN layers are fully connected and simply have more parameters. Tested by the same
minimal-depth comparison at a fixed width and with widths matched to one parameter count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toytasks.reading.summary import Row
from toytasks.specs.options import check_int
from toytasks.study.explanations.base import Explanation, Parts, conv_and_recurrent
from toytasks.study.explanations.evidence import (
    EQUIVALENCE_MARGIN,
    INCONCLUSIVE,
    NOT_SUPPORTED,
    SUPPORTED,
    Verdict,
    compare_depths,
    fewer_layers,
    find_rows,
)

if TYPE_CHECKING:
    from toytasks.reading.records import TrialRecord
    from toytasks.running.plan import Job
    from toytasks.specs.spec import TaskSpec
    from toytasks.study.sections import Experiment

RULE = ("with widths matched to the same parameter count: not supported if the recurrent "
        "arch still needs fewer layers than the conv arch with separated intervals; "
        "supported if it needed fewer at the fixed width with separated intervals and, at "
        "matched parameters, no longer does: the conv arch needs fewer with separated "
        "intervals, or both the same depth with equivalent cells (within "
        f"{EQUIVALENCE_MARGIN:g}) at that depth and the one below; else inconclusive.")


class ParameterCount(Explanation):
    letter = "e"
    title = "parameter count"
    claim = "RNN layers are fully connected and simply have more parameters"
    keys = ("conv", "recurrent", "match_params")
    rule = RULE

    def parse(self, values: dict[str, Any], spec: TaskSpec,
              where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        params = conv_and_recurrent(values, where)
        params["match_params"] = check_int(values["match_params"], "match_params", where)
        return params, (params["recurrent"], params["conv"])

    def jobs(self, exp: Experiment) -> list[Job]:
        matched = exp.params["match_params"]
        return [self.job(exp, "(e) at the spec's width"),
                self.job(exp, f"(e) width matched to ~{matched:,} parameters",
                         match_params=matched)]

    def judge(self, rows: list[Row], records: list[TrialRecord],
              exp: dict[str, Any]) -> Verdict:
        return verdict_e(rows, exp["recurrent"], exp["conv"], exp["match_params"])

    def experiment_text(self, exp: dict[str, Any], p: Parts) -> str:
        return (f"minimal depth of `{exp['recurrent']}` and `{exp['conv']}` on {p.task}, at "
                f"the fixed width and with the width chosen per depth for "
                f"~{exp['match_params']:,} parameters (--match-params); {p.budget}.")

    def commands(self, exp: dict[str, Any], p: Parts) -> list[str]:
        return [*super().commands(exp, p),
                f"toytasks run {p.task_option} --arch {p.archs} {p.depth} {p.common} "
                f"--match-params {exp['match_params']} {p.search}"]

    def figure_rows(self, rows: list[Row]) -> list[Row]:
        return [r for r in rows if r.match_params]


def verdict_e(rows: list[Row], recurrent: str, conv: str, match_params: int) -> Verdict:
    def pick(arch: str, matched: int) -> Row | None:
        found = [r for r in find_rows(rows, arch) if r.match_params == matched]
        return found[0] if found else None

    fixed = (pick(recurrent, 0), pick(conv, 0))
    matched = (pick(recurrent, match_params), pick(conv, match_params))
    if None in matched:
        return Verdict("e", INCONCLUSIVE, f"needs {recurrent} and {conv} at ~{match_params:,} "
                                          "parameters")
    mt = compare_depths(*matched)
    params = ", ".join(f"{r.arch} {r.evidence.params:,} params" for r in matched)
    line = f"at ~{match_params:,} params: {mt.text} ({params})"
    at_matched = fewer_layers(mt)
    if at_matched == SUPPORTED:
        return Verdict("e", NOT_SUPPORTED, f"{line}: the depth ordering stays")
    if None not in fixed:
        fx = compare_depths(*fixed)
        line += f"; at the fixed width: {fx.text}"
        if at_matched == NOT_SUPPORTED and fewer_layers(fx) == SUPPORTED:
            return Verdict("e", SUPPORTED, f"{line}: the gap closes when sizes match")
    return Verdict("e", INCONCLUSIVE, line)


EXPLANATION = ParameterCount()
