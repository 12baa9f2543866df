"""Figures from stored results and from tasks: deterministic PNG/SVG (the `[plots]` extra).

  * success_vs_depth: success rate over seeds per depth and architecture, 95% bands;
  * min_depth_vs_knob: minimal depth against a difficulty knob, receptive-field bound drawn;
  * task_examples: examples of each class of a task (one or several per class), the deciding
    span marked (`toytasks show`, docs/figures/make_ecg_figures.py);
  * gradient_vs_lag / grad_norm_by_layer: the `--diagnostics` curves (diagnostic_figures).

matplotlib is imported lazily (toytasks.reading.plotting: a missing extra is a one-line error).
Output is byte-identical for the same input: no dates or software versions in the files,
a fixed SVG hash salt, and nothing drawn depends on dict or set order.
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from toytasks.errors import ToytasksError
from toytasks.reading.diagnostic_figures import diagnosed, grad_norm_by_layer, gradient_vs_lag
from toytasks.reading.plotting import RC, arch_styles, pyplot, save
from toytasks.reading.records import TrialRecord
from toytasks.reading.summary import Row
from toytasks.tasks import CLASSIFICATION, Task
from toytasks.training.stats import clopper_pearson


def _config_label(row: Row, skip: Iterable[str] = ()) -> str:
    knobs = ", ".join(f"{k}={v}" for k, v in sorted(row.config["knobs"].items()) if k not in skip)
    return f"{row.task} ({knobs})" if knobs else row.task


def success_vs_depth(rows: list[Row], path: str | Path, confidence: float = 0.95) -> Path:
    """One panel per task configuration: success rate vs depth per architecture, with the
    exact (Clopper–Pearson) interval as a band and the minimal depth circled (a square when
    it is an upper bound: the depth below was never trained). Each architecture has its own
    colour and marker; curves sharing a panel are offset sideways so that equal points
    (three archs at 10/10 on depth 1) stay visible; long panel titles are wrapped."""
    if not rows:
        raise ToytasksError("no results to plot")
    plt = pyplot()
    panels: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        panels[_config_label(row)].append(row)
    styles = arch_styles(r.arch_label for r in rows)  # variants of one arch apart
    with plt.rc_context(RC):
        fig, axes = plt.subplots(len(panels), 1, figsize=(7.2, 3.0 * len(panels)),
                                 squeeze=False)
        # panels in the rows' order (summarise sorts numbers numerically: 4, 6, 8, 12, 16)
        for ax, (label, group) in zip(axes[:, 0], panels.items(), strict=True):
            lo = min(d for r in group for d in r.depths)
            hi = max(d for r in group for d in r.depths)
            step = min(0.6, max(0.08, 0.025 * (hi - lo + 1)))  # grows with the axis
            for i, row in enumerate(group):
                shift = step * (i - (len(group) - 1) / 2)
                depths = [d + shift for d in sorted(row.depths)]
                stats = [row.depths[d] for d in sorted(row.depths)]
                rate = [s.successes / s.seeds if s.seeds else math.nan for s in stats]
                band = [clopper_pearson(s.successes, s.seeds, confidence) for s in stats]
                color, marker = styles[row.arch_label]
                ax.fill_between(depths, [b[0] for b in band], [b[1] for b in band],
                                color=color, alpha=0.12, lw=0)
                ax.plot(depths, rate, "-", marker=marker, color=color, ms=5, lw=1.2,
                        label=row.arch_label)
                solved = row.solved_depth
                if solved is not None:
                    stat = row.depths[solved]
                    ax.plot([solved + shift], [stat.successes / stat.seeds],
                            "s" if row.minimal_is_upper_bound else "o", ms=10, mfc="none",
                            color=color)
            ax.set_ylim(-0.05, 1.05)
            reach = step * (len(group) - 1) / 2 + 0.5
            ax.set_xlim(lo - reach, hi + reach)
            ax.set_xticks(sorted({d for r in group for d in r.depths})
                          if hi - lo <= 12 else ax.get_xticks()[1:-1])
            ax.set_xlabel("depth (layers)")
            ax.set_ylabel("success rate over seeds")
            ax.set_title(textwrap.fill(label, 90), fontsize=8)
            ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
        fig.text(0.01, 0.005, f"band: {confidence:.0%} Clopper–Pearson interval of the rate "
                 "over the seeds counted; circle: minimal depth; square: an upper bound\n"
                 "(the depth below not trained); points of one depth offset sideways",
                 fontsize=7)
        fig.tight_layout(rect=(0, 0.05 / len(panels) ** 0.5, 1, 1))
        return save(fig, path)


def min_depth_vs_knob(rows: list[Row], knob: str, path: str | Path) -> Path:
    """Minimal depth against one knob's value per architecture (rows from `summarise` over a
    sweep); dashed: the receptive-field bound below which a conv stack is at chance."""
    points = [r for r in rows if knob in r.config["knobs"]]
    if not points:
        raise ToytasksError(f"no results with knob '{knob}' to plot")
    plt = pyplot()
    styles = arch_styles(r.arch for r in points)
    by_arch: dict[str, list[Row]] = defaultdict(list)
    for row in points:
        by_arch[row.arch].append(row)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        for arch, (color, marker) in styles.items():
            group = sorted(by_arch[arch], key=lambda r: r.config["knobs"][knob])
            xs = [r.config["knobs"][knob] for r in group]
            solved = [(x, r.solved_depth) for x, r in zip(xs, group, strict=True)
                      if r.solved_depth is not None]
            unsolved = [(x, r.max_depth_tried) for x, r in zip(xs, group, strict=True)
                        if r.solved_depth is None]
            if solved:
                ax.plot(*zip(*solved, strict=True), "-", marker=marker, color=color,
                        label=arch)
            if unsolved:
                ax.plot(*zip(*unsolved, strict=True), marker, color=color, mfc="none", ms=9,
                        label=f"{arch}: unsolved up to this depth")
            bound = [(x, r.rf_bound) for x, r in zip(xs, group, strict=True)
                     if r.rf_bound is not None]
            if bound:
                ax.plot(*zip(*bound, strict=True), "--", color=color, lw=1, alpha=0.8,
                        label=f"{arch}: receptive-field bound")
        ax.set_xlabel(knob)
        ax.set_ylabel("minimal depth (layers)")
        ax.set_title(textwrap.fill(_config_label(points[0], skip=(knob,)), 80), fontsize=8)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=7, frameon=False, loc="upper left")
        fig.tight_layout()
        return save(fig, path)


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
    plt = pyplot()
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
    wide = t_len > 200 or max(len(line) for line in title.splitlines()) > 80
    # wrapped to the figure's width, so that no title runs off either edge
    title = "\n".join(textwrap.fill(line, 105 if wide else 80) for line in title.splitlines())
    lines = title.count("\n") + 1
    header = 0.2 * lines + 0.45  # inches above the panels: the title, then the legend
    height = 1.5 * len(shown) + 0.6 + header
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
        return save(fig, path)


def store_figures(records: list[TrialRecord], rows: list[Row], out_dir: str | Path,
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
        task_records = [r for r in records if r.task == task]
        if diagnosed(task_records):
            paths.append(gradient_vs_lag(task_records, out / f"gradient-vs-lag-{task}.{fmt}"))
            paths.append(grad_norm_by_layer(task_records,
                                            out / f"grad-norm-by-layer-{task}.{fmt}"))
    return paths
