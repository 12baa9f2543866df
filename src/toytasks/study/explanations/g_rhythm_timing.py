"""(g) Rhythm / timing: a gated RNN at depth 1 learns a label carried by a beat's shape but
not one carried only by timing (whether two RR intervals agree), which a convolution whose
receptive field covers the span learns. Tested at fixed depths with every seed: the
recurrent arch at depth 1 on the timing task (the section's task) and on a shape task at
the same sampling rate (``contrast``), the conv arch at ``conv_depth`` on the timing task.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toytasks.errors import ToytasksError
from toytasks.reading.summary import Row
from toytasks.specs.options import check_int
from toytasks.specs.spec import load_spec
from toytasks.study.explanations.base import Explanation, Parts, conv_and_recurrent
from toytasks.study.explanations.evidence import (
    EQUIVALENCE_MARGIN,
    INCONCLUSIVE,
    Count,
    Verdict,
    cell,
    find_rows,
    higher_rate,
)
from toytasks.study.explanations.f_sampling_rate import check_archs, combine, fixed_depth_job
from toytasks.training.stats import interval_text

if TYPE_CHECKING:
    from toytasks.reading.records import TrialRecord
    from toytasks.running.plan import Job
    from toytasks.specs.spec import TaskSpec
    from toytasks.study.sections import Experiment

RULE = ("two predicted differences, each on 95% Clopper-Pearson intervals of success rates "
        "over seeds: the recurrent arch at depth 1 succeeds more often on the shape task "
        "(contrast) than on the timing task, and the conv arch at its depth (receptive "
        "field covering the span) more often than the recurrent arch on the timing task. "
        "Supported if both are separated; not supported if either opposite difference is "
        "separated or either pair is equivalent (both intervals within "
        f"{EQUIVALENCE_MARGIN:g}); else inconclusive (also when a cell is missing). Archs "
        "listed beside are trained at depth 1 on both tasks and reported, not used for the "
        "verdict.")

RATE = "sampling_hz"  # the contrast task runs at the timing task's rate


class RhythmTiming(Explanation):
    letter = "g"
    title = "rhythm / timing"
    claim = ("a gated RNN learns a beat's shape but not timing alone, which a CNN whose "
             "receptive field covers the span learns")
    keys = ("recurrent", "conv", "conv_depth", "contrast", "beside")
    rule = RULE

    def parse(self, values: dict[str, Any], spec: TaskSpec,
              where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        params: dict[str, Any] = conv_and_recurrent(values, where)
        params["conv_depth"] = check_int(values["conv_depth"], "conv_depth", where, (1, 256))
        params["beside"] = [a for a in check_archs(values["beside"], "beside", where)
                            if a != params["recurrent"]]
        contrast = contrast_spec(values["contrast"], spec, where)
        params.update(contrast=contrast.name, contrast_knobs=dict(contrast.knobs))
        archs = (params["recurrent"], *params["beside"], params["conv"])
        return params, tuple(dict.fromkeys(archs))

    def jobs(self, exp: Experiment) -> list[Job]:
        p = exp.params
        one = (p["recurrent"], *p["beside"])
        contrast = contrast_spec(p["contrast"], exp.spec, "[g]")
        names = ", ".join(one)
        return [
            fixed_depth_job(self, exp, one, 1, f"(g) {names} depth 1 on {exp.spec.name}"),
            fixed_depth_job(self, exp, one, 1, f"(g) {names} depth 1 on {contrast.name}",
                            spec=contrast),
            fixed_depth_job(self, exp, (p["conv"],), p["conv_depth"],
                            f"(g) {p['conv']} depth {p['conv_depth']} on {exp.spec.name}"),
        ]

    def judge(self, rows: list[Row], records: list[TrialRecord],
              exp: dict[str, Any]) -> Verdict:
        return verdict_g(rows, exp["task"], exp["contrast"], exp["recurrent"], exp["conv"],
                         exp["conv_depth"], exp.get("beside", []))

    def experiment_text(self, exp: dict[str, Any], p: Parts) -> str:
        beside = ", ".join(f"`{a}`" for a in exp["beside"])
        extra = f"; {beside} at depth 1 on both tasks reported beside" if beside else ""
        return (f"`{exp['recurrent']}` at depth 1 on {p.task} (timing) and on "
                f"`{exp['contrast']}` at the same rate (shape), `{exp['conv']}` at depth "
                f"{exp['conv_depth']} on the timing task, every seed trained{extra}; "
                f"{p.budget}.")

    def commands(self, exp: dict[str, Any], p: Parts) -> list[str]:
        width = f"--width {exp['width']} --exhaustive"
        one = ",".join([exp["recurrent"], *exp["beside"]])
        rate = exp["contrast_knobs"].get(RATE)
        contrast = f"--task {exp['contrast']}" + (f" --set {RATE}={rate}" if rate else "")
        return [f"toytasks run {p.task_option} --arch {one} --min-depth 1 --max-depth 1 "
                f"{p.common} {width}",
                f"toytasks run {contrast} --arch {one} --min-depth 1 --max-depth 1 "
                f"{p.common} {width}",
                f"toytasks run {p.task_option} --arch {exp['conv']} --min-depth "
                f"{exp['conv_depth']} --max-depth {exp['conv_depth']} {p.common} {width}"]


def contrast_spec(name: Any, spec: TaskSpec, where: str) -> TaskSpec:
    """The shape task, at the timing task's sampling rate when both have one."""
    if not isinstance(name, str):
        raise ToytasksError(f"{where}: 'contrast' must be a task name")
    try:
        contrast = load_spec(name)
        if RATE in spec.knobs and RATE in contrast.knobs:
            contrast = contrast.with_knobs({RATE: spec.knobs[RATE]})
    except ToytasksError as exc:
        raise ToytasksError(f"{where}: 'contrast': {exc}") from None
    return contrast


def _get(rows: list[Row], task: str, arch: str, depth: int) -> Count | None:
    found = [r for r in find_rows(rows, arch) if r.task == task and depth in r.depths]
    return cell(found[0], depth) if found else None


def verdict_g(rows: list[Row], timing: str, shape: str, recurrent: str, conv: str,
              conv_depth: int, beside: list[str]) -> Verdict:
    rt, rs = _get(rows, timing, recurrent, 1), _get(rows, shape, recurrent, 1)
    ct = _get(rows, timing, conv, conv_depth)
    notes = []
    for arch in beside:
        cells = [(task, _get(rows, task, arch, 1)) for task in (shape, timing)]
        found = [f"{task} {interval_text(*c)}" for task, c in cells if c is not None]
        if found:
            notes.append(f"{arch} at depth 1: {', '.join(found)}")
    tail = "".join(f"; {n}" for n in notes)
    if rt is None or rs is None or ct is None:
        return Verdict("g", INCONCLUSIVE, f"needs {recurrent} at depth 1 on {timing} and "
                       f"{shape} and {conv} at depth {conv_depth} on {timing}{tail}")
    outcomes = [higher_rate(rs, rt), higher_rate(ct, rt)]
    line = (f"{recurrent} at depth 1: {shape} {interval_text(*rs)}, {timing} "
            f"{interval_text(*rt)}; {conv} at depth {conv_depth} on {timing}: "
            f"{interval_text(*ct)}; shape > timing: {outcomes[0]}, {conv} > {recurrent}: "
            f"{outcomes[1]}{tail}")
    return Verdict("g", combine(outcomes), line)


EXPLANATION = RhythmTiming()
