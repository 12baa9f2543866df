"""(f) Sampling rate: at clinical rates a downsampling CNN needs double-digit depth while a
recurrent net whose gates are initialised for the sequence's time scales stays at depth 1.
Tested at fixed depths with every seed (no search): the CNN shallow (receptive field or
effective field too narrow) and deep, the recurrent net at depth 1; other depth-1 models
(the shipped lstm, state-space models) are reported beside, answering "where does an SSM
sit?" without deciding the verdict.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from toytasks.errors import ToytasksError
from toytasks.reading.summary import Row
from toytasks.specs.options import check_int
from toytasks.study.explanations.base import Explanation, Parts, check_arch, conv_and_recurrent
from toytasks.study.explanations.evidence import (
    INCONCLUSIVE,
    MARGIN_TEXT,
    NOT_SUPPORTED,
    SUPPORTED,
    Cell,
    Verdict,
    by_setting,
    cell,
    find_rows,
    over_settings,
    predicted,
    row_cell,
    setting,
    setting_labels,
)
from toytasks.training.stats import interval_text

if TYPE_CHECKING:
    from toytasks.reading.records import TrialRecord
    from toytasks.running.plan import Job
    from toytasks.specs.spec import TaskSpec
    from toytasks.study.sections import Experiment

RULE = ("two predicted differences, each read in the study's solve decisions and on 95% "
        "Clopper-Pearson intervals of success rates over seeds: the conv arch at the deep "
        "depth succeeds more often than at the shallow depth, and the recurrent arch at depth "
        "1 more often than the conv arch at the shallow depth. Each is supported when the "
        "rule solves the higher cell and not the lower one and their intervals are separated; "
        "the verdict is supported if both are; not supported if either opposite difference is "
        "separated or either pair is equivalent (every rate in one interval within "
        f"{MARGIN_TEXT} of every rate in the other); else inconclusive (also when a cell is "
        "missing). Cells are matched on every setting that defines them (knobs such as "
        "sampling_hz, width, steps): a store holding several settings has each judged and "
        "named, and the verdict is theirs when they agree. The archs listed beside (the "
        "shipped lstm, the state-space models s4d and mamba) are trained at depth 1 with "
        "every seed and reported, not used for the verdict: the claim is about a recurrent "
        "net with time-scale gate init, and an SSM is a third family whose place the report "
        "shows beside it.")


def combine(outcomes: list[str]) -> str:
    """Supported only if every predicted difference is; not supported if any is not."""
    if NOT_SUPPORTED in outcomes:
        return NOT_SUPPORTED
    if outcomes and all(o == SUPPORTED for o in outcomes):
        return SUPPORTED
    return INCONCLUSIVE


def check_archs(value: Any, key: str, where: str) -> list[str]:
    if not isinstance(value, list):
        raise ToytasksError(f"{where}: '{key}' must be a list of architectures")
    return [check_arch(a, key, where) for a in value]


def fixed_depth_job(explanation: Explanation, exp: Experiment, archs: tuple[str, ...],
                    depth: int, announce: str, spec: TaskSpec | None = None) -> Job:
    """Every seed of ``archs`` at one depth (exhaustive: no search, nothing to confirm)."""
    job = explanation.job(exp, announce, archs=archs, min_depth=depth, max_depth=depth,
                          search="exhaustive")
    return job if spec is None else replace(job, spec=spec)


def beside_text(rows: list[Row], archs: list[str], depth: int = 1, **knobs: Any) -> str:
    parts = []
    for arch in archs:
        found = [r for r in find_rows(rows, arch, **knobs) if depth in r.depths]
        if found:
            parts.append(f"{arch} {interval_text(*cell(found[0], depth))}")
    return f"; beside at depth {depth}: " + ", ".join(parts) if parts else ""


class SamplingRate(Explanation):
    letter = "f"
    title = "sampling rate"
    claim = ("at clinical sampling rates a downsampling CNN needs double-digit depth, a "
             "time-scale-initialised LSTM depth 1")
    keys = ("conv", "shallow", "deep", "recurrent", "beside")
    rule = RULE

    def parse(self, values: dict[str, Any], spec: TaskSpec,
              where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        params: dict[str, Any] = conv_and_recurrent(values, where)
        params.update({k: check_int(values[k], k, where, (1, 256))
                       for k in ("shallow", "deep")})
        if params["shallow"] >= params["deep"]:
            raise ToytasksError(f"{where}: 'shallow' must be less than 'deep'")
        params["beside"] = [a for a in check_archs(values["beside"], "beside", where)
                            if a != params["recurrent"]]
        archs = (params["conv"], params["recurrent"], *params["beside"])
        return params, tuple(dict.fromkeys(archs))

    def jobs(self, exp: Experiment) -> list[Job]:
        p = exp.params
        return [
            fixed_depth_job(self, exp, (p["conv"],), p["shallow"],
                            f"(f) {p['conv']} depth {p['shallow']}, every seed"),
            fixed_depth_job(self, exp, (p["conv"],), p["deep"],
                            f"(f) {p['conv']} depth {p['deep']}, every seed"),
            fixed_depth_job(self, exp, (p["recurrent"], *p["beside"]), 1,
                            f"(f) {', '.join([p['recurrent'], *p['beside']])} depth 1, "
                            "every seed"),
        ]

    def judge(self, rows: list[Row], records: list[TrialRecord],
              exp: dict[str, Any]) -> Verdict:
        return verdict_f(rows, exp["conv"], exp["shallow"], exp["deep"], exp["recurrent"],
                         exp.get("beside", []))

    def experiment_text(self, exp: dict[str, Any], p: Parts) -> str:
        beside = ", ".join(f"`{a}`" for a in exp["beside"])
        extra = f"; {beside} at depth 1 reported beside" if beside else ""
        return (f"`{exp['conv']}` at depths {exp['shallow']} and {exp['deep']} and "
                f"`{exp['recurrent']}` at depth 1 on {p.task}, every seed trained{extra}; "
                f"{p.budget}.")

    def commands(self, exp: dict[str, Any], p: Parts) -> list[str]:
        width = f"--width {exp['width']} --exhaustive"
        one = ",".join([exp["recurrent"], *exp["beside"]])
        return [f"toytasks run {p.task_option} --arch {exp['conv']} --min-depth {d} "
                f"--max-depth {d} {p.common} {width}" for d in (exp["shallow"], exp["deep"])
                ] + [f"toytasks run {p.task_option} --arch {one} --min-depth 1 --max-depth 1 "
                     f"{p.common} {width}"]


def get_cell(rows: list[Row], arch: str, depth: int, **knobs: Any) -> Cell | None:
    """The one cell of ``arch`` at ``depth`` among rows of one setting (None if absent)."""
    found = [r for r in find_rows(rows, arch, **knobs) if depth in r.depths]
    return row_cell(found[0], depth) if found else None


def judged_pair(name: str, high: Cell, low: Cell) -> tuple[str, str]:
    outcome, why = predicted(high, low)
    return outcome, f"{name}: {outcome} ({why})"


def verdict_f(rows: list[Row], conv: str, shallow: int, deep: int, recurrent: str,
              beside: list[str]) -> Verdict:
    """Judged per setting (every config value that defines a cell besides the arch)."""
    if not rows:
        return Verdict("f", INCONCLUSIVE, f"needs {conv} at depths {shallow} and {deep} and "
                       f"{recurrent} at depth 1")
    groups = by_setting(rows, setting)
    labels = setting_labels([s for s, _ in groups])
    judged = [(label, *_judge_f(group, conv, shallow, deep, recurrent, beside))
              for label, (_, group) in zip(labels, groups, strict=True)]
    return over_settings("f", judged)


def _judge_f(rows: list[Row], conv: str, shallow: int, deep: int, recurrent: str,
             beside: list[str]) -> tuple[str, str]:
    s, d = get_cell(rows, conv, shallow), get_cell(rows, conv, deep)
    r = get_cell(rows, recurrent, 1)
    if s is None or d is None or r is None:
        return INCONCLUSIVE, (f"needs {conv} at depths {shallow} and {deep} and {recurrent} "
                              f"at depth 1" + beside_text(rows, beside))
    pairs = [judged_pair("deep > shallow", d, s), judged_pair(f"{recurrent} > shallow", r, s)]
    line = (f"{conv} at depth {shallow}: {s.text}, at depth {deep}: {d.text}; {recurrent} "
            f"at depth 1: {r.text}; {', '.join(text for _, text in pairs)}"
            + beside_text(rows, beside))
    return combine([o for o, _ in pairs]), line


EXPLANATION = SamplingRate()
