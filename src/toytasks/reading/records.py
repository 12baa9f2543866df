"""The read side's vocabulary: what one stored record is, and what one table cell is.

The store yields ``TrialRecord``s (typed: configuration, ``TrialResult``, ``RunInfo``,
``Provenance``), never raw dicts; everything downstream reads those.

A *cell* (one row of a minimal-depth table) aggregates every trial of one configuration
less depth, seed and lr; ``cell_key`` is its identity everywhere (the runner's bookkeeping,
the summary's grouping, the verdicts' look-ups, the tables' grouping).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from typing import Any

from toytasks.errors import ToytasksError
from toytasks.tasks import get_generator
from toytasks.training.trial import DIVERGED, ERROR, REFUSED, Trial, TrialResult

PER_TRIAL = ("depth", "seed", "lr")


def cell_key(config: dict[str, Any], match_params: int = 0, drop: tuple[str, ...] = ()) -> str:
    """A trial configuration less depth, seed and lr (and less the width when widths are
    matched to a parameter count, since they then vary with depth), plus ``drop``."""
    skip = PER_TRIAL + (("width",) if match_params else ()) + drop
    data = {k: v for k, v in config.items() if k not in skip}
    if match_params:
        data["match_params"] = match_params
    return json.dumps(data, sort_keys=True)


@dataclass(frozen=True)
class RunInfo:
    """How the run that stored a trial decides its cell (seeds asked for, rule, search
    strategy, lr grid, matched parameter count), so that a table read back later applies the
    same rule. Stored as a record's "search" object; older records lack some fields: None."""

    seeds: int | None = None
    rule: str | None = None
    search: str | None = None
    lrs: tuple[float, ...] | None = None
    match_params: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RunInfo:
        data = data or {}
        lrs = data.get("lrs")
        return cls(seeds=data.get("seeds"), rule=data.get("rule"), search=data.get("search"),
                   lrs=tuple(lrs) if lrs else None,
                   match_params=int(data.get("match_params") or 0))

    def to_dict(self) -> dict[str, Any]:
        """As the store writes it (the runner's fields, in its order)."""
        return {"seeds": self.seeds, "rule": self.rule, "search": self.search,
                "lrs": list(self.lrs or ()), "match_params": self.match_params}


@dataclass(frozen=True)
class Provenance:
    """Where and with what a trial was computed (not part of its identity)."""

    toytasks: str | None = "?"
    git_commit: str | None = None
    git_dirty: bool | None = None
    date: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()  # python, torch, numpy, platform, device, ...

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Provenance:
        data = dict(data or {})
        main = {k: data.pop(k, None) for k in ("git_commit", "git_dirty", "date")}
        main["toytasks"] = data.pop("toytasks", "?")
        return cls(**main, extra=tuple(sorted(data.items())))

    def version_text(self) -> str:
        """'0.1.0 @abc1234+dirty': the code that made a result."""
        dirty = "+dirty" if self.git_dirty else ""
        commit = f" @{self.git_commit[:7]}{dirty}" if self.git_commit else ""
        return f"{self.toytasks}{commit}"


@dataclass(frozen=True)
class TrialRecord:
    """One stored trial: its configuration (what ``key`` hashes), result, how the run that
    asked for it decides (``run``; stored under the JSON key "search"), and provenance."""

    key: str
    config: dict[str, Any]
    result: TrialResult
    run: RunInfo = field(default_factory=RunInfo)
    provenance: Provenance = field(default_factory=Provenance)

    @property
    def arch(self) -> str:
        return self.config["arch"]

    @property
    def depth(self) -> int:
        return self.config["depth"]

    @property
    def seed(self) -> int:
        return self.config["seed"]

    @property
    def lr(self) -> float:
        return self.config["lr"]

    @property
    def task(self) -> str:
        return self.config["task"]

    @property
    def trial(self) -> Trial:
        """The configuration as a ``Trial`` (fields this version does not know are left
        out; ``key`` stays the hash of the stored configuration)."""
        known = {f.name for f in fields(Trial)}
        data = {k: v for k, v in self.config.items() if k in known}
        return Trial(**{**data, "knobs": tuple(sorted(self.config["knobs"].items()))})

    @property
    def cell(self) -> str:
        """The cell this trial belongs to (``cell_key``)."""
        return cell_key(self.config, self.run.match_params)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialRecord:
        return cls(key=data["key"], config=data["trial"],
                   result=TrialResult.from_dict(data["result"]),
                   run=RunInfo.from_dict(data.get("search")),
                   provenance=Provenance.from_dict(data.get("provenance")))


@dataclass(frozen=True)
class TaskFacts:
    """What a table needs of a task whose generator no longer loads (a plugin not
    installed here): metric and baseline from the records; span and blind window unknown."""

    metric: str
    baseline: float
    span_samples: int = 0
    blind_samples: int = 0


def task_facts(config: dict[str, Any], results: list[TrialResult]) -> Any:
    """The task a row's configuration names (its span, blind window, metric, baseline), or,
    when its plugin no longer loads, what the stored records say of it."""
    try:
        return get_generator(config["generator"])(**config["knobs"])
    except ToytasksError:
        if not config.get("task_plugin"):
            raise
        scored = next((r for r in results if r.metric), results[0])
        return TaskFacts(scored.metric, scored.baseline)


def held_out(per_seed: dict[int, dict[float, TrialResult]], higher: bool
             ) -> tuple[float, ...]:
    """Every stored seed's final held-out metric, best of its lrs, in seed order (for
    ``reading.best_depth``); NaN for a seed with no usable metric (every trial errored,
    diverged or was refused). The final metric, not the best of a trial's evaluations: the
    best of many evaluations on one held-out set is biased upward, and more so for trials
    that ran longer."""
    values = []
    for seed in sorted(per_seed):
        usable = [r.final_metric for r in per_seed[seed].values()
                  if r.status not in (DIVERGED, ERROR, REFUSED) and r.final_metric is not None
                  and math.isfinite(r.final_metric)]
        values.append((max(usable) if higher else min(usable)) if usable else math.nan)
    return tuple(values)


def versions(items: list[TrialRecord]) -> tuple[str, ...]:
    """Distinct code versions recorded in the provenance of trials, sorted."""
    return tuple(sorted({record.provenance.version_text() for record in items}))
