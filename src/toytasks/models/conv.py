"""Causal convolutional stacks: plain (`cnn`), dilated (`tcn`), and two ablations of `cnn`.

All are stacks of causal Conv1d (kernel 3) with He initialisation. `cnn` and `tcn` differ
only in dilation, so their contrast isolates how the receptive field grows with depth:
1 + 2*depth for `cnn`, 2**(depth+1) - 1 for `tcn` (dilation 2**layer). `gated-cnn` and
`res-cnn` each change one thing in `cnn` and keep its receptive field, 1 + 2*depth:
`gated-cnn` replaces ReLU by a multiplicative gate (GLU), `res-cnn` adds residual
connections between layers.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from toytasks.models.base import SequenceModel
from toytasks.tasks.base import Knob

KERNEL = 3
KERNEL_KNOB = Knob("kernel", int, KERNEL, "kernel size of every causal convolution", "samples",
                   2, 64)


def dilation_knob(default: int) -> Knob:
    return Knob("dilation", int, default, "dilation base: layer l (from 0) has dilation "
                "base**l (1: plain stack)", "", 1, 8)


class CausalConv(nn.Module):
    def __init__(self, c_in: int, c_out: int, dilation: int, kernel: int = KERNEL) -> None:
        super().__init__()
        self.pad = (kernel - 1) * dilation
        self.conv = nn.Conv1d(c_in, c_out, kernel, dilation=dilation)
        nn.init.kaiming_normal_(self.conv.weight, nonlinearity="relu")
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, channels, time)
        return self.conv(F.pad(x, (self.pad, 0)))


class ConvStack(SequenceModel):
    family = "conv"
    dilation_base: ClassVar[int] = 1
    knobs = (KERNEL_KNOB, dilation_knob(1))

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1, kernel: int = KERNEL, dilation: int | None = None
                 ) -> None:
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.kernel = kernel
        self.dilation = self.dilation_base if dilation is None else dilation
        self.layers = nn.ModuleList(
            CausalConv(n_inputs if i == 0 else width, width, self.dilation**i, kernel)
            for i in range(depth)
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = x.transpose(1, 2)
        for layer in self.layers:
            h = torch.relu(layer(h))
        return h.transpose(1, 2)

    def layer_groups(self) -> list[tuple[str, list[nn.Parameter]]]:
        return [(f"conv{i + 1}", list(layer.parameters())) for i, layer in
                enumerate(self.layers)] + [("head", list(self.head.parameters()))]

    @classmethod
    def receptive_field(cls, depth: int, kernel: int = KERNEL, dilation: int | None = None,
                        **_: Any) -> int:
        base = cls.dilation_base if dilation is None else dilation
        return 1 + (kernel - 1) * sum(base**i for i in range(depth))

    def body_flops(self, seq_len: int) -> float:
        macs = sum(
            layer.conv.in_channels * layer.conv.out_channels * layer.conv.kernel_size[0]
            for layer in self.layers
        )
        return 2.0 * macs * seq_len


class PlainCNN(ConvStack):
    arch = "cnn"
    summary = "causal Conv1d k=3 + ReLU, dilation 1 (receptive field 1+2*depth)"
    dilation_base = 1


class DilatedCNN(ConvStack):
    arch = "tcn"
    summary = "causal Conv1d k=3 + ReLU, dilation 2**layer (receptive field 2**(depth+1)-1)"
    isolates = ("cnn", "dilation (receptive field 2**(depth+1)-1, not 1+2*depth)")
    dilation_base = 2
    knobs = (KERNEL_KNOB, dilation_knob(2))


class GatedCNN(ConvStack):
    """`cnn` with ReLU replaced by a multiplicative gate: tanh(a) * sigmoid(b), [a; b] = conv(h).

    The gate multiplies two functions of the input window, which a ReLU stack can only
    approximate with extra layers (explanation (d) in docs/ablations.md). This is WaveNet's
    gated activation (van den Oord et al. 2016). Each conv has 2*width output channels, so a
    layer has about twice the parameters of a `cnn` layer of the same width: compare at
    matched parameter counts (--match-params) to rule that out.

    Init, measured rather than assumed: with `cnn`'s He init on both halves the small-signal
    gain of a layer is about 1/2, and activations and input gradients vanish with depth
    (RMS 0.007 at depth 12, width 32); a GLU a*sigmoid(b) has an unstable fixed point
    instead (vanishes or explodes with depth depending on the gain). With the tanh half's
    weights at twice He's variance (std sqrt(4/fan_in)) the small-signal gain is 1 and
    tanh's saturation bounds the activations, so input gradients stay within a factor 1.5
    from depth 2 to 48. Both halves are otherwise initialised exactly as `cnn`'s layers.
    """

    arch = "gated-cnn"
    summary = "causal Conv1d k=3 + gate tanh(a)*sigmoid(b), dilation 1 (RF 1+2*depth)"
    isolates = ("cnn", "multiplicative gating")
    dilation_base = 1
    knobs = (KERNEL_KNOB,)
    TANH_GAIN = math.sqrt(2.0)

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1, kernel: int = KERNEL) -> None:
        SequenceModel.__init__(self, n_inputs, n_outputs, depth, width, output_steps)
        self.kernel, self.dilation = kernel, 1
        self.layers = nn.ModuleList(
            CausalConv(n_inputs if i == 0 else width, 2 * width, 1, kernel)
            for i in range(depth)
        )
        with torch.no_grad():
            for layer in self.layers:
                layer.conv.weight[:width] *= self.TANH_GAIN

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = x.transpose(1, 2)
        for layer in self.layers:
            a, b = layer(h).chunk(2, dim=1)
            h = torch.tanh(a) * torch.sigmoid(b)
        return h.transpose(1, 2)


class ResidualCNN(ConvStack):
    """`cnn` plus identity shortcuts (pre-activation residual blocks, He et al. 2016).

    h = conv_1(x); then h <- h + s * conv_l(relu(h)) for l = 2..depth; features relu(h).
    Drop the shortcuts and the scale and this is exactly `cnn`, relu(conv_L(...relu(conv_1
    x))); the layers and their initialisation are `cnn`'s (equal parameters at the same
    seed) and so is the receptive field. The branch scale s = 1/sqrt(depth - 1) bounds the
    activations' growth without a normalisation layer (which would be a second difference
    from `cnn`): each He-initialised branch adds as much variance as its input has, so
    unscaled activations would grow like 2**depth. Measured at width 32: feature RMS and
    input-gradient size stay within a factor 2 from depth 2 to 48.
    """

    arch = "res-cnn"
    summary = "cnn + pre-activation shortcuts h + conv(relu(h))/sqrt(depth-1)"
    isolates = ("cnn", "residual connections")
    dilation_base = 1
    knobs = (KERNEL_KNOB,)

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1, kernel: int = KERNEL) -> None:
        super().__init__(n_inputs, n_outputs, depth, width, output_steps, kernel)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.layers[0](x.transpose(1, 2))
        scale = 1.0 / math.sqrt(max(1, self.depth - 1))
        for layer in self.layers[1:]:
            h = h + scale * layer(torch.relu(h))
        return torch.relu(h).transpose(1, 2)
