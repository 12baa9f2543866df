"""The state-space stack shared by `s4d`, `s6` and `mamba`: only the sequence mixer differs.

One layer is the block of the S4D paper (Gu et al. 2022, "On the Parameterization and
Initialization of Diagonal State Space Models", its standalone example): a sequence mixer
(one SSM per channel, plus a skip D*u), GELU, a position-wise Linear(H, 2H) with a GLU, and
a residual connection, here pre-norm (LayerNorm before the block, one more after the stack,
as the `transformer` here). Gu & Dao (2023, Table 1) compare S4 and their selective S6
inside exactly such a "no gate" block, which is what makes `s4d` vs `s6` a one-property
pair: the mixer is linear and time-invariant in one, input-dependent in the other. `mamba`
keeps the stack (encoder, pre-norm residual, final norm) but its mixer is the whole Mamba
block, which gates and projects its own output, so it has no GELU + GLU (``glu_output``).

All shared modules (encoder, norms, GLU outputs) are built before any mixer, so at the same
seed two stacks that differ only in their mixer have identical shared parameters.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from toytasks.models.base import SequenceModel


class Mixer(nn.Module):
    """(batch, time, channels) -> (batch, time, channels), causal, one SSM per channel."""

    def flop_terms(self, seq_len: int) -> dict[str, float]:
        """Forward FLOPs for one sequence, by kind: 'dense' (matmuls), 'elementwise'."""
        raise NotImplementedError(f"{type(self).__name__} must implement flop_terms")


class SSMStack(SequenceModel):
    family = "ssm"
    # Each layer ends in GELU, Linear(H, 2H) and a GLU (the S4D block); False when the mixer
    # is a whole block that gates and projects its own output (Mamba).
    glu_output: ClassVar[bool] = True

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1) -> None:
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.encoder = nn.Linear(n_inputs, width)
        self.norms = nn.ModuleList(nn.LayerNorm(width) for _ in range(depth))
        if self.glu_output:
            self.outputs = nn.ModuleList(nn.Linear(width, 2 * width) for _ in range(depth))
        self.final_norm = nn.LayerNorm(width)
        self.mixers = nn.ModuleList(self.make_mixer(width) for _ in range(depth))

    def make_mixer(self, width: int) -> Mixer:
        raise NotImplementedError(f"{type(self).__name__} must implement make_mixer")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encoder(x)
        for i, (norm, mixer) in enumerate(zip(self.norms, self.mixers, strict=True)):
            y = mixer(norm(h))
            h = h + (F.glu(self.outputs[i](F.gelu(y)), dim=-1) if self.glu_output else y)
        return self.final_norm(h)

    def layer_groups(self) -> list[tuple[str, list[nn.Parameter]]]:
        groups = []
        for i in range(self.depth):
            modules = [self.norms[i], self.mixers[i]]
            if self.glu_output:
                modules.append(self.outputs[i])
            if i == 0:
                modules.insert(0, self.encoder)
            groups.append((f"{self.arch}{i + 1}", [p for m in modules for p in m.parameters()]))
        return [*groups, ("head", [*self.final_norm.parameters(), *self.head.parameters()])]

    def flop_terms(self, seq_len: int) -> dict[str, float]:
        """Forward FLOPs of the feature stack by kind; 'dense' is what a matmul counter sees."""
        w = self.width
        glu = self.depth * w * 2 * w if self.glu_output else 0
        terms = {"dense": 2.0 * seq_len * (self.n_inputs * w + glu)}
        # LayerNorms, GELU, GLU, residual adds: a few operations per element, counted as 10.
        terms["elementwise"] = 10.0 * seq_len * w * (self.depth + 1)
        for mixer in self.mixers:
            for kind, flops in mixer.flop_terms(seq_len).items():
                terms[kind] = terms.get(kind, 0.0) + flops
        return terms

    def body_flops(self, seq_len: int) -> float:
        return sum(self.flop_terms(seq_len).values())
