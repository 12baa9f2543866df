"""K seeds of one configuration as ONE module, built from K independently initialised models.

Three packings, each the same math as the K single-seed models (the tests check it):

* ``PackedConv`` (cnn, tcn, res-cnn, gated-cnn): every Conv1d becomes one Conv1d with
  ``groups=K``; seed k owns channels ``k*C .. (k+1)*C - 1``, so its weights are a slice of
  the packed weight and no seed sees another's channels.
* ``BlockDiagonalRNN`` (lstm, gru, rnn): one nn.LSTM/GRU of width ``K*H`` whose weight
  matrices are block-diagonal per gate (seed k owns hidden units ``k*H ..``); the
  off-diagonal blocks start at zero and their gradients are zeroed after every backward
  pass (``after_backward``), so with Adam (no weight decay) they stay exactly zero.
  Costs K times the FLOPs of the K small recurrences, in one fused kernel call.
* ``BatchedLSTM``: the K LSTMs' weights stacked (K, 4H, H) and stepped in Python with
  ``torch.baddbmm`` (PyTorch's composite LSTM, batched over seeds).

Bit-identity with the single-seed runs (``benchmarks/packing_groups.py`` measures it): the
grouped-conv packing reproduces them bit for bit at widths where oneDNN runs the grouped
convolution with the same algorithm as the single one (so layer 1, with one input channel,
runs per seed); the recurrent packings differ in the last bits (their matmuls have other
shapes, or another cell implementation).

Input is (K, batch, time, inputs), each seed its own batch; output (K, batch, steps,
outputs). Every packed parameter has a seed axis reachable by ``seed_view`` (a view with
the seed first), which per-seed gradient clipping uses.

``PackedConv`` and ``BlockDiagonalRNN`` live in ``toytasks.models.packing``, where the
packed trainer (``toytasks.training.packed``, ``--pack K``) uses them; this file adds the
benchmark-only ``BatchedLSTM`` and the benchmark's packed step.
"""

from __future__ import annotations

import torch
from torch import nn

from toytasks.models.packing import BlockDiagonalRNN, PackedConv, PackedHead, PackedModel
from toytasks.models.recurrent import LSTM
from toytasks.training.packed import clip_per_seed_  # noqa: F401 (re-exported for the benchmarks)


class BatchedLSTM(PackedModel):
    def __init__(self, models: list[LSTM]) -> None:
        super().__init__()
        first = models[0]
        self.k, self.output_steps, self.depth = len(models), first.output_steps, first.depth
        self.names = [f"{w}_l{i}" for i in range(self.depth)
                      for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        for name in self.names:
            stacked = torch.stack([getattr(m.rnn, name).detach() for m in models])
            self.register_parameter(name, nn.Parameter(stacked))
        self.head = PackedHead([m.head for m in models])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, b, t, _ = x.shape
        h = x
        for i in range(self.depth):
            w_ih, w_hh = getattr(self, f"weight_ih_l{i}"), getattr(self, f"weight_hh_l{i}")
            bias = getattr(self, f"bias_ih_l{i}") + getattr(self, f"bias_hh_l{i}")
            xp = torch.baddbmm(bias.unsqueeze(1), h.reshape(k, b * t, -1),
                               w_ih.transpose(1, 2)).view(k, b, t, -1)
            w_hh_t = w_hh.transpose(1, 2)
            hid = w_hh.shape[2]
            ht = x.new_zeros(k, b, hid)
            ct = x.new_zeros(k, b, hid)
            outs = []
            for step in range(t):
                gates = torch.baddbmm(xp[:, :, step], ht, w_hh_t)
                s = torch.sigmoid(gates)
                g = torch.tanh(gates[..., 2 * hid:3 * hid])
                ct = s[..., hid:2 * hid] * ct + s[..., :hid] * g
                ht = s[..., 3 * hid:] * torch.tanh(ct)
                outs.append(ht)
            h = torch.stack(outs, dim=2)
        return self.head(h[:, :, -self.output_steps:])

    def unpack(self, grads: bool = False) -> list[dict[str, torch.Tensor]]:
        return [{"head.weight": self._of(self.head.weight, grads)[k],
                 "head.bias": self._of(self.head.bias, grads)[k],
                 **{f"rnn.{n}": self._of(getattr(self, n), grads)[k] for n in self.names}}
                for k in range(self.k)]


METHODS = {"grouped-conv": PackedConv, "block-diagonal": BlockDiagonalRNN,
           "batched-lstm": BatchedLSTM}


def pack(models: list[nn.Module], method: str) -> PackedModel:
    """One module computing the K models; ``method`` names the packing (``METHODS``)."""
    return METHODS[method](models)


def packed_loss(objective, out: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor,
                                                                        torch.Tensor]:
    """(sum of the K per-seed losses, the K losses): the gradient of the sum with respect
    to seed k's parameters is the gradient of seed k's own loss."""
    losses = torch.stack([objective.loss(out[k], y[k]) for k in range(out.shape[0])])
    return losses.sum(), losses


