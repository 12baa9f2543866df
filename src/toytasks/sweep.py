"""Difficulty sweeps: the minimal-depth search at each value of one knob, as one table.

This is the experiment that shows *how* depth grows with difficulty (with the span: about
linearly for a plain CNN, logarithmically for a dilated one, flat for gated recurrences).
Rows are architectures, columns knob values, cells the minimal depth with its evidence;
the receptive-field bound rows say what the theory allows the convolutional stacks.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from tabulate import tabulate

from toytasks import __version__
from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES
from toytasks.runner import RunOptions
from toytasks.runner import run as run_search
from toytasks.search import SolveRule
from toytasks.spec import TaskSpec
from toytasks.stats import interval_text
from toytasks.store import ResultStore
from toytasks.summary import Row, rf_bound


@dataclass
class SweepPoint:
    value: Any
    spec: TaskSpec
    rows: list[Row]


def parse_vary(text: str) -> tuple[str, list[str]]:
    """'period_samples=4,8,16' -> ('period_samples', ['4', '8', '16'])."""
    name, sep, values = text.partition("=")
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not sep or not name.strip() or not items:
        raise ToytasksError(f"--vary expects KNOB=v1,v2,..., got {text!r}")
    if len(set(items)) != len(items):
        raise ToytasksError(f"--vary lists a value twice: {text!r}")
    return name.strip(), items


def sweep_specs(spec: TaskSpec, knob: str, values: list[str]) -> list[tuple[Any, TaskSpec]]:
    """One validated spec per value (the knob schema coerces and range-checks each)."""
    if knob not in spec.knobs:
        raise ToytasksError(f"--vary: unknown knob '{knob}' for task '{spec.name}' "
                            f"(valid: {', '.join(spec.knobs)})")
    out = []
    for value in values:
        varied = spec.with_knobs({knob: value})
        out.append((varied.knobs[knob], varied))
    return out


def run_sweep(spec: TaskSpec, knob: str, values: list[str], opts: RunOptions,
              store: ResultStore, executor: Executor, workers: int,
              progress: Callable[[str], None] = lambda _: None,
              rule: SolveRule | None = None) -> list[SweepPoint]:
    points = []
    for value, varied in sweep_specs(spec, knob, values):
        progress(f"sweep: {knob}={value}")
        rows = run_search(varied, opts, store, executor, workers, progress, rule)
        points.append(SweepPoint(value, varied, rows))
    return points


def _cell(row: Row | None) -> str:
    if row is None:
        return "-"
    ev = row.evidence
    depth = str(row.minimal_depth) if row.minimal_depth else f">{row.max_depth_tried}"
    if row.minimal_is_upper_bound:
        depth = f"<={depth}"
    if row.non_monotonic:
        depth += "!"
    return f"{depth} ({interval_text(ev.successes, ev.seeds)})"


def render_sweep(points: list[SweepPoint], knob: str, archs: tuple[str, ...],
                 fmt: str = "simple") -> str:
    headers = ["arch", *(f"{knob}={p.value}" for p in points)]
    table = []
    for arch in archs:
        cells = [next((r for r in p.rows if r.arch == arch), None) for p in points]
        table.append([arch, *(_cell(c) for c in cells)])
    for arch, cls in ARCHITECTURES.items():
        if cls.receptive_field(1) is not None:
            bounds = [rf_bound(arch, p.spec.make_task().blind_samples) for p in points]
            table.append([f"RF bound {arch}", *(f">= {b}" for b in bounds)])
    tasks = [p.spec.make_task() for p in points]
    table.append(["span (samples)", *(str(t.span_samples) for t in tasks)])
    table.append(["blind window", *(str(t.blind_samples) for t in tasks)])
    body = tabulate(table, headers=headers, tablefmt=fmt, disable_numparse=True)
    return f"{body}\n{sweep_caption(points, knob)}"


def sweep_caption(points: list[SweepPoint], knob: str) -> str:
    rows = [r for p in points for r in p.rows]
    if not rows:
        return "(no results)"
    c = rows[0].config
    fixed = ", ".join(f"{k}={v}" for k, v in sorted(c["knobs"].items()) if k != knob)
    grid = sorted({lr for r in rows for lr in r.lrs})
    lrs = ",".join(f"{lr:g}" for lr in grid) + (" best-of-lr per seed" if len(grid) > 1 else "")
    width = (f"width matched to ~{rows[0].match_params:,} params" if rows[0].match_params
             else f"width {c['width']}")
    flagged = any(r.non_monotonic for r in rows)
    return (
        f"{c['task']} sweep over {knob} ({fixed}); cell: minimal depth (successes/seeds "
        f"[95% Clopper-Pearson interval] at that depth; '>N': unsolved up to N"
        f"{'; !: non-monotonic in depth' if flagged else ''}); RF bound: smallest depth whose "
        f"receptive field exceeds the blind window; solved: held-out {rows[0].metric} reaches "
        f"{c['threshold']:g} within {c['max_steps']} steps (batch {c['batch_size']}, lr {lrs}, "
        f"{width}, gate bias {c['gate_bias']:g}); rule {rows[0].rule}, {rows[0].search} "
        f"search; compute {sum(r.trials for r in rows)} trials, "
        f"{sum(r.steps for r in rows):,} steps, {sum(r.flops for r in rows):.3g} FLOPs; "
        f"toytasks {__version__}"
    )
