"""xor-count: is the per-step XOR of k binary channels true on most steps? (input-to-hidden depth)

Pascanu et al. 2014 ("How to construct deep recurrent neural networks") argue that a
recurrent layer has a shallow input-to-hidden map: each input passes through one affine
map before the gates. This task asks for a per-step feature that no affine map of the
current input carries: the parity (XOR) of ``channels`` binary channels. Each step holds
``channels`` bits as -1/+1, each plus uniform noise in [-noise_amp, noise_amp]
(``noise_amp`` < 1, so the sign of every sample is its bit); the per-step feature is
z_t = 1 when an odd number of the step's bits are +1, and the label is whether z_t is true
on more than half of the ``window_steps`` steps (a tie, possible when ``window_steps`` is
even, goes to z at the first step, which keeps the classes exactly balanced).

Why no shortcut: any ``channels - 1`` of a step's bits are independent of its z, so every
channel alone (and every set of channels missing one) is exactly uninformative; every
input is uncorrelated with the label, so the population logistic loss is minimal at zero
weights: a linear read-out of the whole span is at chance. A linear read-out of the
per-step products of the channels (the XOR features) reads the label exactly.

The label counts every step, so the span is the whole sequence and a partial view is
partly informative: no window is provably blind (``blind_samples`` 0).

``label_noise`` flips each label with that probability, independently of the inputs: the
clean label is a function of the inputs, so the Bayes-optimal accuracy is exactly
``1 - label_noise`` (``bayes_accuracy``), and the task's solve threshold sits
``SOLVE_MARGIN`` below it.
"""

from __future__ import annotations

import numpy as np

from toytasks.tasks.base import Knob, Task

SOLVE_MARGIN = 0.05  # solved within 5 accuracy points of the Bayes-optimal accuracy


def label_noise_knob(keyed_when_set: bool = False) -> Knob:
    """``keyed_when_set``: for a task whose stored results predate the knob."""
    return Knob("label_noise", float, 0.0, "probability that a label is flipped (Bayes-optimal "
                "accuracy 1 - label_noise)", "probability", 0.0, 0.45, keyed_when_set)


def majority(events: np.ndarray) -> np.ndarray:
    """1 where more than half of each row is true; a tie goes to the row's first entry.

    Complementing a row complements its label, so for rows of fair, independent bits the
    label is exactly balanced whatever the row length.
    """
    count, half = events.sum(axis=1), events.shape[1] / 2
    return np.where(count == half, events[:, 0], count > half).astype(np.int64)


def flip(labels: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Binary labels, each flipped with probability ``rate`` independently of the inputs."""
    if rate <= 0.0:
        return labels
    return labels ^ (rng.random(labels.shape) < rate).astype(np.int64)


class XorCount(Task):
    name = "xor-count"
    summary = "majority over steps of the per-step XOR of k noisy binary channels"
    source = "after Pascanu et al. 2014 (deep transition / input-to-hidden depth)"
    knobs = (
        Knob("channels", int, 2, "binary channels per step; the per-step feature is their "
             "parity", "channels", 2, 16),
        Knob("window_steps", int, 15, "steps counted (the sequence length)", "steps", 1, 4096),
        Knob("noise_amp", float, 0.3, "uniform noise added to each ±1 bit, in [-a, a] (below "
             "1: the sign of a sample is its bit)", "amplitude", 0.0, 0.9),
        label_noise_knob(),
    )

    @property
    def seq_len(self) -> int:
        return self.window_steps

    @property
    def n_inputs(self) -> int:
        return self.channels

    @property
    def span_samples(self) -> int:
        return self.window_steps

    @property
    def blind_samples(self) -> int:
        return 0

    @property
    def baseline(self) -> float:
        return 0.5

    @property
    def bayes_accuracy(self) -> float:
        """Best possible held-out accuracy: the clean label is a function of the inputs."""
        return 1.0 - self.label_noise

    @property
    def solve_threshold(self) -> float:
        return self.bayes_accuracy - SOLVE_MARGIN

    def probe_features(self, window: np.ndarray) -> np.ndarray:
        """What a model must compute per step, for the audit: the product of the channels'
        signs (+1 where z is false, -1 where true); summing them reads the label."""
        return np.sign(window).prod(axis=2)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        bits = rng.integers(0, 2, size=(n, self.window_steps, self.channels))
        noise = rng.uniform(-self.noise_amp, self.noise_amp, size=bits.shape)
        x = (2.0 * bits - 1.0 + noise).astype(np.float32)
        label = majority(bits.sum(axis=2) % 2 == 1)
        return x, flip(label, self.label_noise, rng)[:, None]
