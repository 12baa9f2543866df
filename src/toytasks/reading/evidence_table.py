"""The report's evidence tables: every depth's cell of each row, with its interval, its
decision and, for an unsolved cell, its class (blind, at chance, learning)."""

from __future__ import annotations

from toytasks.reading.summary import Row, rf_bound_text
from toytasks.reading.table import grid, varying_knobs
from toytasks.reading.unsolved import class_text
from toytasks.training.stats import interval_text


def render_evidence(rows: list[Row]) -> str:
    """One line per row; rows of several tasks (e.g. study section (g)) are told apart by
    the task name, then by the knobs that vary among the rows of the same task."""
    tasks = list(dict.fromkeys(r.task for r in rows))
    varying = {t: varying_knobs([r for r in rows if r.task == t]) for t in tasks}
    body = []
    for row in rows:
        label = row.label(varying[row.task])
        if len(tasks) > 1:
            label = ", ".join(filter(None, [row.task, label]))
        if row.match_params:
            label = ", ".join(filter(None, [label, f"~{row.match_params:,} params"]))
        cells = []
        for depth, stats in sorted(row.depths.items()):
            mark = "?" if not stats.decided else ("✓" if stats.solved else "✗")
            cells.append(f"{depth}: {interval_text(stats.successes, stats.seeds)} {mark}"
                         f"{class_text(row, depth)}")
        body.append([row.arch_label, label or "-", row.depth_text(),
                     rf_bound_text(row.arch, row.blind_samples, prefix="",
                                   knobs=row.config.get("arch_knobs")),
                     f"{row.evidence.params:,}", "; ".join(cells)])
    return grid(["arch", "configuration", "minimal depth", "RF bound", "params", "per depth"],
                body, "github")
