"""The evidence every verdict reads: cells, pooled counts, separated intervals, orderings.

Every verdict is one of three words, from the summary rows and trial records of the
experiment that tests the explanation, never from anything else:

  * **supported**: the difference the explanation predicts is there in the cells' solve
    decisions (the study's rule: majority or cp95) *and* the 95% Clopper–Pearson intervals
    of the success rates that show it are separated (the lower bound of the higher one
    above the upper bound of the lower one);
  * **not supported**: the *opposite* difference is there with separated intervals, or an
    absence of effect is shown by the equivalence criterion (``equivalent``: every rate in
    one 95% interval lies within ``EQUIVALENCE_MARGIN`` of every rate in the other). A
    point estimate (0/1 vs 0/1, "the same minimal depth" from one seed) is never enough;
  * **inconclusive**: anything else: a cell missing, a minimal depth not found within the
    depths searched where one is needed, or intervals that neither separate nor show
    equivalence.

``fewer_layers`` applies this to "A needs fewer layers than B", so that every explanation
that compares depths ((d), (e), and those added later) decides the same way.

"A needs fewer layers than B" (``compare_depths``) pools, over the depths from A's minimal
depth up to (not including) B's, the seeds counted for A and for B at the depths each
trained there, and asks whether A's pooled interval lies above B's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toytasks.reading.records import TrialRecord, cell_key
from toytasks.reading.summary import Row
from toytasks.training.stats import clopper_pearson, interval_text

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"

EQUIVALENCE_MARGIN = 0.5  # two success rates are "the same" when shown within this

GENERAL_RULE = (
    "supported: the predicted difference is in the cells' solve decisions and the 95% "
    "Clopper-Pearson intervals that show it are separated; not supported: the opposite "
    "difference with separated intervals, or no effect shown by equivalence (every rate in "
    f"one interval within {EQUIVALENCE_MARGIN:g} of every rate in the other, so that the "
    "rates differ by less than that with 95% confidence each); inconclusive: anything else "
    "(a needed cell missing, a needed minimal depth not found within the depths searched, "
    "intervals that overlap without showing equivalence). A point estimate alone never "
    "decides."
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


def equivalent(a: Count, b: Count, margin: float = EQUIVALENCE_MARGIN) -> bool:
    """No difference shown: the two 95% intervals fit together inside a window of width
    ``margin`` (every rate in one lies within ``margin`` of every rate in the other)."""
    if not a[1] or not b[1]:
        return False
    (la, ha), (lb, hb) = clopper_pearson(*a), clopper_pearson(*b)
    return max(ha, hb) - min(la, lb) <= margin


def higher_rate(high: Count, low: Count) -> str:
    """The verdict on "``high``'s success rate is above ``low``'s": supported when the
    intervals are separated that way, not supported when separated the other way or
    equivalent, else inconclusive."""
    if separated(high, low):
        return SUPPORTED
    if separated(low, high) or equivalent(high, low):
        return NOT_SUPPORTED
    return INCONCLUSIVE


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
    equivalent: bool = False  # "same": the cells at that depth and the one below equivalent


def fewer_layers(order: Ordering) -> str:
    """The verdict on "a needs fewer layers than b": supported when it does with separated
    intervals; not supported when b needs fewer with separated intervals, or both need the
    same depth with equivalent cells there and at the depth below; else inconclusive."""
    if order.relation == "fewer" and order.separated:
        return SUPPORTED
    if (order.relation == "more" and order.separated) or \
            (order.relation == "same" and order.equivalent):
        return NOT_SUPPORTED
    return INCONCLUSIVE


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
        return _same(a, b, ma, head)
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


def _same(a: Row, b: Row, depth: int, head: str) -> Ordering:
    """Both solve first at ``depth``: no difference is shown unless the cells at that depth
    and at the one below (unless ``depth`` is 1, where fewer layers cannot exist) are
    equivalent."""
    depths = (depth - 1, depth) if depth > 1 else (depth,)
    pairs = [(cell(a, d), cell(b, d)) for d in depths]
    same = all(equivalent(ca, cb) for ca, cb in pairs)
    cells = "; ".join(f"at depth {d}: {a.arch} {interval_text(*ca)}, {b.arch} "
                      f"{interval_text(*cb)}" for d, (ca, cb) in zip(depths, pairs, strict=True))
    text = (f"{head} layers: the same minimal depth; {cells} "
            f"({'equivalent' if same else 'no equivalence shown'})")
    return Ordering("same", cell(a, depth), cell(b, depth), depths, False, text, same)


def cell_pool(row: Row, depths: tuple[int, ...]) -> Count:
    return pool([cell(row, d) for d in depths if d in row.depths])


def row_records(row: Row, records: list[TrialRecord]) -> list[TrialRecord]:
    """The trial records a row summarises (its cell: any depth, seed and lr)."""
    want = cell_key(row.config, row.match_params)
    return [r for r in records if r.cell == want]


def find_rows(rows: list[Row], arch: str, **knobs: Any) -> list[Row]:
    """The rows of ``arch`` (at ``knobs``): a variant name (``lstm@gate_bias=1``) matches
    the rows of that name; a plain name the rows named exactly so, or, when none is (the
    section's ``set`` fixes an architecture knob), every row of that architecture."""
    named = [r for r in rows if r.arch_label == arch]
    pool = named if named or "@" in arch else [r for r in rows if r.arch == arch]
    return [r for r in pool if all(r.config["knobs"].get(k) == v for k, v in knobs.items())]
