"""Pictures of a task's classes, with the span and blind windows marked.

A figure of examples per class is the quickest way to check by eye what a task claims:
the blind window (shaded grey) should look alike in both classes, and the difference
should sit inside the span (between the dashed line and the blind window). Needs
matplotlib (the optional ``[plots]`` extra); it uses the Agg backend, no display.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toytasks.errors import ToytasksError
from toytasks.tasks import CLASSIFICATION, Task


def _pyplot():  # imported lazily: matplotlib is optional
    try:
        import matplotlib
    except ImportError:
        raise ToytasksError("plots need matplotlib: pip install 'toytasks[plots]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def class_examples(task: Task, per_class: int, seed: int = 0) -> dict[int, np.ndarray]:
    """``per_class`` inputs (T, C) of each class of the first target, drawn in order."""
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


def plot_class_examples(task: Task, path: str | Path, per_class: int = 2, seed: int = 0,
                        class_names: dict[int, str] | None = None, title: str = "",
                        sampling_hz: float | None = None) -> Path:
    """Write a PNG with ``per_class`` examples of each class, windows marked; return its path.

    With ``sampling_hz`` the x axis is in seconds before the end, else in samples.
    """
    plt = _pyplot()
    examples = class_examples(task, per_class, seed)
    names = class_names or {c: f"class {c}" for c in examples}
    t_len = task.seq_len
    scale = 1.0 / sampling_hz if sampling_hz else 1.0
    xs = (np.arange(t_len) - (t_len - 1)) * scale
    rows = len(examples) * per_class
    fig, axes = plt.subplots(rows, 1, figsize=(10, 1.5 * rows + 0.6), sharex=True, squeeze=False)
    for row, (cls, xcls) in enumerate((c, x) for c, xs_ in examples.items() for x in xs_):
        ax = axes[row, 0]
        ax.plot(xs, xcls[:, 0], lw=1.0, color="C0" if cls else "C3", marker=".", ms=2)
        ax.axvspan(xs[t_len - task.blind_samples] - scale / 2 if task.blind_samples else
                   xs[-1] + scale / 2, xs[-1] + scale / 2, color="0.85", zorder=0)
        ax.axvline(xs[max(0, t_len - task.span_samples)] - scale / 2, color="k", ls="--", lw=0.8)
        ax.set_ylabel(names[cls], rotation=0, ha="right", va="center", fontsize=9)
        ax.tick_params(labelsize=8)
    unit = "seconds before the end" if sampling_hz else "samples before the end"
    axes[-1, 0].set_xlabel(f"{unit}  (grey: blind window, {task.blind_samples} samples; "
                           f"dashed: start of the span, {task.span_samples} samples)", fontsize=9)
    fig.suptitle(title or task.name, fontsize=11)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
