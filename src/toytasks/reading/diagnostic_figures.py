"""Figures of `--diagnostics` runs: input gradient by lag, gradient norm per layer."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES
from toytasks.reading.plotting import RC, arch_colors, arch_styles, pyplot, save
from toytasks.reading.records import TrialRecord
from toytasks.tasks import get_generator


def diagnosed(records: list[TrialRecord]) -> dict[tuple[str, str, int], list[dict]]:
    """Diagnostics per (task config, arch, depth) over seeds (and lrs)."""
    groups: dict[tuple[str, str, int], list[dict]] = defaultdict(list)
    for record in records:
        diag = record.result.diagnostics or {}
        if not diag:
            continue
        trial = record.config
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


def gradient_vs_lag(records: list[TrialRecord], path: str | Path, which: str = "final",
                    depths: Iterable[int] | None = None) -> Path:
    """How far back models look: share of the input gradient at each lag (left, log scale;
    exact zeros are not drawn) and its cumulative share (right), mean over seeds. Dotted
    vertical lines: receptive fields; grey: the task's blind window. One curve per
    architecture and depth in ``depths`` (default: the deepest diagnosed per architecture)."""
    groups = _select(diagnosed(records), depths)
    if not groups:
        raise ToytasksError("no trial in these results has diagnostics (run with --diagnostics)")
    plt = pyplot()
    key = f"input_grad_{which}"
    colors = arch_colors(arch for _, arch, _ in groups)
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
        return save(fig, path)


def _blind_samples(records: list[TrialRecord]) -> int | None:
    """The blind window when every record is of one task configuration, else None."""
    configs = {(r.config["generator"], tuple(sorted(r.config["knobs"].items())))
               for r in records}
    if len(configs) != 1:
        return None
    generator, knobs = configs.pop()
    return get_generator(generator)(**dict(knobs)).blind_samples


def grad_norm_by_layer(records: list[TrialRecord], path: str | Path,
                       depths: Iterable[int] | None = None) -> Path:
    """Gradient norm per layer (input side first), median over seeds: at initialisation
    (dashed) and at the end of training (solid). Vanishing gradients show as a slope.
    Depths as in `gradient_vs_lag`."""
    groups = _select(diagnosed(records), depths)
    if not groups:
        raise ToytasksError("no trial in these results has diagnostics (run with --diagnostics)")
    plt = pyplot()
    styles = arch_styles(arch for _, arch, _ in groups)  # a marker per arch, as elsewhere
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
                color, marker = styles[arch]
                ax.plot(layers, median[:-1], style, marker=marker, ms=4, color=color,
                        label=f"{arch} depth {depth}" if style == "-" else None)
        ax.set_yscale("log")
        ax.set_xlabel("layer (1 = input side; readout not shown)")
        ax.set_ylabel("gradient norm of the loss")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1))
        ax.set_title("per-layer gradient norm: dashed at initialisation, solid after training",
                     fontsize=9)
        fig.tight_layout()
        return save(fig, path)
