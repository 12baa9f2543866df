"""`mamba` (the Mamba block) against a plain reference written here, and the chunked
selective scan against the sequential recurrence."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from toytasks.models import ARCHITECTURES, build_model
from toytasks.models.selective_scan import (
    chunk_length,
    chunked_scan,
    padded_length,
    sequential_scan,
)


def scan_inputs(batch, seq_len, channels, state, seed=0, dt_shift=-2.0):
    g = torch.Generator().manual_seed(seed)
    dt = F.softplus(torch.randn(batch, seq_len, channels, generator=g) + dt_shift)
    A = -torch.rand(channels, state, generator=g) * 16 - 0.5
    B, C = (torch.randn(batch, seq_len, state, generator=g) for _ in range(2))
    u = torch.randn(batch, seq_len, channels, generator=g)
    return [t.requires_grad_() for t in (dt, A, B, C, u)]


@pytest.mark.parametrize("seq_len", [1, 2, 5, 16, 17, 63, 200])
def test_chunked_scan_equals_the_sequential_scan_and_its_gradients(seq_len):
    inputs = scan_inputs(2, seq_len, 6, 16)
    expected, got = sequential_scan(*inputs), chunked_scan(*inputs)
    assert got.shape == expected.shape == (2, seq_len, 6)
    assert torch.allclose(got, expected, rtol=1e-5, atol=1e-5)
    grad = torch.randn_like(expected)
    for a, b in zip(torch.autograd.grad(expected, inputs, grad),
                    torch.autograd.grad(got, inputs, grad), strict=True):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-4 * a.abs().max().item())


def test_chunked_scan_survives_decays_that_overflow_a_log_space_cumsum():
    """A trained dt can decay a state by hundreds of nats in one step: exp(-cumsum) would
    overflow; the chunked scan only multiplies factors in [0, 1], as the sequential one."""
    inputs = scan_inputs(2, 100, 4, 16, dt_shift=4.0)  # dt ~ 4, dt*A down to -66 per step
    expected, got = sequential_scan(*inputs), chunked_scan(*inputs)
    assert torch.isfinite(got).all()
    assert torch.allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_chunks_cover_the_sequence():
    for seq_len in (1, 2, 17, 1000, 4000):
        length = chunk_length(seq_len)
        assert padded_length(seq_len) % length == 0
        assert 0 <= padded_length(seq_len) - seq_len < length
    assert chunk_length(1000) == 32


def reference_mamba_block(mixer, u):
    """Gu & Dao's block written out step by step (one time step at a time)."""
    ssm, width = mixer.ssm, u.shape[-1]
    xz = u @ mixer.in_proj.weight.T
    x, z = xz[..., : 2 * width], xz[..., 2 * width :]
    kernel = mixer.conv1d.weight[:, 0]                     # (inner, 4)
    padded = torch.cat([torch.zeros_like(x[:, :3]), x], dim=1)
    conv = torch.stack([(padded[:, t : t + 4] * kernel.T).sum(1) + mixer.conv1d.bias
                        for t in range(u.shape[1])], dim=1)
    x = conv * torch.sigmoid(conv)
    proj = x @ ssm.x_proj.weight.T
    dt_in, B, C = proj[..., : ssm.rank], proj[..., ssm.rank : -16], proj[..., -16:]
    dt = torch.log1p(torch.exp(dt_in @ ssm.dt_proj.weight.T + ssm.dt_proj.bias))
    A = -torch.exp(ssm.A_log)
    state, ys = torch.zeros(u.shape[0], x.shape[-1], 16), []
    for t in range(u.shape[1]):
        state = torch.exp(dt[:, t, :, None] * A) * state \
            + (dt[:, t] * x[:, t])[..., None] * B[:, t, None, :]
        ys.append((state * C[:, t, None, :]).sum(-1) + ssm.D * x[:, t])
    y = torch.stack(ys, dim=1) * (z * torch.sigmoid(z))
    return y @ mixer.out_proj.weight.T


def test_mamba_block_equals_a_step_by_step_reference():
    torch.manual_seed(0)
    model = build_model("mamba", 3, 5, depth=2, width=16)
    mixer = model.mixers[1]
    u = torch.randn(3, 45, 16)
    with torch.no_grad():
        assert torch.allclose(mixer(u), reference_mamba_block(mixer, u), atol=1e-5)


def test_mamba_has_the_block_of_the_paper():
    torch.manual_seed(0)
    model = build_model("mamba", 3, 5, depth=4, width=32)
    mixer = model.mixers[0]
    assert mixer.in_proj.weight.shape == (128, 32) and mixer.in_proj.bias is None
    assert mixer.conv1d.weight.shape == (64, 1, 4) and mixer.conv1d.bias is not None
    assert mixer.ssm.x_proj.weight.shape == (2 + 32, 64)   # dt rank ceil(32/16), B, C
    assert mixer.out_proj.weight.shape == (32, 64) and mixer.out_proj.bias is None
    assert not hasattr(model, "outputs")                      # no GELU + GLU: the gate is it
    # W_out rescaled by 1/sqrt(depth): PyTorch's bound 1/sqrt(64), halved at depth 4
    assert mixer.out_proj.weight.abs().max() <= 0.5 / math.sqrt(64) + 1e-7


def test_the_pair_s6_mamba_shares_the_stack():
    torch.manual_seed(0)
    s6 = build_model("s6", 3, 5, depth=2, width=16)
    torch.manual_seed(0)
    mamba = build_model("mamba", 3, 5, depth=2, width=16)
    for name in ("encoder.weight", "encoder.bias", "norms.0.weight", "final_norm.weight"):
        assert torch.equal(dict(s6.named_parameters())[name],
                           dict(mamba.named_parameters())[name])
    assert ARCHITECTURES["mamba"].isolates[0] == "s6"
    assert ARCHITECTURES["mamba"].version == 2 and ARCHITECTURES["s6"].version == 1
