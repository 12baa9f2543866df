"""`mamba`: the Mamba block of Gu & Dao 2023 ("Mamba: Linear-Time Sequence Modeling with
Selective State Spaces", Fig. 3), in the pre-norm residual stack of `s4d` and `s6`.

One layer, for a block input u of width H and inner width E = 2H (expansion 2):

    x, z = split(W_in u)                       (no bias; 2E outputs)
    x = SiLU(causal depthwise conv1d(x))       (kernel 4, with bias, per channel)
    y = S6(x)                                  (selective scan with D skip, as in `s6`,
                                                on E channels, dt rank ceil(H/16))
    out = W_out (y * SiLU(z))                  (no bias)

and h <- h + out(LayerNorm(h)), with no MLP between blocks (a Mamba block is both mixer
and MLP). Init as the reference implementation (state-spaces/mamba, mamba_simple.py and
its model's _init_weights): PyTorch's default Linear/Conv1d init, S4D-Real A, softplus(dt
bias) log-uniform in [1e-3, 1e-1], D = 1, and W_out scaled by 1/sqrt(depth) (GPT-2's
residual rescaling). The reference's dt floor (1e-4) never binds for dt >= 1e-3.

Against `s6` (its base in the ablation table) it adds the block around the scan: the
expansion, the short convolution (a local, input-independent mixing of the last 4 steps)
and the multiplicative SiLU gate, which replace s6's GELU + GLU output. Arch version 2: the
`mamba` of version 1 was what is now `s6`, and trials of the two never share a key.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from toytasks.models.s6 import STATE_SIZE, SelectiveSSM
from toytasks.models.ssm import Mixer, SSMStack

EXPAND, CONV_KERNEL = 2, 4


class MambaMixer(Mixer):
    def __init__(self, width: int, state_size: int = STATE_SIZE) -> None:
        super().__init__()
        inner = EXPAND * width
        self.in_proj = nn.Linear(width, 2 * inner, bias=False)
        self.conv1d = nn.Conv1d(inner, inner, CONV_KERNEL, groups=inner)
        self.ssm = SelectiveSSM(inner, math.ceil(width / 16), state_size)
        self.out_proj = nn.Linear(inner, width, bias=False)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        x, z = self.in_proj(u).chunk(2, dim=-1)
        # Causal: pad K - 1 steps on the left only, so step t sees steps t-3..t.
        x = self.conv1d(F.pad(x.transpose(1, 2), (CONV_KERNEL - 1, 0))).transpose(1, 2)
        return self.out_proj(self.ssm(F.silu(x)) * F.silu(z))

    def flop_terms(self, seq_len: int) -> dict[str, float]:
        """Per sequence. 'dense' (what torch's counter sees): the in/out projections, the
        depthwise convolution (2 K per channel and step) and S6's contractions. 'scan': S6's
        elementwise work; 'elementwise': the conv bias, SiLU of x and z, and the gate."""
        width, inner = self.out_proj.out_features, self.out_proj.in_features
        terms = self.ssm.flop_terms(seq_len)
        terms["dense"] += 2.0 * seq_len * (width * 2 * inner + CONV_KERNEL * inner
                                           + inner * width)
        terms["elementwise"] = 10.0 * seq_len * inner
        return terms


class Mamba(SSMStack):
    arch = "mamba"
    version = 2
    summary = ("Mamba block (Gu & Dao 2023): expansion 2, causal conv1d (k=4), SiLU, S6 "
               "(N=16, chunked scan), SiLU(z) gate; pre-norm residual")
    isolates = ("s6", "the Mamba block around S6: expansion 2, short causal convolution "
                "and SiLU gate instead of GELU + GLU")
    glu_output = False

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1) -> None:
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        with torch.no_grad():
            for mixer in self.mixers:
                mixer.out_proj.weight /= math.sqrt(depth)

    def make_mixer(self, width: int) -> Mixer:
        return MambaMixer(width)
