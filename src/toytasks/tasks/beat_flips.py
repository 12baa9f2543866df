"""beat-flips: do most consecutive beats change sign? (a hierarchy of time scales)

Hermans & Schrauwen 2013 ("Training and analysing deep recurrent neural networks") find
that stacked recurrent layers settle on increasingly long time scales. This task has two
levels, and the label is a composition that does not collapse into one level. Fast: each
of ``n_beats`` beats is one sine cycle of ``beat_samples`` samples, upright or inverted
(s_b = ±1, fair and independent), plus Gaussian noise ``noise_std`` per sample, so a beat's
sign is read by integrating its samples (a matched filter), not from one sample. Slow: the
label is whether the sign flips (s_b != s_b+1) on more than half of the ``n_beats - 1``
transitions (the bigeminy of ECG: beats that alternate); a tie goes to the first
transition, which keeps the classes exactly balanced.

Why no shortcut: the label depends on the signs only through products s_b s_b+1, so
inverting the whole sequence keeps it: every sample is uncorrelated with the label and a
linear read-out of the whole span is at chance; the beats' energies are identical in both
classes. A linear read-out of the signs of products of consecutive beats' matched-filter
outputs reads the label. The label counts every transition, so the span is the whole
sequence and no window is provably blind (``blind_samples`` 0).

``label_noise`` flips each label with that probability. The Bayes-optimal accuracy is
``1 - label_noise`` up to the chance that noise hides a beat's sign: the matched filter
misreads a beat with probability ``beat_error`` = Phi(-sqrt(beat_samples / 2) / noise_std),
so A* lies in [1 - label_noise - n_beats * beat_error, 1 - label_noise] (3e-4 wide at the
defaults).
"""

from __future__ import annotations

import math

import numpy as np

from toytasks.tasks.base import Knob, Task
from toytasks.tasks.xor_count import SOLVE_MARGIN, flip, label_noise_knob, majority


class BeatFlips(Task):
    name = "beat-flips"
    summary = "do most consecutive beats (noisy sine cycles, ±) flip sign? two time scales"
    source = "after Hermans & Schrauwen 2013 (time scales of stacked recurrent layers)"
    knobs = (
        Knob("beat_samples", int, 8, "samples per beat (the fast time scale)", "samples", 4,
             256),
        Knob("n_beats", int, 8, "beats per sequence; the label counts their n_beats - 1 "
             "transitions (the slow time scale)", "beats", 3, 512),
        Knob("noise_std", float, 0.5, "Gaussian noise per sample (the beat's amplitude is 1)",
             "amplitude", 0.0, 3.0),
        label_noise_knob(),
    )

    @property
    def seq_len(self) -> int:
        return self.beat_samples * self.n_beats

    @property
    def n_inputs(self) -> int:
        return 1

    @property
    def span_samples(self) -> int:
        return self.seq_len

    @property
    def blind_samples(self) -> int:
        return 0

    @property
    def baseline(self) -> float:
        return 0.5

    @property
    def beat_error(self) -> float:
        """Probability that the matched filter misreads one beat's sign."""
        if self.noise_std == 0.0:
            return 0.0
        snr = math.sqrt(float((self.waveform() ** 2).sum())) / self.noise_std
        return 0.5 * math.erfc(snr / math.sqrt(2.0))

    @property
    def bayes_accuracy(self) -> float:
        """Upper end of the Bayes-optimal accuracy (exact when no beat can be misread)."""
        return 1.0 - self.label_noise

    @property
    def solve_threshold(self) -> float:
        return self.bayes_accuracy - SOLVE_MARGIN

    def waveform(self) -> np.ndarray:
        """One upright cycle, sampled off the zero crossings (every sample carries sign)."""
        t = np.arange(self.beat_samples) + 0.5
        return np.sin(2.0 * np.pi * t / self.beat_samples)

    def probe_features(self, window: np.ndarray) -> np.ndarray:
        """What a model must compute, for the audit: per transition, the sign of the product
        of the two beats' matched-filter outputs (-1 on a flip); summing them reads the label."""
        beats = window.shape[1] // self.beat_samples
        signal = window[:, window.shape[1] - beats * self.beat_samples :, 0]
        matched = signal.reshape(len(window), beats, self.beat_samples) @ self.waveform()
        return np.sign(matched[:, 1:] * matched[:, :-1])

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        signs = 2 * rng.integers(0, 2, size=(n, self.n_beats)) - 1
        clean = signs[:, :, None] * self.waveform()[None, None, :]
        x = clean.reshape(n, self.seq_len) + self.noise_std * rng.standard_normal((n, self.seq_len))
        label = majority(signs[:, 1:] != signs[:, :-1])
        return x.astype(np.float32)[:, :, None], flip(label, self.label_noise, rng)[:, None]
