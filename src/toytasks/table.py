"""Render summary rows as a table (tabulate) with a caption that says how it was made."""

from __future__ import annotations

import statistics

from tabulate import tabulate

from toytasks import __version__
from toytasks.search import SolveRule
from toytasks.summary import Row

HEADERS = ("arch", "min depth", "solved", "best metric", "params", "median steps",
           "RF at depth", "RF bound", "trials")


def format_row(row: Row) -> list[str]:
    ev = row.evidence
    depth = str(row.minimal_depth) if row.minimal_depth else f"> {row.max_depth_tried}"
    steps = str(int(statistics.median(ev.steps_to_solve))) if ev.steps_to_solve else "-"
    faults = "".join(f" ({n} {status})" for status, n in sorted(row.faults.items()))
    return [
        row.arch, depth, f"{ev.successes}/{ev.seeds}",
        f"{ev.best_metric:.3g}" if ev.best_metric is not None else "-",
        f"{ev.params:,}" if ev.params else "-",
        steps, str(row.receptive_field) if row.receptive_field else "-",
        f">= {row.rf_bound}" if row.rf_bound else "-", f"{row.trials}{faults}",
    ]


def caption(rows: list[Row], rule: SolveRule | None = None) -> str:
    rule = rule or SolveRule()
    c = rows[0].config
    knobs = ", ".join(f"{k}={v}" for k, v in sorted(c["knobs"].items()))
    seeds = max(r.evidence.seeds for r in rows)
    lrs = ",".join(f"{lr:g}" for lr in sorted({lr for r in rows for lr in r.lrs}))
    return (
        f"{c['task']} ({knobs}); span {rows[0].span_samples} samples, blind window "
        f"{rows[0].blind_samples}; metric {rows[0].metric} (trivial baseline "
        f"{rows[0].baseline:.4g}); solved: held-out {rows[0].metric} reaches "
        f"{c['threshold']:g} within "
        f"{c['max_steps']} steps (batch {c['batch_size']}, lr {lrs}, width {c['width']}, "
        f"gate bias {c['gate_bias']:g}); seeds {seeds}, rule {rule.name}; "
        f"toytasks {__version__}"
    )


def render(rows: list[Row], fmt: str = "simple") -> str:
    """One table per task configuration, each followed by its caption line."""
    blocks = []
    configs: dict[str, list[Row]] = {}
    for row in rows:
        key = repr((row.task, sorted(row.config["knobs"].items()), row.config["max_steps"],
                    row.config["threshold"], row.config["width"]))
        configs.setdefault(key, []).append(row)
    for group in configs.values():
        body = tabulate([format_row(r) for r in group], headers=HEADERS, tablefmt=fmt,
                        disable_numparse=True)
        blocks.append(f"{body}\n{caption(group)}")
    return "\n\n".join(blocks)
