"""`s4d`: a diagonal, linear time-invariant state-space model, trained through its kernel.

Each channel h runs its own SSM x' = A x + B u, y = Re(C x) + D u with a diagonal complex
A of N/2 modes (conjugate pairs give a real output, hence the factor 2 below). Discretised
with zero-order hold at a learned step dt_h, the layer is a causal convolution with kernel

    K_h[l] = 2 Re( sum_n C_hn (exp(dt_h A_hn) - 1) / A_hn * exp(dt_h A_hn)^l ),  l < L,

applied with an FFT of length 2L (zero padding makes the circular convolution causal), so
a step costs O(H L log L) with no loop over time. The kernel spans the whole sequence: the
receptive field is unbounded. It does not depend on the input (time-invariant): the output
is a fixed linear function of the past, which is the property `mamba` removes.

Initialisation, as in the S4D paper (S4D-Lin): A_hn = -1/2 + i*pi*n, dt_h log-uniform in
[1e-3, 1e-1], C complex standard normal, D standard normal, B = 1 (folded into C). One
deviation: the paper's example trains A and dt with their own learning rate (1e-3, no
weight decay); here every parameter uses the trial's learning rate, as for every model.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from toytasks.models.ssm import Mixer, SSMStack

STATE_SIZE = 64  # N: 32 complex modes per channel (the S4D example's default)
DT_MIN, DT_MAX = 1e-3, 1e-1


class CausalConvolution(torch.autograd.Function):
    """y = causal convolution of u (batch, H, L) with a kernel (H, L), through FFTs of
    length 2L, with a hand-written backward: the gradients are the correlations of the
    output gradient with the kernel and with u, each one real FFT pair from the saved
    spectra. Autograd's own backward of rfft is a complex FFT of the full length per
    input, about twice the work (arch version 2 of `s4d`; the same values up to float32
    rounding, tested)."""

    @staticmethod
    def forward(ctx: Any, u: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        seq_len = u.shape[-1]
        n_fft = 2 * seq_len  # >= 2L - 1: the circular convolution does not wrap onto t < L
        u_f, k_f = torch.fft.rfft(u, n=n_fft), torch.fft.rfft(kernel, n=n_fft)
        ctx.save_for_backward(u_f, k_f)
        return torch.fft.irfft(u_f * k_f, n=n_fft)[..., :seq_len]

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        u_f, k_f = ctx.saved_tensors
        seq_len = grad.shape[-1]
        n_fft = 2 * seq_len
        g_f = torch.fft.rfft(grad, n=n_fft)
        grad_u = grad_k = None
        if ctx.needs_input_grad[0]:  # sum_t g[t] k[t - s]: zero padding keeps it causal
            grad_u = torch.fft.irfft(g_f * k_f.conj(), n=n_fft)[..., :seq_len]
        if ctx.needs_input_grad[1]:  # sum_b sum_t g[t] u[t - l]
            grad_k = torch.fft.irfft((g_f * u_f.conj()).sum(0), n=n_fft)[..., :seq_len]
        return grad_u, grad_k


class S4DMixer(Mixer):
    def __init__(self, channels: int, state_size: int = STATE_SIZE) -> None:
        super().__init__()
        modes = state_size // 2
        self.log_dt = nn.Parameter(
            torch.rand(channels) * (math.log(DT_MAX) - math.log(DT_MIN)) + math.log(DT_MIN))
        self.C = nn.Parameter(torch.view_as_real(torch.randn(channels, modes,
                                                             dtype=torch.cfloat)))
        self.log_A_real = nn.Parameter(torch.log(0.5 * torch.ones(channels, modes)))
        self.A_imag = nn.Parameter(math.pi * torch.arange(modes).float().repeat(channels, 1))
        self.D = nn.Parameter(torch.randn(channels))

    def kernel(self, seq_len: int) -> torch.Tensor:
        """(channels, seq_len) real convolution kernel, zero-order-hold discretisation.

        exp(dt A l) is computed as exp(Re) (cos(Im) + i sin(Im)) in real arithmetic: the
        same numbers, about 4x faster on CPU than a complex exp."""
        dt = self.log_dt.exp()[:, None]
        A = torch.complex(-self.log_A_real.exp(), self.A_imag)
        dtA = A * dt
        C = torch.view_as_complex(self.C) * (dtA.exp() - 1.0) / A
        steps = torch.arange(seq_len, device=A.device, dtype=dtA.real.dtype)
        magnitude = torch.exp(dtA.real[:, :, None] * steps)
        angle = dtA.imag[:, :, None] * steps
        return 2.0 * (torch.einsum("hn,hnl->hl", C.real, magnitude * torch.cos(angle))
                      - torch.einsum("hn,hnl->hl", C.imag, magnitude * torch.sin(angle)))

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        y = CausalConvolution.apply(u.transpose(1, 2), self.kernel(u.shape[1]))
        # Contiguous in (batch, time, channel): GELU's backward is ~8x slower on CPU when
        # its input and its gradient are laid out differently.
        return (y.transpose(1, 2) + u * self.D).contiguous()

    def flop_terms(self, seq_len: int) -> dict[str, float]:
        """Per sequence: FFT, pointwise product and inverse FFT of length 2L per channel
        (a real FFT of n points ~ 2.5 n log2 n FLOPs), plus the skip D*u. The kernel itself
        (H * N/2 * L complex terms) is computed once per batch, not per sequence, and is
        not counted."""
        channels, n_fft = self.D.numel(), 2 * seq_len
        fft = 2.5 * n_fft * math.log2(n_fft)
        per_channel = 2 * fft + 6.0 * (n_fft // 2 + 1) + 2.0 * seq_len
        return {"fft": channels * per_channel}


class S4D(SSMStack):
    arch = "s4d"
    version = 2  # hand-written FFT-convolution backward, contiguous output (CHANGELOG.md)
    summary = ("diagonal LTI SSM (S4D-Lin, N=64), FFT convolution kernel, GELU + GLU, "
               "pre-norm residual")

    def make_mixer(self, width: int) -> Mixer:
        return S4DMixer(width)
