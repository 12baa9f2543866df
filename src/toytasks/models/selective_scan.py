"""The selective scan of S6 (`s6`, `mamba`): a sequential reference and a chunked form.

Per channel h and state n, with input-dependent step dt, B and C (Gu & Dao 2023):

    x_t = exp(dt_t A) * x_{t-1} + dt_t B_t u_t,   y_t = C_t . x_t

``sequential_scan`` is the recurrence as written: one step of tiny tensor ops per time step,
so a step of training costs O(T) Python-level operations (and as many autograd nodes).

``chunked_scan`` computes the same numbers with about 2 sqrt(T) + sqrt(T) steps. The
sequence is cut into K chunks of L steps (L ~ sqrt(T)), and every loop below runs over all
chunks at once, on (batch, K, H, N) slices of ~0.5M numbers (about 2 MB at T = 1,000):

1. every chunk scans its own L steps from a zero state, which gives each chunk's end state;
2. the true state at each chunk start is carried across chunks, sequentially (K tiny
   steps), with the chunk's whole decay exp((sum of its dt) A);
3. every chunk scans its L steps again from its true start state, reading y out per step.

Nothing of size (batch, T, H, N) is ever allocated at once (on this machine a fresh 64 MB
tensor costs ten times the arithmetic done on it, in page faults), and the decays are only
ever products of factors in [0, 1], as in the sequential scan: they underflow to 0 where it
does and never overflow. (The log-space form exp(S_t) * cumsum(exp(-S_s) b_s), one cumsum
per chunk, overflows in float32 once a chunk decays by ~88 nats, which a trained dt reaches
in a single step, so it is not used.) The two scans differ by float32 rounding only (the
sums are added in another order; tested).
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F


def chunk_length(seq_len: int) -> int:
    """Steps per chunk: ~sqrt(T) balances the in-chunk and the across-chunk loops."""
    return max(1, math.ceil(math.sqrt(seq_len)))


def padded_length(seq_len: int) -> int:
    """The length the chunked scan works on (T rounded up to whole chunks)."""
    length = chunk_length(seq_len)
    return -(-seq_len // length) * length


def sequential_scan(dt: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor,
                    u: torch.Tensor) -> torch.Tensor:
    """y (batch, time, H) from dt, u (batch, time, H), A (H, N), B, C (batch, time, N)."""
    # Time-major and contiguous, so that each step reads one contiguous slice.
    dt_t, B_t, u_t = (v.transpose(0, 1).contiguous() for v in (dt, B, u))
    decay = torch.exp(dt_t[..., None] * A)                    # (time, batch, H, N)
    drive = (dt_t * u_t)[..., None] * B_t[:, :, None, :]     # (time, batch, H, N)
    # unbind once: indexing drive[t] per step would make the backward pass build a
    # full-size gradient per step (quadratic in the sequence length).
    state, states = torch.zeros_like(drive[0]), []
    for a, b in zip(decay.unbind(0), drive.unbind(0), strict=True):
        state = torch.addcmul(b, a, state)
        states.append(state)
    return torch.einsum("tbhn,btn->bth", torch.stack(states), C)


def chunked_scan(dt: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor,
                 u: torch.Tensor) -> torch.Tensor:
    """The same y as ``sequential_scan`` in ~3 sqrt(T) steps (module docstring)."""
    batch, seq_len, channels = u.shape
    length = chunk_length(seq_len)
    padded = padded_length(seq_len)
    # Padding steps have dt = 0 (decay 1) and no input: they follow the real ones and
    # their outputs are dropped, so they change nothing (causal).
    dt, u, B, C = (F.pad(v, (0, 0, 0, padded - seq_len)) for v in (dt, u, B, C))
    chunks = padded // length

    def by_position(v: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(batch, time, c) -> per position in the chunk, (batch, chunk, c) contiguous."""
        return v.view(batch, chunks, length, -1).permute(2, 0, 1, 3).contiguous().unbind(0)

    decays, drives = [], []
    for d, x, b in zip(by_position(dt), by_position(u), by_position(B), strict=True):
        decays.append(torch.exp(d[..., None] * A))                    # (batch, K, H, N)
        drives.append((d * x)[..., None] * b[..., None, :])
    # 1. Each chunk from a zero state: its end state. (``b + a * x`` rather than addcmul:
    # addcmul's backward spends one more full pass multiplying by its scale, 1.)
    state = drives[0]
    for a, b in zip(decays[1:], drives[1:], strict=True):
        state = b + a * state
    # 2. The true start state of each chunk, carried across chunks.
    whole = torch.exp(dt.view(batch, chunks, length, -1).sum(2)[..., None] * A)
    carried = torch.zeros_like(state[:, 0])
    starts = [carried]
    for a, b in zip(whole.unbind(1)[:-1], state.unbind(1)[:-1], strict=True):
        carried = b + a * carried
        starts.append(carried)
    # 3. Each chunk again from its true start, read out per step (a product and a sum:
    # as an einsum, its backward is a batched matmul of outer products, 2x slower here).
    state, ys = torch.stack(starts, dim=1), []
    for a, b, c in zip(decays, drives, by_position(C), strict=True):
        state = b + a * state
        ys.append((state * c[..., None, :]).sum(-1))
    y = torch.stack(ys, dim=2).view(batch, padded, channels)
    return y[:, :seq_len]


selective_scan = chunked_scan
