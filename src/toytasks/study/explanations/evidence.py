"""The evidence every verdict reads: cells, pooled counts, separated intervals, orderings.

Every verdict is one of three words, from the summary rows and trial records of the
experiment that tests the explanation, never from anything else:

  * **supported**: the difference the explanation predicts is there in the cells' solve
    decisions (the study's rule: majority or cp95; ``predicted`` checks it: 7/10 vs 0/10
    is separated, but 7/10 is not solved under cp95, so that alone supports nothing) *and*
    the 95% Clopper–Pearson intervals of the success rates that show it are separated (the
    lower bound of the higher one above the upper bound of the lower one);
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

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from toytasks.reading.best_depth import BestDepth, best_depth, depth_ranges
from toytasks.reading.best_depth import separated as interval_separated
from toytasks.reading.records import TrialRecord, cell_key
from toytasks.reading.summary import Row
from toytasks.training.stats import clopper_pearson, interval_text
from toytasks.training.trial import ARCH_FIELDS

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"

# two success rates are "the same" when shown within this: at 10 seeds only 10/10 vs 10/10
# and 0/10 vs 0/10 qualify, at 20 seeds 18/20 vs 20/20 does, 5/20 vs 0/20 does not (a
# margin of 0.5 called 1/10 vs 0/10 "no effect")
EQUIVALENCE_MARGIN = 1 / 3
MARGIN_TEXT = "1/3"

GENERAL_RULE = (
    "supported: the predicted difference is in the cells' solve decisions and the 95% "
    "Clopper-Pearson intervals that show it are separated; not supported: the opposite "
    "difference with separated intervals, or no effect shown by equivalence (every rate in "
    f"one interval within {MARGIN_TEXT} of every rate in the other, so that the "
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
    fragile: str = ""  # the cell(s) where one seed's flipped outcome changes the outcome
    learning: str = ""  # unsolved cells still learning (too slow) that the outcome rests on
    budget: str = ""  # deciding unsolved cells that a longer budget solved (study.budget)


@dataclass(frozen=True)
class Cell:
    """One cell a verdict reads: what to call it, its count and the study's rule on it
    (True solved, False not solved, None undecided)."""

    name: str
    count: Count
    solved: bool | None

    @property
    def text(self) -> str:
        mark = {True: "solved", False: "not solved", None: "undecided"}[self.solved]
        return f"{interval_text(*self.count)} ({mark})"


def row_cell(row: Row, depth: int, name: str = "") -> Cell | None:
    """The cell of ``row`` at ``depth`` with the rule's decision, or None if not trained."""
    stats = row.depths.get(depth)
    if stats is None:
        return None
    return Cell(name or f"{row.arch} at depth {depth}", (stats.successes, stats.seeds),
                stats.solved if stats.decided else None)


def predicted(high: Cell, low: Cell) -> tuple[str, str]:
    """The verdict on "``high`` succeeds more often than ``low``", with why: supported only
    when the rule solves ``high`` and not ``low`` *and* the intervals are separated; not
    supported when separated the other way or equivalent; else inconclusive."""
    if separated(high.count, low.count):
        if high.solved is True and low.solved is False:
            return SUPPORTED, "separated, solved vs not solved"
        unsure = [c.name for c, want in ((high, True), (low, False)) if c.solved is not want]
        return INCONCLUSIVE, (f"separated, but the rule's decisions do not differ "
                              f"({', '.join(unsure)} not as predicted)")
    if separated(low.count, high.count):
        return NOT_SUPPORTED, "the opposite difference, separated"
    if equivalent(high.count, low.count):
        return NOT_SUPPORTED, f"equivalent within {MARGIN_TEXT}"
    return INCONCLUSIVE, "intervals overlap without showing equivalence"


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
    deepest depth tried", a minimal depth "<= N" (the depth below never trained) as
    anything from the one above the deepest failure up to N; the cells between the most
    layers one can need and the fewest the other can need give the evidence."""
    # the most layers each can need (its smallest solved depth) and the fewest
    ma, mb = a.solved_depth, b.solved_depth
    least_a, least_b = a.least_depth, b.least_depth
    head = f"{a.arch} {a.depth_text()} vs {b.arch} {b.depth_text()}"
    if ma is not None and least_b > ma:
        window, relation, high, low = range(ma, least_b), "fewer", a, b
    elif mb is not None and least_a > mb:
        window, relation, high, low = range(mb, least_a), "more", b, a
    elif ma is not None and ma == mb and least_a == ma and least_b == mb:
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


# --- best depth at a budget: held-out metrics with t-intervals (reading.best_depth) -------
def better_depth(row: Row, better: int, worse: int) -> tuple[str, str]:
    """The verdict on "depth ``better`` scores better than depth ``worse``" on the held-out
    metric (lower mse is better): supported when the two 95% t-intervals are separated that
    way; not supported when separated the other way; inconclusive otherwise (a depth not
    trained, one usable seed and so no interval, or overlapping intervals)."""
    found = best_depth(row, (better, worse))
    if found.missing:
        return INCONCLUSIVE, f"{row.arch_label} depth {depth_ranges(found.missing)} not trained"
    a, b = found.scores[better], found.scores[worse]
    line = f"{row.arch_label} depth {better}: {a.text()}; depth {worse}: {b.text()}"
    if a.interval is None or b.interval is None:
        return INCONCLUSIVE, line + " (one seed has no interval)"
    if interval_separated(b, a, found.higher_is_better):
        return SUPPORTED, line + " (separated)"
    if interval_separated(a, b, found.higher_is_better):
        return NOT_SUPPORTED, line + " (separated the other way)"
    return INCONCLUSIVE, line + " (intervals overlap)"


def best_depth_in(row: Row, predicted: Collection[int], depths: Iterable[int]
                  ) -> tuple[str, str, BestDepth]:
    """The verdict on "the best depth of ``row`` lies in ``predicted``" over the depths a
    section asked for (``depths``): supported when every asked depth is trained, the best is
    in ``predicted`` and every depth outside it is separated from the best; not supported
    when the best is outside and every predicted depth is separated from it; inconclusive
    otherwise, and always when a depth is missing (an adaptive search, a cut-short run)."""
    found = best_depth(row, tuple(depths))
    where = (f"{row.arch_label}: best depth {found.text()} of {depth_ranges(found.trained)} "
             f"(predicted {depth_ranges(sorted(predicted))})")
    empty = [d for d, score in found.scores.items() if not score.n]
    if found.missing or empty or found.best is None:
        return INCONCLUSIVE, where + "; incomplete: every depth needs a usable seed", found
    inside = found.best in predicted
    near = set(found.not_separated)
    if inside and not near - set(predicted):
        return SUPPORTED, where, found
    if not inside and not near & set(predicted):
        return NOT_SUPPORTED, where, found
    return INCONCLUSIVE, where + "; the depths not separated from the best straddle the "\
        "prediction", found


# --- settings: every config value that defines a cell besides the architecture -----------
Setting = dict[str, Any]


def setting(row: Row, knobs: bool = True) -> Setting:
    """What defines ``row``'s cell besides the architecture and the task (knobs unless
    ``knobs`` is False, width, steps, ...), flat: rows of one setting are compared."""
    out: Setting = {}
    for key, value in sorted(row.config.items()):
        if key in (*ARCH_FIELDS, "task", "generator", "task_plugin") or \
                (key == "width" and row.match_params):
            continue
        if key == "knobs":
            out.update(value if knobs else {})
        else:
            out[key] = value
    if row.match_params:
        out["match_params"] = row.match_params
    return out


def by_setting(rows: list[Row], key: Callable[[Row], Setting]
               ) -> list[tuple[Setting, list[Row]]]:
    """Rows grouped by ``key`` (a setting), in first-seen order; no row left out."""
    groups: dict[str, tuple[Setting, list[Row]]] = {}
    for row in rows:
        value = key(row)
        groups.setdefault(json.dumps(value, sort_keys=True, default=str), (value, []))[1] \
            .append(row)
    return list(groups.values())


def setting_labels(settings: list[Setting]) -> list[str]:
    """'sampling_hz=100.0': the values that tell each setting apart from the others."""
    keys = sorted({k for s in settings for k in s})
    varying = [k for k in keys
               if len({json.dumps(s.get(k), default=str) for s in settings}) > 1]
    return [", ".join(f"{k}={s.get(k)}" for k in varying) for s in settings]


def over_settings(letter: str, judged: list[tuple[str, str, str]]) -> Verdict:
    """One verdict from a verdict per setting (label, outcome, line): a store holding
    several settings (e.g. 100 Hz and 250 Hz) has each judged and named; the section's
    outcome is theirs when they agree, else inconclusive."""
    if len(judged) == 1:
        return Verdict(letter, judged[0][1], judged[0][2])
    outcomes = {outcome for _, outcome, _ in judged}
    agree = len(outcomes) == 1
    outcome = next(iter(outcomes)) if agree else INCONCLUSIVE
    decided = outcomes - {INCONCLUSIVE}
    # two decided outcomes disagree; one decided beside an undecided one (a rate with no
    # results yet, too few seeds) is not a disagreement, only an incomplete verdict
    head = "" if agree else ("the settings in the store disagree; " if len(decided) > 1
                             else "not every setting is decided; ")
    parts = [f"at {label}: {o} ({line})" for label, o, line in judged]
    return Verdict(letter, outcome, head + f"{len(judged)} settings judged; " + "; ".join(parts))
