"""`ecg-resnet`: a causal residual 1-D CNN that downsamples, after Hannun et al. 2019.

The ECG networks behind "10-15 CNN layers" do not reach far by stacking kernel-3 layers at
the input rate: they downsample. Hannun et al. 2019 (and Rajpurkar et al. 2017): 16
residual blocks of two convolutions, filter length 16, subsampling by 2 every other block
(max pooling on the shortcut), 200 Hz input. Here ``depth`` counts convolution layers (as
for every conv arch), so "every other block of two" is a stride-2 convolution on every
fourth layer (layers 4, 8, 12, ...), and the kernel is Hannun's 16 (``KERNEL``; there are no
architecture knobs yet). Ribeiro et al. 2020 downsample in every block of a 4-block net
(kernel 17, 400 Hz) - faster, but with so few blocks; Hannun's placement is the one whose
layer count the "10-15 layers" figure is about.

Everything else is `res-cnn`: pre-activation residual layers h <- short(h) +
s * conv_l(relu(h)), s = 1/sqrt(depth - 1), He init, no normalisation, constant width.
Hannun's batch norm, dropout and channel doubling are left out so that the pair with
`res-cnn` differs only in how far each layer reaches: kernel 16 and downsampling.

Causality and the readout: a stride-2 layer's output j covers its input up to step 2j + 1,
and the input is left-padded with zeros to a multiple of the total stride, so the last
output step ends exactly at the last input sample. Features are brought back to the input
rate by holding each coarse step until the next one is complete (step t gets the newest
coarse step whose window ends at or before t), so ``features`` keeps the contract "step t
sees only steps <= t" and ``output_steps > 1`` is served honestly (earlier steps see a
slightly older window). Receptive field of the last step:
1 + (KERNEL - 1) * sum over layers of the layer's input stride 2**(strided layers before it).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from toytasks.models.base import SequenceModel

KERNEL = 16  # Hannun et al. 2019 filter length
STRIDE_EVERY = 4  # a stride-2 layer every fourth conv layer = every other 2-conv block


def is_strided(layer: int) -> bool:
    """Whether conv layer ``layer`` (1-based) subsamples by 2."""
    return layer % STRIDE_EVERY == 0


class StridedCausalConv(nn.Module):
    """Causal Conv1d with kernel ``KERNEL`` and stride 1 or 2; output j ends at input s*j+s-1."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        self.pad = KERNEL - stride
        self.conv = nn.Conv1d(c_in, c_out, KERNEL, stride=stride)
        nn.init.kaiming_normal_(self.conv.weight, nonlinearity="relu")
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, channels, time % stride == 0)
        return self.conv(F.pad(x, (self.pad, 0)))


class EcgResNet(SequenceModel):
    arch = "ecg-resnet"
    summary = (f"res-cnn with kernel {KERNEL} and stride 2 every {STRIDE_EVERY}th layer "
               "(Hannun et al. 2019), causal")
    family = "conv"
    isolates = ("res-cnn", f"downsampling (stride 2 every {STRIDE_EVERY}th layer, kernel "
                f"{KERNEL})")

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1) -> None:
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.layers = nn.ModuleList(
            StridedCausalConv(n_inputs if i == 1 else width, width, 2 if is_strided(i) else 1)
            for i in range(1, depth + 1)
        )
        self.total_stride = 2 ** sum(is_strided(i) for i in range(1, depth + 1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        seq_len = x.shape[1]
        pad = -seq_len % self.total_stride
        h = F.pad(x.transpose(1, 2), (pad, 0))
        h = self.layers[0](h)
        scale = 1.0 / math.sqrt(max(1, self.depth - 1))
        for layer in self.layers[1:]:
            short = F.max_pool1d(h, 2) if layer.stride == 2 else h
            h = short + scale * layer(torch.relu(h))
        coarse = torch.relu(h).transpose(1, 2)  # (batch, padded_len / J, width)
        return self.hold(coarse, seq_len, pad)

    def hold(self, coarse: torch.Tensor, seq_len: int, pad: int) -> torch.Tensor:
        """Input-rate features: step t holds the newest coarse step that ends at or before t."""
        j = self.total_stride
        if j == 1:
            return coarse
        t = torch.arange(seq_len, device=coarse.device) + pad  # position in the padded input
        index = (t + 1) // j - 1  # coarse step j' ends at padded position j*j' + j - 1
        held = coarse[:, index.clamp(min=0)]
        return held * (index >= 0).to(coarse.dtype)[None, :, None]

    def layer_groups(self) -> list[tuple[str, list[nn.Parameter]]]:
        return [(f"conv{i + 1}", list(layer.parameters())) for i, layer in
                enumerate(self.layers)] + [("head", list(self.head.parameters()))]

    @classmethod
    def receptive_field(cls, depth: int) -> int:
        return 1 + (KERNEL - 1) * sum(
            2 ** sum(is_strided(i) for i in range(1, layer)) for layer in range(1, depth + 1)
        )

    def body_flops(self, seq_len: int) -> float:
        macs, steps = 0.0, float(seq_len)
        for layer in self.layers:
            steps /= layer.stride
            macs += layer.conv.in_channels * layer.conv.out_channels * KERNEL * steps
        return 2.0 * macs
