"""Verdicts: what the data say about each explanation (a)–(e), by rules fixed in advance.

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

import statistics
from dataclasses import dataclass
from typing import Any

from toytasks.stats import clopper_pearson, interval_text
from toytasks.summary import PER_TRIAL, Row

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"
OVERFIT_MARGIN = 0.05  # (c): a trial overfits when its train metric beats held-out by this
COLLAPSE_RATIO = 0.1  # (b): first-layer gradient below this share of the last layer's

GENERAL_RULE = (
    "supported: the predicted difference is in the cells' solve decisions and the 95% "
    "Clopper-Pearson intervals that show it are separated; not supported: the decisions "
    "show it absent or reversed; inconclusive: a needed cell is missing, a needed minimal "
    "depth was not found within the depths searched, or the intervals overlap."
)

RULES = {
    "a": ("supported if, at every value of the swept knob, the recurrent arch solves at depth "
          "1 and the conv arch solves no shallower than its receptive-field bound, the conv "
          "arch's minimal depth is larger at the longest span than at the shortest, and the "
          "recurrent arch at depth 1 (pooled over values) succeeds clearly more often than "
          "the conv arch at the depths below its minimal depth (pooled); not supported if the "
          "recurrent arch fails at depth 1 at some value, the conv arch solves below its "
          "bound, or its minimal depth does not grow although its bound does; else "
          "inconclusive (also when the swept values leave the bound unchanged)."),
    "b": ("supported if the plain stack succeeds clearly less often at the deepest depth than "
          "at the shallowest (separated intervals); not supported if it is still solved (by "
          "the study's rule) at the deepest depth; else inconclusive. The gradient at "
          "initialisation (median over seeds of the first layer's gradient norm over the "
          f"last layer's; 'collapsed' below {COLLAPSE_RATIO:g}) and the residual stack's "
          "success are reported beside as the mechanism, not used for the verdict."),
    "c": ("each trial at an architecture's minimal depth (its deepest tried if unsolved) "
          f"overfits when its training-set metric beats its held-out metric by >= "
          f"{OVERFIT_MARGIN:g}; supported if the recurrent arch overfits clearly more often "
          "than the conv arch (separated intervals), not supported if it overfits no more "
          "often (point estimates), else inconclusive."),
    "d": ("decided by the first pair (gated vs plain CNN, same receptive field): supported if "
          "the gated arch needs fewer layers, with separated intervals; not supported if it "
          "needs as many or more; else inconclusive. Other pairs (lstm vs rnn) are reported "
          "beside."),
    "e": ("with widths matched to the same parameter count: not supported if the recurrent "
          "arch still needs fewer layers than the conv arch with separated intervals; "
          "supported if it no longer needs fewer while it did at the fixed width; else "
          "inconclusive."),
}

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


def depth_text(row: Row) -> str:
    return str(row.minimal_depth) if row.minimal_depth else f">{row.max_depth_tried}"


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
    head = f"{a.arch} {depth_text(a)} vs {b.arch} {depth_text(b)}"
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


def row_records(row: Row, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trial records a row summarises (its configuration, any depth, seed and lr)."""
    drop = PER_TRIAL + (("width",) if row.match_params else ())
    want = {k: v for k, v in row.config.items() if k not in drop}
    return [r for r in records
            if {k: v for k, v in r["trial"].items() if k not in drop} == want
            and int((r.get("search") or {}).get("match_params") or 0) == row.match_params]


def _find(rows: list[Row], arch: str, **knobs: Any) -> list[Row]:
    return [r for r in rows if r.arch == arch
            and all(r.config["knobs"].get(k) == v for k, v in knobs.items())]


# --- (a) receptive field vs state --------------------------------------------------------
def verdict_a(rows: list[Row], conv: str, recurrent: str, knob: str) -> Verdict:
    values = sorted({repr(r.config["knobs"].get(knob)): r.config["knobs"].get(knob)
                     for r in rows if knob in r.config["knobs"]}.values(), key=repr)
    pairs = []
    for value in values:
        c, r = _find(rows, conv, **{knob: value}), _find(rows, recurrent, **{knob: value})
        if c and r:
            pairs.append((value, c[0], r[0]))
    if len(pairs) < 2:
        return Verdict("a", INCONCLUSIVE, f"needs {conv} and {recurrent} at >= 2 values of "
                                          f"{knob}; found {len(pairs)}")
    pairs.sort(key=lambda p: (p[1].span_samples, repr(p[0])))
    depths = ", ".join(f"{knob}={v}: {conv} {depth_text(c)} (bound {c.rf_bound}), "
                       f"{recurrent} {depth_text(r)}" for v, c, r in pairs)
    for value, _, r in pairs:
        if r.minimal_depth != 1 and 1 in r.depths and r.depths[1].decided:
            return Verdict("a", NOT_SUPPORTED, f"{recurrent} does not solve at depth 1 at "
                           f"{knob}={value} ({interval_text(*cell(r, 1))}); {depths}")
    for value, c, _ in pairs:
        if c.minimal_depth is not None and c.rf_bound and c.minimal_depth < c.rf_bound:
            return Verdict("a", NOT_SUPPORTED, f"{conv} solves below its receptive-field "
                           f"bound at {knob}={value} (the task leaks); {depths}")
    first, last = pairs[0][1], pairs[-1][1]
    if not (first.rf_bound or 0) < (last.rf_bound or 0):
        return Verdict("a", INCONCLUSIVE, f"the swept values do not move {conv}'s receptive-"
                       f"field bound, so no growth is predicted; {depths}")
    if first.minimal_depth is None:
        return Verdict("a", INCONCLUSIVE, f"{conv} unsolved at the shortest span; {depths}")
    if last.minimal_depth is not None and last.minimal_depth <= first.minimal_depth:
        return Verdict("a", NOT_SUPPORTED, f"{conv}'s minimal depth does not grow with the "
                       f"span although its bound does; {depths}")
    if last.minimal_depth is None and last.max_depth_tried < first.minimal_depth:
        return Verdict("a", INCONCLUSIVE, f"{conv} not searched deep enough at the longest "
                       f"span; {depths}")
    if any(r.minimal_depth != 1 for _, _, r in pairs):
        return Verdict("a", INCONCLUSIVE, f"{recurrent} at depth 1 undecided; {depths}")
    rec = pool([cell(r, 1) for _, _, r in pairs])
    below = pool([cell(c, d) for _, c, _ in pairs for d in c.depths
                  if c.minimal_depth is None or d < c.minimal_depth])
    sep = separated(rec, below)
    evidence = (f"{depths}; {recurrent} at depth 1 {interval_text(*rec)} vs {conv} below its "
                f"minimal depth {interval_text(*below)}")
    if sep:
        return Verdict("a", SUPPORTED, evidence)
    return Verdict("a", INCONCLUSIVE, f"{evidence}: intervals overlap")


# --- (b) deep recurrent stacks ----------------------------------------------------------
def init_gradient_ratio(records: list[dict[str, Any]], depth: int) -> float | None:
    """Median over seeds of |grad| of the first layer / |grad| of the last layer (before the
    readout), at initialisation; None without diagnostics."""
    ratios = []
    for record in records:
        diag = (record.get("result") or {}).get("diagnostics") or {}
        norms = diag.get("grad_norm_init")
        if record["trial"]["depth"] == depth and norms and len(norms) >= 3 and norms[-2]:
            ratios.append(norms[0] / norms[-2])
    return statistics.median(ratios) if ratios else None


def _steps(row: Row, depth: int) -> str:
    solved = row.depths[depth].steps_to_solve
    return f" (median {statistics.median(solved):g} steps to solve)" if solved else ""


def verdict_b(rows: list[Row], records: list[dict[str, Any]], arch: str,
              residual: str) -> Verdict:
    plain = _find(rows, arch)
    if not plain or len(plain[0].depths) < 2:
        return Verdict("b", INCONCLUSIVE, f"needs {arch} at two depths or more")
    row = plain[0]
    shallow, deep = min(row.depths), max(row.depths)
    s, d = cell(row, shallow), cell(row, deep)
    notes = []
    ratio = init_gradient_ratio(row_records(row, records), deep)
    if ratio is not None:
        state = "collapsed" if ratio < COLLAPSE_RATIO else "not collapsed"
        notes.append(f"first/last-layer gradient at init {ratio:.2g} ({state})")
    res = _find(rows, residual)
    if res and deep in res[0].depths:
        res_ratio = init_gradient_ratio(row_records(res[0], records), deep)
        ratio_text = f", gradient ratio {res_ratio:.2g}" if res_ratio is not None else ""
        notes.append(f"{residual} at depth {deep}: {interval_text(*cell(res[0], deep))}"
                     f"{ratio_text}")
    head = (f"{arch} at depth {shallow}: {interval_text(*s)}{_steps(row, shallow)}, at depth "
            f"{deep}: {interval_text(*d)}{_steps(row, deep)}")
    line = "; ".join([head, *notes])
    if separated(s, d):
        return Verdict("b", SUPPORTED, line)
    if row.depths[deep].solved:
        return Verdict("b", NOT_SUPPORTED, f"{line}: the deep stack still trains")
    return Verdict("b", INCONCLUSIVE, f"{line}: intervals overlap")


# --- (c) overfitting ----------------------------------------------------------------------
def gaps_at(row: Row, records: list[dict[str, Any]]) -> tuple[int, list[float]]:
    """(depth, train-minus-held-out gaps of the counted trials) at the row's minimal depth,
    or at its deepest depth tried when unsolved."""
    depth = row.minimal_depth or row.max_depth_tried
    counted = row.depths[depth].seeds
    gaps = []
    for record in row_records(row, records):
        trial = record["trial"]
        diag = (record.get("result") or {}).get("diagnostics") or {}
        if (trial["depth"] == depth and trial["seed"] < counted and trial["lr"] in row.lrs
                and diag.get("gap") is not None):
            gaps.append(float(diag["gap"]))
    return depth, sorted(gaps)


def verdict_c(rows: list[Row], records: list[dict[str, Any]], recurrent: str,
              conv: str) -> Verdict:
    found = {}
    for arch in (recurrent, conv):
        match = _find(rows, arch)
        if not match:
            return Verdict("c", INCONCLUSIVE, f"no {arch} results")
        depth, gaps = gaps_at(match[0], records)
        if not gaps:
            return Verdict("c", INCONCLUSIVE, f"no train/held-out gap recorded for {arch} "
                           "(run with a finite training set and diagnostics)")
        found[arch] = (match[0], depth, gaps, (sum(g >= OVERFIT_MARGIN for g in gaps),
                                               len(gaps)))
    parts = []
    for arch, (row, depth, gaps, count) in found.items():
        which = "minimal" if row.minimal_depth else "unsolved, deepest tried"
        parts.append(f"{arch} at depth {depth} ({which}): overfits {interval_text(*count)}, "
                     f"median gap {statistics.median(gaps):.3f}")
    line = "; ".join(parts)
    r, c = found[recurrent][3], found[conv][3]
    if separated(r, c):
        return Verdict("c", SUPPORTED, line)
    if r[0] / r[1] <= c[0] / c[1]:
        return Verdict("c", NOT_SUPPORTED, f"{line}: {recurrent} overfits no more often")
    return Verdict("c", INCONCLUSIVE, f"{line}: intervals overlap")


# --- (d) multiplication -------------------------------------------------------------------
def verdict_d(rows: list[Row], pairs: list[list[str]]) -> Verdict:
    orderings = []
    for gated, plain in pairs:
        g, p = _find(rows, gated), _find(rows, plain)
        if not g or not p:
            if not orderings:
                return Verdict("d", INCONCLUSIVE, f"needs {gated} and {plain} results")
            continue
        order = compare_depths(g[0], p[0])
        extra = ""
        if p[0].rf_bound and p[0].minimal_depth:
            extra = (f" ({plain} needs {p[0].minimal_depth - p[0].rf_bound} layer(s) beyond "
                     f"its receptive-field bound {p[0].rf_bound})")
        orderings.append((order, extra))
    line = "; ".join(o.text + extra for o, extra in orderings)
    first = orderings[0][0]
    if first.relation == "fewer" and first.separated:
        return Verdict("d", SUPPORTED, line)
    if first.relation in ("same", "more"):
        return Verdict("d", NOT_SUPPORTED, f"{line}: gating does not reduce the CNN's depth")
    return Verdict("d", INCONCLUSIVE, line)


# --- (e) parameter count ------------------------------------------------------------------
def verdict_e(rows: list[Row], recurrent: str, conv: str, match_params: int) -> Verdict:
    def pick(arch: str, matched: int) -> Row | None:
        found = [r for r in _find(rows, arch) if r.match_params == matched]
        return found[0] if found else None

    fixed = (pick(recurrent, 0), pick(conv, 0))
    matched = (pick(recurrent, match_params), pick(conv, match_params))
    if None in matched:
        return Verdict("e", INCONCLUSIVE, f"needs {recurrent} and {conv} at ~{match_params:,} "
                                          "parameters")
    mt = compare_depths(*matched)
    params = ", ".join(f"{r.arch} {r.evidence.params:,} params" for r in matched)
    line = f"at ~{match_params:,} params: {mt.text} ({params})"
    if mt.relation == "fewer" and mt.separated:
        return Verdict("e", NOT_SUPPORTED, f"{line}: the depth ordering stays")
    if None not in fixed:
        fx = compare_depths(*fixed)
        line += f"; at the fixed width: {fx.text}"
        if mt.relation in ("same", "more") and fx.relation == "fewer":
            return Verdict("e", SUPPORTED, f"{line}: the gap closes when sizes match")
    return Verdict("e", INCONCLUSIVE, line)
