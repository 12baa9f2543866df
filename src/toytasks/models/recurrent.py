"""Recurrent stacks: Elman `rnn`, `lstm`, `gru` (``depth`` = stacked layers).

Initialisation is part of the architecture: with PyTorch's default init a 1-layer LSTM
stays at chance on simple memory tasks for thousands of steps, so a "minimal depth" would
measure an optimisation failure. LSTM forget-gate and GRU update-gate biases are set to
``gate_bias`` (default 3: remember by default); the Elman RNN has no gate and keeps
PyTorch's default init. ``torch_init=true`` keeps PyTorch's default for the gated stacks
too (every weight and bias uniform in ±1/√width: the memory-gate bias is then random around
0, not a constant), the initialisation most practitioners' LSTMs start from; it is a knob
value of its own because ``gate_bias`` can only set a constant.

`res-lstm` is `lstm` with residual connections between stacked layers (one property
changed: same layers, same initialisation, parameters equal to `lstm`'s at the same seed).
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from toytasks.models.base import SequenceModel
from toytasks.tasks.base import Knob

DEFAULT_GATE_BIAS = 3.0
GATE_BIAS_KNOB = Knob("gate_bias", float, DEFAULT_GATE_BIAS, "initial bias of the memory gate "
                      "(LSTM forget gate, GRU update gate); alias of the spec's "
                      "budget.gate_bias, which sets the default", "", -20.0, 20.0)
TORCH_INIT_KNOB = Knob("torch_init", bool, False, "keep PyTorch's default initialisation "
                       "(all biases uniform in ±1/sqrt(width); gate_bias is then not used)",
                       keyed_when_set=True)


def chrono_init(rnn: nn.RNNBase, arch: str, quantiles: torch.Tensor, t_max: float) -> None:
    """Chrono initialisation (Tallec & Ollivier 2018): memory time scales uniform in [1, t_max-1].

    A memory-gate bias b keeps sigma(b) of the state per step, a time scale of about 1 + e^b
    steps. Chrono sets b = log(u), u ~ U(1, t_max - 1) (here u = 1 + q (t_max - 2) for given
    quantiles q of shape (layers, width)), so the units' time scales spread over the range of
    lags the task needs, instead of all sitting at 1 + e^3 = 21 steps. LSTM: forget bias
    log(u), input bias -log(u); GRU: update-gate bias log(u) (PyTorch's GRU keeps the state
    with weight z). The hidden-to-hidden biases of those gates are 0.
    """
    if t_max <= 2:
        raise ValueError(f"chrono t_max must exceed 2, got {t_max:g}")
    layers, width = quantiles.shape
    with torch.no_grad():
        for layer in range(layers):
            b_ih, b_hh = getattr(rnn, f"bias_ih_l{layer}"), getattr(rnn, f"bias_hh_l{layer}")
            log_u = torch.log(1.0 + quantiles[layer] * (t_max - 2.0))
            keep = slice(width, 2 * width)  # LSTM forget gate / GRU update gate
            b_ih[keep], b_hh[keep] = log_u, 0.0
            if arch.endswith("lstm"):
                b_ih[:width], b_hh[:width] = -log_u, 0.0  # input gate


class RecurrentStack(SequenceModel):
    family = "recurrent"
    cell: ClassVar[type[nn.RNNBase]]
    gates: ClassVar[int]
    memory_gate: ClassVar[int | None] = None  # chunk of the bias that means "keep the state"
    torch_init = False  # a subclass (or plugin) with its own __init__ keeps the shipped init

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1, gate_bias: float = DEFAULT_GATE_BIAS,
                 torch_init: bool = False) -> None:
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.gate_bias = gate_bias
        self.torch_init = torch_init
        self.rnn = self.cell(n_inputs, width, num_layers=depth, batch_first=True)
        self._init_memory_gate(self.rnn, depth)

    def _init_memory_gate(self, rnn: nn.RNNBase, layers: int) -> None:
        if self.memory_gate is None or self.torch_init:
            return
        gate = slice(self.memory_gate * self.width, (self.memory_gate + 1) * self.width)
        with torch.no_grad():
            for layer in range(layers):
                getattr(rnn, f"bias_ih_l{layer}")[gate] = self.gate_bias
                getattr(rnn, f"bias_hh_l{layer}")[gate] = 0.0

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]

    def layer_groups(self) -> list[tuple[str, list[nn.Parameter]]]:
        return [(f"{self.arch}{layer + 1}",
                 [p for name, p in self.rnn.named_parameters() if name.endswith(f"_l{layer}")])
                for layer in range(self.depth)] + [("head", list(self.head.parameters()))]

    def body_flops(self, seq_len: int) -> float:
        macs = sum(
            (self.n_inputs if layer == 0 else self.width) * self.width + self.width**2
            for layer in range(self.depth)
        )
        return 2.0 * macs * self.gates * seq_len


class ElmanRNN(RecurrentStack):
    arch = "rnn"
    summary = "Elman tanh RNN (no gates, no multiplicative interaction)"
    cell = nn.RNN
    gates = 1


class LSTM(RecurrentStack):
    arch = "lstm"
    summary = "LSTM, forget-gate bias = gate_bias"
    isolates = ("rnn", "multiplicative gates and a gated memory cell")
    cell = nn.LSTM
    gates = 4
    memory_gate = 1  # PyTorch gate order: input, forget, cell, output
    knobs = (GATE_BIAS_KNOB, TORCH_INIT_KNOB)


class GRU(RecurrentStack):
    arch = "gru"
    summary = "GRU, update-gate bias = gate_bias"
    isolates = ("rnn", "multiplicative gates (reset, update)")
    cell = nn.GRU
    gates = 3
    memory_gate = 1  # PyTorch gate order: reset, update, new; h' = (1-z)*n + z*h
    knobs = (GATE_BIAS_KNOB, TORCH_INIT_KNOB)


class ResidualLSTM(LSTM):
    """`lstm` with identity shortcuts between stacked layers: h <- h + lstm_l(h) for l >= 2.

    Layer 1 maps the inputs to ``width`` as in `lstm` (no shortcut: the sizes differ). The
    layers are separate one-layer LSTMs built in the order nn.LSTM(num_layers=depth) builds
    its own, with the same forget-gate bias, so at the same seed the parameters equal
    `lstm`'s; only the shortcuts differ. No branch scale is needed (unlike `res-cnn`): an
    LSTM layer's output is bounded in (-1, 1), so activations grow at most linearly.
    Residual LSTM stacks as in Wu et al. 2016 (GNMT), here from the second layer on.
    """

    arch = "res-lstm"
    summary = "lstm + residual shortcuts h + lstm_l(h) between stacked layers"
    isolates = ("lstm", "residual connections")

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1, gate_bias: float = DEFAULT_GATE_BIAS,
                 torch_init: bool = False) -> None:
        SequenceModel.__init__(self, n_inputs, n_outputs, depth, width, output_steps)
        self.gate_bias = gate_bias
        self.torch_init = torch_init
        self.layers = nn.ModuleList(
            self.cell(n_inputs if i == 0 else width, width, batch_first=True)
            for i in range(depth)
        )
        for layer in self.layers:
            self._init_memory_gate(layer, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.layers[0](x)[0]
        for layer in self.layers[1:]:
            h = h + layer(h)[0]
        return h

    def layer_groups(self) -> list[tuple[str, list[nn.Parameter]]]:
        return [(f"{self.arch}{i + 1}", list(layer.parameters()))
                for i, layer in enumerate(self.layers)] + [("head", list(self.head.parameters()))]


class ChronoMixin:
    """Chrono-initialised gates whose time scales span the sequence the model is trained on.

    Tallec & Ollivier (2018) draw memory-gate biases log(u), u ~ U(1, T_max - 1), with T_max
    the range of dependencies the task needs. The model cannot know that when it is built, so
    it draws u's quantiles at build time and maps them to [1, T - 1] on the first forward
    pass, T = that batch's sequence length: deterministic (no random draw at run time), and
    the same rule at every sampling rate. Everything else is the base class.
    """

    rnn: nn.RNNBase
    arch: str
    depth: int
    width: int
    knobs = ()  # chrono draws the gate biases: a gate_bias knob would do nothing

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1, gate_bias: float = DEFAULT_GATE_BIAS) -> None:
        super().__init__(n_inputs, n_outputs, depth, width, output_steps, gate_bias)  # type: ignore[call-arg]
        self._draw_chrono()

    def _draw_chrono(self) -> None:
        self.register_buffer("chrono_quantiles", torch.rand(self.depth, self.width))
        self.register_buffer("chrono_t_max", torch.zeros(()))

    def _apply_chrono(self, seq_len: int) -> None:
        t_max = float(max(seq_len, 3))
        chrono_init(self.rnn, self.arch, self.chrono_quantiles, t_max)
        with torch.no_grad():
            self.chrono_t_max.fill_(t_max)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if float(self.chrono_t_max) == 0.0:
            self._apply_chrono(x.shape[1])
        return self.rnn(x)[0]


class ChronoLSTM(ChronoMixin, LSTM):
    arch = "chrono-lstm"
    summary = "lstm with chrono init: forget bias log U(1, T-1), input bias minus that"
    isolates = ("lstm", "gate time scales spread over the sequence (chrono init)")


class ChronoGRU(ChronoMixin, GRU):
    arch = "chrono-gru"
    summary = "gru with chrono init: update-gate bias log U(1, T-1)"
    isolates = ("gru", "gate time scales spread over the sequence (chrono init)")
