"""A causal Transformer encoder (pre-norm, sinusoidal positions, no dropout)."""

from __future__ import annotations

import math

import torch
from torch import nn

from toytasks.errors import ToytasksError
from toytasks.models.base import SequenceModel
from toytasks.tasks.base import Knob

HEADS = 4


def sinusoidal_positions(seq_len: int, width: int) -> torch.Tensor:
    position = torch.arange(seq_len, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(1e4) / width))
    table = torch.zeros(seq_len, width)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq)[:, : width // 2]
    return table


class CausalTransformer(SequenceModel):
    arch = "transformer"
    summary = "causal pre-norm Transformer encoder, sinusoidal positions, 4 heads, FFN 2*width"
    family = "attention"
    knobs = (Knob("heads", int, HEADS, "attention heads (must divide the width; the default "
                  "falls back to 1 head when 4 does not)", "", 1, 64),)

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1, heads: int = HEADS) -> None:
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        if width % heads and heads != HEADS:
            raise ToytasksError(f"transformer: heads={heads} does not divide width {width}")
        self.heads = heads if width % heads == 0 else 1
        self.embed = nn.Linear(n_inputs, width)
        layer = nn.TransformerEncoderLayer(
            width, self.heads, dim_feedforward=2 * width, dropout=0.0, batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        seq_len = x.shape[1]
        h = self.embed(x) + sinusoidal_positions(seq_len, self.width).to(x.device)
        mask = nn.Transformer.generate_square_subsequent_mask(seq_len, device=x.device)
        return self.norm(self.encoder(h, mask=mask, is_causal=True))

    def layer_groups(self) -> list[tuple[str, list[nn.Parameter]]]:
        blocks = [(f"block{i + 1}", list(layer.parameters()))
                  for i, layer in enumerate(self.encoder.layers)]
        return [("embed", list(self.embed.parameters())), *blocks,
                ("head", [*self.norm.parameters(), *self.head.parameters()])]

    def body_flops(self, seq_len: int) -> float:
        w = self.width
        per_layer = 4 * w * w * seq_len + 2 * seq_len * seq_len * w + 2 * w * 2 * w * seq_len
        return 2.0 * (self.n_inputs * w * seq_len + self.depth * per_layer)
