"""Seconds per training step on this machine, from a few real steps: what a dry run's
wall-time estimate rests on.

A step's cost is not proportional to its FLOPs on small models (they are overhead-bound:
docs/performance.md), so each configuration family (task and knobs, architecture, batch,
device) is timed with the real trainer at its cheapest and its dearest trial, and the
trials between are interpolated piecewise-linearly in FLOPs per step. A step's cost is the
difference of two short runs (``SHORT`` and ``LONG`` steps); what the short run costs
beyond its steps (the model, the held-out set, one evaluation) is paid once per trial.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from toytasks.running.flops import step_flops
from toytasks.training.trial import Trial

SHORT = 2  # steps of the short timed run (build, held-out set, first steps)
TARGET_S = 0.3  # the long run lasts about this long (more steps for cheap models) ...
MAX_LONG = 40  # ... within these bounds
MIN_LONG = 6
REPEATS = 2  # each run is timed this often and the fastest kept (load comes and goes)
# Evaluating n held-out samples costs about n / (3 * batch) training steps by FLOPs (a
# forward is a third of forward + backward); measured 0.3-1.7x that (benchmarks/eval_cost.py).
EVAL_FLOPS_RATIO = 3.0


def family(trial: Trial) -> tuple[Any, ...]:
    """Trials whose step cost differs only through depth and width."""
    return (trial.generator, trial.knobs, trial.arch, trial.arch_knobs, trial.batch_size,
            trial.device, trial.train_size > 0, trial.task_plugin, trial.arch_plugin)


def timed_steps(trial: Trial, steps: int) -> float:
    """Wall seconds of the real trainer running ``steps`` steps of ``trial``: no early stop
    (a NaN threshold is never met), no scheduled evaluation, the final one on the trial's
    own held-out set."""
    from toytasks.training.train import train

    probe = replace(trial, max_steps=steps, threshold=math.nan, patience=10**9,
                    eval_every=10**9, diagnostics=False, pack=1)  # timed unpacked
    start = time.perf_counter()
    train(probe)
    return time.perf_counter() - start


def seconds_per_step(trial: Trial) -> tuple[float, float]:
    """(seconds per training step, seconds per trial besides its steps): the marginal step
    is the difference of the fastest of ``REPEATS`` short and long runs (the long run sized
    to about ``TARGET_S``; the long run's average when load makes the difference
    meaningless); the rest of the short run is what every trial pays once (building the
    model, its held-out set, one evaluation)."""
    short = timed_steps(trial, SHORT)
    long_steps = int(min(MAX_LONG, max(MIN_LONG, SHORT + TARGET_S * SHORT / short)))
    repeats = REPEATS if short < TARGET_S else 1
    short = min([short] + [timed_steps(trial, SHORT) for _ in range(repeats - 1)])
    long = min(timed_steps(trial, long_steps) for _ in range(repeats))
    marginal = (long - short) / (long_steps - SHORT)
    step = marginal if marginal > 0 else long / long_steps
    return step, max(0.0, short - SHORT * step)


def pool_start_seconds() -> float:
    """Seconds for a fresh interpreter to import what a worker imports (``executor``)."""
    import subprocess
    import sys

    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import toytasks.training.train"], check=False,
                   capture_output=True)
    return time.perf_counter() - start


@dataclass
class Calibration:
    """Measured (FLOPs per step, seconds per step, seconds per trial besides its steps)
    points per family."""

    points: dict[tuple[Any, ...], list[tuple[float, float, float]]] = field(
        default_factory=dict)
    seconds: float = 0.0  # time spent measuring
    timed: int = 0  # configurations timed

    def measure(self, trials: Iterable[Trial]) -> None:
        """Time, per family, the cheapest and the dearest of ``trials`` wherever they lie
        outside the FLOPs range already timed (a family met again at other depths or
        widths gets new points, not the old ones stretched)."""
        start = time.perf_counter()
        families: dict[tuple[Any, ...], list[Trial]] = {}
        for trial in trials:
            families.setdefault(family(trial), []).append(trial)
        for key, members in families.items():
            points = self.points.setdefault(key, [])
            by_cost = sorted(members, key=step_flops)
            for trial in {id(t): t for t in (by_cost[0], by_cost[-1])}.values():
                flops = step_flops(trial)
                if points and points[0][0] <= flops <= points[-1][0]:
                    continue
                points.append((flops, *seconds_per_step(trial)))
                points.sort()
                self.timed += 1
        self.seconds += time.perf_counter() - start

    def step_seconds(self, trial: Trial) -> float:
        """Seconds per training step of ``trial``: piecewise linear in FLOPs between its
        family's timed points (a trial outside them is timed first)."""
        return self._interpolate(trial, 1)

    def overhead_seconds(self, trial: Trial) -> float:
        """What ``trial`` costs besides its steps (model, held-out set, one evaluation)."""
        return self._interpolate(trial, 2)

    def _interpolate(self, trial: Trial, column: int) -> float:
        flops = step_flops(trial)
        points = self.points.get(family(trial))
        if not points or not points[0][0] <= flops <= points[-1][0]:
            self.measure([trial])
            points = self.points[family(trial)]
        if len(points) == 1:
            return points[0][column]
        i = next((i for i in range(1, len(points)) if flops <= points[i][0]), len(points) - 1)
        f0, y0, f1, y1 = points[i - 1][0], points[i - 1][column], points[i][0], points[i][column]
        slope = max(0.0, (y1 - y0) / (f1 - f0)) if f1 > f0 else 0.0
        return y0 + slope * (flops - f0)

    def eval_seconds(self, trial: Trial) -> float:
        """One held-out evaluation of ``trial.test_size`` samples, by the FLOPs ratio."""
        return self.step_seconds(trial) * trial.test_size / (EVAL_FLOPS_RATIO * trial.batch_size)
