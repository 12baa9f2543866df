"""Why a cell is unsolved, read from its best held-out metric: three classes that call for
different next steps.

  * **provably blind**: the depth's receptive field does not cover the span (below the
    RF bound): no budget can solve it;
  * **at chance to the end**: the median best held-out metric of its failed trials stays
    within the chance band of the held-out set (the trivial baseline plus 3 standard
    errors of a rate measured on ``test_size`` samples): nothing was learnt;
  * **learning, too slow for the budget**: above the band, below the threshold: something
    was learnt, and a longer budget might solve it. A verdict resting on such a cell says
    so (``toytasks.study.fragility.rests_on_learning``).
"""

from __future__ import annotations

import math

from toytasks.reading.summary import Row

BLIND, CHANCE, LEARNING = "provably blind", "at chance to the end", \
    "learning, too slow for the budget"
SHORT = {BLIND: "blind", CHANCE: "chance", LEARNING: "learning"}
BAND_SE = 3  # the chance band: baseline + this many standard errors


def chance_band(row: Row) -> float:
    """The edge of the chance band: for accuracy, baseline + 3 binomial standard errors over
    the held-out samples; for mse (lower is better), baseline - 3 standard errors of a mean
    of squared Gaussian errors (relative SE sqrt(2/n))."""
    n = max(int(row.config.get("test_size") or 1), 1)
    b = row.baseline
    if row.metric == "mse":
        return b - BAND_SE * b * math.sqrt(2 / n)
    return b + BAND_SE * math.sqrt(max(b * (1 - b), 0.0) / n)


def unsolved_class(row: Row, depth: int) -> str | None:
    """The class of ``row``'s cell at ``depth`` when the rule decided it unsolved (None when
    solved, undecided, or without a recorded metric)."""
    stats = row.depths.get(depth)
    if stats is None or not stats.decided or stats.solved:
        return None
    if row.rf_bound is not None and depth < row.rf_bound:
        return BLIND
    metric = stats.failed_metric
    if metric is None or math.isnan(metric):
        return None
    edge = chance_band(row)
    within = metric <= edge if row.metric != "mse" else metric >= edge
    return CHANCE if within else LEARNING


def class_text(row: Row, depth: int) -> str:
    """' (chance)', ' (learning, best 0.81)', ' (blind)' or '' for the evidence table."""
    found = unsolved_class(row, depth)
    if found is None:
        return ""
    metric = row.depths[depth].failed_metric
    best = f", best {metric:.3g}" if found == LEARNING and metric is not None else ""
    return f" ({SHORT[found]}{best})"


LEGEND = ("✗ cells are classed by the median best held-out metric of their failed trials: "
          "*blind*, depth below the receptive-field bound; *chance*, within the chance band "
          f"(the trivial baseline + {BAND_SE} standard errors over the held-out samples) to "
          "the end; *learning*, above the band but below the threshold: too slow for the "
          "budget, a longer one might solve it.")
