"""(f) Sampling rate: at clinical rates a downsampling CNN needs double-digit depth while a
recurrent net whose gates are initialised for the sequence's time scales stays at depth 1.
Tested at fixed depths with every seed (no search): the CNN shallow (receptive field or
effective field too narrow) and deep, the recurrent net at depth 1; other depth-1 models
(the shipped lstm, state-space models) are reported beside, answering "where does an SSM
sit?" without deciding the verdict.

One rate (``set = { sampling_hz = ... }`` with ``shallow`` and ``deep``) or several in one
section (``rates``: each rate with its own shallow and deep depth, since a receptive field
in samples covers less time the higher the rate): every rate is trained and judged against
its own depths, and a rate the spec asks for but the store lacks is named, never dropped.
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
        "named, and the verdict is theirs when they agree; with several rates in the section "
        "(rates), each rate is judged at its own shallow and deep depths, and a rate asked "
        "for with a cell missing is inconclusive, named. The archs listed beside (e.g. the "
        "shipped lstm and state-space models) are trained at depth 1 with every seed, at "
        "every rate, and reported, not used for the verdict: the claim is about a recurrent "
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


RATE = "sampling_hz"  # the knob ``rates`` sets, one value per entry
RATE_KEYS = (RATE, "shallow", "deep")
Depths = tuple[int, int]  # (shallow, deep)


def check_depths(values: dict[str, Any], where: str) -> dict[str, int]:
    """``shallow`` and ``deep``: depths, shallow < deep."""
    depths = {k: check_int(values[k], k, where, (1, 256)) for k in ("shallow", "deep")}
    if depths["shallow"] >= depths["deep"]:
        raise ToytasksError(f"{where}: 'shallow' must be less than 'deep'")
    return depths


def check_rates(value: Any, spec: TaskSpec, where: str) -> list[dict[str, Any]]:
    """``rates = [{ sampling_hz = 100.0, shallow = 8, deep = 13 }, ...]``: each rate checked
    as the task's knob, each with its own depths, no rate twice."""
    if RATE not in spec.knobs:
        raise ToytasksError(f"{where}: 'rates' needs a task with a '{RATE}' knob; "
                            f"'{spec.name}' has none")
    if not isinstance(value, list) or not value or \
            not all(isinstance(item, dict) for item in value):
        raise ToytasksError(f"{where}: 'rates' must be a list of tables "
                            f"{{ {RATE} = HZ, shallow = N, deep = M }}")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        at = f"{where}: rates[{i}]"
        unknown = sorted(set(item) - set(RATE_KEYS))
        if unknown:
            raise ToytasksError(f"{at}: unknown key '{unknown[0]}' (each rate takes "
                                f"{', '.join(RATE_KEYS)})")
        missing = [k for k in RATE_KEYS if k not in item]
        if missing:
            raise ToytasksError(f"{at}: '{missing[0]}' is required (each rate takes "
                                f"{', '.join(RATE_KEYS)})")
        try:
            rate = spec.with_knobs({RATE: item[RATE]}).knobs[RATE]
        except ToytasksError as exc:
            raise ToytasksError(f"{where}: rates[{i}]: {exc}") from None
        if any(r[RATE] == rate for r in out):
            raise ToytasksError(f"{where}: 'rates' lists {RATE} = {rate} twice")
        out.append({RATE: rate, **check_depths(item, at)})
    return out


def rate_depths(exp: dict[str, Any]) -> list[tuple[float | None, int, int]]:
    """(rate, shallow, deep) per rate of a section (rate None: the one-rate form, at the
    section's own knobs)."""
    if "rates" in exp:
        return [(r[RATE], r["shallow"], r["deep"]) for r in exp["rates"]]
    return [(None, exp["shallow"], exp["deep"])]


class SamplingRate(Explanation):
    letter = "f"
    title = "sampling rate"
    claim = ("at clinical sampling rates a downsampling CNN needs double-digit depth, a "
             "time-scale-initialised LSTM depth 1")
    keys = ("conv", "recurrent", "beside")
    optional = ("shallow", "deep", "rates")  # shallow and deep (one rate), or rates
    rule = RULE
    varies = "vary"  # set to the rate knob with ``rates``: no fixed rate in the task text

    def parse(self, values: dict[str, Any], spec: TaskSpec,
              where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        params: dict[str, Any] = conv_and_recurrent(values, where)
        if "rates" in values:
            if "shallow" in values or "deep" in values:
                raise ToytasksError(f"{where}: give 'rates' (each rate with its own shallow "
                                    "and deep) or 'shallow' and 'deep' (one rate), not both")
            if isinstance(values.get("set"), dict) and RATE in values["set"]:
                raise ToytasksError(f"{where}: 'rates' sets {RATE}; leave it out of 'set'")
            params.update(rates=check_rates(values["rates"], spec, where), vary=RATE)
        else:
            missing = [k for k in ("shallow", "deep") if k not in values]
            if missing:
                raise ToytasksError(f"{where}: '{missing[0]}' is required (or 'rates', "
                                    "each rate with its own shallow and deep)")
            params.update(check_depths(values, where))
        params["beside"] = [a for a in check_archs(values["beside"], "beside", where)
                            if a != params["recurrent"]]
        archs = (params["conv"], params["recurrent"], *params["beside"])
        return params, tuple(dict.fromkeys(archs))

    def jobs(self, exp: Experiment) -> list[Job]:
        p = exp.params
        one = (p["recurrent"], *p["beside"])
        jobs = []
        for rate, shallow, deep in rate_depths(p):
            spec = None if rate is None else exp.spec.with_knobs({RATE: rate})
            at = "" if rate is None else f" at {RATE}={rate}"
            jobs += [fixed_depth_job(self, exp, (p["conv"],), depth,
                                     f"(f) {p['conv']} depth {depth}{at}, every seed", spec)
                     for depth in (shallow, deep)]
            jobs.append(fixed_depth_job(self, exp, one, 1, f"(f) {', '.join(one)} depth 1"
                                        f"{at}, every seed", spec))
        return jobs

    def judge(self, rows: list[Row], records: list[TrialRecord],
              exp: dict[str, Any]) -> Verdict:
        beside = exp.get("beside", [])
        if "rates" in exp:
            rates = {float(r): (s, d) for r, s, d in rate_depths(exp) if r is not None}
            return verdict_f_rates(rows, exp["conv"], rates, exp["recurrent"], beside)
        return verdict_f(rows, exp["conv"], exp["shallow"], exp["deep"], exp["recurrent"],
                         beside)

    def experiment_text(self, exp: dict[str, Any], p: Parts) -> str:
        beside = ", ".join(f"`{a}`" for a in exp["beside"])
        extra = f"; {beside} at depth 1 reported beside" if beside else ""
        if "rates" not in exp:
            return (f"`{exp['conv']}` at depths {exp['shallow']} and {exp['deep']} and "
                    f"`{exp['recurrent']}` at depth 1 on {p.task}, every seed trained{extra}; "
                    f"{p.budget}.")
        each = "; ".join(f"at {RATE}={r}: `{exp['conv']}` at depths {s} and {d}"
                         for r, s, d in rate_depths(exp))
        extra = f"; {beside} at depth 1 at every rate reported beside" if beside else ""
        return (f"on {p.task}, each sampling rate with its own depths ({each}); "
                f"`{exp['recurrent']}` at depth 1 at every rate, every seed trained{extra}; "
                f"{p.budget}.")

    def commands(self, exp: dict[str, Any], p: Parts) -> list[str]:
        width = f"--width {exp['width']} --exhaustive"
        one = ",".join([exp["recurrent"], *exp["beside"]])
        out = []
        for rate, shallow, deep in rate_depths(exp):
            task = p.task_option if rate is None else with_rate(p.task_option, rate)
            out += [f"toytasks run {task} --arch {exp['conv']} --min-depth {d} --max-depth {d} "
                    f"{p.common} {width}" for d in (shallow, deep)]
            out.append(f"toytasks run {task} --arch {one} --min-depth 1 --max-depth 1 "
                       f"{p.common} {width}")
        return out


def with_rate(task_option: str, rate: float) -> str:
    """'--task T --set k=v' -> '--task T --set sampling_hz=R,k=v' (the rate first)."""
    head, sep, knobs = task_option.partition(" --set ")
    return f"{head} --set {RATE}={rate}" + (f",{knobs}" if sep else "")


def get_cell(rows: list[Row], arch: str, depth: int, **knobs: Any) -> Cell | None:
    """The one cell of ``arch`` at ``depth`` among rows of one setting (None if absent)."""
    found = [r for r in find_rows(rows, arch, **knobs) if depth in r.depths]
    return row_cell(found[0], depth) if found else None


def judged_pair(name: str, high: Cell, low: Cell) -> tuple[str, str]:
    outcome, why = predicted(high, low)
    return outcome, f"{name}: {outcome} ({why})"


def verdict_f(rows: list[Row], conv: str, shallow: int, deep: int, recurrent: str,
              beside: list[str]) -> Verdict:
    """Judged per setting (every config value that defines a cell besides the arch), each
    at the same ``shallow`` and ``deep`` depths (the one-rate form)."""
    if not rows:
        return Verdict("f", INCONCLUSIVE, f"needs {conv} at depths {shallow} and {deep} and "
                       f"{recurrent} at depth 1")
    groups = by_setting(rows, setting)
    labels = setting_labels([s for s, _ in groups])
    judged = [(label, *_judge_f(group, conv, shallow, deep, recurrent, beside))
              for label, (_, group) in zip(labels, groups, strict=True)]
    return over_settings("f", judged)


def verdict_f_rates(rows: list[Row], conv: str, rates: dict[float, Depths], recurrent: str,
                    beside: list[str]) -> Verdict:
    """Judged per setting, each at its own rate's depths (``rates``: sampling_hz ->
    (shallow, deep)); a rate asked for with no rows is judged too (inconclusive, named),
    and a rate in the store that ``rates`` does not list is inconclusive, named."""
    groups = by_setting(rows, setting)
    found = {_rate(s) for s, _ in groups}
    first = groups[0][0] if groups else {}
    absent = [({**first, RATE: r}, []) for r in rates if r not in found]
    groups += absent
    labels = setting_labels([s for s, _ in groups])  # names the rate where rates differ
    judged = []
    for label, (value, group) in zip(labels, groups, strict=True):
        depths = rates.get(_rate(value))  # type: ignore[arg-type]
        if depths is None:
            judged.append((label, INCONCLUSIVE, f"the study gives no depths for {RATE}="
                           f"{value.get(RATE)} (its rates: "
                           f"{', '.join(str(r) for r in rates)})"))
        else:
            judged.append((label, *_judge_f(group, conv, *depths, recurrent, beside)))
    return over_settings("f", judged)


def _rate(value: dict[str, Any]) -> float | None:
    rate = value.get(RATE)
    return float(rate) if isinstance(rate, int | float) and not isinstance(rate, bool) \
        else None


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
