"""Shared helpers for benchmarks: timing, a matmul peak, a trial at the default sizes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import torch

from toytasks.running.trials import trial_factory
from toytasks.specs.options import default_options
from toytasks.specs.spec import load_spec
from toytasks.training.trial import Trial


def best_of(fn, repeats: int = 3) -> float:
    """Fastest of a few runs: the least disturbed by other load on a shared machine."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def fastest_interleaved(fns: dict[str, Callable[[], None]], repeats: int,
                        clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Best time of each function over ``repeats`` rounds, the functions interleaved within
    a round, so a load that comes and goes on a shared machine hits them alike.

    ``clock=time.process_time`` times the CPU this process used instead of wall time: for
    one-thread work on an oversubscribed machine, time spent waiting for a core is left out
    (what remains of the load: caches and memory bandwidth shared with other processes)."""
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = clock()
            fn()
            best[name] = min(best[name], clock() - start)
    return best


def matmul_peak_gflops(size: int = 512, iterations: int = 40) -> float:
    """float32 matmul FLOP/s on one thread: the ceiling a trial (one thread) can reach."""
    torch.set_num_threads(1)
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    seconds = best_of(lambda: [a @ b for _ in range(iterations)])
    return 2 * size**3 * iterations / seconds / 1e9


def default_trial(task: str, arch: str, depth: int, width: int | None = None,
                  steps: int = 200, knobs: dict[str, Any] | None = None) -> Trial:
    """A trial at the task's default sizes (``knobs`` overrides some) that never stops
    early: the threshold is unreachable in the metric's direction (accuracy above 1, MSE
    below 0), so a regression task runs all ``steps`` too."""
    spec = load_spec(task)
    if knobs:
        spec = spec.with_knobs(knobs)
    opts = default_options(spec)
    trial = trial_factory(spec, arch, opts)(depth, 0, spec.budget.lr)
    unreachable = 2.0 if spec.make_generator().higher_is_better else -1.0
    return replace(trial, width=width or trial.width, max_steps=steps, threshold=unreachable,
                   patience=10**6)
