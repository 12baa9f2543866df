"""A small architecture: causal depthwise-conv token mixing + a channel MLP per layer."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from toytasks.models import SequenceModel
from toytasks.tasks import Knob


class MiniMixer(SequenceModel):
    arch = "mini-mixer"
    summary = "causal depthwise conv (kernel k) + channel MLP, residual"
    family = "conv"
    knobs = (Knob("kernel", int, 4, "depthwise kernel size", "samples", 2, 64),)

    def __init__(self, n_inputs, n_outputs, depth, width, output_steps=1, kernel=4):
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.kernel = kernel
        self.embed = nn.Linear(n_inputs, width)
        self.mix = nn.ModuleList(nn.Conv1d(width, width, kernel, groups=width)
                                 for _ in range(depth))
        self.mlp = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        for mix, mlp in zip(self.mix, self.mlp, strict=True):
            mixed = mix(F.pad(h.transpose(1, 2), (self.kernel - 1, 0))).transpose(1, 2)
            h = h + torch.relu(mlp(mixed))
        return h

    @classmethod
    def receptive_field(cls, depth, kernel=4, **_):
        return 1 + (kernel - 1) * depth
