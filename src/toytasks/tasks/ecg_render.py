"""Rendering beats into samples, and drawing many uniforms in one call: the ECG tasks'
inner loop, shaped by the cost of a numpy call rather than by arithmetic.

At the default 20 Hz a batch of 32 sequences is ~3,000 samples and ~1,800 (beat, sample)
pairs, so each numpy call costs about as much as its arithmetic; what is here does the
same arithmetic as ``render`` (in ``ecg_signal``'s terms) in fewer calls, bit for bit:

* ``Renderer`` keeps per task what does not change between batches (a zero-padded copy of
  the waveform table laid out as (left, right) neighbours, so that interpolation needs
  one gather and no clipping; the row offsets of a batch size);
* ``Uniforms`` turns consecutive ``rng.uniform`` calls into one ``rng.random`` call:
  numpy computes ``uniform(low, high)`` as ``low + (high - low) * random()``, so the values
  and the generator state are the same.

``tests/tasks/test_generator_hashes.py`` holds the proof that counts: x, y and the
generator state after several batches hash as they did before any of this.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

TABLE_STEP_S = 1e-4  # grid of the tabulated beat waveforms
NEIGHBOURS = 2  # beats must lie more than max support / NEIGHBOURS apart (knob check)
PAD_SAMPLES = 4  # table padding, in samples: more than a beat's window reaches past it


class Renderer:
    """``render`` for one task's wave table and sampling rate, with what can be cached.

    A beat is evaluated on the samples from one before its table's start to past its end
    (clipped to the sequence): every sample it can reach, ``width`` at most. The values
    are summed per sample with one ``bincount`` in beat order. Samples a window reaches
    beyond the table read its zero padding, which is what clipping to the table's (zero)
    ends gave: a zero added to a sum changes no bit, so the sums are those of every beat
    interpolated at every sample.
    """

    def __init__(self, table: np.ndarray, table_start_s: float, sampling_hz: float) -> None:
        kinds, length = table.shape
        if table[:, :2].any() or table[:, -1].any():  # what clipping to the table read
            raise ValueError("a beat table must start with two zeros and end with one")
        self.length = length
        self.start_s = table_start_s
        self.hz = sampling_hz
        self.width = math.ceil(length * TABLE_STEP_S * sampling_hz) + 3
        self.pad = math.ceil(PAD_SAMPLES / (sampling_hz * TABLE_STEP_S)) + 2
        padded = np.zeros((kinds, length + 2 * self.pad + 1))
        padded[:, self.pad:self.pad + length] = table
        # Row i of kind k: (table[k, i - pad], table[k, i - pad + 1]), zero outside.
        self.pairs = np.stack([padded[:, :-1], padded[:, 1:]], axis=-1).reshape(-1, 2)
        self.row = padded.shape[1] - 1  # pairs per kind
        self._offsets: dict[tuple[int, int], np.ndarray] = {}
        self._count = np.arange(0)

    def _row_offsets(self, n: int, t_len: int) -> np.ndarray:
        held = self._offsets.get((n, t_len))
        if held is None:
            held = self._offsets[(n, t_len)] = (np.arange(n) * t_len)[:, None]
        return held

    def _arange(self, size: int) -> np.ndarray:
        if len(self._count) < size:
            self._count = np.arange(max(size, 2 * len(self._count)))
        return self._count[:size]

    def __call__(self, back_s: np.ndarray, kinds: np.ndarray | None,
                 times_s: np.ndarray) -> np.ndarray:
        """ECG values (n, T) for beats ``back_s`` seconds before the last R peak (n, B),
        newest first (as ``place_beats`` gives them), at ``times_s`` (n, T), relative to
        the last R peak. ``kinds`` (n, B) newest first, or None when every beat is NORMAL.
        Equal bit for bit to ``render(-back_s[:, ::-1], kinds[:, ::-1], times_s, ...)``."""
        n = len(back_s)
        t_len = times_s.shape[1]
        back = back_s[:, ::-1]  # oldest first: the order the sums are taken in
        # Window of each beat: first sample (one of margin) and count, clipped to the row.
        reach = np.subtract(self.start_s, back)
        reach -= times_s[:, :1]
        reach *= self.hz
        first = np.floor(reach, out=reach).astype(np.int64)
        first -= 1
        stop = first + self.width
        np.minimum(stop, t_len, out=stop)
        np.maximum(first, 0, out=first)
        stop -= first
        count = np.maximum(stop, 0, out=stop).ravel()
        ends = count.cumsum()
        # Flat sample index of each (beat, sample) pair, in (row, beat, sample) order.
        first += self._row_offsets(n, t_len)
        first = first.ravel()
        first -= ends
        first += count
        sample = first.repeat(count)
        sample += self._arange(len(sample))
        # (Methods, not np.take/np.repeat: those add a Python wrapper per call.)
        # Table position of each pair: (t - beat - table start) / step, as ``render``.
        pos = times_s.take(sample)
        pos += back.repeat(count)  # t - (-back) is t + back, bit for bit
        pos -= self.start_s
        pos /= TABLE_STEP_S
        left = pos.astype(np.int64)
        frac = pos
        frac -= left
        if kinds is None:
            left += self.pad
        else:
            left += (kinds[:, ::-1] * self.row + self.pad).repeat(count)
        near = self.pairs.take(left, axis=0)
        value = near[:, 0] * (1 - frac)  # linear interpolation: a(1 - f) + b f
        frac *= near[:, 1]
        value += frac
        return np.bincount(sample, weights=value, minlength=n * t_len).reshape(n, t_len)


class Uniforms:
    """Consecutive ``rng.uniform(low, high, shape)`` draws as one ``rng.random`` call.

    numpy's ``uniform`` is ``low + (high - low) * random()`` per value, drawn in order, so
    one call of the total size, scaled and shifted per block, gives the same values and
    leaves the generator in the same state (``rng.random`` is the block (0, 1))."""

    def __init__(self, blocks: Sequence[tuple[float, float, tuple[int, ...]]]) -> None:
        sizes = [math.prod(shape) for _, _, shape in blocks]
        self.shapes = [shape for _, _, shape in blocks]
        self.low = np.repeat([low for low, _, _ in blocks], sizes)
        self.span = np.repeat([high - low for low, high, _ in blocks], sizes)
        self.bounds = np.cumsum([0, *sizes]).tolist()

    def draw(self, rng: np.random.Generator) -> list[np.ndarray]:
        u = rng.random(len(self.low))
        u *= self.span
        u += self.low
        b = self.bounds
        return [u[b[i]:b[i + 1]].reshape(s) for i, s in enumerate(self.shapes)]
