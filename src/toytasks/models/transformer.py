"""A causal Transformer encoder (pre-norm, sinusoidal positions, no dropout)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

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


def softmax_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Causal scaled dot-product attention (the fused CPU/GPU kernel, no explicit mask)."""
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


class CausalTransformer(SequenceModel):
    arch = "transformer"
    summary = "causal pre-norm Transformer encoder, sinusoidal positions, 4 heads, FFN 2*width"
    family = "attention"
    version = 2  # the block written out, attention without a mask (CHANGELOG.md)
    kernel = staticmethod(softmax_attention)
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

    def attend(self, layer: nn.TransformerEncoderLayer, x: torch.Tensor) -> torch.Tensor:
        """The layer's self-attention with ``kernel`` (batch, heads, time, d) -> same."""
        attn = layer.self_attn
        batch, seq_len, _ = x.shape
        qkv = F.linear(x, attn.in_proj_weight, attn.in_proj_bias)
        q, k, v = (t.view(batch, seq_len, self.heads, -1).transpose(1, 2)
                   for t in qkv.chunk(3, dim=-1))
        out = self.kernel(q, k, v).transpose(1, 2).reshape(batch, seq_len, self.width)
        return attn.out_proj(out)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pre-norm encoder layer's computation, written out, so that attention is
        causal by ``is_causal`` alone, with no (T x T) mask: through nn.TransformerEncoder
        with a mask a training step cost twice as much at T = 500 on CPU. The same
        outputs; gradients equal up to float32 rounding (tested; arch version 2)."""
        h = self.embed(x) + sinusoidal_positions(x.shape[1], self.width).to(x.device)
        for layer in self.encoder.layers:
            h = h + self.attend(layer, layer.norm1(h))
            h = h + layer.linear2(layer.activation(layer.linear1(layer.norm2(h))))
        return self.norm(h)

    def layer_groups(self) -> list[tuple[str, list[nn.Parameter]]]:
        blocks = [(f"block{i + 1}", list(layer.parameters()))
                  for i, layer in enumerate(self.encoder.layers)]
        return [("embed", list(self.embed.parameters())), *blocks,
                ("head", [*self.norm.parameters(), *self.head.parameters()])]

    def body_flops(self, seq_len: int) -> float:
        w = self.width
        per_layer = 4 * w * w * seq_len + 2 * seq_len * seq_len * w + 2 * w * 2 * w * seq_len
        return 2.0 * (self.n_inputs * w * seq_len + self.depth * per_layer)
