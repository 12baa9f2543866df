"""toytasks: controlled experiments on the minimal depth at which architectures solve tasks.

The Python API (``toytasks.run``, ``toytasks.run_sweep``, ``toytasks.load``; docs/api.md) is
imported on first use, so that ``import toytasks`` and ``toytasks --help`` stay fast.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["Results", "__version__", "load", "run", "run_sweep"]


def __getattr__(name: str) -> Any:
    if name in ("run", "run_sweep", "load", "Results"):
        from toytasks import api

        return getattr(api, name)
    raise AttributeError(f"module 'toytasks' has no attribute {name!r}")
