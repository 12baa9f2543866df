"""From stored trial records to the answer: per (task config, architecture), the minimal depth.

Computed from the store alone, so `toytasks run` and `toytasks table DIR` print the same
thing, and extra trials in the store (another run's, a larger grid) never change a cell's
rule: the minimal depth is the smallest solved depth whose next-lower depth was trained
and not solved (or which is the lowest depth trained).
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from toytasks.models import ARCHITECTURES
from toytasks.search import SolveRule, seed_outcomes
from toytasks.tasks import get_generator

PER_TRIAL = ("depth", "seed", "lr")


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

    @property
    def evidence(self) -> DepthStats:
        """The depth whose counts the table shows: the minimal one, else the deepest tried."""
        return self.depths[self.minimal_depth or self.max_depth_tried]


def group_key(config: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in config.items() if k not in PER_TRIAL}, sort_keys=True)


def rf_bound(arch: str, blind_samples: int, limit: int = 4096) -> int | None:
    """Smallest depth whose receptive field exceeds the blind window (below it: chance)."""
    cls = ARCHITECTURES.get(arch)
    if cls is None or cls.receptive_field(1) is None:
        return None
    depth = 1
    while cls.receptive_field(depth) <= blind_samples and depth < limit:
        depth += 1
    return depth


def summarise(records: list[dict[str, Any]], rule: SolveRule | None = None,
              seeds: int | None = None) -> list[Row]:
    """Rows for every (task config, architecture) in ``records``.

    ``seeds`` is the number of seeds the run asked for; when not given (a results folder
    read back later) it is the largest number any stored run asked for in that group
    (recorded with each trial), else the number of distinct seeds stored at that depth.
    """
    rule = rule or SolveRule()
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[group_key(record["trial"])].append(record)
    rows = [_row(items, rule, seeds) for items in groups.values()]
    order = {name: i for i, name in enumerate(ARCHITECTURES)}
    return sorted(rows, key=lambda r: (r.task, _config_text(r.config),
                                       order.get(r.arch, len(order)), r.arch))


def _config_text(config: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in config.items() if k != "arch"}, sort_keys=True)


def _row(items: list[dict[str, Any]], rule: SolveRule, seeds: int | None) -> Row:
    config = {k: v for k, v in items[0]["trial"].items() if k not in PER_TRIAL}
    lrs = sorted({r["trial"]["lr"] for r in items})
    if seeds is None:
        asked = [r.get("search", {}).get("seeds") for r in items]
        seeds = max((n for n in asked if isinstance(n, int)), default=None)
    by_depth: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for record in items:
        by_depth[record["trial"]["depth"]].append(record)
    depths = {d: _depth_stats(d, recs, len(lrs), rule, seeds)
              for d, recs in sorted(by_depth.items())}
    solved = {d for d, s in depths.items() if s.solved}
    lowest = min(depths)
    minimal = next(
        (d for d in sorted(solved) if d == lowest or (d - 1 in depths and d - 1 not in solved)),
        None,
    )
    task = get_generator(config["generator"])(**config["knobs"])
    cls = ARCHITECTURES.get(config["arch"])
    faults: dict[str, int] = defaultdict(int)
    for stats in depths.values():
        for status, count in stats.faults.items():
            faults[status] += count
    return Row(
        task=config["task"], arch=config["arch"], config=config, minimal_depth=minimal,
        max_depth_tried=max(depths), depths=depths,
        receptive_field=cls.receptive_field(minimal) if cls and minimal else None,
        rf_bound=rf_bound(config["arch"], task.blind_samples),
        span_samples=task.span_samples, blind_samples=task.blind_samples,
        metric=task.metric, baseline=task.baseline,
        flops=sum(s.flops for s in depths.values()),
        trials=sum(s.trials for s in depths.values()), lrs=tuple(lrs), faults=dict(faults),
        seeds_asked=seeds, versions=_versions(items),
    )


def _versions(items: list[dict[str, Any]]) -> tuple[str, ...]:
    """Distinct code versions recorded in the provenance of a row's trials, sorted."""
    found = set()
    for record in items:
        prov = record.get("provenance") or {}
        commit = prov.get("git_commit")
        dirty = "+dirty" if prov.get("git_dirty") else ""
        found.add(f"{prov.get('toytasks', '?')}" + (f" @{commit[:7]}{dirty}" if commit else ""))
    return tuple(sorted(found))


def _depth_stats(depth: int, records: list[dict[str, Any]], n_lrs: int, rule: SolveRule,
                 seeds: int | None) -> DepthStats:
    per_seed: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        per_seed[record["trial"]["seed"]].append(record["result"])
    n_seeds = seeds or len(per_seed)
    runs = {s: [r["status"] == "solved" for r in rs] for s, rs in per_seed.items()}
    verdict = rule.verdict(seed_outcomes(runs, n_seeds, n_lrs), n_seeds)
    counted = [r for s in range(verdict.counted) for r in per_seed.get(s, [])]
    faults: dict[str, int] = defaultdict(int)
    for r in counted:
        if r["status"] in ("diverged", "error"):
            faults[r["status"]] += 1
    params = [r["params"] for r in counted if r["params"]]
    metrics = [r["best_metric"] for r in counted if r["best_metric"] is not None]
    return DepthStats(
        depth=depth, seeds=verdict.counted, successes=verdict.successes,
        solved=verdict.decided and verdict.solved,
        params=int(statistics.median(params)) if params else 0,
        best_metric=statistics.median(metrics) if metrics else None,
        steps_to_solve=[r["steps_to_solve"] for r in counted if r["status"] == "solved"],
        flops=sum(r["flops"] or 0.0 for r in counted), trials=len(counted),
        faults=dict(faults),
    )
