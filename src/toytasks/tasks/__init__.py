"""Task registry: CLI names are kebab-case and equal the registry keys."""

from __future__ import annotations

from toytasks.errors import ToytasksError
from toytasks.tasks.adding import Adding
from toytasks.tasks.associative_recall import AssociativeRecall
from toytasks.tasks.base import CLASSIFICATION, REGRESSION, Knob, Task
from toytasks.tasks.copy_memory import CopyMemory
from toytasks.tasks.cycle_pattern import CyclePattern
from toytasks.tasks.ecg_ectopy import EcgEctopy
from toytasks.tasks.ecg_rhythm import EcgRhythm
from toytasks.tasks.multiplication import Multiplication
from toytasks.tasks.selective_copy import SelectiveCopy
from toytasks.tasks.sparse_parity import SparseParity
from toytasks.tasks.temporal_order import TemporalOrder
from toytasks.tasks.xor_products import XorProducts

GENERATORS: dict[str, type[Task]] = {
    cls.name: cls for cls in (
        CyclePattern, CopyMemory, XorProducts,  # one architectural property each
        EcgEctopy, EcgRhythm,  # ECG-flavoured (docs/ecg.md)
        Adding, Multiplication, TemporalOrder, SparseParity,  # classic (docs/classic-tasks.md)
        SelectiveCopy, AssociativeRecall,  # content-based selection (docs/sequence-models.md)
    )
}


def get_generator(name: str) -> type[Task]:
    try:
        return GENERATORS[name]
    except KeyError:
        raise ToytasksError(
            f"unknown generator '{name}' (valid: {', '.join(sorted(GENERATORS))})"
        ) from None


__all__ = ["CLASSIFICATION", "GENERATORS", "REGRESSION", "Knob", "Task", "get_generator"]
