"""`ecg-resnet-hannun`: the downsampling ResNet as Hannun et al. 2019 built it (batch norm,
two-convolution residual blocks, channel doubling), beside the simplified `ecg-resnet`.

Hannun et al. 2019 (Nature Medicine; code awni/ecg, ``ecg/network.py``, cinc17 config): a
stem convolution with BN + ReLU; 16 residual blocks of two convolutions (filter length 16),
each pre-activated (BN, ReLU, dropout 0.2 before the second, conv); the first conv of every
other block (1, 3, 5, ...) subsamples by 2 and the shortcut max-pools by 2; 32 channels,
doubled every 4th block (32 * 2**(k // 4)), the shortcut zero-padding the new channels; a
final BN + ReLU before the per-step dense output. Here, so that it is a toytasks model:

- ``depth`` counts convolution layers, as for every conv arch: layer 1 is the stem, block k
  (from 0) holds layers 2k+2 and 2k+3, and an even depth ends with a block of one conv.
  The strided layers are then 4, 8, 12, ... exactly as in `ecg-resnet`, so the receptive
  field is the same formula (inherited, and measured by tests): the pair differs in the
  block, not in how far it reaches.
- channels start at ``--width`` (Hannun's 32) and double every 4th block, so the features
  and the readout have ``width * 2**(k_last // 4)`` channels (``feature_width``).
- kernel 16 as in the paper and `ecg-resnet`, but causal (left padding and the held coarse
  steps of `ecg-resnet`) instead of Keras' 'same' padding, which reads the future.
- He-normal init and zero biases as in the paper; batch norm with Keras' defaults that the
  paper ran (epsilon 1e-3, running averages with momentum 0.99, i.e. torch's 0.01).
- dropout off: a result must be bit-identical for a seed, and dropout is off when a model
  is measured anyway (eval mode); it would only change training.

Batch norm and causality: in training, each channel is normalised by its mean and variance
over the batch *and every time step*, so step t's value moves with later steps (and the
last step's with steps outside its receptive field). That is not a way to read the future:
the statistics are shared by every sequence of the batch, one shift and scale per channel,
so they can carry a label only as far as the batch's label mix does (not per sequence),
and never into what is measured: held-out scoring and the causality check run in eval
mode, where the running statistics are constants and the model is causal with the
receptive field above (tests: the eval-mode check at every depth, and training on a task
whose label is the next input stays at chance). Per-time-step or cumulative statistics
would remove even the shared dependence but are not what the paper ran. One caveat: at
batch size 1 the statistics are one sequence's own, and training can then read outside
the receptive field; held-out scoring still cannot, so use batches of 2 or more (default 32).
``batch_norm = false`` replaces every norm by the identity (the block without normalisation).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from toytasks.models.base import SequenceModel
from toytasks.models.ecg_resnet import KERNEL, STRIDE_EVERY, EcgResNet, StridedCausalConv
from toytasks.tasks.base import Knob

DOUBLE_EVERY = 4  # blocks: channels double at blocks 4, 8, 12, ... (conv_increase_channels_at)
BN_EPS, BN_MOMENTUM = 1e-3, 0.01  # Keras' BatchNormalization defaults (momentum 0.99)


def norm(channels: int, batch_norm: bool) -> nn.Module:
    return nn.BatchNorm1d(channels, eps=BN_EPS, momentum=BN_MOMENTUM) if batch_norm \
        else nn.Identity()


def block_channels(width: int, block: int) -> int:
    """Channels of block ``block`` (from 0): ``width`` doubled every ``DOUBLE_EVERY`` blocks."""
    return width * 2 ** (block // DOUBLE_EVERY)


class HannunBlock(nn.Module):
    """A pre-activation residual block of one or two convs; the first may subsample by 2
    (shortcut max-pooled) and widen (shortcut zero-padded to the new channels)."""

    def __init__(self, c_in: int, c_out: int, stride: int, convs: int, pre_act: bool,
                 batch_norm: bool) -> None:
        super().__init__()
        self.stride, self.extra = stride, c_out - c_in
        self.pre = norm(c_in, batch_norm) if pre_act else None
        self.conv1 = StridedCausalConv(c_in, c_out, stride)
        self.mid = norm(c_out, batch_norm) if convs == 2 else None
        self.conv2 = StridedCausalConv(c_out, c_out, 1) if convs == 2 else None

    def forward(self, h: torch.Tensor) -> torch.Tensor:  # (batch, channels, time)
        short = F.max_pool1d(h, 2) if self.stride == 2 else h
        if self.extra:
            short = F.pad(short, (0, 0, 0, self.extra))  # zero channels appended
        y = self.conv1(h if self.pre is None else torch.relu(self.pre(h)))
        if self.conv2 is not None and self.mid is not None:
            y = self.conv2(torch.relu(self.mid(y)))
        return short + y

    def convs(self) -> list[StridedCausalConv]:
        return [c for c in (self.conv1, self.conv2) if c is not None]


class EcgResNetHannun(EcgResNet):
    arch = "ecg-resnet-hannun"
    summary = (f"ecg-resnet as Hannun et al. 2019 built it: batch norm, 2-conv pre-activation "
               f"blocks, channels doubling every {DOUBLE_EVERY}th block; causal, no dropout")
    family = "conv"
    knobs = (Knob("batch_norm", bool, True, "batch norm before every conv but the first "
                  "(false: the identity)"),)
    isolates = ("ecg-resnet", "Hannun's block: batch norm, two convs per residual block, "
                f"channels doubling every {DOUBLE_EVERY}th block (same strides and kernel)")

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1, batch_norm: bool = True) -> None:
        # the base's init, not ecg-resnet's: the blocks replace its layers (and the head
        # built there is replaced below, at the final channel count)
        SequenceModel.__init__(self, n_inputs, n_outputs, depth, width, output_steps)
        self.batch_norm = batch_norm
        self.stem = StridedCausalConv(n_inputs, width, 1)
        self.stem_norm = norm(width, batch_norm)
        blocks, c_in = [], width
        for k in range(depth // 2):  # block k: layers 2k+2 and (when depth allows) 2k+3
            first = 2 * k + 2
            c_out = block_channels(width, k)
            blocks.append(HannunBlock(c_in, c_out, 2 if first % STRIDE_EVERY == 0 else 1,
                                      2 if first + 1 <= depth else 1, k > 0, batch_norm))
            c_in = c_out
        self.blocks = nn.ModuleList(blocks)
        self.final_norm = norm(c_in, batch_norm) if blocks else None
        self.feature_width = c_in
        self.total_stride = 2 ** sum(b.stride == 2 for b in blocks)
        self.head = nn.Linear(c_in, n_outputs)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        seq_len = x.shape[1]
        pad = -seq_len % self.total_stride
        h = torch.relu(self.stem_norm(self.stem(F.pad(x.transpose(1, 2), (pad, 0)))))
        for block in self.blocks:
            h = block(h)
        if self.final_norm is not None:
            h = torch.relu(self.final_norm(h))
        return self.hold(h.transpose(1, 2), seq_len, pad)

    def layer_groups(self) -> list[tuple[str, list[nn.Parameter]]]:
        """One group per conv, with the norm that feeds it; the final norm with the head."""
        groups = [("conv1", [*self.stem.parameters(), *self.stem_norm.parameters()])]
        for block in self.blocks:
            for pre, conv in ((block.pre, block.conv1), (block.mid, block.conv2)):
                if conv is not None:
                    params = [*(pre.parameters() if pre is not None else ()),
                              *conv.parameters()]
                    groups.append((f"conv{len(groups) + 1}", params))
        final = list(self.final_norm.parameters()) if self.final_norm is not None else []
        return [*groups, ("head", [*final, *self.head.parameters()])]

    @classmethod
    def receptive_field(cls, depth: int, **_: Any) -> int:
        return EcgResNet.receptive_field(depth)

    def body_flops(self, seq_len: int) -> float:
        """The convolutions' multiply-adds (norms, pooling and padding are not counted, as
        torch's FLOP counter does not count them)."""
        macs, steps = 0.0, float(seq_len)
        for conv in [self.stem, *(c for b in self.blocks for c in b.convs())]:
            steps /= conv.stride
            macs += conv.conv.in_channels * conv.conv.out_channels * KERNEL * steps
        return 2.0 * macs
