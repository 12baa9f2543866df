"""Every table toytasks prints: minimal-depth tables (`toytasks table`, `run`, `suite`), sweep
tables (rows architectures, columns knob values) and the report's evidence tables. All go
through ``grid``; each has a caption that says how it was made."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import statistics
from collections.abc import Callable
from typing import TYPE_CHECKING

from tabulate import tabulate

from toytasks import __version__
from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES, base_arch
from toytasks.reading import lengths
from toytasks.reading.summary import Row, arch_class, arch_label, rf_bound_text
from toytasks.training.solve import SolveRule, get_rule
from toytasks.training.stats import interval_text
from toytasks.training.trial import ARCH_FIELDS, FIELD_KNOBS

if TYPE_CHECKING:
    from toytasks.reading.summary import SweepPoint

# --format name -> tabulate format (csv and latex are rendered here, see below)
FORMATS = {"simple": "simple", "plain": "plain", "github": "github", "markdown": "pipe",
           "latex": None, "csv": None}
GROUPINGS = ("task", "arch")

HEADERS = ("arch", "min depth", "solved [95% CI]", "best metric", "params", "median steps",
           "RF at depth", "RF bound", "trials")


def format_row(row: Row) -> list[str]:
    ev = row.evidence
    depth = row.depth_text("table")
    params = f"{ev.params:,}" if ev.params else "-"
    if row.match_params and ev.params:
        params += f" (w={ev.width})"
    steps = str(int(statistics.median(ev.steps_to_solve))) if ev.steps_to_solve else "-"
    faults = "".join(f" ({n} {status})" for status, n in sorted(row.faults.items()))
    return [
        row.arch_label, depth, interval_text(ev.successes, ev.seeds),
        f"{ev.best_metric:.3g}" if ev.best_metric is not None else "-",
        params,
        steps, str(row.receptive_field) if row.receptive_field else "-",
        rf_bound_text(row.arch, row.blind_samples, knobs=row.config.get("arch_knobs")),
        f"{row.trials}{faults}",
    ]


def caption(rows: list[Row], rule: SolveRule | None = None) -> str:
    """One line that says how the table was made: enough to cite it and to rerun it.

    Fields shared by every row are stated here; fields that differ between rows (only in
    ``--by arch`` tables) are named "per row" and shown in the row labels instead.
    """
    rule = rule or get_rule(rows[0].rule)
    first = rows[0]
    c = first.config
    same = _shared_fields(rows)
    parts = []
    if "task" in same and "knobs" in same:
        knobs = ", ".join(f"{k}={v}" for k, v in sorted(c["knobs"].items()))
        span = (f"span {first.span_samples} samples, blind window {first.blind_samples}"
                if first.span_samples else "span unknown (the task plugin is not installed)")
        parts.append(f"{c['task']} ({knobs}); {span}; metric {first.metric} (trivial "
                     f"baseline {first.baseline:.4g})")
    else:
        parts.append(f"{first.arch_label}: minimal depth per task configuration (row labels give "
                     "what differs)")
    metric = first.metric if len({r.metric for r in rows}) == 1 else "metric"
    threshold = _threshold_text(first, c["threshold"]) if "threshold" in same \
        else "reaches the row's threshold"
    steps = f"{c['max_steps']}" if "max_steps" in same else "the row's"
    lrs = sorted({lr for r in rows for lr in r.lrs})
    budget = [
        f"batch {c['batch_size']}" if "batch_size" in same else "batch per row",
        f"lr {','.join(f'{lr:g}' for lr in lrs)}"
        + (" best-of-lr per seed" if len(lrs) > 1 else ""),
        (f"width matched to ~{first.match_params:,} params" if first.match_params
         else f"width {c['width']}" if "width" in same else "width per row"),
        f"gate bias {c['gate_bias']:g}" if "gate_bias" in same else "gate bias per row",
        f"{c['test_size']} held-out samples" if "test_size" in same else "held-out set per row",
        *([f"device {c['device']}"] if "device" in same and c.get("device") else []),
        *([f"{c['pack']} seeds packed per model"] if "pack" in same and c.get("pack") else []),
    ]
    parts.append(f"solved: held-out {metric} {threshold} within {steps} steps "
                 f"({', '.join(budget)})")
    asked = {r.seeds_asked for r in rows if r.seeds_asked}
    seeds = (f"{max(asked)}" if len(asked) == 1 else "/".join(str(n) for n in sorted(asked))) \
        if asked else f"{max(r.evidence.seeds for r in rows)}"
    parts.append(f"seeds {seeds} per depth, rule {rule.name} {search_text(rows)}")
    parts.append(compute_text(rows))
    parts.extend([*lengths.note(rows), *plugin_notes(rows)])
    if any(r.below_rf_bound for r in rows):
        parts.append("below RF bound: solved at a depth whose receptive field lies inside "
                     "the blind window, which no model that sees only its receptive field "
                     "can (a leak in the model or a shortcut in the task)")
    if any(r.refused for r in rows):
        parts.append("refused: a trained model was not causal or not deterministic in eval "
                     "mode; such a row has no minimal depth")
    parts.append(f"toytasks {_versions(rows)}")
    return "; ".join(parts)


def compute_text(rows: list[Row]) -> str:
    """Every trial stored for the rows, those the search trained but the table does not
    count included (what `run` reports it trained), then the counted share when less."""
    spent = (sum(r.spent_trials for r in rows), sum(r.spent_steps for r in rows),
             sum(r.spent_flops for r in rows))
    counted = (sum(r.trials for r in rows), sum(r.steps for r in rows),
               sum(r.flops for r in rows))
    if spent[0] < counted[0]:  # rows built without spent totals
        spent = counted
    text = f"compute {spent[0]} trials, {spent[1]:,} steps, {spent[2]:.3g} FLOPs"
    if spent[0] != counted[0]:
        text += f" ({counted[0]} trials, {counted[1]:,} steps counted in the table)"
    return text


def _versions(rows: list[Row]) -> str:
    """Versions and commits the rows' trials recorded (the running one if none did)."""
    versions = sorted({v for r in rows for v in r.versions})
    return ", ".join(versions) if versions else __version__


def search_text(rows: list[Row]) -> str:
    """How the rows' seeds were counted and which search ran, exactly: 'adaptive search,
    every seed trained at depths 3-4 (cnn), 1 (lstm)' when a study confirmed some depths."""
    counting = {
        "exhaustive": "(every seed trained and counted)",
        "sequential": "(sequential; successes/seeds counted until decided)",
    }
    kinds = {"exhaustive" if r.search == "exhaustive" else "sequential" for r in rows}
    searches = sorted({r.search for r in rows})
    text = (f"{counting[kinds.pop()]}" if len(kinds) == 1 else
            "(exhaustive rows: every seed counted; others: sequential, counted until decided)")
    text += f", {'/'.join(searches)} search"
    confirmed = [f"{r.arch_label} depth {','.join(map(str, r.confirmed))}" for r in rows
                 if r.confirmed]
    if confirmed:
        text += f", confirmed: every seed trained and counted at {', '.join(confirmed)}"
    return text


def plugin_notes(rows: list[Row]) -> list[str]:
    """Where plugin architectures and tasks come from, and whose FLOPs were measured."""
    notes = []
    for task in sorted({r.config["task_plugin"] for r in rows if r.config.get("task_plugin")}):
        notes.append(f"task plugin {task}")
    seen: set[str] = set()
    for row in rows:
        origin = row.config.get("arch_plugin")
        if origin and row.arch not in seen:
            seen.add(row.arch)
            cls = arch_class(row.arch)
            measured = " (FLOPs measured with torch's FLOP counter)" if cls is not None \
                and cls.flops_measured() else ""
            notes.append(f"{row.arch} = plugin {origin}{measured}")
    return notes


def _threshold_text(row: Row, threshold: float) -> str:
    """'reaches 0.95' (higher is better) or '<= 0.00167 (1% of baseline)' (mse)."""
    if row.metric != "mse":
        return f"reaches {threshold:g}"
    share = f" ({100 * threshold / row.baseline:.3g}% of baseline)" if row.baseline > 0 else ""
    return f"<= {threshold:.3g}{share}"


# config fields that a row label names when they differ between the rows of one table
_LABEL_FIELDS = ("max_steps", "threshold", "batch_size", "width", "gate_bias", "test_size",
                 "eval_every", "patience", "clip", "train_size", "diagnostics", "device", "pack")


def _shared_fields(rows: list[Row]) -> set[str]:
    # a knob kept in a field of its own is named in the caption when every row shares it
    fields = set(rows[0].config) - set(ARCH_FIELDS) | set(FIELD_KNOBS)
    return {f for f in fields if len({json.dumps(r.config.get(f), sort_keys=True)
                                      for r in rows}) == 1}


def _row_label(row: Row, group: list[Row], everything: list[Row]) -> str:
    """Task name plus the knob values that differ between that task's configurations in
    the whole table set, and the budget values that differ within this table."""
    same_task = [r for r in everything if r.task == row.task]
    label = row.label(varying_knobs(same_task, sorted(row.config["knobs"])),
                      tuple(f for f in _LABEL_FIELDS
                            if len({repr(r.config.get(f)) for r in group}) > 1))
    return f"{row.task} ({label})" if label else row.task


def varying_knobs(rows: list[Row], names: list[str] | None = None) -> list[str]:
    """The knobs (of ``names``, default the first row's, sorted) that differ between rows."""
    return [k for k in (sorted(rows[0].config["knobs"]) if names is None else names)
            if len({repr(r.config["knobs"].get(k)) for r in rows}) > 1]


def group_rows(rows: list[Row], by: str = "task") -> list[list[Row]]:
    """``task``: one table per task configuration (a row per architecture);
    ``arch``: one table per architecture (a row per task configuration)."""
    if by not in GROUPINGS:
        raise ToytasksError(f"unknown grouping '{by}' (valid: {', '.join(GROUPINGS)})")
    groups: dict[str, list[Row]] = {}
    for row in rows:
        if by == "task":
            # matched runs share a parameter budget, not a width
            drop = {*ARCH_FIELDS, "width"} if row.match_params else set(ARCH_FIELDS)
            key = json.dumps({**{k: v for k, v in row.config.items() if k not in drop},
                              "match_params": row.match_params}, sort_keys=True)
        else:
            key = row.arch_label  # one table per variant (cnn, cnn@kernel=7)
        groups.setdefault(key, []).append(row)
    if by == "arch":
        order = {name: i for i, name in enumerate(ARCHITECTURES)}
        return [groups[k] for k in sorted(groups, key=lambda a: (
            order.get(base_arch(a), len(order)), a))]
    return list(groups.values())


def _cells(group: list[Row], by: str, everything: list[Row]
           ) -> tuple[list[str], list[list[str]]]:
    if by == "task":
        return lengths.extend(list(HEADERS), [format_row(r) for r in group], group)
    return lengths.extend(["task", *HEADERS[1:]], [[_row_label(r, group, everything),
                                                    *format_row(r)[1:]] for r in group], group)


def render(rows: list[Row], fmt: str = "simple", by: str = "task",
           rule: SolveRule | None = None) -> str:
    """One table per group (see ``group_rows``), each with its caption line.

    Pure function of ``rows``, which ``summarise`` computes from the store alone and sorts,
    so the same store always gives a byte-identical table.
    """
    if fmt not in FORMATS:
        raise ToytasksError(f"unknown table format '{fmt}' (valid: {', '.join(FORMATS)})")
    if not rows:
        return ""
    groups = group_rows(rows, by)
    if fmt == "csv":
        return render_csv(groups, by, rule)
    if fmt == "latex":
        return render_latex(groups, by, rule)
    blocks = []
    for group in groups:
        headers, body = _cells(group, by, rows)
        table = grid(headers, body, FORMATS[fmt], _align(headers))
        blocks.append(f"{table}\n\n{caption(group, rule)}" if fmt in ("github", "markdown")
                      else f"{table}\n{caption(group, rule)}")
    return "\n\n".join(blocks)


def grid(headers: list[str], body: list[list[str]], tablefmt: str | None,
         colalign: tuple[str, ...] | None = None) -> str:
    """The one place a table is laid out: cells are text, never re-parsed as numbers."""
    return tabulate(body, headers=headers, tablefmt=tablefmt, disable_numparse=True,
                    colalign=colalign)


def _align(headers: list[str]) -> tuple[str, ...]:
    return tuple("left" if h in ("arch", "task") else "right" for h in headers)


def render_csv(groups: list[list[Row]], by: str = "task", rule: SolveRule | None = None) -> str:
    """One rectangular CSV for all groups: task, knobs, the table's columns, caption.

    Parameter counts lose their thousands separators so that they parse as numbers.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    tested = lengths.factors([row for group in groups for row in group])
    writer.writerow(["task", "knobs", *HEADERS, *(f"×{f}" for f in tested), "caption"])
    params = HEADERS.index("params")
    for group in groups:
        text = caption(group, rule)
        for row in group:
            cells = [*format_row(row), *lengths.cells(row, tested)]
            cells[params] = cells[params].replace(",", "")
            knobs = "; ".join(f"{k}={v}" for k, v in sorted(row.config["knobs"].items()))
            writer.writerow([row.task, knobs, *cells, text])
    return buffer.getvalue().rstrip("\n")


_LATEX_SPECIAL = re.compile(r">=|<=|[&%$#_{}~^\\<>×–]")
_LATEX_MAP = {">=": r"$\geq$", "<=": r"$\leq$", "<": r"$<$", ">": r"$>$", "&": r"\&",
              "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
              "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
              "\\": r"\textbackslash{}", "×": r"$\times$", "–": "--"}


def latex_escape(text: str) -> str:
    return _LATEX_SPECIAL.sub(lambda m: _LATEX_MAP[m.group(0)], text)


def render_latex(groups: list[list[Row]], by: str = "task",
                 rule: SolveRule | None = None) -> str:
    """A ``table`` float per group with booktabs rules, caption and a stable label, ready
    to ``\\input`` (the document needs ``\\usepackage{booktabs}``)."""
    blocks = ["% toytasks tables; needs \\usepackage{booktabs}"]
    everything = [row for group in groups for row in group]
    for group in groups:
        headers, body = _cells(group, by, everything)
        align = "".join("l" if a == "left" else "r" for a in _align(headers))
        text = caption(group, rule)
        label = "tab:toytasks-" + hashlib.sha256(
            json.dumps([r.config for r in group], sort_keys=True).encode()).hexdigest()[:8]
        lines = [
            f"% {text}",
            "\\begin{table}[htbp]",
            "\\centering",
            f"\\caption{{{latex_escape(text)}}}",
            f"\\label{{{label}}}",
            f"\\begin{{tabular}}{{{align}}}",
            "\\toprule",
            " & ".join(latex_escape(h) for h in headers) + " \\\\",
            "\\midrule",
            *(" & ".join(latex_escape(cell) for cell in cells) + " \\\\" for cells in body),
            "\\bottomrule",
            "\\end{tabular}",
            "\\end{table}",
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


# --- sweep tables: rows architectures, columns values of one knob --------------------------
def _sweep_cell(row: Row | None) -> str:
    if row is None:
        return "-"
    ev = row.evidence
    return f"{row.depth_text('cell')} ({interval_text(ev.successes, ev.seeds)})"


def render_sweep(points: list[SweepPoint], knob: str, archs: tuple[str, ...],
                 fmt: str = "simple", cell: Callable[[Row | None], str] = _sweep_cell,
                 legend: str = "") -> str:
    """One row per architecture variant (named without the varied knob), one column per
    value; then each conv arch's receptive-field bound, the span and the blind window
    (tabulate gets ``fmt`` as it is). ``cell`` and ``legend``: another measurement in the
    cells (``best_depth``), and what its cells mean."""
    headers = ["arch", *(f"{knob}={p.value}" for p in points)]
    arch_knob, _, name = knob.rpartition(".")

    def row_name(row: Row) -> str:
        return arch_label(row.config, (name,) if row.arch == arch_knob else ())

    order = [base_arch(a) for a in archs]
    names = sorted(dict.fromkeys(row_name(r) for p in points for r in p.rows),
                   key=lambda n: order.index(base_arch(n)) if base_arch(n) in order
                   else len(order))
    table = []
    for label in names:
        cells = [next((r for r in p.rows if row_name(r) == label), None) for p in points]
        table.append([label, *(cell(c) for c in cells)])
    for arch in dict.fromkeys(base_arch(a) for a in archs):
        cls = arch_class(arch)
        if cls is not None and cls.receptive_field(1) is not None:
            table.append([f"RF bound {arch}", *(next(
                (rf_bound_text(arch, r.blind_samples, knobs=r.config.get("arch_knobs"))
                 for r in p.rows if r.arch == arch),
                rf_bound_text(arch, p.spec.make_generator().blind_samples)) for p in points)])
    tasks = [p.spec.make_generator() for p in points]
    table.append(["span (samples)", *(str(t.span_samples) for t in tasks)])
    table.append(["blind window", *(str(t.blind_samples) for t in tasks)])
    body = grid(headers, table, fmt)
    return f"{body}\n{sweep_caption(points, knob, legend)}"


def sweep_caption(points: list[SweepPoint], knob: str, legend: str = "") -> str:
    rows = [r for p in points for r in p.rows]
    if not rows:
        return "(no results)"
    c = rows[0].config
    fixed = ", ".join(f"{k}={v}" for k, v in sorted(c["knobs"].items()) if k != knob)
    grid = sorted({lr for r in rows for lr in r.lrs})
    lrs = ",".join(f"{lr:g}" for lr in grid) + (" best-of-lr per seed" if len(grid) > 1 else "")
    width = (f"width matched to ~{rows[0].match_params:,} params" if rows[0].match_params
             else f"width {c['width']}")
    flagged = any(r.non_monotonic for r in rows)
    legend = legend or ("minimal depth (successes/seeds [95% Clopper-Pearson interval] at "
                        "that depth; '>N': unsolved up to N; '<=N': solved at N, N-1 never "
                        f"trained, so an upper bound{'; !: non-monotonic in depth' * flagged})")
    return (
        f"{c['task']} sweep over {knob} ({fixed}); cell: {legend}; RF bound: smallest depth whose "
        f"receptive field exceeds the blind window; solved: held-out {rows[0].metric} "
        f"{_threshold_text(rows[0], c['threshold'])} within {c['max_steps']} steps "
        f"(batch {c['batch_size']}, lr {lrs}, "
        f"{width}, gate bias {c['gate_bias']:g}"
        f"{f', {packed} seeds packed per model' if (packed := c.get('pack')) else ''}); "
        f"rule {rows[0].rule} {search_text(rows)}; "
        f"{compute_text(rows)}; toytasks {_versions(rows)}"
    )

