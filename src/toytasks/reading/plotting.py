"""Shared drawing helpers: matplotlib imported lazily (a missing extra is a one-line error)
with the Agg backend, files written without dates or versions, a colour and a marker per
architecture.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES

FORMATS = ("png", "svg", "pdf")
RC = {"svg.hashsalt": "toytasks", "svg.fonttype": "path", "figure.dpi": 100,
      "axes.spines.top": False, "axes.spines.right": False, "font.size": 9}
METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None}}


def pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ToytasksError("plots need matplotlib: pip install 'toytasks[plots]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: str | Path) -> Path:
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
        pyplot().close(fig)
    return out


# 20 colours, distinct from each other (tab10, then black, navy, gold, magenta, ...),
# and 17 markers (matplotlib's 15 filled ones, then "x", "+"): every built-in architecture gets a
# colour and a marker of its own,
# so that two archs never share a look in one figure (lstm and mamba were both red).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#000080", "#e6ab02", "#ff00ff",
           "#556b2f", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p", "d", "H", "8", "x", "+")


def arch_styles(archs: Iterable[str]) -> dict[str, tuple[str, str]]:
    """(colour, marker) per architecture: fixed by registry order, the same in every
    figure; where that would repeat a colour or marker within one figure (architectures
    beyond the palette, plugins), the figure's own order is used instead."""
    order = list(ARCHITECTURES)
    names = sorted(set(archs), key=lambda a: (order.index(a) if a in order else len(order), a))
    index = [order.index(a) if a in order else len(order) + i for i, a in enumerate(names)]
    if len({i % len(PALETTE) for i in index}) < len(names) or \
            len({i % len(MARKERS) for i in index}) < len(names):
        index = list(range(len(names)))
    return {a: (PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)])
            for a, i in zip(names, index, strict=True)}


def arch_colors(archs: Iterable[str]) -> dict[str, str]:
    """A fixed colour per architecture (``arch_styles``), for figures without markers."""
    return {a: style[0] for a, style in arch_styles(archs).items()}
