"""Render summary rows as a table (tabulate) with a caption that says how it was made."""

from __future__ import annotations

import statistics

from tabulate import tabulate

from toytasks import __version__
from toytasks.search import SolveRule, get_rule
from toytasks.stats import interval_text
from toytasks.summary import Row

HEADERS = ("arch", "min depth", "solved [95% CI]", "best metric", "params", "median steps",
           "RF at depth", "RF bound", "trials")


def format_row(row: Row) -> list[str]:
    ev = row.evidence
    depth = str(row.minimal_depth) if row.minimal_depth else f"> {row.max_depth_tried}"
    if row.minimal_is_upper_bound:
        depth = f"<= {depth}"  # solved at the lowest depth tried: d-1 was never trained
    if row.non_monotonic:
        depth += f" (non-monotonic: fails at {','.join(map(str, row.non_monotonic))})"
    params = f"{ev.params:,}" if ev.params else "-"
    if row.match_params and ev.params:
        params += f" (w={ev.width})"
    steps = str(int(statistics.median(ev.steps_to_solve))) if ev.steps_to_solve else "-"
    faults = "".join(f" ({n} {status})" for status, n in sorted(row.faults.items()))
    return [
        row.arch, depth, interval_text(ev.successes, ev.seeds),
        f"{ev.best_metric:.3g}" if ev.best_metric is not None else "-",
        params,
        steps, str(row.receptive_field) if row.receptive_field else "-",
        f">= {row.rf_bound}" if row.rf_bound else "-", f"{row.trials}{faults}",
    ]


def caption(rows: list[Row], rule: SolveRule | None = None) -> str:
    rule = rule or get_rule(rows[0].rule)
    c = rows[0].config
    knobs = ", ".join(f"{k}={v}" for k, v in sorted(c["knobs"].items()))
    seeds = max(r.evidence.seeds for r in rows)
    grid = sorted({lr for r in rows for lr in r.lrs})
    lrs = ",".join(f"{lr:g}" for lr in grid) + (" best-of-lr per seed" if len(grid) > 1 else "")
    width = (f"width matched to ~{rows[0].match_params:,} params" if rows[0].match_params
             else f"width {c['width']}")
    return (
        f"{c['task']} ({knobs}); span {rows[0].span_samples} samples, blind window "
        f"{rows[0].blind_samples}; metric {rows[0].metric} (trivial baseline "
        f"{rows[0].baseline:.4g}); solved: held-out {rows[0].metric} reaches "
        f"{c['threshold']:g} within "
        f"{c['max_steps']} steps (batch {c['batch_size']}, lr {lrs}, {width}, "
        f"gate bias {c['gate_bias']:g}); seeds {seeds}, rule {rule.name}, "
        f"{rows[0].search} search; compute {sum(r.trials for r in rows)} trials, "
        f"{sum(r.steps for r in rows):,} steps, {sum(r.flops for r in rows):.3g} FLOPs; "
        f"toytasks {__version__}"
    )


def render(rows: list[Row], fmt: str = "simple") -> str:
    """One table per task configuration, each followed by its caption line."""
    blocks = []
    configs: dict[str, list[Row]] = {}
    for row in rows:
        key = repr((row.task, sorted(row.config["knobs"].items()), row.config["max_steps"],
                    row.config["threshold"],
                    ("params", row.match_params) if row.match_params else row.config["width"]))
        configs.setdefault(key, []).append(row)
    for group in configs.values():
        body = tabulate([format_row(r) for r in group], headers=HEADERS, tablefmt=fmt,
                        disable_numparse=True)
        blocks.append(f"{body}\n{caption(group)}")
    return "\n\n".join(blocks)
