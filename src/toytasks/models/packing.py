"""K seeds of one configuration as ONE module: the packings the packed trainer uses.

* ``PackedConv`` (cnn, tcn, res-cnn, gated-cnn): every Conv1d becomes one Conv1d with
  ``groups=K``; seed k owns channels ``k*C .. (k+1)*C - 1``, so its weights are a slice of
  the packed weight and no seed sees another's channels.
* ``BlockDiagonalRNN`` (gru; lstm and rnn in the benchmark only): one nn.GRU/LSTM of width
  ``K*H`` whose weight matrices are block-diagonal per gate (seed k owns hidden units
  ``k*H ..``); the off-diagonal blocks start at zero and their gradients are zeroed after
  every backward pass (``after_backward``), so with Adam (no weight decay) they stay zero.

Input is (K, batch, time, inputs), each seed its own batch; output (K, batch, steps,
outputs). Every packed parameter has a seed axis reachable by ``seed_view`` (a view with
the seed first): per-seed clipping, freezing a seed (``clear``) and copying a seed into its
single model (``copy_to``) go through it.

Why a seed's numbers do not depend on its pack-mates: a grouped convolution computes each
group on its own, and in the block-diagonal recurrence another seed's units reach this
seed's only through weights that are exactly zero (0 * x adds an exact zero to a sum, as
long as x is finite; the packed trainer removes a seed whose numbers are not finite before
they can meet another's). What a seed's numbers may depend on is its slot and K (the shape
and position of the kernels' sums), which the trainer fixes per seed (``seed % K``).
The benchmark (``benchmarks/packing_groups.py``) measures the speed and compares with
single-seed training; the packed trainer is ``toytasks.training.packed``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from toytasks.models.base import SequenceModel
from toytasks.models.conv import ConvStack, GatedCNN, ResidualCNN
from toytasks.models.recurrent import RecurrentStack


class PackedHead(nn.Module):
    """K linear readouts (n_out, W) as one batched matmul over the seed axis."""

    def __init__(self, heads: list[nn.Linear]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.stack([h.weight.detach() for h in heads]))
        self.bias = nn.Parameter(torch.stack([h.bias.detach() for h in heads]))

    def forward(self, h: torch.Tensor) -> torch.Tensor:  # (K, batch, steps, W)
        k, b, s, w = h.shape
        out = torch.baddbmm(self.bias.unsqueeze(1), h.reshape(k, b * s, w),
                            self.weight.transpose(1, 2))
        return out.view(k, b, s, -1)


class PackedModel(nn.Module):
    """What the packed step needs from a packing; subclasses pack one model family."""

    k: int

    def seed_view(self, name: str, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor`` (a parameter, its gradient or optimizer state) as a view with the seed
        axis first."""
        return tensor.view(self.k, *tensor.shape[1:]) if name.startswith("head.") else \
            tensor.view(self.k, -1)

    def unpack(self, grads: bool = False) -> list[dict[str, torch.Tensor]]:
        """Seed k's parameters (or their gradients) under the single model's names, shapes
        and order."""
        raise NotImplementedError

    @staticmethod
    def _of(param: torch.Tensor, grads: bool) -> torch.Tensor:
        return param.grad if grads else param.detach()

    def after_backward(self) -> None:
        """Hook between backward and the optimizer step (masking, for block-diagonal)."""

    def clear(self, k: int) -> None:
        """Seed k's parameters set to zero: a slot that is empty or whose seed has stopped
        computes zeros, which reach no other seed (and never a NaN)."""
        with torch.no_grad():
            for name, param in self.named_parameters():
                self.seed_view(name, param.data)[k].zero_()

    def copy_to(self, k: int, model: SequenceModel) -> None:
        """Seed k's current parameters into ``model``, its single-seed model."""
        values = self.unpack()[k]
        with torch.no_grad():
            for name, param in model.named_parameters():
                param.copy_(values[name].reshape(param.shape))


class PackedConv(PackedModel):
    def __init__(self, models: list[ConvStack]) -> None:
        super().__init__()
        first = models[0]
        self.k, self.output_steps = len(models), first.output_steps
        self.gated, self.residual = isinstance(first, GatedCNN), isinstance(first, ResidualCNN)
        self.depth, self.pads = first.depth, [layer.pad for layer in first.layers]
        self.convs = nn.ModuleList()
        for i, layer in enumerate(first.layers):
            c = layer.conv
            conv = nn.Conv1d(self.k * c.in_channels, self.k * c.out_channels, c.kernel_size[0],
                             dilation=c.dilation[0], groups=self.k)
            with torch.no_grad():
                conv.weight.copy_(torch.cat([m.layers[i].conv.weight for m in models]))
                conv.bias.copy_(torch.cat([m.layers[i].conv.bias for m in models]))
            self.convs.append(conv)
        self.head = PackedHead([m.head for m in models])

    def _conv(self, i: int, h: torch.Tensor) -> torch.Tensor:
        return self.convs[i](F.pad(h, (self.pads[i], 0)))

    def _first(self, x: torch.Tensor) -> torch.Tensor:
        """Layer 1 per seed, on each seed's own (batch, inputs, time) view: with few input
        channels (1 here) the grouped kernel rounds differently from the single conv, and
        this is the single model's exact path (the weight is a slice of the packed one)."""
        conv, pad = self.convs[0], self.pads[0]
        weights, biases = conv.weight.chunk(self.k), conv.bias.chunk(self.k)
        return torch.cat([F.conv1d(F.pad(x[k].transpose(1, 2), (pad, 0)), weights[k],
                                   biases[k], dilation=conv.dilation)
                          for k in range(self.k)], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, b, t, _ = x.shape
        h = self._first(x)  # (batch, K*channels, time)
        if self.residual:
            scale = 1.0 / max(1, self.depth - 1) ** 0.5
            for i in range(1, self.depth):
                h = h + scale * self._conv(i, torch.relu(h))
            h = torch.relu(h)
        else:
            for i in range(self.depth):
                if i:
                    h = self._conv(i, h)
                if self.gated:
                    a, g = h.view(b, k, -1, t).chunk(2, dim=2)
                    h = (torch.tanh(a) * torch.sigmoid(g)).reshape(b, -1, t)
                else:
                    h = torch.relu(h)
        last = h[:, :, -self.output_steps:].reshape(b, k, -1, self.output_steps)
        return self.head(last.permute(1, 0, 3, 2))

    def unpack(self, grads: bool = False) -> list[dict[str, torch.Tensor]]:
        out = [{"head.weight": self._of(self.head.weight, grads)[k],
                "head.bias": self._of(self.head.bias, grads)[k]} for k in range(self.k)]
        for i, conv in enumerate(self.convs):
            for attr in ("weight", "bias"):
                for k, part in enumerate(self._of(getattr(conv, attr), grads).chunk(self.k)):
                    out[k][f"layers.{i}.conv.{attr}"] = part
        return out


class BlockDiagonalRNN(PackedModel):
    def __init__(self, models: list[RecurrentStack]) -> None:
        super().__init__()
        first = models[0]
        rnn0 = first.rnn
        self.k, self.output_steps, self.width = len(models), first.output_steps, first.width
        self.gates = first.gates
        self.rnn = type(rnn0)(self.k * rnn0.input_size, self.k * rnn0.hidden_size,
                              num_layers=rnn0.num_layers, batch_first=True)
        with torch.no_grad():
            for name, param in self.rnn.named_parameters():
                param.zero_()
                view = self.seed_view(name, param)
                for k, m in enumerate(models):
                    view[k].copy_(getattr(m.rnn, name).view(view.shape[1:]))
        self.masks = {name: self._mask(name, p) for name, p in self.rnn.named_parameters()
                      if name.startswith("weight")}
        self.head = PackedHead([m.head for m in models])

    def _mask(self, name: str, param: torch.Tensor) -> torch.Tensor:
        mask = torch.zeros_like(param)
        self.seed_view(name, mask).fill_(1.0)
        return mask

    def seed_view(self, name: str, tensor: torch.Tensor) -> torch.Tensor:
        if name.startswith("head."):
            return super().seed_view(name, tensor)
        name = name.removeprefix("rnn.")
        k, h = self.k, self.width
        if name.startswith("bias"):  # (G*K*H,) -> (K, G, H)
            return tensor.view(self.gates, k, h).transpose(0, 1)
        # (G*K*H, K*I) -> diagonal blocks (K, G, H, I)
        blocks = tensor.view(self.gates, k, h, k, tensor.shape[1] // k)
        return torch.diagonal(blocks, dim1=1, dim2=3).permute(3, 0, 1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, b, t, n_in = x.shape
        h = self.rnn(x.permute(1, 2, 0, 3).reshape(b, t, k * n_in))[0]
        last = h[:, -self.output_steps:].reshape(b, self.output_steps, k, self.width)
        return self.head(last.permute(2, 0, 1, 3))

    def after_backward(self) -> None:
        with torch.no_grad():
            for name, mask in self.masks.items():
                grad = getattr(self.rnn, name).grad
                if grad is not None:
                    if mask.device != grad.device:  # built on the CPU, trained elsewhere
                        self.masks[name] = mask = mask.to(grad.device)
                    grad.mul_(mask)

    def unpack(self, grads: bool = False) -> list[dict[str, torch.Tensor]]:
        out = [{"head.weight": self._of(self.head.weight, grads)[k],
                "head.bias": self._of(self.head.bias, grads)[k]} for k in range(self.k)]
        for name, param in self.rnn.named_parameters():
            view = self.seed_view(name, self._of(param, grads))
            for k in range(self.k):
                out[k][f"rnn.{name}"] = view[k].reshape(-1, *view.shape[3:])
        return out


# The architectures the packed trainer packs, and how: where packing was measured to pay
# (docs/performance.md, "Packed seeds"). Exact names: a subclass (chrono-gru draws its
# gates from the sequence length on the first call) is not the same model to pack.
PACKINGS: dict[str, type[PackedModel]] = {
    "cnn": PackedConv, "tcn": PackedConv, "res-cnn": PackedConv, "gated-cnn": PackedConv,
    "gru": BlockDiagonalRNN,
}


def packable(arch: str) -> bool:
    """Whether ``arch``'s trials can be trained packed (others train unpacked)."""
    return arch in PACKINGS


def pack_models(arch: str, models: list[SequenceModel]) -> PackedModel:
    """One module computing the K models of ``arch`` (``PACKINGS``)."""
    return PACKINGS[arch](models)
