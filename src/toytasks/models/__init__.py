"""Architecture registry: CLI names equal the registry keys."""

from __future__ import annotations

from typing import Any

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
    RecurrentStack,
    ResidualLSTM,
)
from toytasks.models.s4d import S4D
from toytasks.models.transformer import CausalTransformer

ARCHITECTURES: dict[str, type[SequenceModel]] = {
    cls.arch: cls for cls in (PlainCNN, DilatedCNN, ElmanRNN, LSTM, GRU, CausalTransformer,
                              GatedCNN, ResidualCNN, ResidualLSTM, EcgResNet,
                              ChronoLSTM, ChronoGRU,
                              S4D, Mamba, LinearAttention)  # state-space and linear attention
}


def get_architecture(name: str) -> type[SequenceModel]:
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ToytasksError(
            f"unknown architecture '{name}' (valid: {', '.join(ARCHITECTURES)})"
        ) from None


def build_model(arch: str, n_inputs: int, n_outputs: int, depth: int, width: int,
                output_steps: int = 1, gate_bias: float | None = None) -> SequenceModel:
    cls = get_architecture(arch)
    kwargs: dict[str, Any] = {}
    if issubclass(cls, RecurrentStack) and gate_bias is not None:
        kwargs["gate_bias"] = gate_bias
    return cls(n_inputs, n_outputs, depth, width, output_steps, **kwargs)


__all__ = ["ARCHITECTURES", "SequenceModel", "build_model", "get_architecture"]
