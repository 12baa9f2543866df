"""Recurrent stacks: Elman `rnn`, `lstm`, `gru` (``depth`` = stacked layers).

Initialisation is part of the architecture: with PyTorch's default init a 1-layer LSTM
stays at chance on simple memory tasks for thousands of steps, so a "minimal depth" would
measure an optimisation failure. LSTM forget-gate and GRU update-gate biases are set to
``gate_bias`` (default 3: remember by default); the Elman RNN has no gate and keeps
PyTorch's default init.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from toytasks.models.base import SequenceModel

DEFAULT_GATE_BIAS = 3.0


class RecurrentStack(SequenceModel):
    family = "recurrent"
    cell: ClassVar[type[nn.RNNBase]]
    gates: ClassVar[int]
    memory_gate: ClassVar[int | None] = None  # chunk of the bias that means "keep the state"

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1, gate_bias: float = DEFAULT_GATE_BIAS) -> None:
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.gate_bias = gate_bias
        self.rnn = self.cell(n_inputs, width, num_layers=depth, batch_first=True)
        if self.memory_gate is not None:
            with torch.no_grad():
                for layer in range(depth):
                    gate = slice(self.memory_gate * width, (self.memory_gate + 1) * width)
                    getattr(self.rnn, f"bias_ih_l{layer}")[gate] = gate_bias
                    getattr(self.rnn, f"bias_hh_l{layer}")[gate] = 0.0

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]

    def body_flops(self, seq_len: int) -> float:
        macs = sum(
            (self.n_inputs if layer == 0 else self.width) * self.width + self.width**2
            for layer in range(self.depth)
        )
        return 2.0 * macs * self.gates * seq_len


class ElmanRNN(RecurrentStack):
    arch = "rnn"
    summary = "Elman tanh RNN (no gates, no multiplicative interaction)"
    cell = nn.RNN
    gates = 1


class LSTM(RecurrentStack):
    arch = "lstm"
    summary = "LSTM, forget-gate bias = gate_bias"
    cell = nn.LSTM
    gates = 4
    memory_gate = 1  # PyTorch gate order: input, forget, cell, output


class GRU(RecurrentStack):
    arch = "gru"
    summary = "GRU, update-gate bias = gate_bias"
    cell = nn.GRU
    gates = 3
    memory_gate = 1  # PyTorch gate order: reset, update, new; h' = (1-z)*n + z*h
