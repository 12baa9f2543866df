"""(a) Receptive field vs state: a CNN must stack layers until its receptive field spans the
pattern, while an LSTM carries it in its state. Tested by a sweep of one knob that grows
the span: the conv arch's minimal depth should follow its receptive-field bound while the
recurrent arch stays at depth 1.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from toytasks.errors import ToytasksError
from toytasks.reading.summary import Row
from toytasks.study.explanations.base import Explanation, Parts, conv_and_recurrent
from toytasks.study.explanations.evidence import (
    EQUIVALENCE_MARGIN,
    INCONCLUSIVE,
    NOT_SUPPORTED,
    SUPPORTED,
    Verdict,
    cell,
    compare_depths,
    fewer_layers,
    find_rows,
    pool,
    separated,
)
from toytasks.training.stats import interval_text

if TYPE_CHECKING:
    from toytasks.reading.records import TrialRecord
    from toytasks.running.plan import Job
    from toytasks.specs.spec import TaskSpec
    from toytasks.study.explanations.base import Figure
    from toytasks.study.sections import Experiment, Section

RULE = ("supported if, at every value of the swept knob, the recurrent arch solves at depth "
        "1 and the conv arch solves no shallower than its receptive-field bound; the conv "
        "arch needs fewer layers at the shortest span than at the longest (separated "
        "intervals, pooled over the depths between the two minimal depths); and the "
        "recurrent arch at depth 1 (pooled over values) succeeds clearly more often than "
        "the conv arch at the depths below its minimal depth (pooled, separated). Not "
        "supported if the recurrent arch at depth 1 succeeds clearly less often than the "
        "conv arch at its minimal depth at some value (separated); the conv arch solves "
        "below its bound with a success rate separated from the 0/n of a model blind to "
        "part of the span; or its minimal depth does not grow although its bound does: "
        "the longest span needs fewer layers (separated) or the same depth with equivalent "
        f"cells (within {EQUIVALENCE_MARGIN:g}) at that depth and the one below. Else "
        "inconclusive (also when the swept values leave the bound unchanged).")


class ReceptiveField(Explanation):
    letter = "a"
    title = "receptive field vs state"
    claim = ("a CNN must stack layers until its receptive field spans the pattern, while an "
             "LSTM carries it in its state")
    keys = ("conv", "recurrent", "vary", "values")
    rule = RULE
    varies = "vary"

    def parse(self, values: dict[str, Any], spec: TaskSpec,
              where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        params = conv_and_recurrent(values, where)
        knob = values["vary"]
        if not isinstance(knob, str) or knob not in spec.knobs:
            raise ToytasksError(f"{where}: 'vary' must be a knob of '{spec.name}' "
                                f"(valid: {', '.join(spec.knobs)}), got {knob!r}")
        items = values["values"]
        if not isinstance(items, list) or len(items) < 2:
            raise ToytasksError(f"{where}: 'values' must list at least two values of "
                                f"'{knob}'")
        try:
            checked = [spec.with_knobs({knob: v}).knobs[knob] for v in items]
        except ToytasksError as exc:
            raise ToytasksError(f"{where}: {exc}") from None
        if len(set(map(repr, checked))) != len(checked):
            raise ToytasksError(f"{where}: 'values' lists a value twice")
        params.update(vary=knob, values=checked)
        return params, (params["recurrent"], params["conv"])

    def jobs(self, exp: Experiment) -> list[Job]:
        knob = exp.params["vary"]
        return [replace(self.job(exp, f"(a) {knob}={value}"),
                        spec=exp.spec.with_knobs({knob: value}))
                for value in exp.params["values"]]

    def judge(self, rows: list[Row], records: list[TrialRecord],
              exp: dict[str, Any]) -> Verdict:
        return verdict_a(rows, exp["conv"], exp["recurrent"], exp["vary"])

    def experiment_text(self, exp: dict[str, Any], p: Parts) -> str:
        values = ", ".join(map(str, exp["values"]))
        return (f"minimal depth of `{exp['conv']}` and `{exp['recurrent']}` on {p.task} at "
                f"{exp['vary']} = {values} (the span grows with it), depths "
                f"{exp['min_depth']}..{exp['max_depth']}; {p.budget}.")

    def commands(self, exp: dict[str, Any], p: Parts) -> list[str]:
        values = ",".join(map(str, exp["values"]))
        return [f"toytasks sweep {p.task_option} --vary {exp['vary']}={values} --arch "
                f"{p.archs} {p.depth} {p.common} --width {exp['width']} {p.search}"]

    def figures(self, section: Section) -> list[Figure]:
        from toytasks.reading.figures import gradient_vs_lag, min_depth_vs_knob

        knob = section.exp["vary"] if section.exp else ""
        found = [*super().figures(section),
                 (f"a-min-depth-vs-{knob}.png",
                  f"(a) minimal depth vs {knob}, receptive-field bound dashed",
                  lambda p, s=section, k=knob: min_depth_vs_knob(s.rows, k, p))]
        if any(r.result.diagnostics for r in section.records):
            found.append(("a-gradient-vs-lag.png", "(a) input gradient by lag after training",
                          lambda p, s=section: gradient_vs_lag(s.records, p)))
        return found


def verdict_a(rows: list[Row], conv: str, recurrent: str, knob: str) -> Verdict:
    values = sorted({repr(r.config["knobs"].get(knob)): r.config["knobs"].get(knob)
                     for r in rows if knob in r.config["knobs"]}.values(), key=repr)
    pairs = []
    for value in values:
        c, r = find_rows(rows, conv, **{knob: value}), find_rows(rows, recurrent, **{knob: value})
        if c and r:
            pairs.append((value, c[0], r[0]))
    if len(pairs) < 2:
        return Verdict("a", INCONCLUSIVE, f"needs {conv} and {recurrent} at >= 2 values of "
                                          f"{knob}; found {len(pairs)}")
    pairs.sort(key=lambda p: (p[1].span_samples, repr(p[0])))
    depths = ", ".join(f"{knob}={v}: {conv} {c.depth_text()} (bound {c.rf_bound}), "
                       f"{recurrent} {r.depth_text()}" for v, c, r in pairs)
    for value, c, r in pairs:
        if r.solved_depth != 1 and 1 in r.depths and r.depths[1].decided \
                and c.solved_depth is not None:
            rec, conv_at = cell(r, 1), cell(c, c.solved_depth)
            if separated(conv_at, rec):
                return Verdict("a", NOT_SUPPORTED, f"{recurrent} does not solve at depth 1 at "
                               f"{knob}={value} ({interval_text(*rec)}; {conv} at depth "
                               f"{c.solved_depth}: {interval_text(*conv_at)}); {depths}")
    for value, c, _ in pairs:
        if c.solved_depth is not None and c.rf_bound and c.solved_depth < c.rf_bound:
            leak = pool([cell(c, d) for d in range(c.solved_depth, c.rf_bound)
                         if d in c.depths])
            if separated(leak, (0, leak[1])):
                return Verdict("a", NOT_SUPPORTED, f"{conv} solves below its receptive-field "
                               f"bound at {knob}={value}: {interval_text(*leak)} at depths "
                               f"{c.solved_depth}-{c.rf_bound - 1} (the task leaks); "
                               f"{depths}")
            return Verdict("a", INCONCLUSIVE, f"{conv} solves below its receptive-field bound "
                           f"at {knob}={value} ({interval_text(*leak)}), on too few seeds to "
                           f"separate it from 0; {depths}")
    first, last = pairs[0][1], pairs[-1][1]
    if not (first.rf_bound or 0) < (last.rf_bound or 0):
        return Verdict("a", INCONCLUSIVE, f"the swept values do not move {conv}'s receptive-"
                       f"field bound, so no growth is predicted; {depths}")
    if first.solved_depth is None:
        return Verdict("a", INCONCLUSIVE, f"{conv} unsolved at the shortest span; {depths}")
    growth = compare_depths(first, last)
    grows = fewer_layers(growth)
    if grows == NOT_SUPPORTED:
        return Verdict("a", NOT_SUPPORTED, f"{conv}'s minimal depth does not grow with the "
                       f"span although its bound does ({growth.text}); {depths}")
    if last.solved_depth is None and last.max_depth_tried < first.solved_depth:
        return Verdict("a", INCONCLUSIVE, f"{conv} not searched deep enough at the longest "
                       f"span; {depths}")
    if any(r.solved_depth != 1 for _, _, r in pairs):
        return Verdict("a", INCONCLUSIVE, f"{recurrent} at depth 1 undecided or unsolved; "
                       f"{depths}")
    rec = pool([cell(r, 1) for _, _, r in pairs])
    below = pool([cell(c, d) for _, c, _ in pairs for d in c.depths
                  if c.solved_depth is None or d < c.solved_depth])
    sep = separated(rec, below)
    evidence = (f"{depths}; {recurrent} at depth 1 {interval_text(*rec)} vs {conv} below its "
                f"minimal depth {interval_text(*below)}; growth: {growth.text}")
    if sep and grows == SUPPORTED:
        return Verdict("a", SUPPORTED, evidence)
    why = [*([] if grows == SUPPORTED else [f"the growth of {conv}'s depth is not separated"]),
           *([] if sep else [f"{recurrent} at depth 1 vs {conv} below: intervals overlap"])]
    return Verdict("a", INCONCLUSIVE, f"{evidence}: {'; '.join(why)}")


EXPLANATION = ReceptiveField()
