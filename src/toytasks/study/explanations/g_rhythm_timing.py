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
    INCONCLUSIVE,
    MARGIN_TEXT,
    Cell,
    Setting,
    Verdict,
    by_setting,
    find_rows,
    over_settings,
    row_cell,
    setting,
    setting_labels,
)
from toytasks.study.explanations.f_sampling_rate import (
    check_archs,
    combine,
    fixed_depth_job,
    judged_pair,
)
from toytasks.training.stats import interval_text

if TYPE_CHECKING:
    from toytasks.reading.records import TrialRecord
    from toytasks.running.plan import Job
    from toytasks.specs.spec import TaskSpec
    from toytasks.study.sections import Experiment

RULE = ("two predicted differences, each read in the study's solve decisions and on 95% "
        "Clopper-Pearson intervals of success rates over seeds: the recurrent arch at depth 1 "
        "succeeds more often on the shape task (contrast) than on the timing task, and the "
        "conv arch at its depth (receptive field covering the span) more often than the "
        "recurrent arch on the timing task. Each is supported when the rule solves the "
        "higher cell and not the lower one and their intervals are separated; the verdict is "
        "supported if both are; not supported if either opposite difference is separated or "
        "either pair is equivalent (every rate in one interval within "
        f"{MARGIN_TEXT} of every rate in the other); else inconclusive (also when a cell is "
        "missing). Cells are matched on the sampling rate and every other setting that "
        "defines them: a store holding several has each judged and named, and the verdict "
        "is theirs when they agree. Archs listed beside are trained at depth 1 on both tasks "
        "and reported, not used for the verdict.")

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


def _get(rows: list[Row], task: str, arch: str, depth: int) -> Cell | None:
    found = [r for r in find_rows(rows, arch) if r.task == task and depth in r.depths]
    return row_cell(found[0], depth, f"{arch} at depth {depth} on {task}") if found else None


def g_settings(rows: list[Row], timing: str, shape: str) -> list[tuple[Setting, list[Row]]]:
    """The settings (g) judges: rows grouped by sampling rate and every config value but
    the task's own knobs; then each variant of the timing task's knobs with each of the
    shape task's (a store with two of either has each pair judged, none dropped)."""
    out = []
    for common, group in by_setting(rows, lambda r: {**setting(r, knobs=False),
                                                      RATE: r.config["knobs"].get(RATE)}):
        variants = {task: by_setting([r for r in group if r.task == task],
                                     lambda r: r.config["knobs"]) or [({}, [])]
                    for task in (timing, shape)}
        for tk, trows in variants[timing]:
            for sk, srows in variants[shape]:
                named = {**common, **{f"{timing} {k}": v for k, v in tk.items() if k != RATE},
                         **{f"{shape} {k}": v for k, v in sk.items() if k != RATE}}
                out.append((named, trows + srows))
    return out


def verdict_g(rows: list[Row], timing: str, shape: str, recurrent: str, conv: str,
              conv_depth: int, beside: list[str]) -> Verdict:
    """Judged per setting (``g_settings``)."""
    groups = g_settings(rows, timing, shape) or [({}, [])]
    labels = setting_labels([s for s, _ in groups])
    judged = [(label, *_judge_g(group, timing, shape, recurrent, conv, conv_depth, beside))
              for label, (_, group) in zip(labels, groups, strict=True)]
    return over_settings("g", judged)


def _judge_g(rows: list[Row], timing: str, shape: str, recurrent: str, conv: str,
             conv_depth: int, beside: list[str]) -> tuple[str, str]:
    rt, rs = _get(rows, timing, recurrent, 1), _get(rows, shape, recurrent, 1)
    ct = _get(rows, timing, conv, conv_depth)
    notes = []
    for arch in beside:
        cells = [(task, _get(rows, task, arch, 1)) for task in (shape, timing)]
        found = [f"{task} {interval_text(*c.count)}" for task, c in cells if c is not None]
        if found:
            notes.append(f"{arch} at depth 1: {', '.join(found)}")
    tail = "".join(f"; {n}" for n in notes)
    if rt is None or rs is None or ct is None:
        return INCONCLUSIVE, (f"needs {recurrent} at depth 1 on {timing} and {shape} and "
                              f"{conv} at depth {conv_depth} on {timing}{tail}")
    pairs = [judged_pair("shape > timing", rs, rt), judged_pair(f"{conv} > {recurrent}", ct, rt)]
    line = (f"{recurrent} at depth 1: {shape} {rs.text}, {timing} {rt.text}; {conv} at depth "
            f"{conv_depth} on {timing}: {ct.text}; {', '.join(t for _, t in pairs)}{tail}")
    return combine([o for o, _ in pairs]), line


EXPLANATION = RhythmTiming()
