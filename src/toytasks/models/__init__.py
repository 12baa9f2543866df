"""Architecture registry: CLI names equal the registry keys.

Built-ins are one entry each in ``BUILTINS``. An architecture from outside is named by an
import path (``package.module:Class``) or by its entry point in the group
``toytasks.architectures`` (``toytasks.plugins``); it must subclass ``SequenceModel``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from toytasks import plugins
from toytasks.errors import ToytasksError
from toytasks.models.base import SequenceModel
from toytasks.models.conv import DilatedCNN, GatedCNN, PlainCNN, ResidualCNN
from toytasks.models.ecg_resnet import EcgResNet
from toytasks.models.linear_attention import LinearAttention
from toytasks.models.mamba import Mamba
from toytasks.models.recurrent import (
    GRU,
    LSTM,
    ChronoGRU,
    ChronoLSTM,
    ElmanRNN,
    ResidualLSTM,
)
from toytasks.models.s4d import S4D
from toytasks.models.transformer import CausalTransformer
from toytasks.tasks.base import Knob

BUILTINS: tuple[type[SequenceModel], ...] = (
    PlainCNN, DilatedCNN, ElmanRNN, LSTM, GRU, CausalTransformer, GatedCNN, ResidualCNN,
    ResidualLSTM, EcgResNet, ChronoLSTM, ChronoGRU,
    S4D, Mamba, LinearAttention,  # state-space and linear attention
)
ARCHITECTURES: dict[str, type[SequenceModel]] = {cls.arch: cls for cls in BUILTINS}


def get_architecture(name: str) -> type[SequenceModel]:
    """A built-in by name, else a plugin by import path or entry-point name."""
    if name in ARCHITECTURES:
        return ARCHITECTURES[name]
    return _plugin(name)


@lru_cache(maxsize=64)
def _plugin(name: str) -> type[SequenceModel]:
    try:
        cls = plugins.load(plugins.ARCH_GROUP, name)
    except KeyError:
        valid = ", ".join([*ARCHITECTURES, *plugins.registered(plugins.ARCH_GROUP)])
        raise ToytasksError(f"unknown architecture '{name}' (valid: {valid}; or an import "
                            "path package.module:Class)") from None
    if not issubclass(cls, SequenceModel):
        raise ToytasksError(f"architecture plugin '{name}': {plugins.qualified_name(cls)} is "
                            "not a subclass of toytasks.models.SequenceModel")
    missing = ", ".join(m for m in ("features",)
                        if getattr(cls, m) is getattr(SequenceModel, m))
    if missing:
        raise ToytasksError(f"architecture plugin '{name}': {plugins.qualified_name(cls)} "
                            f"does not implement {missing}")
    for knob in cls.knobs:
        if not isinstance(knob, Knob):
            raise ToytasksError(f"architecture plugin '{name}': knobs must be "
                                "toytasks.tasks.Knob records")
    return cls


def all_architectures() -> dict[str, type[SequenceModel]]:
    """Built-ins, then every registered plugin that loads (for `toytasks list`)."""
    found = dict(ARCHITECTURES)
    for name in plugins.registered(plugins.ARCH_GROUP):
        found.setdefault(name, _plugin(name))
    return found


def arch_origin(name: str) -> str:
    """'' for a built-in; 'module:Class dist==version' for a plugin (trial identity)."""
    cls = get_architecture(name)
    return "" if plugins.is_builtin(cls) else plugins.origin(cls)


def knob_schema(name: str) -> dict[str, Knob]:
    return {knob.name: knob for knob in get_architecture(name).knobs}


def check_arch_knobs(name: str, values: dict[str, Any], where: str = "") -> dict[str, Any]:
    """Values coerced by the architecture's knob schema; a one-line error otherwise."""
    schema = knob_schema(name)
    out = {}
    for key, value in values.items():
        if key not in schema:
            raise ToytasksError(f"{where + ': ' if where else ''}unknown knob '{key}' for "
                                f"architecture '{name}' (valid: {', '.join(schema) or 'none'})")
        out[key] = schema[key].validate(value, where)
    return out


def build_model(arch: str, n_inputs: int, n_outputs: int, depth: int, width: int,
                output_steps: int = 1, knobs: dict[str, Any] | None = None) -> SequenceModel:
    """``arch`` with its knobs (``gate_bias`` of a recurrent stack is one like any other)."""
    return get_architecture(arch)(n_inputs, n_outputs, depth, width, output_steps,
                                  **(knobs or {}))


__all__ = ["ARCHITECTURES", "SequenceModel", "build_model", "get_architecture"]
