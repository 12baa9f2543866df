"""Architecture registry: CLI names equal the registry keys.

Built-ins are one entry each in ``BUILTINS``. An architecture from outside is named by an
import path (``package.module:Class``) or by its entry point in the group
``toytasks.architectures`` (``toytasks.plugins``); it must subclass ``SequenceModel``.

A *variant* is an architecture with some of its knobs fixed, named ``ARCH@KNOB=V@KNOB=V``
(``cnn@kernel=7``, ``pkg.mod:Net@width_mult=2``): runs train several variants of one
architecture side by side, each its own row. A variant's knobs enter a trial's identity
exactly as ``--set ARCH.KNOB=V`` does, so both spellings address the same trials.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from toytasks import plugins
from toytasks.errors import ToytasksError
from toytasks.models.base import SequenceModel
from toytasks.models.conv import DilatedCNN, GatedCNN, PlainCNN, ResidualCNN
from toytasks.models.ecg_resnet import EcgResNet
from toytasks.models.ecg_resnet_hannun import EcgResNetHannun
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
from toytasks.models.s6 import S6
from toytasks.models.transformer import CausalTransformer
from toytasks.tasks.base import Knob

BUILTINS: tuple[type[SequenceModel], ...] = (
    PlainCNN, DilatedCNN, ElmanRNN, LSTM, GRU, CausalTransformer, GatedCNN, ResidualCNN,
    ResidualLSTM, EcgResNet, ChronoLSTM, ChronoGRU,
    S4D, Mamba, LinearAttention,  # state-space and linear attention
    S6,  # the registry order fixes each arch's figure style: new ones go last
    EcgResNetHannun,
)
ARCHITECTURES: dict[str, type[SequenceModel]] = {cls.arch: cls for cls in BUILTINS}


VARIANT_SEP = "@"


def base_arch(name: str) -> str:
    """The architecture of a variant name ('cnn@kernel=7' -> 'cnn'; 'cnn' -> 'cnn')."""
    return name.split(VARIANT_SEP, 1)[0].strip()


def split_variant(name: str, where: str = "") -> tuple[str, dict[str, str]]:
    """'cnn@kernel=7@dilation=2' -> ('cnn', {'kernel': '7', 'dilation': '2'}), unchecked
    values; a one-line error naming the variant when it is malformed."""
    base, *parts = [p.strip() for p in name.split(VARIANT_SEP)]
    prefix = f"{where}: " if where else ""
    if not base:
        raise ToytasksError(f"{prefix}variant '{name}' names no architecture before '@'")
    raw: dict[str, str] = {}
    for part in parts:
        knob, sep, value = (s.strip() for s in part.partition("="))
        if not sep or not knob or not value:
            raise ToytasksError(f"{prefix}variant '{name}': write each knob as "
                                f"@KNOB=VALUE, got '@{part}'")
        if knob in raw:
            raise ToytasksError(f"{prefix}variant '{name}' sets knob '{knob}' twice")
        raw[knob] = value
    return base, raw


def variant_knobs(name: str, where: str = "") -> dict[str, Any]:
    """The knobs a variant name fixes, validated by its architecture's schema."""
    base, raw = split_variant(name, where)
    return check_arch_knobs(base, raw, f"{where}: {name}" if where else name) if raw else {}


def variant_name(arch: str, knobs: dict[str, Any]) -> str:
    """The name of ``arch`` with ``knobs`` fixed, knobs in alphabetical order: what a row
    is called, and what to type to train it again ('cnn@dilation=2@kernel=7')."""
    return "".join([arch, *(f"{VARIANT_SEP}{k}={_value_text(v)}"
                            for k, v in sorted(knobs.items()))])


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):  # repr round-trips; '1.0' reads as '1'
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def get_architecture(name: str) -> type[SequenceModel]:
    """A built-in by name, else a plugin by import path or entry-point name (a variant
    name gives its architecture: its knobs travel separately, ``variant_knobs``)."""
    name = base_arch(name)
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


def all_architectures(broken: dict[str, str] | None = None) -> dict[str, type[SequenceModel]]:
    """Built-ins, then every registered plugin that loads (for `toytasks list`). With
    ``broken``, a plugin that does not load is put there (name -> its one-line error) and
    the others are still listed; a plugin named like a built-in is hidden by it."""
    found = dict(ARCHITECTURES)
    for name in plugins.registered(plugins.ARCH_GROUP):
        if name in found:
            continue
        try:
            found[name] = _plugin(name)
        except ToytasksError as exc:
            if broken is None:
                raise
            broken[name] = str(exc)
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


__all__ = ["ARCHITECTURES", "SequenceModel", "base_arch", "build_model", "get_architecture",
           "split_variant", "variant_knobs", "variant_name"]
