"""Plugins that cheat, named by import path (tests.cheating_fixtures:X).

``NextSign`` is a task no causal model can solve: at each output step the label is the sign
of the *next* input (or, with ``peek_step`` set, only at that step; elsewhere the sign of the
current input, which a per-step model reads). Each architecture below is a per-step linear
map (causal, receptive field 1) plus one way of reading the future that the old preflight
let through.
"""

from __future__ import annotations

import random
from typing import ClassVar

import numpy as np
import torch
from tests.plugin_fixtures import Linear
from torch import nn
from torch.nn import functional as F

from toytasks.tasks import Knob, Task


class NextSign(Task):
    """Label at output step s: next input > 0 (0 past the end); only at ``peek_step`` when
    it is >= 0, elsewhere the current input > 0. A causal model is at chance on peeking
    steps: with 4 output steps all peeking, at most 0.625; with 8 and one peeking, 0.9375."""

    name = "next-sign"
    summary = "sign of the next input (no causal model can)"
    knobs = (Knob("seq_len_samples", int, 8, "length", "samples", 2, 256),
             Knob("targets", int, 4, "output steps", "steps", 1, 256),
             Knob("peek_step", int, -1, "the one peeking step (-1: all)", "samples", -1, 255))
    default_solve: ClassVar[dict[str, float]] = {"threshold": 0.95}

    @property
    def seq_len(self) -> int:
        return self.seq_len_samples

    @property
    def n_inputs(self) -> int:
        return 1

    @property
    def output_steps(self) -> int:
        return self.targets

    @property
    def span_samples(self) -> int:
        return 2

    @property
    def blind_samples(self) -> int:
        return 0

    @property
    def baseline(self) -> float:
        return 0.5

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((n, self.seq_len, 1)).astype(np.float32)
        ahead = np.concatenate([x[:, 1:, 0], np.zeros((n, 1), np.float32)], axis=1)
        steps = np.arange(self.seq_len)
        peek = steps >= 0 if self.peek_step < 0 else steps == self.peek_step
        label = np.where(peek[None, :], ahead, x[:, :, 0]) > 0
        return x, label[:, -self.targets:].astype(np.int64)


def next_input(x: torch.Tensor) -> torch.Tensor:
    """x[t + 1] at step t (zero past the end): a view of the future."""
    return torch.cat([x[:, 1:], torch.zeros_like(x[:, :1])], dim=1)


class ReversedForward(Linear):
    """(a) Overrides forward to read the input reversed in time; features() is causal."""

    def forward(self, x):
        return self.head(self.features(x.flip(1))[:, -self.output_steps:])


class ShiftedForward(Linear):
    """(a) Overrides forward to read the next input; features() is causal. Trained through
    its own forward, it scores ~1.0 on NextSign."""

    def forward(self, x):
        return self.head(self.features(next_input(x))[:, -self.output_steps:])


class GatedPeek(Linear):
    """(b) A future-reading branch behind a learnable gate that starts at zero: causal at
    initialisation, leaking after a few steps of training."""

    def __init__(self, n_inputs, n_outputs, depth, width, output_steps=1):
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.ahead = nn.Linear(n_inputs, width, bias=False)
        self.gate = nn.Parameter(torch.zeros(width))

    def features(self, x):
        return torch.tanh(self.proj(x) + self.gate * self.ahead(next_input(x)))


class DeepPeek(Linear):
    """(c) Leaks only at depth >= 3 (the old check built depth 2)."""

    def features(self, x):
        return torch.tanh(self.proj(next_input(x) if self.depth >= 3 else x))


class BetweenCuts(Linear):
    """(d) Leaks only at step T/2 + 1, between the old probe cuts (0, T/3, T/2, T-2)."""

    def features(self, x):
        step = x.shape[1] // 2 + 1
        x = x.clone()
        x[:, step] = x[:, step + 1]
        return torch.tanh(self.proj(x))


class LateLeak(Linear):
    """(d) Leaks only at absolute step 40: beyond a short probe, so only the full-length
    check of the trained model can see it."""

    STEP = 40

    def features(self, x):
        if x.shape[1] > self.STEP + 1:
            x = x.clone()
            x[:, self.STEP] = x[:, self.STEP + 1]
        return torch.tanh(self.proj(x))


class WithDropout(Linear):
    """Dropout as a module: on in training, off in eval mode (the model as measured)."""

    def __init__(self, n_inputs, n_outputs, depth, width, output_steps=1):
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.drop = nn.Dropout(0.5)

    def features(self, x):
        return self.drop(torch.tanh(self.proj(x)))


class AlwaysDropout(Linear):
    """Randomness left on in eval mode: two outputs for one input, which is not a leak."""

    def features(self, x):
        return F.dropout(torch.tanh(self.proj(x)), 0.5, training=True)


class TimeBatchNorm(Linear):
    """Batch norm over batch and time: train-mode statistics see the whole sequence, the
    eval-mode model (running statistics) is causal."""

    def __init__(self, n_inputs, n_outputs, depth, width, output_steps=1):
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.norm = nn.BatchNorm1d(width)

    def features(self, x):
        return torch.tanh(self.norm(self.proj(x).transpose(1, 2)).transpose(1, 2))


class PythonRandom(Linear):
    """Draws its initial scale from Python's and numpy's global generators."""

    def __init__(self, n_inputs, n_outputs, depth, width, output_steps=1):
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        with torch.no_grad():
            self.proj.weight.mul_(0.5 + random.random() + float(np.random.rand()))


class RaisesMidway(Linear):
    """Raises at its fourth training forward (a FLOP count's one-sequence pass aside)."""

    def __init__(self, n_inputs, n_outputs, depth, width, output_steps=1):
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.calls = 0

    def features(self, x):
        if self.training and len(x) > 1:
            self.calls += 1
            if self.calls > 3:
                raise RuntimeError("midway boom")
        return super().features(x)


class RareNaN(NextSign):
    """About one sequence in 200 holds a NaN."""

    def sample(self, n, rng):
        x, y = super().sample(n, rng)
        x[rng.random(n) < 1 / 200, 0, 0] = np.nan
        return x, y


class NaNInBatches(NextSign):
    """Finite for the preflight's and the held-out draws; NaN in training batches of 16."""

    def sample(self, n, rng):
        x, y = super().sample(n, rng)
        if n == 16:
            x[0, 0, 0] = np.nan
        return x, y


class NaNPastTheCheck(NextSign):
    """Finite in any draw of up to 1,024 sequences (the preflight); NaN in larger ones."""

    def sample(self, n, rng):
        x, y = super().sample(n, rng)
        if n > 1024:
            x[-1, 0, 0] = np.nan
        return x, y


class ClaimsShortRF(Linear):
    """Reads the first input at every step (causal, unbounded reach) while declaring a
    receptive field of ``depth`` samples: the theory says it cannot solve ``Sign``."""

    def features(self, x):
        return torch.tanh(self.proj(x[:, :1].expand_as(x)))

    @classmethod
    def receptive_field(cls, depth, **_):
        return depth
