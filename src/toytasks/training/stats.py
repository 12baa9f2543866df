"""Seed statistics: exact (Clopper–Pearson) intervals for a success rate over seeds, and
Student-t intervals for a mean held-out metric over seeds (``best_depth``).

A minimal depth is cited from a handful of seeds, so every count a table shows comes with
the interval that says how little (or how much) those seeds pin the success rate down.
Clopper–Pearson is the exact, conservative binomial interval: its coverage is at least the
nominal level for every true rate, which matters at the tiny counts (2/3, 10/10) used here.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from functools import lru_cache

from scipy.stats import beta, t

from toytasks.errors import ToytasksError


@lru_cache(maxsize=4096)  # pure, and the rules ask for the same few counts over and over
def clopper_pearson(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Two-sided exact interval for a binomial rate; (0, 1) when there are no trials."""
    if trials < 0 or not 0 <= successes <= max(trials, 0):
        raise ToytasksError(f"need 0 <= successes <= trials, got {successes}/{trials}")
    if not 0 < confidence < 1:
        raise ToytasksError(f"confidence must be in (0, 1), got {confidence}")
    if trials == 0:
        return 0.0, 1.0
    alpha = 1.0 - confidence
    low = 0.0 if successes == 0 else float(beta.ppf(alpha / 2, successes,
                                                     trials - successes + 1))
    high = 1.0 if successes == trials else float(beta.ppf(1 - alpha / 2, successes + 1,
                                                          trials - successes))
    return low, high


def interval_text(successes: int, trials: int, confidence: float = 0.95) -> str:
    """'2/3 [0.09-0.99]': the count and its exact interval, as every table cell shows it."""
    low, high = clopper_pearson(successes, trials, confidence)
    return f"{successes}/{trials} [{low:.2f}-{high:.2f}]"


def t_interval(values: Sequence[float], confidence: float = 0.95
               ) -> tuple[float, float] | None:
    """Two-sided Student-t interval on the mean of ``values`` (seeds of one cell), or None
    for fewer than two values: one seed has no spread to estimate, and no interval is
    invented for it. Equal values give a zero-width interval (what the data show)."""
    if not 0 < confidence < 1:
        raise ToytasksError(f"confidence must be in (0, 1), got {confidence}")
    n = len(values)
    if n < 2:
        return None
    mean = statistics.fmean(values)
    half = float(t.ppf(0.5 + confidence / 2, n - 1)) * statistics.stdev(values) / math.sqrt(n)
    return mean - half, mean + half
