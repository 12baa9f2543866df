"""Shared drawing helpers: matplotlib imported lazily (a missing extra is a one-line error)
with the Agg backend, files written without dates or versions, a colour per architecture.
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


def arch_colors(archs: Iterable[str]) -> dict[str, str]:
    """A fixed colour per architecture (registry order), the same in every figure."""
    order = list(ARCHITECTURES)
    names = sorted(set(archs), key=lambda a: (order.index(a) if a in order else len(order), a))
    return {a: f"C{(order.index(a) if a in order else len(order) + i) % 10}"
            for i, a in enumerate(names)}
