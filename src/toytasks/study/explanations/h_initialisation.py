"""(h) With the initialisations practitioners use, one LSTM layer fails where a stack of a
few layers learns. The LSTM half of the ECG question (issue 24): papers stack 2-4 LSTM
layers, and most of them start from their framework's initialisation (PyTorch's default:
every bias uniform in +-1/sqrt(width), so a forget gate near sigma(0) = 0.5; Keras: forget
bias 1), not from the forget bias 3 `lstm` ships with. Tested by training the shipped
`lstm` and each practitioners' initialisation (variants such as `lstm@torch_init=true`,
`lstm@gate_bias=1`) at the same fixed depths, every seed, and asking per initialisation
whether a deeper stack succeeds more often than one layer.
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

from toytasks.errors import ToytasksError
from toytasks.reading.summary import Row
from toytasks.study.explanations.base import Explanation, Parts, check_arch, distinct_depths
from toytasks.study.explanations.evidence import (
    INCONCLUSIVE,
    MARGIN_TEXT,
    NOT_SUPPORTED,
    SUPPORTED,
    Verdict,
    cell,
    find_rows,
    predicted,
    row_cell,
)
from toytasks.training.stats import interval_text

if TYPE_CHECKING:
    from toytasks.reading.records import TrialRecord
    from toytasks.running.plan import Job
    from toytasks.specs.spec import TaskSpec
    from toytasks.study.sections import Experiment

RULE = ("per initialisation: its best deeper depth (the depth above 1 with the most seeds "
        "solved; a tie goes to fewer layers) against depth 1, as in every section: "
        "supported when the study's rule solves the deeper depth and not depth 1 and their "
        "intervals are separated; not supported when separated the other way, or "
        f"equivalent (every rate in one interval within {MARGIN_TEXT} of every rate in the "
        "other); else inconclusive. Choosing the best of several deeper depths favours "
        "'supported', so the report names the depth chosen and every depth's count. The "
        "section: supported when any practitioners' initialisation is supported; not "
        "supported when every one is not supported; else inconclusive. The shipped `lstm` "
        "is judged the same way and reported beside, not used for the verdict.")


class Initialisation(Explanation):
    letter = "h"
    title = "initialisation and LSTM depth"
    claim = ("with the initialisations practitioners use (PyTorch's default, Keras' forget "
             "bias 1), one LSTM layer fails where a stack of 2-4 layers learns")
    keys = ("shipped", "inits", "depths")
    rule = RULE

    def parse(self, values: dict[str, Any], spec: TaskSpec,
              where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        shipped = check_arch(values["shipped"], "shipped", where)
        inits = values["inits"]
        if not isinstance(inits, list) or not inits:
            raise ToytasksError(f"{where}: 'inits' must list at least one architecture "
                                "variant, e.g. [\"lstm@torch_init=true\"]")
        inits = [check_arch(v, "inits", where) for v in inits]
        if len({shipped, *inits}) != len(inits) + 1:
            raise ToytasksError(f"{where}: 'inits' must differ from each other and from "
                                "'shipped'")
        depths = distinct_depths(values["depths"], where)
        if depths[0] != 1:
            raise ToytasksError(f"{where}: 'depths' must start at 1 (one layer is the "
                                f"comparison), got {depths}")
        params = {"shipped": shipped, "inits": inits, "depths": depths}
        return params, (shipped, *inits)

    def jobs(self, exp: Experiment) -> list[Job]:
        return [self.job(exp, f"(h) depth {depth}, every seed", min_depth=depth,
                         max_depth=depth, search="exhaustive")
                for depth in exp.params["depths"]]

    def judge(self, rows: list[Row], records: list[TrialRecord],
              exp: dict[str, Any]) -> Verdict:
        return verdict_h(rows, exp["shipped"], exp["inits"])

    def experiment_text(self, exp: dict[str, Any], p: Parts) -> str:
        depths = ", ".join(map(str, exp["depths"]))
        inits = ", ".join(f"`{a}`" for a in exp["inits"])
        return (f"the shipped `{exp['shipped']}` and the practitioners' initialisations "
                f"{inits} on {p.task} at depths {depths}, every seed trained; {p.budget}.")

    def commands(self, exp: dict[str, Any], p: Parts) -> list[str]:
        return [f"toytasks run {p.task_option} --arch {p.archs} --min-depth {d} --max-depth "
                f"{d} {p.common} --width {exp['width']} --exhaustive"
                for d in exp["depths"]]


def best_deeper(row: Row) -> int | None:
    """The depth above 1 with the most seeds solved (a tie: fewer layers)."""
    deeper = [d for d in sorted(row.depths) if d > 1]
    if not deeper:
        return None
    return max(deeper, key=lambda d: (cell(row, d)[0], -d))


def judge_init(row: Row) -> tuple[str, str]:
    """(outcome, line) for one initialisation's row: its best deeper depth vs depth 1."""
    deep = best_deeper(row)
    if 1 not in row.depths or deep is None:
        return INCONCLUSIVE, f"{row.arch_label}: needs depth 1 and a deeper depth"
    counts = ", ".join(f"{d}: {cell(row, d)[0]}/{cell(row, d)[1]}" for d in sorted(row.depths))
    solved = row.depths[deep].steps_to_solve
    steps = f", median {statistics.median(solved):g} steps" if solved else ""
    high, low = row_cell(row, deep), row_cell(row, 1)
    assert high is not None and low is not None  # both are depths of the row
    outcome, why = predicted(high, low)
    return outcome, (f"{row.arch_label} ({counts}): depth {deep} {interval_text(*cell(row, deep))}"
                     f"{steps} vs depth 1 {interval_text(*cell(row, 1))}: {outcome} ({why})")


def verdict_h(rows: list[Row], shipped: str, inits: list[str]) -> Verdict:
    judged = []
    for arch in inits:
        found = find_rows(rows, arch)
        judged.append(judge_init(found[0]) if found
                      else (INCONCLUSIVE, f"{arch}: no results"))
    outcomes = [o for o, _ in judged]
    if SUPPORTED in outcomes:
        outcome = SUPPORTED
    elif all(o == NOT_SUPPORTED for o in outcomes):
        outcome = NOT_SUPPORTED
    else:
        outcome = INCONCLUSIVE
    lines = [line for _, line in judged]
    ours = find_rows(rows, shipped)
    if ours:
        lines.append("beside, the shipped " + judge_init(ours[0])[1])
    return Verdict("h", outcome, "; ".join(lines))


EXPLANATION = Initialisation()
