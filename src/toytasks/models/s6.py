"""`s6`: the selective SSM (S6) of Gu & Dao 2023, in the same block as `s4d`.

Per channel h and state n, with the step size and B, C computed from the input at step t:

    dt_t = softplus(W_dt (W_x u_t)[:R] + b_dt)            (per channel, rank R = ceil(H/16))
    B_t, C_t = (W_x u_t)[R:R+N], (W_x u_t)[R+N:]           (shared by all channels)
    x_t = exp(dt_t A) * x_{t-1} + dt_t B_t u_t,   y_t = C_t . x_t + D u_t

A is diagonal and real with the S4D-Real init A_hn = -(n+1); b_dt makes softplus(b_dt)
log-uniform in [1e-3, 1e-1]; D = 1. This is Mamba's selective_scan_ref, computed by the
chunked scan of ``selective_scan`` (equal to the sequential recurrence up to float32
rounding, tested; no custom kernel).

Because dt, B and C depend on u_t, the layer can decide per token what enters and what
leaves the state, e.g. ignore noise tokens (selective copying). With dt, B and C held at
constants it is a linear time-invariant SSM again (tested): selection is the one property
that distinguishes it from `s4d`, whose block and shared modules it shares (`ssm.py`).
This is the "no gate, S6" row of Gu & Dao's Table 1. Until arch version 2 of `mamba`
(CHANGELOG.md), this model was called `mamba`; `mamba` is now the whole Mamba block.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from toytasks.models.selective_scan import padded_length, selective_scan
from toytasks.models.ssm import Mixer, SSMStack

STATE_SIZE = 16  # N, Mamba's default
DT_MIN, DT_MAX = 1e-3, 1e-1


class SelectiveSSM(nn.Module):
    """The S6 parameters and their init (shared by `s6` and `mamba`): the projection of
    dt, B and C from the input, A (S4D-Real) and the skip D, for ``channels`` channels
    whose step size has rank ``rank``."""

    def __init__(self, channels: int, rank: int, state_size: int = STATE_SIZE) -> None:
        super().__init__()
        self.rank, self.state_size = rank, state_size
        self.x_proj = nn.Linear(channels, rank + 2 * state_size, bias=False)
        self.dt_proj = nn.Linear(rank, channels)
        nn.init.uniform_(self.dt_proj.weight, -rank**-0.5, rank**-0.5)
        dt = torch.exp(torch.rand(channels) * (math.log(DT_MAX) - math.log(DT_MIN))
                       + math.log(DT_MIN))
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # softplus^-1(dt)
        a = torch.arange(1, state_size + 1, dtype=torch.float32).repeat(channels, 1)
        self.A_log = nn.Parameter(torch.log(a))
        self.D = nn.Parameter(torch.ones(channels))

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        r, n = self.rank, self.state_size
        dt_in, B, C = self.x_proj(u).split([r, n, n], dim=-1)
        dt = F.softplus(self.dt_proj(dt_in))                     # (batch, time, H)
        return selective_scan(dt, -self.A_log.exp(), B, C, u) + u * self.D

    def flop_terms(self, seq_len: int) -> dict[str, float]:
        """Per sequence. 'dense' (contractions): the projections of dt, B and C. 'scan':
        per step, channel and state the discretisation (dt*A, exp, dt*B*u), two updates
        x*a + b (the chunked scan runs each chunk twice) and the readout C.x, ~11 over the
        scan's padded length, plus the skip and softplus per channel."""
        h, r, n = self.D.numel(), self.rank, self.state_size
        dense = 2.0 * seq_len * (h * (r + 2 * n) + r * h)
        return {"dense": dense,
                "scan": 11.0 * padded_length(seq_len) * h * n + 6.0 * seq_len * h}


class SelectiveMixer(SelectiveSSM, Mixer):
    """S6 on the block's channels, dt rank ceil(H/16) as in Mamba."""

    def __init__(self, channels: int, state_size: int = STATE_SIZE) -> None:
        super().__init__(channels, math.ceil(channels / 16), state_size)


class S6(SSMStack):
    arch = "s6"
    summary = ("selective SSM (S6: input-dependent dt, B, C; N=16), chunked scan, "
               "s4d's block")
    isolates = ("s4d", "input-dependent selection (step size, B and C depend on the token)")

    def make_mixer(self, width: int) -> Mixer:
        return SelectiveMixer(width)
