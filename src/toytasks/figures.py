"""Figures from stored results and from tasks: deterministic PNG/SVG (the `[plots]` extra).

  * success_vs_depth: success rate over seeds per depth and architecture, 95% bands;
  * min_depth_vs_knob: minimal depth against a difficulty knob, receptive-field bound drawn;
  * task_examples: examples of each class of a task (one or several per class), the deciding
    span marked (`toytasks show`, docs/figures/make_ecg_figures.py);
  * gradient_vs_lag / grad_norm_by_layer: the `--diagnostics` curves.

matplotlib is imported lazily (a missing extra is a one-line error) with the Agg backend.
Output is byte-identical for the same input: no dates or software versions in the files,
a fixed SVG hash salt, and nothing drawn depends on dict or set order.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES
from toytasks.stats import clopper_pearson
from toytasks.summary import Row
from toytasks.tasks import CLASSIFICATION, Task, get_generator

FORMATS = ("png", "svg", "pdf")
RC = {"svg.hashsalt": "toytasks", "svg.fonttype": "path", "figure.dpi": 100,
      "axes.spines.top": False, "axes.spines.right": False, "font.size": 9}
METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None}}


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ToytasksError("plots need matplotlib: pip install 'toytasks[plots]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | Path) -> Path:
    out = Path(path)
    fmt = out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ToytasksError(f"cannot write '{out}': use a .png, .svg or .pdf file name")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, format=fmt, metadata=METADATA[fmt], dpi=120)
    except OSError as exc:  # unwritable or missing folder: one line, not a traceback
        raise ToytasksError(f"cannot write figure '{out}' ({exc.strerror or exc})") from None
    finally:
        _pyplot().close(fig)
    return out


def _arch_colors(archs: Iterable[str]) -> dict[str, str]:
    """A fixed colour per architecture (registry order), the same in every figure."""
    order = list(ARCHITECTURES)
    names = sorted(set(archs), key=lambda a: (order.index(a) if a in order else len(order), a))
    return {a: f"C{(order.index(a) if a in order else len(order) + i) % 10}"
            for i, a in enumerate(names)}


def _config_label(row: Row, skip: Iterable[str] = ()) -> str:
    knobs = ", ".join(f"{k}={v}" for k, v in sorted(row.config["knobs"].items()) if k not in skip)
    return f"{row.task} ({knobs})" if knobs else row.task


def success_vs_depth(rows: list[Row], path: str | Path, confidence: float = 0.95) -> Path:
    """One panel per task configuration: success rate vs depth per architecture, with the
    exact (Clopper–Pearson) interval as a band and the minimal depth circled."""
    if not rows:
        raise ToytasksError("no results to plot")
    plt = _pyplot()
    panels: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        panels[_config_label(row)].append(row)
    colors = _arch_colors(r.arch for r in rows)
    with plt.rc_context(RC):
        fig, axes = plt.subplots(len(panels), 1, figsize=(7.2, 3.0 * len(panels)),
                                 squeeze=False)
        for ax, (label, group) in zip(axes[:, 0], sorted(panels.items()), strict=True):
            for i, row in enumerate(group):
                shift = 0.06 * (i - (len(group) - 1) / 2)  # keep overlapping curves visible
                depths = [d + shift for d in sorted(row.depths)]
                stats = [row.depths[d] for d in sorted(row.depths)]
                rate = [s.successes / s.seeds if s.seeds else math.nan for s in stats]
                band = [clopper_pearson(s.successes, s.seeds, confidence) for s in stats]
                color = colors[row.arch]
                ax.fill_between(depths, [b[0] for b in band], [b[1] for b in band],
                                color=color, alpha=0.15, lw=0)
                ax.plot(depths, rate, "o-", color=color, ms=4, label=row.arch)
                if row.minimal_depth is not None:
                    ax.plot([row.minimal_depth + shift], [row.depths[row.minimal_depth].successes /
                                                  row.depths[row.minimal_depth].seeds],
                            "o", ms=10, mfc="none", color=color)
            ax.set_ylim(-0.03, 1.03)
            ax.set_xlabel("depth (layers)")
            ax.set_ylabel("success rate over seeds")
            ax.set_title(label, fontsize=9)
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
        fig.text(0.01, 0.005, f"band: {confidence:.0%} Clopper–Pearson interval of the rate "
                 "over the seeds counted; circle: minimal depth", fontsize=7)
        fig.tight_layout(rect=(0, 0.02, 1, 1))
        return _save(fig, path)


def min_depth_vs_knob(rows: list[Row], knob: str, path: str | Path) -> Path:
    """Minimal depth against one knob's value per architecture (rows from `summarise` over a
    sweep); dashed: the receptive-field bound below which a conv stack is at chance."""
    points = [r for r in rows if knob in r.config["knobs"]]
    if not points:
        raise ToytasksError(f"no results with knob '{knob}' to plot")
    plt = _pyplot()
    colors = _arch_colors(r.arch for r in points)
    by_arch: dict[str, list[Row]] = defaultdict(list)
    for row in points:
        by_arch[row.arch].append(row)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        for arch in colors:
            group = sorted(by_arch[arch], key=lambda r: r.config["knobs"][knob])
            xs = [r.config["knobs"][knob] for r in group]
            solved = [(x, r.minimal_depth) for x, r in zip(xs, group, strict=True)
                      if r.minimal_depth is not None]
            unsolved = [(x, r.max_depth_tried) for x, r in zip(xs, group, strict=True)
                        if r.minimal_depth is None]
            color = colors[arch]
            if solved:
                ax.plot(*zip(*solved, strict=True), "o-", color=color, label=arch)
            if unsolved:
                ax.plot(*zip(*unsolved, strict=True), "^", color=color, mfc="none", ms=8,
                        label=f"{arch}: unsolved up to this depth")
            bound = [(x, r.rf_bound) for x, r in zip(xs, group, strict=True)
                     if r.rf_bound is not None]
            if bound:
                ax.plot(*zip(*bound, strict=True), "--", color=color, lw=1, alpha=0.8,
                        label=f"{arch}: receptive-field bound")
        ax.set_xlabel(knob)
        ax.set_ylabel("minimal depth (layers)")
        ax.set_title(_config_label(points[0], skip=(knob,)), fontsize=9)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=7, frameon=False, loc="upper left")
        fig.tight_layout()
        return _save(fig, path)


def class_examples(task: Task, per_class: int, seed: int = 0) -> dict[int, np.ndarray]:
    """``per_class`` inputs (T, C) of each class of the first target, drawn in order: the
    first examples of each class in the seeded stream (the same for the same seed)."""
    if task.kind != CLASSIFICATION:
        raise ToytasksError(f"task '{task.name}' is not a classification task")
    rng = np.random.default_rng(seed)
    found: dict[int, list[np.ndarray]] = {c: [] for c in range(task.n_outputs)}
    for _ in range(100):
        x, y = task.sample(64, rng)
        for xi, yi in zip(x, y[:, 0], strict=True):
            if len(found[int(yi)]) < per_class:
                found[int(yi)].append(xi)
        if all(len(v) == per_class for v in found.values()):
            return {c: np.stack(v) for c, v in found.items()}
    raise ToytasksError(f"task '{task.name}': could not draw {per_class} examples per class")


def _binary(task: Task) -> bool:
    return task.kind == CLASSIFICATION and task.n_outputs == 2 and task.output_steps == 1


def example_pair(task: Task, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Two examples to show: one of each class for a binary task (positive first), else the
    first two drawn. Each is (x of shape (T, C), y of shape (output_steps,))."""
    if not _binary(task):
        x, y = task.sample(64, np.random.default_rng(seed))
        return [(x[0], y[0]), (x[1], y[1])]
    return [(x[0], np.array([label])) for label, x in _examples(task, 1, seed)]


def _examples(task: Task, per_class: int, seed: int) -> list[tuple[int, np.ndarray]]:
    """(class, examples) to draw: positive first for a binary task, else in class order."""
    found = class_examples(task, per_class, seed)
    order = [1, 0] if _binary(task) else sorted(found)
    return [(c, found[c]) for c in order]


def _target_text(task: Task, y: np.ndarray) -> str:
    if _binary(task):
        return "positive (label 1)" if int(y[0]) == 1 else "negative (label 0)"
    values = ", ".join(f"{v:g}" for v in y[:8]) + (", ..." if len(y) > 8 else "")
    return f"target {values}"


def task_examples(task: Task, path: str | Path, seed: int = 0, title: str = "",
                  per_class: int = 1, class_names: dict[int, str] | None = None,
                  sampling_hz: float | None = None) -> Path:
    """Examples of ``task`` against time before the end, with the windows the theory uses:
    grey, the blind window (identical statistics in every class); yellow, the rest of the
    span (where the classes differ); a model must see back to the dashed line.

    A classification task shows ``per_class`` examples of each class of its first target
    (positive first when binary), labelled by ``class_names`` if given; other tasks show
    two examples with their targets. With ``sampling_hz`` the axis is in seconds."""
    plt = _pyplot()
    if task.kind == CLASSIFICATION:
        names = class_names or {}

        def name(c: int) -> str:
            default = _target_text(task, np.array([c])) if _binary(task) else f"class {c}"
            return names.get(c, default)

        shown = [(x, name(c)) for c, xs in _examples(task, per_class, seed) for x in xs]
    else:
        shown = [(x, _target_text(task, y)) for x, y in example_pair(task, seed)]
    t_len = task.seq_len
    scale = 1.0 / sampling_hz if sampling_hz else 1.0
    lags = (np.arange(t_len) - (t_len - 1)) * scale
    span, blind = min(task.span_samples, t_len), min(task.blind_samples, t_len)
    edge = {n: -(n - 0.5) * scale for n in (span, blind)}
    knobs = ", ".join(f"{k}={v}" for k, v in task.values.items())
    title = title or f"{task.name} ({knobs})"
    lines = title.count("\n") + 1
    header = 0.2 * lines + 0.45  # inches above the panels: the title, then the legend
    height = 1.5 * len(shown) + 0.6 + header
    wide = t_len > 200 or max(len(line) for line in title.splitlines()) > 80
    with plt.rc_context(RC):
        fig, axes = plt.subplots(len(shown), 1, figsize=(10 if wide else 7.5, height),
                                 sharex=True, squeeze=False)
        for ax, (x, label) in zip(axes[:, 0], shown, strict=True):
            ax.axvspan(edge[span], edge[blind], color="gold", alpha=0.25, lw=0,
                       label=f"deciding part of the span ({span - blind} samples)")
            if blind:
                ax.axvspan(edge[blind], 0.5 * scale, color="0.8", alpha=0.6, lw=0,
                           label=f"blind window ({blind} samples)")
            ax.axvline(edge[span], color="k", ls="--", lw=0.8,
                       label=f"span: {span} samples back")
            if task.n_inputs <= 3:
                for c in range(task.n_inputs):
                    ax.plot(lags, x[:, c] + 2.5 * c, lw=1.0, marker=".", ms=3 if t_len <= 200
                            else 1, label=f"input {c}" if task.n_inputs > 1 else None)
            else:
                ax.imshow(x.T, aspect="auto", cmap="Greys", interpolation="nearest",
                          extent=(lags[0] - scale / 2, lags[-1] + scale / 2,
                                  task.n_inputs - 0.5, -0.5), zorder=0)
                ax.set_ylabel("input channel")
            ax.set_title(label.replace("\n", " "), fontsize=9, loc="left")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.suptitle(title, fontsize=10, y=1 - 0.05 / height, va="top")
        fig.legend(handles, labels, fontsize=7, frameon=False, loc="upper center", ncol=3,
                   bbox_to_anchor=(0.5, 1 - (0.2 * lines + 0.1) / height))
        unit = "seconds" if sampling_hz else "samples"
        axes[-1, 0].set_xlabel(f"{unit} before the end (0 = the step the model answers at)")
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.55 / height,
                            top=1 - (header + 0.25) / height, hspace=0.45)
        return _save(fig, path)


def _diagnosed(records: list[dict[str, Any]]) -> dict[tuple[str, str, int], list[dict]]:
    """Diagnostics per (task config, arch, depth) over seeds (and lrs)."""
    groups: dict[tuple[str, str, int], list[dict]] = defaultdict(list)
    for record in records:
        diag = (record.get("result") or {}).get("diagnostics") or {}
        if not diag:
            continue
        trial = record["trial"]
        knobs = ", ".join(f"{k}={v}" for k, v in sorted(trial["knobs"].items()))
        groups[(f"{trial['task']} ({knobs})", trial["arch"], trial["depth"])].append(diag)
    return groups


def _select(groups: dict[tuple[str, str, int], list[dict]],
            depths: Iterable[int] | None) -> dict[tuple[str, str, int], list[dict]]:
    """The given depths, or by default the deepest diagnosed depth per (config, arch): in a
    minimal-depth search that is the minimal depth, or the deepest that failed."""
    if depths is not None:
        wanted = set(depths)
        return {k: v for k, v in groups.items() if k[2] in wanted}
    deepest: dict[tuple[str, str], int] = {}
    for label, arch, depth in groups:
        deepest[(label, arch)] = max(depth, deepest.get((label, arch), 0))
    return {k: v for k, v in groups.items() if deepest[(k[0], k[1])] == k[2]}


def _mean_curve(curves: list[list[float | None]]) -> np.ndarray:
    data = np.array([[math.nan if v is None else v for v in c] for c in curves], dtype=float)
    return np.nanmean(data, axis=0) if len(data) else np.array([])


def gradient_vs_lag(records: list[dict[str, Any]], path: str | Path, which: str = "final",
                    depths: Iterable[int] | None = None) -> Path:
    """How far back models look: share of the input gradient at each lag (left, log scale;
    exact zeros are not drawn) and its cumulative share (right), mean over seeds. Dotted
    vertical lines: receptive fields; grey: the task's blind window. One curve per
    architecture and depth in ``depths`` (default: the deepest diagnosed per architecture)."""
    groups = _select(_diagnosed(records), depths)
    if not groups:
        raise ToytasksError("no trial in these results has diagnostics (run with --diagnostics)")
    plt = _pyplot()
    key = f"input_grad_{which}"
    colors = _arch_colors(arch for _, arch, _ in groups)
    task_label = sorted({label for label, _, _ in groups})
    blind = _blind_samples(records)
    with plt.rc_context(RC):
        fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 3.6))
        depths = sorted({d for _, _, d in groups})
        styles = {d: ("-", "--", "-.", ":")[i % 4] for i, d in enumerate(depths)}
        for (_, arch, depth), diags in sorted(groups.items()):
            curve = _mean_curve([d[key] for d in diags if d.get(key)])
            if not curve.size or not np.nansum(curve) > 0:
                continue
            share = curve / np.nansum(curve)
            lags = np.arange(1, len(share) + 1)  # lag 0 drawn at 1 on the log axis
            shown = np.where(share > 0, share, np.nan)
            label = f"{arch} depth {depth}"
            left.plot(lags, shown, styles[depth], color=colors[arch], lw=1.2, label=label)
            right.plot(lags, np.nancumsum(share), styles[depth], color=colors[arch], lw=1.2)
            rf = ARCHITECTURES[arch].receptive_field(depth) if arch in ARCHITECTURES else None
            if rf is not None:
                for ax in (left, right):
                    ax.axvline(rf + 0.5, color=colors[arch], ls=":", lw=0.8)
        longest = max(len(d[key]) for diags in groups.values() for d in diags if d.get(key))
        for ax in (left, right):
            if blind:
                ax.axvspan(0.5, blind + 0.5, color="0.9", lw=0, zorder=0)
            if longest > 100:
                ax.set_xscale("log")
            ax.set_xlabel("samples before the end (1 = the last)")
        left.set_yscale("log")
        left.set_ylabel("share of |d output / d input|")
        right.set_ylabel("cumulative share")
        right.set_ylim(0, 1.02)
        right.legend(*left.get_legend_handles_labels(), fontsize=7, frameon=False,
                     loc="upper left", bbox_to_anchor=(1.02, 1))
        stage = "after training" if which == "final" else "at initialisation"
        fig.suptitle(f"input gradient by lag, {stage}: {'; '.join(task_label)}", fontsize=9)
        fig.tight_layout()
        return _save(fig, path)


def _blind_samples(records: list[dict[str, Any]]) -> int | None:
    """The blind window when every record is of one task configuration, else None."""
    configs = {(r["trial"]["generator"], tuple(sorted(r["trial"]["knobs"].items())))
               for r in records}
    if len(configs) != 1:
        return None
    generator, knobs = configs.pop()
    return get_generator(generator)(**dict(knobs)).blind_samples


def grad_norm_by_layer(records: list[dict[str, Any]], path: str | Path,
                       depths: Iterable[int] | None = None) -> Path:
    """Gradient norm per layer (input side first), median over seeds: at initialisation
    (dashed) and at the end of training (solid). Vanishing gradients show as a slope.
    Depths as in `gradient_vs_lag`."""
    groups = _select(_diagnosed(records), depths)
    if not groups:
        raise ToytasksError("no trial in these results has diagnostics (run with --diagnostics)")
    plt = _pyplot()
    colors = _arch_colors(arch for _, arch, _ in groups)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(7.4, 3.6))
        for (_, arch, depth), diags in sorted(groups.items()):
            for key, style in (("grad_norm_init", "--"), ("grad_norm_final", "-")):
                rows = [d[key] for d in diags if d.get(key)]
                if not rows:
                    continue
                median = [statistics.median(v for v in col if v is not None) if any(
                    v is not None for v in col) else math.nan for col in zip(*rows, strict=True)]
                layers = np.arange(1, len(median))  # the last group is the readout
                ax.plot(layers, median[:-1], style, marker="o", ms=3, color=colors[arch],
                        label=f"{arch} depth {depth}" if style == "-" else None)
        ax.set_yscale("log")
        ax.set_xlabel("layer (1 = input side; readout not shown)")
        ax.set_ylabel("gradient norm of the loss")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1))
        ax.set_title("per-layer gradient norm: dashed at initialisation, solid after training",
                     fontsize=9)
        fig.tight_layout()
        return _save(fig, path)


def store_figures(records: list[dict[str, Any]], rows: list[Row], out_dir: str | Path,
                  fmt: str = "png") -> list[Path]:
    """Every figure a results folder supports (what `toytasks plot` writes)."""
    out = Path(out_dir)
    paths = []
    by_task: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_task[row.task].append(row)
    for task, group in sorted(by_task.items()):
        paths.append(success_vs_depth(group, out / f"success-vs-depth-{task}.{fmt}"))
        varying = [k for k in sorted(group[0].config["knobs"])
                   if len({repr(r.config["knobs"].get(k)) for r in group}) > 1]
        if len(varying) == 1:
            paths.append(min_depth_vs_knob(group, varying[0],
                                           out / f"min-depth-vs-{varying[0]}-{task}.{fmt}"))
        task_records = [r for r in records if r["trial"]["task"] == task]
        if _diagnosed(task_records):
            paths.append(gradient_vs_lag(task_records, out / f"gradient-vs-lag-{task}.{fmt}"))
            paths.append(grad_norm_by_layer(task_records,
                                            out / f"grad-norm-by-layer-{task}.{fmt}"))
    return paths
