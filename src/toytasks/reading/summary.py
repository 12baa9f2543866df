"""From stored trial records to the answer: per (task config, architecture), the minimal depth.

Computed from the store alone, so `toytasks run` and `toytasks table DIR` print the same
thing, and extra trials in the store (another run's, a larger grid) never change a cell's
rule: the minimal depth is the smallest solved depth whose next-lower depth was trained
and not solved (or which is the lowest depth trained). When the depth below the smallest
solved depth was never trained (an adaptive search cut short, fixed depths 8 and 13), that
depth is an upper bound: tables print "<= 13", never "> 13" beside "13: 10/10".
How a group is decided (rule, seeds asked for, lr grid, search kind, matched parameter
count) is read from what the run that trained it recorded with each trial, so a table
read back later applies the same rule.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES, get_architecture, variant_name
from toytasks.reading.records import PER_TRIAL, TrialRecord, held_out, task_facts, versions
from toytasks.training.solve import SolveRule, counted_lrs, first_solved, get_rule, seed_outcomes
from toytasks.training.trial import ARCH_FIELDS, DIVERGED, ERROR, REFUSED, SOLVED, TrialResult

if TYPE_CHECKING:
    from toytasks.specs.spec import TaskSpec

# identity fields a configuration leaves out at their default (``Trial.config``)
IDENTITY_DEFAULTS = {"device": "cpu", "arch_version": 1, "pack": 1}


@dataclass
class DepthStats:
    depth: int
    seeds: int  # seeds counted by the sequential rule
    successes: int
    solved: bool
    params: int
    best_metric: float | None  # median over counted trials of the best held-out metric
    steps_to_solve: list[int]
    flops: float
    trials: int
    faults: dict[str, int]
    decided: bool = True
    width: int = 0
    steps: int = 0  # training steps of the counted trials
    spent_flops: float = 0.0  # every stored trial at this depth, speculative ones included
    spent_steps: int = 0
    spent_trials: int = 0
    # length generalisation, per factor: (median metric, trials meeting the threshold,
    # trials scored) over the counted solved trials at this depth
    lengths: dict[int, tuple[float, int, int]] = field(default_factory=dict)
    failed_metric: float | None = None  # median best held-out metric of the failed trials
    held_out: tuple[float, ...] = ()  # per stored seed: records.held_out (nan: none usable)


@dataclass
class Row:
    task: str
    arch: str
    config: dict[str, Any]
    minimal_depth: int | None
    max_depth_tried: int
    depths: dict[int, DepthStats]
    receptive_field: int | None
    rf_bound: int | None
    span_samples: int
    blind_samples: int
    metric: str
    baseline: float
    flops: float
    trials: int
    lrs: tuple[float, ...] = ()
    faults: dict[str, int] = field(default_factory=dict)
    seeds_asked: int | None = None  # seeds per depth the run asked for (the rule's n)
    versions: tuple[str, ...] = ()  # "toytasks X @commit" of the code that made the results
    rule: str = "majority"
    search: str = "linear"  # the search that proposed the depths
    confirmed: tuple[int, ...] = ()  # depths where an exhaustive run also trained every seed
    match_params: int = 0  # 0: fixed width; P: width chosen per depth for ~P parameters
    non_monotonic: tuple[int, ...] = ()  # failed depths deeper than a solved one
    steps: int = 0
    spent_flops: float = 0.0
    spent_steps: int = 0
    spent_trials: int = 0
    solved_at: int | None = None  # the smallest depth the rule solved (exact or upper bound)
    refused: str = ""  # a trained model's causality fault: the row has no minimal depth

    @property
    def below_rf_bound(self) -> bool:
        """Solved at a depth whose receptive field lies inside the blind window: provably
        using information it cannot see (a leak in the model, or a shortcut in the task)."""
        solved = self.solved_depth
        return solved is not None and self.rf_bound is not None and solved < self.rf_bound

    @property
    def evidence(self) -> DepthStats:
        """The depth whose counts the table shows: the smallest solved one, else the deepest
        tried."""
        return self.depths[self.solved_depth or self.max_depth_tried]

    @property
    def solved_depth(self) -> int | None:
        """The smallest solved depth: the minimal depth, exact or (``minimal_is_upper_bound``)
        an upper bound; None when unsolved. Verdicts and figures read this one."""
        return self.solved_at or self.minimal_depth

    @property
    def minimal_is_upper_bound(self) -> bool:
        """Solved at ``solved_at`` > 1 while ``solved_at - 1`` was not trained (or not
        decided): the minimal depth is at most ``solved_at``, maybe less."""
        depth = self.solved_at
        if depth is None or depth == 1:
            return False
        below = self.depths.get(depth - 1)
        return below is None or not below.decided

    @property
    def least_depth(self) -> int:
        """The fewest layers the row can need: its minimal depth when exact; one more than
        the deepest failed depth below an upper bound (1 if none); one more than the
        deepest depth tried when unsolved."""
        if self.solved_at is None:
            return self.max_depth_tried + 1
        if not self.minimal_is_upper_bound:
            return self.solved_at
        failed = [d for d, s in self.depths.items()
                  if d < self.solved_at and s.decided and not s.solved]
        return max(failed, default=0) + 1

    def depth_text(self, style: str = "plain") -> str:
        """The minimal depth as each table prints it. ``plain``: '3', or '>12' when unsolved
        up to 12, '<=3' when depth 2 was never tried (verdicts, evidence); ``table``: '<= 3',
        '> 12', and the depths that fail above a solved one; ``cell`` (sweep cells): '<=3',
        '>12', with '!' when non-monotonic."""
        space = " " if style == "table" else ""
        if self.refused:
            return f"refused: {self.refused}" if style == "table" else "refused"
        solved = self.solved_depth
        text = str(solved) if solved else f">{space}{self.max_depth_tried}"
        if self.minimal_is_upper_bound:
            text = f"<={space}{text}"  # solved there, the depth below never trained
        if style == "plain":
            return text
        if self.below_rf_bound:
            text += f" (below RF bound {self.rf_bound})" if style == "table" else "<RF"
        if self.non_monotonic:
            text += "!" if style == "cell" else \
                f" (non-monotonic: fails at {','.join(map(str, self.non_monotonic))})"
        return text

    @property
    def arch_label(self) -> str:
        return arch_label(self.config)

    def label(self, knobs: list[str], fields: tuple[str, ...] = ()) -> str:
        """``knob=value`` for the given knobs, then ``field=value`` for the given config
        fields: what tells this row apart from the others in its table."""
        return ", ".join([*(f"{k}={self.config['knobs'][k]}" for k in knobs),
                          *(f"{f}={self.config.get(f, IDENTITY_DEFAULTS.get(f))}"
                        for f in fields)])


def arch_class(arch: str) -> Any:
    """The architecture's class, or None when it no longer loads (a removed plugin)."""
    try:
        return get_architecture(arch)
    except ToytasksError:
        return None


def receptive_field(arch: str, depth: int, knobs: dict[str, Any] | None = None) -> int | None:
    cls = arch_class(arch)
    return cls.receptive_field(depth, **(knobs or {})) if cls else None


def rf_bound(arch: str, blind_samples: int, limit: int = 4096,
             knobs: dict[str, Any] | None = None) -> int | None:
    """Smallest depth whose receptive field exceeds the blind window (below it: chance).

    None when the architecture's receptive field is unbounded, and when the task has no
    blind window (``blind_samples`` 0: no window is provably at chance, so no depth is
    ruled out; a bound of 1 would claim a theory that does not exist)."""
    if receptive_field(arch, 1, knobs) is None or blind_samples <= 0:
        return None
    depth = 1
    while receptive_field(arch, depth, knobs) <= blind_samples and depth < limit:
        depth += 1
    return depth


def rf_bound_text(arch: str, blind_samples: int, prefix: str = ">= ",
                  knobs: dict[str, Any] | None = None) -> str:
    """The RF-bound column: '>= N'; 'n/a' for a convolution on a task without a blind
    window (the bound does not apply); '-' for an architecture without a finite RF."""
    bound = rf_bound(arch, blind_samples, knobs=knobs)
    if bound is not None:
        return f"{prefix}{bound}"
    return "n/a" if receptive_field(arch, 1, knobs) is not None else "-"


def arch_label(config: dict[str, Any], leave_out: tuple[str, ...] = ()) -> str:
    """The row's variant name: 'cnn', or 'cnn@kernel=7' when architecture knobs are set
    away from their defaults (however they were asked for: ``--arch cnn@kernel=7`` or
    ``--set cnn.kernel=7``), so the label is what to type to train the row again. A gate
    bias away from the knob's default is named too (it is a trial field, not in
    ``arch_knobs``), so ``lstm`` and ``lstm@gate_bias=0`` are two rows. ``leave_out``: knobs
    not to name (a sweep's varied knob: its columns say it)."""
    knobs = dict(config.get("arch_knobs") or {})
    cls = arch_class(config["arch"])
    gate = next((k for k in (cls.knobs if cls else ()) if k.name == "gate_bias"), None)
    if gate is not None and config.get("gate_bias", gate.default) != gate.default:
        knobs["gate_bias"] = config["gate_bias"]
    return variant_name(config["arch"], {k: v for k, v in knobs.items() if k not in leave_out})


def summarise(records: Sequence[TrialRecord], rule: SolveRule | None = None,
              seeds: int | None = None) -> list[Row]:
    """Rows for every (task config, architecture) in ``records``.

    ``seeds`` is the number of seeds the run asked for; when not given (a results folder
    read back later) it is the largest number any stored run asked for in that group
    (recorded with each trial), else the number of distinct seeds stored at that depth.
    ``rule`` likewise defaults to the rule recorded by the group's latest trial, and the lr
    grid to the grid it recorded (trials at other lrs are then not counted).
    """
    groups: dict[str, list[TrialRecord]] = defaultdict(list)
    for record in records:
        groups[record.cell].append(record)
    rows = [_row(items, rule, seeds) for items in groups.values()]
    order = {name: i for i, name in enumerate(ARCHITECTURES)}
    return sorted(rows, key=lambda r: (r.task, r.match_params,
                                       _config_order(r.config, r.match_params),
                                       order.get(r.arch, len(order)), r.arch,
                                       _natural(r.config.get("arch_knobs") or {})))


def _config_order(config: dict[str, Any], match_params: int = 0) -> tuple:
    """Rows sort by their configuration with numbers in numeric order (period 4, 6, 8, 12,
    16; not 12, 16, 4, 6, 8 as their text would)."""
    drop = (*ARCH_FIELDS, "width") if match_params else ARCH_FIELDS
    return _natural({k: v for k, v in config.items() if k not in drop})


def _natural(value: Any) -> tuple:
    if isinstance(value, bool) or value is None:
        return (0, str(value))
    if isinstance(value, int | float):
        return (1, float(value))
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, dict):
        return (3, tuple((k, _natural(v)) for k, v in sorted(value.items())))
    if isinstance(value, list | tuple):
        return (4, tuple(_natural(v) for v in value))
    return (5, json.dumps(value, sort_keys=True))


def _latest(items: list[TrialRecord], key: str) -> Any:
    """The value the group's most recently stored trial recorded for ``key`` (or None)."""
    values = [getattr(r.run, key) for r in items]
    return next((v for v in reversed(values) if v is not None), None)


def _row(items: list[TrialRecord], rule: SolveRule | None, seeds: int | None) -> Row:
    config = {k: v for k, v in items[0].config.items() if k not in PER_TRIAL}
    rule = rule or get_rule(_latest(items, "rule") or "majority")
    grid = _latest(items, "lrs")
    lrs = sorted(grid) if grid else sorted({r.lr for r in items})
    # the row's search is what proposed its depths; exhaustive one-depth runs beside it (a
    # study's confirmation) train every seed at their depths only, which then count all
    # seeds: the rest of the row keeps its sequential counting and its search's name
    searched = [r for r in items if r.run.search != "exhaustive"]
    search = (_latest(searched, "search") or "linear") if searched else "exhaustive"
    every_seed = {r.depth for r in items if r.run.search == "exhaustive"}
    per_depth: dict[int, int] = {}
    if seeds is None:
        asked = [r.run.seeds for r in items]
        seeds = max((n for n in asked if isinstance(n, int)), default=None)
        per_depth, default = seeds_per_depth(items)
    else:
        default = seeds
    by_depth: dict[int, list[TrialRecord]] = defaultdict(list)
    for record in items:
        by_depth[record.depth].append(record)
    depths = {d: _depth_stats(d, recs, lrs, rule, per_depth.get(d, default),
                              early=search != "exhaustive" and d not in every_seed)
              for d, recs in sorted(by_depth.items())}
    verdicts = {d: s.solved for d, s in depths.items() if s.decided}
    refused = next((r.result.reason for r in items if r.result.status == REFUSED), None)
    minimal = None if refused is not None else first_solved(verdicts, min(depths))
    first = min((d for d, ok in verdicts.items() if ok), default=None)
    non_monotonic = tuple(d for d, ok in sorted(verdicts.items())
                          if first is not None and d > first and not ok)
    task = task_facts(config, [r.result for r in items])
    arch_knobs = config.get("arch_knobs") or {}
    faults: dict[str, int] = defaultdict(int)
    for stats in depths.values():
        for status, count in stats.faults.items():
            faults[status] += count
    return Row(
        task=config["task"], arch=config["arch"], config=config, minimal_depth=minimal,
        max_depth_tried=max(depths), depths=depths,
        receptive_field=receptive_field(config["arch"], minimal, arch_knobs) if minimal
        else None,
        rf_bound=rf_bound(config["arch"], task.blind_samples, knobs=arch_knobs),
        span_samples=task.span_samples, blind_samples=task.blind_samples,
        metric=task.metric, baseline=task.baseline,
        flops=sum(s.flops for s in depths.values()),
        trials=sum(s.trials for s in depths.values()), lrs=tuple(lrs), faults=dict(faults),
        seeds_asked=seeds, versions=versions(items),
        rule=rule.name, search=search, match_params=items[0].run.match_params,
        confirmed=tuple(sorted(every_seed)) if search != "exhaustive" else (),
        non_monotonic=non_monotonic, steps=sum(s.steps for s in depths.values()),
        spent_flops=sum(s.spent_flops for s in depths.values()),
        spent_steps=sum(s.spent_steps for s in depths.values()),
        spent_trials=sum(s.spent_trials for s in depths.values()),
        solved_at=first if refused is None else None, refused=refused or "",
    )


def seeds_per_depth(items: list[TrialRecord]) -> tuple[dict[int, int], int | None]:
    """The rule's n: (per depth an exhaustive run trained, the most it or the search
    asked; elsewhere, the most the search asked, or any run without a search). Seeds a
    study adds to one fragile cell (``toytasks.study.extension``) count there, and the
    row's other depths keep the n they were asked for instead of reading as undecided."""
    searched = [r.run.seeds for r in items if r.run.search != "exhaustive"
                and isinstance(r.run.seeds, int)]
    every = [r.run.seeds for r in items if isinstance(r.run.seeds, int)]
    base = max(searched, default=None)
    exhaustive: dict[int, int] = {}
    for r in items:
        if r.run.search == "exhaustive" and isinstance(r.run.seeds, int):
            exhaustive[r.depth] = max(exhaustive.get(r.depth, 0), r.run.seeds, base or 0)
    return exhaustive, base if base is not None else max(every, default=None)


def _depth_stats(depth: int, records: list[TrialRecord], lrs: list[float], rule: SolveRule,
                 seeds: int | None, early: bool = True) -> DepthStats:
    per_seed: dict[int, dict[float, TrialResult]] = defaultdict(dict)
    for record in records:
        if record.lr in lrs:
            per_seed[record.seed][record.lr] = record.result
    n_seeds = seeds or len(per_seed)
    runs = {s: {lr: r.status == SOLVED for lr, r in rs.items()}
            for s, rs in per_seed.items()}
    verdict = rule.verdict(seed_outcomes(runs, n_seeds, lrs), n_seeds, early)
    counted = [per_seed[s][lr] for s in range(verdict.counted)
               for lr in counted_lrs(runs.get(s, {}), lrs, early)]
    faults: dict[str, int] = defaultdict(int)
    for r in counted:
        if r.status in (DIVERGED, ERROR, REFUSED):
            faults[r.status] += 1
    params = [r.params for r in counted if r.params]
    metrics = [r.best_metric for r in counted if r.best_metric is not None]
    failed = [r.best_metric for r in counted if r.status != SOLVED
              and r.best_metric is not None and math.isfinite(r.best_metric)]
    return DepthStats(
        depth=depth, seeds=verdict.counted, successes=verdict.successes,
        solved=verdict.decided and verdict.solved, decided=verdict.decided,
        width=int(statistics.median(r.config["width"] for r in records)),
        steps=sum(r.steps or 0 for r in counted),
        spent_flops=sum(r.result.flops or 0.0 for r in records),
        spent_steps=sum(r.result.steps or 0 for r in records), spent_trials=len(records),
        params=int(statistics.median(params)) if params else 0,
        best_metric=statistics.median(metrics) if metrics else None,
        failed_metric=statistics.median(failed) if failed else None,
        steps_to_solve=[r.steps_to_solve for r in counted if r.status == SOLVED],
        flops=sum(r.flops or 0.0 for r in counted), trials=len(counted),
        faults=dict(faults), lengths=_lengths(counted),
        held_out=held_out(per_seed, "mse" not in {r.result.metric for r in records}),
    )


def _lengths(results: list[TrialResult]) -> dict[int, tuple[float, int, int]]:
    scored: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        for found in result.lengths if result.status == SOLVED else ():
            scored[int(found["factor"])].append(found)
    return {f: (statistics.median(s["metric"] for s in found),
                sum(bool(s["meets"]) for s in found), len(found))
            for f, found in sorted(scored.items())}


@dataclass
class SweepPoint:
    """One value of a swept knob: the spec at that value and its rows."""

    value: Any
    spec: TaskSpec
    rows: list[Row]
