"""Best depth at a budget: per architecture and depth, the mean held-out metric over seeds
with a 95% Student-t interval; the depth with the best mean; and the depths whose
intervals do not separate from the best's.

Why beside the minimal depth: papers choose depth by validation accuracy on noisy data,
where no depth reaches 100%. A threshold then says "unsolved" at every depth, while an
argmax still ranks them. The ranking is only as good as its intervals, so every depth that
the data cannot tell from the best is named with it, and a depth with one usable seed has
no interval (it is shown as such, and it is never separated from anything).

"Not separated" is interval overlap, the rule the verdicts use for success rates
(``explanations.evidence.separated``): a depth is separated from the best when its whole
interval lies on the worse side of the best's (strictly: touching intervals are not
separated). Two overlapping 95% intervals can still differ at p < 0.05 by a t-test, so
the set errs towards naming too many depths, never too few.

The metric is each seed's *final* held-out metric (best over the lr grid), read from
``DepthStats.held_out``. Lower is better for ``mse``. A ranking needs every depth: an
adaptive search trains only some, so the measurement names the depths it had and the
depths it lacks, and ``complete`` says whether any are missing.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toytasks.errors import ToytasksError
from toytasks.reading.summary import Row
from toytasks.reading.table import FORMATS, caption, grid, group_rows, latex_escape
from toytasks.tasks import get_generator
from toytasks.training.stats import t_interval

if TYPE_CHECKING:
    from toytasks.reading.summary import SweepPoint

CONFIDENCE = 0.95
LOWER_IS_BETTER = ("mse",)


@dataclass(frozen=True)
class DepthScore:
    """One depth's usable seeds (final held-out metric each) and the seeds left out."""

    depth: int
    values: tuple[float, ...]
    left_out: int = 0

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.values) if self.values else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """The 95% t-interval on the mean; None with fewer than two usable seeds."""
        return t_interval(self.values, CONFIDENCE)

    def text(self) -> str:
        """'0.812 [0.790-0.834] n=3', '0.812 n=1 (no interval)', or '- (no usable seed)'."""
        out = f", {self.left_out} left out" if self.left_out else ""
        if self.mean is None:
            return f"- (no usable seed{out})"
        ci = self.interval
        spread = f" [{ci[0]:.3g}-{ci[1]:.3g}]" if ci else ""
        return f"{self.mean:.3g}{spread} n={self.n}{'' if ci else ' (no interval)'}{out}"


@dataclass(frozen=True)
class BestDepth:
    """The measurement for one row: its scores, the best depth, the depths not separated
    from it, and which depths it had."""

    arch: str
    metric: str
    scores: dict[int, DepthScore]
    best: int | None  # None: no depth has a usable seed
    not_separated: tuple[int, ...]  # the best included
    missing: tuple[int, ...]  # asked-for (or in-between) depths with no trial stored
    bayes: float | None = None  # A*, the Bayes-optimal accuracy, where the task knows it
    baseline: float | None = None

    @property
    def higher_is_better(self) -> bool:
        return self.metric not in LOWER_IS_BETTER

    @property
    def trained(self) -> tuple[int, ...]:
        return tuple(sorted(self.scores))

    @property
    def complete(self) -> bool:
        """Every depth asked for (or between the shallowest and deepest trained) is here."""
        return not self.missing

    @property
    def no_interval(self) -> tuple[int, ...]:
        """Depths with a usable seed but no interval (one seed): never separated."""
        return tuple(d for d, s in sorted(self.scores.items()) if s.n == 1)

    @property
    def share_of_bayes(self) -> float | None:
        """How far the best mean got from the baseline to A* (1: all the way)."""
        if self.best is None or self.bayes is None or self.baseline is None \
                or self.bayes == self.baseline:
            return None
        return (self.scores[self.best].mean - self.baseline) / (self.bayes - self.baseline)

    def text(self) -> str:
        """'2 (not separated: 1-3)', with the missing depths when there are any."""
        if self.best is None:
            return "-"
        text = f"{self.best} (not separated: {depth_ranges(self.not_separated)})"
        if self.missing:
            text += f" missing {depth_ranges(self.missing)}"
        return text


def separated(worse: DepthScore, best: DepthScore, higher_is_better: bool = True) -> bool:
    """``worse``'s interval lies entirely on the worse side of ``best``'s; False when
    either has no interval (one seed, or none)."""
    a, b = worse.interval, best.interval
    if a is None or b is None:
        return False
    return a[1] < b[0] if higher_is_better else a[0] > b[1]


def best_depth(row: Row, depths: Iterable[int] | None = None) -> BestDepth:
    """The measurement of ``row``. ``depths``: the depths the run asked for (the only ones
    scored; those not trained are named missing); without it, every depth trained, and the
    gaps between the shallowest and the deepest are named missing."""
    asked = set(depths) if depths is not None else set(range(min(row.depths),
                                                              max(row.depths) + 1))
    scores = {d: DepthScore(d, tuple(v for v in s.held_out if not math.isnan(v)),
                            sum(math.isnan(v) for v in s.held_out))
              for d, s in sorted(row.depths.items()) if d in asked}
    higher = row.metric not in LOWER_IS_BETTER
    scored = [s for s in scores.values() if s.n]
    best = None
    if scored:  # the best mean; a tie goes to fewer layers
        best = min(scored, key=lambda s: (-s.mean if higher else s.mean, s.depth))
    near = tuple(s.depth for s in scored if best is not None
                 and not separated(s, best, higher))
    return BestDepth(
        arch=row.arch_label, metric=row.metric, scores=scores,
        best=best.depth if best else None, not_separated=near,
        missing=tuple(sorted(asked - set(scores))), bayes=_bayes(row),
        baseline=row.baseline)


def _bayes(row: Row) -> float | None:
    """The task's Bayes-optimal accuracy at the row's knobs (``bayes_accuracy``), if any."""
    try:
        task = get_generator(row.config["generator"])(**row.config["knobs"])
    except ToytasksError:
        return None
    value = getattr(task, "bayes_accuracy", None)
    return float(value) if isinstance(value, int | float) else None


def depth_ranges(depths: Sequence[int]) -> str:
    """(1, 2, 3, 5) -> '1-3,5'."""
    parts: list[list[int]] = []
    for d in sorted(depths):
        if parts and d == parts[-1][-1] + 1:
            parts[-1].append(d)
        else:
            parts.append([d])
    return ",".join(f"{p[0]}-{p[-1]}" if len(p) > 1 else str(p[0]) for p in parts)


# --- tables --------------------------------------------------------------------------------
def legend(higher_is_better: bool | None = None) -> str:
    """What a best-depth cell means, for every caption."""
    side = {True: " (higher is better)", False: " (lower is better)", None: ""}
    return (f"best depth at the budget: mean final held-out metric over seeds"
            f"{side[higher_is_better]}, best of the lr grid per seed, with its "
            f"{CONFIDENCE:.0%} Student-t interval; "
            "best: the best mean (a tie: fewer layers); not separated: the depths whose "
            "interval overlaps the best's (a depth with one usable seed has no interval and "
            "is never separated); a trial stops when it reaches the threshold, so depths "
            "that solve score about the threshold")


def best_caption(group: list[Row], found: list[BestDepth]) -> str:
    higher = {b.higher_is_better for b in found}
    parts = [legend(higher.pop() if len(higher) == 1 else None)]
    bayes = {b.bayes for b in found if b.bayes is not None}
    if bayes:
        parts.append(f"A* (Bayes-optimal accuracy) {'/'.join(f'{a:.4g}' for a in sorted(bayes))}"
                     "; of A*: (best mean - baseline) / (A* - baseline)")
    trained = sorted({d for b in found for d in b.trained})
    parts.append(f"depths trained: {depth_ranges(trained)}")
    missing = [f"{b.arch} {depth_ranges(b.missing)}" for b in found if b.missing]
    if missing:
        parts.append(f"INCOMPLETE: depths not trained: {', '.join(missing)} (the ranking "
                     "covers only the depths trained; train every depth with --exhaustive)")
    return "; ".join(parts) + "; " + caption(group)


def _cells(found: list[BestDepth], columns: list[BestDepth] | None = None
           ) -> tuple[list[str], list[list[str]]]:
    """Headers and cells of ``found``; ``columns``: the measurements whose depths (and A*)
    make the columns (one CSV for every group: the same columns throughout)."""
    columns = columns or found
    depths = sorted({d for b in columns for d in (*b.trained, *b.missing)})
    bayes = any(b.bayes is not None for b in columns)
    headers = ["arch", "best depth", "not separated", *(f"depth {d}" for d in depths),
               *(["of A*"] if bayes else [])]
    body = []
    for b in found:
        share = b.share_of_bayes
        body.append([
            b.arch, "-" if b.best is None else str(b.best), depth_ranges(b.not_separated) or "-",
            *(b.scores[d].text() if d in b.scores else "not trained" for d in depths),
            *([f"{share:.2f}" if share is not None else "-"] if bayes else [])])
    return headers, body


def render_best(rows: list[Row], fmt: str = "simple",
                depths: Iterable[int] | None = None) -> str:
    """One best-depth table per task configuration (as ``table.render`` groups them), each
    with its caption; csv: one rectangular table for all (the union of their depths). A
    pure function of the rows (and the depths asked for)."""
    if fmt not in FORMATS:
        raise ToytasksError(f"unknown table format '{fmt}' (valid: {', '.join(FORMATS)})")
    asked = tuple(depths) if depths is not None else None
    groups = [(group, [best_depth(r, asked) for r in group]) for group in group_rows(rows)]
    every = [b for _, found in groups for b in found]
    blocks, out = [], io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if fmt == "csv" and groups:
        writer.writerow(["task", *_cells([], every)[0], "caption"])
    for group, found in groups:
        text = best_caption(group, found)
        if fmt == "csv":
            writer.writerows([group[0].task, *cells, text] for cells in _cells(found, every)[1])
            continue
        headers, body = _cells(found)
        if fmt == "latex":
            blocks.append(_latex(headers, body, text))
        else:
            sep = "\n\n" if fmt in ("github", "markdown") else "\n"
            blocks.append(f"{grid(headers, body, FORMATS[fmt])}{sep}{text}")
    return out.getvalue().rstrip("\n") if fmt == "csv" else "\n\n".join(blocks)


def _latex(headers: list[str], body: list[list[str]], text: str) -> str:
    lines = ["\\begin{table}[htbp]", "\\centering", f"\\caption{{{latex_escape(text)}}}",
             f"\\begin{{tabular}}{{l{'r' * (len(headers) - 1)}}}", "\\toprule",
             " & ".join(latex_escape(h) for h in headers) + " \\\\", "\\midrule",
             *(" & ".join(latex_escape(c) for c in cells) + " \\\\" for cells in body),
             "\\bottomrule", "\\end{tabular}", "\\end{table}"]
    return "\n".join(lines)


def best_sweep_cell(depths: Iterable[int] | None = None) -> Any:
    """A sweep cell maker: '2 (not separated: 1-3)', with 'missing 4' when depths lack."""
    asked = tuple(depths) if depths is not None else None

    def cell(row: Row | None) -> str:
        return "-" if row is None else best_depth(row, asked).text()
    return cell


def render_best_sweep(points: list[SweepPoint], knob: str, archs: tuple[str, ...],
                      fmt: str = "simple", depths: Iterable[int] | None = None) -> str:
    """The sweep table with the best depth in every cell (``table.render_sweep``)."""
    from toytasks.reading.table import render_sweep

    return render_sweep(points, knob, archs, fmt, best_sweep_cell(depths),
                        legend() + "; 'missing N': depth N not trained (the ranking covers "
                        "only the depths trained)")
