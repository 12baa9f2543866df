"""Fair comparisons by size: the width that gives an architecture ~P parameters at a depth.

Comparing a 1-layer LSTM with a 12-layer CNN at one fixed width compares models whose sizes
differ tenfold; matching the parameter count removes size as an explanation. Widths are
found by bisection on the exact count of a model built on PyTorch's "meta" device (shapes
only, no memory), so the count is the one training will have, for every architecture.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from toytasks.errors import ToytasksError
from toytasks.models import build_model

MAX_WIDTH = 4096


@lru_cache(maxsize=4096)
def param_count(arch: str, n_inputs: int, n_outputs: int, depth: int, width: int,
                output_steps: int = 1, knobs: tuple[tuple[str, object], ...] = ()) -> int:
    """Exact parameter count without allocating the weights."""
    with torch.device("meta"):
        model = build_model(arch, n_inputs, n_outputs, depth, width, output_steps,
                            knobs=dict(knobs))
    return model.param_count()


def match_width(arch: str, n_inputs: int, n_outputs: int, depth: int, target: int,
                output_steps: int = 1, knobs: tuple[tuple[str, object], ...] = ()
                ) -> tuple[int, int]:
    """(width, parameter count) with the count closest to ``target`` (ties: the narrower).

    The count grows strictly with width, so bisection finds the crossing point and the
    answer is one of its two neighbours.
    """
    if target < 1:
        raise ToytasksError(f"--match-params must be a positive count, got {target}")

    def count(width: int) -> int:
        return param_count(arch, n_inputs, n_outputs, depth, width, output_steps, knobs)

    low, high = 1, MAX_WIDTH
    if count(high) < target:
        return high, count(high)
    while low < high:  # smallest width whose count reaches the target
        mid = (low + high) // 2
        if count(mid) >= target:
            high = mid
        else:
            low = mid + 1
    best = low
    if low > 1 and target - count(low - 1) <= count(low) - target:
        best = low - 1
    return best, count(best)
