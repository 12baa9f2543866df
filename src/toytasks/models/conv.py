"""Causal convolutional stacks: plain (`cnn`) and dilated (`tcn`).

Both are plain stacks of causal Conv1d (kernel 3) + ReLU with He initialisation; they
differ only in dilation, so their contrast isolates how the receptive field grows with
depth: 1 + 2*depth for `cnn`, 2**(depth+1) - 1 for `tcn` (dilation 2**layer).
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from toytasks.models.base import SequenceModel

KERNEL = 3


class CausalConv(nn.Module):
    def __init__(self, c_in: int, c_out: int, dilation: int) -> None:
        super().__init__()
        self.pad = (KERNEL - 1) * dilation
        self.conv = nn.Conv1d(c_in, c_out, KERNEL, dilation=dilation)
        nn.init.kaiming_normal_(self.conv.weight, nonlinearity="relu")
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, channels, time)
        return self.conv(F.pad(x, (self.pad, 0)))


class ConvStack(SequenceModel):
    family = "conv"
    dilation_base: ClassVar[int] = 1

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1) -> None:
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.layers = nn.ModuleList(
            CausalConv(n_inputs if i == 0 else width, width, self.dilation_base**i)
            for i in range(depth)
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = x.transpose(1, 2)
        for layer in self.layers:
            h = torch.relu(layer(h))
        return h.transpose(1, 2)

    @classmethod
    def receptive_field(cls, depth: int) -> int:
        return 1 + (KERNEL - 1) * sum(cls.dilation_base**i for i in range(depth))

    def body_flops(self, seq_len: int) -> float:
        macs = sum(
            layer.conv.in_channels * layer.conv.out_channels * KERNEL for layer in self.layers
        )
        return 2.0 * macs * seq_len


class PlainCNN(ConvStack):
    arch = "cnn"
    summary = "causal Conv1d k=3 + ReLU, dilation 1 (receptive field 1+2*depth)"
    dilation_base = 1


class DilatedCNN(ConvStack):
    arch = "tcn"
    summary = "causal Conv1d k=3 + ReLU, dilation 2**layer (receptive field 2**(depth+1)-1)"
    dilation_base = 2
