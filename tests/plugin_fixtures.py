"""Plugins for the refusal tests, named by import path (tests.plugin_fixtures:X)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from toytasks.models import SequenceModel
from toytasks.tasks import Knob, Task


class Linear(SequenceModel):
    """A valid, tiny plugin: per-step linear features (receptive field 1)."""

    summary = "per-step linear map"

    def __init__(self, n_inputs, n_outputs, depth, width, output_steps=1):
        super().__init__(n_inputs, n_outputs, depth, width, output_steps)
        self.proj = nn.Linear(n_inputs, width)

    def features(self, x):
        return torch.tanh(self.proj(x))


class Peeker(Linear):
    """Cheats: each step's features include the mean of all later inputs."""

    def features(self, x):
        future = x.flip(1).cumsum(1).flip(1)
        return torch.tanh(self.proj(future))


class WrongShape(Linear):
    def forward(self, x):  # every step, not the last output_steps
        return self.head(self.features(x))


class NoFeatures(SequenceModel):
    summary = "misses features()"


class NotAModel(nn.Module):
    pass


class Broken(Linear):
    def __init__(self, *args, **kwargs):
        raise RuntimeError("boom")


class Sign(Task):
    """A valid, tiny task plugin: the sign of the first of 6 samples."""

    name = "sign"
    summary = "sign of the first sample"
    knobs = (Knob("seq_len_samples", int, 6, "length", "samples", 2, 64),)

    @property
    def seq_len(self):
        return self.seq_len_samples

    @property
    def n_inputs(self):
        return 1

    @property
    def span_samples(self):
        return self.seq_len_samples

    @property
    def baseline(self):
        return 0.5

    def sample(self, n, rng):
        x = rng.standard_normal((n, self.seq_len, 1)).astype(np.float32)
        return x, (x[:, 0, 0] > 0).astype(np.int64)[:, None]


class Leaky(Sign):
    """A shortcut: the label is also written, clearly, into the last sample."""

    def sample(self, n, rng):
        x, y = super().sample(n, rng)
        x[:, -1, 0] = 2.0 * y[:, 0] - 1.0
        return x, y


class Float64(Sign):
    def sample(self, n, rng):
        x, y = super().sample(n, rng)
        return x.astype(np.float64), y


class FlatLabels(Sign):
    def sample(self, n, rng):
        x, y = super().sample(n, rng)
        return x, y[:, 0]


class Unseeded(Sign):
    def sample(self, n, rng):
        return super().sample(n, np.random.default_rng())


class BadLabels(Sign):
    def sample(self, n, rng):
        x, y = super().sample(n, rng)
        return x, y + 5
