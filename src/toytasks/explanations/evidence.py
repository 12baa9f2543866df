"""The evidence every verdict reads: cells, pooled counts, separated intervals, orderings.

Every verdict is one of three words, from the summary rows and trial records of the
experiment that tests the explanation, never from anything else:

  * **supported**: the difference the explanation predicts is there in the cells' solve
    decisions (the study's rule: majority or cp95) *and* the 95% Clopper–Pearson intervals
    of the success rates that show it are separated (the lower bound of the higher one
    above the upper bound of the lower one);
  * **not supported**: the cells needed are there and the decisions show the predicted
    difference absent or reversed (for (e), which predicts that a difference vanishes: the
    difference persists, with separated intervals);
  * **inconclusive**: anything else: a cell missing, a minimal depth not found within the
    depths searched where one is needed, or a predicted difference whose intervals overlap.

"A needs fewer layers than B" (``compare_depths``) pools, over the depths from A's minimal
depth up to (not including) B's, the seeds counted for A and for B at the depths each
trained there, and asks whether A's pooled interval lies above B's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toytasks.records import TrialRecord, cell_key
from toytasks.stats import clopper_pearson, interval_text
from toytasks.summary import Row

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"

GENERAL_RULE = (
    "supported: the predicted difference is in the cells' solve decisions and the 95% "
    "Clopper-Pearson intervals that show it are separated; not supported: the decisions "
    "show it absent or reversed; inconclusive: a needed cell is missing, a needed minimal "
    "depth was not found within the depths searched, or the intervals overlap."
)

Count = tuple[int, int]  # (successes, seeds)


@dataclass(frozen=True)
class Verdict:
    letter: str
    outcome: str  # SUPPORTED | NOT_SUPPORTED | INCONCLUSIVE
    line: str  # one line: what the data show, with the numbers


def separated(high: Count, low: Count) -> bool:
    """The 95% interval of ``high``'s success rate lies entirely above ``low``'s."""
    if not high[1] or not low[1]:
        return False
    return clopper_pearson(*high)[0] > clopper_pearson(*low)[1]


def cell(row: Row, depth: int) -> Count:
    stats = row.depths.get(depth)
    return (stats.successes, stats.seeds) if stats else (0, 0)


def pool(counts: list[Count]) -> Count:
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


@dataclass(frozen=True)
class Ordering:
    """How two rows' minimal depths compare, with the pooled cells between them."""

    relation: str  # "fewer" (a needs fewer layers) | "same" | "more" | "unknown"
    a: Count
    b: Count
    depths: tuple[int, ...]
    separated: bool
    text: str


def compare_depths(a: Row, b: Row) -> Ordering:
    """Does ``a`` need fewer layers than ``b``? Unsolved rows count as "more than the
    deepest depth tried"; the cells between the two minimal depths give the evidence."""
    ma, mb = a.minimal_depth, b.minimal_depth
    # the fewest layers each can need: its minimal depth, or one more than it was searched
    least_a = ma if ma is not None else a.max_depth_tried + 1
    least_b = mb if mb is not None else b.max_depth_tried + 1
    head = f"{a.arch} {a.depth_text()} vs {b.arch} {b.depth_text()}"
    if ma is not None and least_b > ma:
        window, relation, high, low = range(ma, least_b), "fewer", a, b
    elif mb is not None and least_a > mb:
        window, relation, high, low = range(mb, least_a), "more", b, a
    elif ma is not None and ma == mb:
        return Ordering("same", cell(a, ma), cell(b, mb), (ma,), False,
                        f"{head} layers: the same minimal depth")
    else:
        return Ordering("unknown", (0, 0), (0, 0), (), False,
                        f"{head} layers: not comparable within the depths searched")
    depths = tuple(d for d in window if d in a.depths or d in b.depths)
    ca = pool([cell(a, d) for d in depths if d in a.depths])
    cb = pool([cell(b, d) for d in depths if d in b.depths])
    sep = separated(cell_pool(high, depths), cell_pool(low, depths))
    where = f"depth {depths[0]}" if len(depths) == 1 else f"depths {depths[0]}-{depths[-1]}"
    text = (f"{head} layers; at {where}: {a.arch} {interval_text(*ca)}, "
            f"{b.arch} {interval_text(*cb)} ({'separated' if sep else 'intervals overlap'})")
    return Ordering(relation, ca, cb, depths, sep, text)


def cell_pool(row: Row, depths: tuple[int, ...]) -> Count:
    return pool([cell(row, d) for d in depths if d in row.depths])


def row_records(row: Row, records: list[TrialRecord]) -> list[TrialRecord]:
    """The trial records a row summarises (its cell: any depth, seed and lr)."""
    want = cell_key(row.config, row.match_params)
    return [r for r in records if r.cell == want]


def find_rows(rows: list[Row], arch: str, **knobs: Any) -> list[Row]:
    return [r for r in rows if r.arch == arch
            and all(r.config["knobs"].get(k) == v for k, v in knobs.items())]
