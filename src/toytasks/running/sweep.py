"""Difficulty sweeps: the minimal-depth search at each value of one knob, as one table.

This is the experiment that shows *how* depth grows with difficulty (with the span: about
linearly for a plain CNN, logarithmically for a dilated one, flat for gated recurrences).
Rows are architectures, columns knob values, cells the minimal depth with its evidence;
the receptive-field bound rows say what the theory allows the convolutional stacks.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import replace
from typing import Any

from toytasks.errors import ToytasksError
from toytasks.models import base_arch, check_arch_knobs, split_variant
from toytasks.reading.store import ResultStore
from toytasks.reading.summary import SweepPoint
from toytasks.running.plan import Job, Progress, Workers, run_jobs
from toytasks.specs.options import RunOptions, merge_knobs
from toytasks.specs.spec import TaskSpec
from toytasks.training.solve import SolveRule


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


def sweep_jobs(spec: TaskSpec, knob: str, values: list[str], opts: RunOptions,
               rule: SolveRule) -> list[tuple[Any, Job]]:
    """One job per value of the knob (validated before anything trains). A knob written
    ARCH.KNOB (``cnn.kernel``) is an architecture knob: the spec stays, the option varies."""
    if "." in knob:
        return [(value, Job(spec, varied, rule, f"sweep: {knob}={value}"))
                for value, varied in arch_knob_options(opts, knob, values)]
    return [(value, Job(varied, opts, rule, f"sweep: {knob}={value}"))
            for value, varied in sweep_specs(spec, knob, values)]


def arch_knob_options(opts: RunOptions, knob: str, values: list[str]
                      ) -> list[tuple[Any, RunOptions]]:
    """One validated copy of ``opts`` per value of the architecture knob ``ARCH.KNOB``."""
    arch, _, name = knob.rpartition(".")
    if arch not in {base_arch(a) for a in opts.archs}:
        raise ToytasksError(f"--vary {knob}: architecture '{arch}' is not in this run "
                            f"(archs: {', '.join(opts.archs)})")
    fixed = [a for a in opts.archs if base_arch(a) == arch and name in split_variant(a)[1]]
    if fixed:
        raise ToytasksError(f"knob '{knob}' is both varied (--vary) and fixed by the "
                            f"variant '{fixed[0]}' (--arch)")
    out = []
    for value in values:  # (--set of the same knob is refused by the callers; a task
        # spec's [arch.ARCH] value is the default the sweep replaces)
        coerced = check_arch_knobs(arch, {name: value}, f"--vary {knob}")[name]
        out.append((coerced, replace(opts, arch_knobs=merge_knobs(
            opts.arch_knobs, [(arch, name, coerced)]))))
    return out


def run_points(spec: TaskSpec, knob: str, values: list[str], opts: RunOptions,
              store: ResultStore, executor: Executor, workers: Workers,
              progress: Progress = lambda _: None,
              rule: SolveRule | None = None) -> list[SweepPoint]:
    planned = sweep_jobs(spec, knob, values, opts, rule or SolveRule())
    rows = run_jobs([job for _, job in planned], store, executor, workers, progress)
    return [SweepPoint(value, job.spec, found) for (value, job), found in zip(planned, rows,
                                                                               strict=True)]
