"""Task registry: CLI names are kebab-case and equal the registry keys.

Built-ins are one entry each in ``GENERATORS``. A generator from outside is named by an
import path (``package.module:Class``) or by its entry point in the group ``toytasks.tasks``
(``toytasks.plugins``); it must subclass ``Task``.
"""

from __future__ import annotations

import inspect
from functools import lru_cache

from toytasks import plugins
from toytasks.errors import ToytasksError
from toytasks.tasks.adding import Adding
from toytasks.tasks.associative_recall import AssociativeRecall
from toytasks.tasks.base import CLASSIFICATION, REGRESSION, Knob, Task
from toytasks.tasks.beat_flips import BeatFlips
from toytasks.tasks.copy_memory import CopyMemory
from toytasks.tasks.cycle_pattern import CyclePattern
from toytasks.tasks.ecg_ectopy import EcgEctopy
from toytasks.tasks.ecg_rhythm import EcgRhythm
from toytasks.tasks.multiplication import Multiplication
from toytasks.tasks.selective_copy import SelectiveCopy
from toytasks.tasks.sparse_parity import SparseParity
from toytasks.tasks.temporal_order import TemporalOrder
from toytasks.tasks.xor_count import XorCount
from toytasks.tasks.xor_products import XorProducts

GENERATORS: dict[str, type[Task]] = {
    cls.name: cls for cls in (
        CyclePattern, CopyMemory, XorProducts,  # one architectural property each
        EcgEctopy, EcgRhythm,  # ECG-flavoured (docs/ecg.md)
        Adding, Multiplication, TemporalOrder, SparseParity,  # classic (docs/classic-tasks.md)
        SelectiveCopy, AssociativeRecall,  # content-based selection (docs/sequence-models.md)
        XorCount, BeatFlips,  # when stacked recurrent layers help (docs/tasks.md)
    )
}


def get_generator(name: str) -> type[Task]:
    """A built-in by name, else a plugin by import path or entry-point name."""
    if name in GENERATORS:
        return GENERATORS[name]
    return _plugin(name)


@lru_cache(maxsize=64)
def _plugin(name: str) -> type[Task]:
    try:
        cls = plugins.load(plugins.TASK_GROUP, name)
    except KeyError:
        valid = ", ".join(sorted([*GENERATORS, *plugins.registered(plugins.TASK_GROUP)]))
        raise ToytasksError(f"unknown generator '{name}' (valid: {valid}; or an import path "
                            "package.module:Class)") from None
    if not issubclass(cls, Task):
        raise ToytasksError(f"task plugin '{name}': {plugins.qualified_name(cls)} is not a "
                            "subclass of toytasks.tasks.Task")
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        raise ToytasksError(f"task plugin '{name}': {plugins.qualified_name(cls)} does not "
                            f"implement {missing}")
    if not isinstance(getattr(cls, "knobs", None), tuple) or not all(
            isinstance(k, Knob) for k in cls.knobs):
        raise ToytasksError(f"task plugin '{name}': 'knobs' must be a tuple of "
                            "toytasks.tasks.Knob")
    return cls


def generator_origin(name: str) -> str:
    """'' for a built-in; 'module:Class dist==version' for a plugin (trial identity)."""
    cls = get_generator(name)
    return "" if plugins.is_builtin(cls) else plugins.origin(cls)


__all__ = ["CLASSIFICATION", "GENERATORS", "REGRESSION", "Knob", "Task", "generator_origin",
           "get_generator"]
