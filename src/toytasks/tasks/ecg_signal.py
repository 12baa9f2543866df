"""Synthetic ECG: beats as sums of Gaussian waves (ECGSYN morphology), rendered vectorised.

Morphology follows McSharry et al. 2003 (ECGSYN). There the ECG is the z coordinate of a
trajectory that circles a limit cycle once per beat; each wave i (P, Q, R, S, T) sits at
angle ``theta_i`` with strength ``a_i`` and angular width ``b_i`` and drives
``dz/dt = -sum_i a_i dtheta_i exp(-dtheta_i^2 / (2 b_i^2)) - (z - z0)``. Without the slow
baseline-restoring term ``-(z - z0)`` this integrates in closed form to

    z(theta) = sum_i a_i b_i^2 exp(-(theta - theta_i)^2 / (2 b_i^2))   (up to a constant)

so a beat is a sum of Gaussians with amplitudes ``a_i b_i^2``. We map angle to time with
the *mean* RR interval, ``t = theta / (2 pi) * RR_mean`` (R peak at t = 0), after ECGSYN's
own heart-rate adjustment (widths times ``sqrt(HR/60)``, P/T angles times ``(HR/60)**0.25``,
Q/S angles times ``sqrt(HR/60)``). Every beat of a kind therefore has the same shape in
seconds whatever its own RR interval: beat timing and beat shape are independent, which is
what lets the tasks put all label information in the timing (ecg-rhythm) or in one beat
(ecg-ectopy). Amplitudes are scaled so that the normal beat's R peak is 1 (about 1 mV).

A premature ventricular beat (PVC, kind ``PVC``) has no P wave, one wide inverted QRS wave
(three times the normal QRS width) and a broad upright (discordant) T wave.

Sampling: the continuous signal is rendered as if low-pass filtered by a Gaussian of
``AA_SAMPLES`` samples standard deviation before sampling (Gaussians convolve in closed
form: widths add in quadrature, areas are kept), so a coarse sampling rate gives a smooth
ECG rather than R peaks that alias in and out with the beat's sub-sample phase. Each wave
is truncated at ``TRUNCATE`` widths (a jump of at most 3e-4 of its amplitude), which gives
every beat a finite support: the tasks use it to prove that a window is blind.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from toytasks.errors import ToytasksError
from toytasks.tasks.base import Knob, Task
from toytasks.tasks.ecg_budget import check_length
from toytasks.tasks.ecg_render import NEIGHBOURS, TABLE_STEP_S, Renderer, Uniforms

# ECGSYN defaults (McSharry et al. 2003), order P, Q, R, S, T.
ECGSYN_ANGLES_DEG = (-70.0, -15.0, 0.0, 15.0, 100.0)
ECGSYN_A = (1.2, -5.0, 30.0, -7.5, 0.75)
ECGSYN_B = (0.25, 0.1, 0.1, 0.1, 0.4)
# PVC in the same units: no P, no separate Q/S, wide inverted QRS, broad discordant T.
# Integrated amplitudes a*b^2: QRS -0.30 (the normal R is +0.30), T +0.15 (normal T +0.12).
PVC_ANGLES_DEG = (-70.0, -15.0, 0.0, 15.0, 100.0)
PVC_A = (0.0, 0.0, -3.0 / 0.9, 0.0, 0.6)
PVC_B = (0.25, 0.1, 0.3, 0.1, 0.5)

NORMAL, PVC = 0, 1
AA_SAMPLES = 12 ** -0.5  # anti-aliasing Gaussian (sd of a one-sample box), in samples
TRUNCATE = 4.0  # each wave is cut at this many (effective) widths
MAX_CACHED = 64  # batch sizes whose draw layout a task keeps


@dataclass(frozen=True)
class BeatShapes:
    """Per beat kind (rows: NORMAL, PVC) and wave (columns: P, Q, R, S, T), in seconds.

    ``table`` holds each kind's whole beat on a fine grid (``TABLE_STEP_S``) from
    ``table_start_s`` before the R peak, zero-padded at both ends: rendering interpolates in
    it (one gather per beat and sample instead of five exponentials).
    """

    centre_s: np.ndarray  # (2, 5) wave centres relative to the R peak
    width_s: np.ndarray  # (2, 5) effective Gaussian widths (anti-aliasing included)
    amplitude: np.ndarray  # (2, 5) peak amplitudes after anti-aliasing (normal R peak = 1)
    table: np.ndarray  # (2, L) beat waveform per kind on the fine grid
    table_start_s: float

    def support_s(self, kind: int) -> tuple[float, float]:
        """(before, after) the R peak: outside this a beat of ``kind`` contributes exactly 0."""
        live = self.amplitude[kind] != 0
        lo = self.centre_s[kind] - TRUNCATE * self.width_s[kind]
        hi = self.centre_s[kind] + TRUNCATE * self.width_s[kind]
        # Interpolation in the table can reach one grid step past the last non-zero entry.
        return float(-lo[live].min()) + TABLE_STEP_S, float(hi[live].max()) + TABLE_STEP_S

    @cached_property
    def max_support_s(self) -> float:
        return max(max(self.support_s(k)) for k in (NORMAL, PVC))

    def waves(self, kind: int, dt_s: np.ndarray) -> np.ndarray:
        """Exact (not tabulated) waveform of one beat of ``kind`` at offsets ``dt_s``."""
        z = (dt_s[..., None] - self.centre_s[kind]) / self.width_s[kind]
        return (self.amplitude[kind] * np.exp(-0.5 * z**2) * (np.abs(z) < TRUNCATE)).sum(-1)


def beat_shapes(heart_rate_bpm: float, sampling_hz: float, p_waves: bool = True) -> BeatShapes:
    """Wave centres, widths and amplitudes in seconds for a mean heart rate and sample rate."""
    rr_s = 60.0 / heart_rate_bpm
    hrfact = math.sqrt(heart_rate_bpm / 60.0)
    angle_scale = np.array([hrfact**0.5, hrfact, 1.0, hrfact, hrfact**0.5])
    centres, widths, amps = [], [], []
    for angles, a, b in ((ECGSYN_ANGLES_DEG, ECGSYN_A, ECGSYN_B), (PVC_ANGLES_DEG, PVC_A, PVC_B)):
        theta = np.radians(np.array(angles)) * angle_scale
        width = np.array(b) * hrfact
        centres.append(theta / (2 * np.pi) * rr_s)
        widths.append(width / (2 * np.pi) * rr_s)
        amps.append(np.array(a) * width**2)
    centre, width, amp = np.array(centres), np.array(widths), np.array(amps)
    # Normalise so the continuous normal beat (with its P wave) peaks at 1 (at the R wave).
    grid = np.linspace(-0.1, 0.1, 2001) * rr_s
    normal = (amp[0, :, None] * np.exp(-0.5 * ((grid - centre[0, :, None]) / width[0, :, None])
                                        ** 2)).sum(0)
    amp = amp / normal.max()
    if not p_waves:
        amp[:, 0] = 0.0
    aa_s = AA_SAMPLES / sampling_hz
    eff = np.sqrt(width**2 + aa_s**2)
    exact = BeatShapes(centre, eff, amp * width / eff, np.zeros((2, 1)), 0.0)
    start = float((centre - TRUNCATE * eff).min()) - 2 * TABLE_STEP_S
    stop = float((centre + TRUNCATE * eff).max()) + 2 * TABLE_STEP_S
    offsets = np.arange(start, stop + TABLE_STEP_S, TABLE_STEP_S)
    table = np.stack([exact.waves(kind, offsets) for kind in (NORMAL, PVC)])
    table[:, [0, -1]] = 0.0
    return BeatShapes(centre, eff, amp * width / eff, table, start)


def render(beat_times_s: np.ndarray, beat_kinds: np.ndarray, sample_times_s: np.ndarray,
           shapes: BeatShapes, sampling_hz: float) -> np.ndarray:
    """ECG values (n, T) at ``sample_times_s`` (n, T) for beats at ``beat_times_s`` (n, B).

    Each row of ``sample_times_s`` is a grid with step ``1 / sampling_hz``; beat times must
    be ascending along each row. Every beat is evaluated only on the samples its table
    spans (cost O(n B support), independent of how the beats overlap), and the values are
    summed per sample with one ``bincount`` in beat order: the same sums, bit for bit, as
    adding every beat's waveform at every sample (outside its table a beat adds exactly 0).
    Beats closer than half a support are refused (the spacing every ECG task guarantees).
    The tasks call their cached ``Renderer`` (``ecg_render``) directly.
    """
    n, n_beats = beat_times_s.shape
    if n_beats > 1 and n:
        spacing = float((beat_times_s[:, 1:] - beat_times_s[:, :-1]).min())
        if NEIGHBOURS * spacing <= shapes.max_support_s:
            raise ValueError(f"beats {spacing:.3f} s apart are too close to render exactly")
    renderer = Renderer(shapes.table, shapes.table_start_s, sampling_hz)
    return renderer(-beat_times_s[:, ::-1], beat_kinds[:, ::-1], sample_times_s)


def hrv_intervals(n: int, count: int, rr_s: np.ndarray | float, hrv: float,
                  rng: np.random.Generator) -> np.ndarray:
    """(n, count) RR intervals: respiratory sinus arrhythmia plus jitter, bounded by +-hrv.

    The relative deviation is half a sinusoid over beats (breathing at 0.15-0.35 Hz, a random
    phase per sequence) plus half uniform noise, so it never leaves [-hrv, hrv]: the tasks
    rely on that bound to prove their blind windows.
    """
    breath, phase, jitter = Uniforms(hrv_blocks(n, count)).draw(rng)
    rr = np.asarray(rr_s, dtype=float).reshape(-1, 1)  # (n, 1) or (1, 1)
    return intervals_from(breath, phase, jitter, rr, hrv)


def hrv_blocks(n: int, count: int) -> list[tuple[float, float, tuple[int, ...]]]:
    """The uniform draws of ``hrv_intervals``, in order: breathing rate, phase, jitter."""
    return [(0.15, 0.35, (n, 1)), (0, 2 * np.pi, (n, 1)), (-1.0, 1.0, (n, count))]


def intervals_from(breath: np.ndarray, phase: np.ndarray, jitter: np.ndarray,
                   rr: np.ndarray | float, hrv: float) -> np.ndarray:
    """``rr (1 + hrv/2 (sin(2 pi breath rr beat + phase) + jitter))`` from drawn values,
    computed in place (the same operations in the same order, so the same bits)."""
    wave = 2 * np.pi * breath
    wave *= rr
    wave = wave * np.arange(jitter.shape[1])
    wave += phase
    np.sin(wave, out=wave)
    wave += jitter
    wave *= hrv * 0.5
    wave += 1.0
    wave *= rr
    return wave


def add_baseline_and_noise(ecg: np.ndarray, sample_times_s: np.ndarray, wander: float,
                           noise_std: float, rng: np.random.Generator) -> np.ndarray:
    """Respiratory baseline wander (0.15-0.4 Hz, amplitude ``wander``) and white noise."""
    freq, phase = Uniforms(wander_blocks(len(ecg))).draw(rng)
    return wander_and_noise(ecg, sample_times_s, freq, phase, wander, noise_std, rng)


def wander_blocks(n: int) -> list[tuple[float, float, tuple[int, ...]]]:
    """The uniform draws of the baseline wander, in order: frequency, phase."""
    return [(0.15, 0.4, (n, 1)), (0, 2 * np.pi, (n, 1))]


def wander_and_noise(ecg: np.ndarray, sample_times_s: np.ndarray, freq: np.ndarray,
                     phase: np.ndarray, wander: float, noise_std: float,
                     rng: np.random.Generator) -> np.ndarray:
    """``ecg + wander sin(2 pi freq t + phase) + noise`` computed in place on one new array
    (the same values bit for bit): fewer large temporaries is most of the speed at clinical
    rates."""
    out = np.multiply(2 * np.pi * freq, sample_times_s)
    out += phase
    np.sin(out, out=out)
    out *= wander
    out += ecg
    if noise_std > 0:
        out += rng.normal(0.0, noise_std, size=ecg.shape)
    return out


# --- shared plumbing for the ECG tasks ------------------------------------------------
@dataclass(frozen=True)
class Beats:
    """Ground truth of a batch: R-peak times in seconds relative to the last sample (<= 0
    inside the sequence; earlier beats that only reach in with their tails are included),
    ascending per row, and each beat's kind (NORMAL or PVC)."""

    r_peak_s: np.ndarray  # (n, B)
    kinds: np.ndarray  # (n, B)


COMMON_KNOBS = (
    Knob("heart_rate_bpm", float, 75.0, "mean heart rate (sets RR and the wave timing)",
         "beats/min", 30, 200),
    Knob("sampling_hz", float, 20.0, "sampling rate; default is coarse so a beat is 16 "
         "samples (docs/ecg.md)", "Hz", 5, 1000),
    Knob("noise_std", float, 0.05, "white measurement noise (normal R peak = 1)", "mV", 0.0,
         5.0),
    Knob("baseline_wander", float, 0.1, "amplitude of respiratory baseline wander "
         "(0.15-0.4 Hz)", "mV", 0.0, 5.0),
    Knob("prefix_beats", int, 2, "label-independent beats before the deciding pattern",
         "beats", 0, 64),
)


class EcgTask(Task):
    """Common geometry of the ECG tasks: time grid, wave shapes, tail after the last beat.

    A sequence ends ``tail`` seconds after its last R peak, where ``tail`` is a quarter of
    the mean RR interval plus a random sub-sample phase (so R peaks do not always fall on
    the same sample phase). Everything else is placed backwards from there.
    """

    p_waves_on: bool = True

    def check(self) -> None:
        self.shapes = beat_shapes(self.heart_rate_bpm, self.sampling_hz, self.p_waves_on)
        spacing = self.min_spacing_s()
        if NEIGHBOURS * spacing <= self.shapes.max_support_s:
            raise ToytasksError(
                f"task '{self.name}': beats can come {spacing * 1000:.0f} ms apart, too close "
                f"for these knobs (need > {self.shapes.max_support_s / NEIGHBOURS * 1000:.0f}"
                " ms): lower heart_rate_bpm or the knobs that shorten RR intervals"
            )
        check_length(self.name, self.seq_len, self.sampling_hz)

    def min_spacing_s(self) -> float:
        """Shortest possible R-to-R distance under the knobs (checked against the support)."""
        raise NotImplementedError

    @property
    def rr_s(self) -> float:
        return 60.0 / self.heart_rate_bpm

    @property
    def tail_range_s(self) -> tuple[float, float]:
        return 0.25 * self.rr_s, 0.25 * self.rr_s + 1.0 / self.sampling_hz

    @property
    def qrs_before_s(self) -> float:
        """How far before a normal R peak its QRS complex (Q, R, S waves) begins."""
        qrs = slice(1, 4)
        return float(-(self.shapes.centre_s[NORMAL, qrs]
                       - TRUNCATE * self.shapes.width_s[NORMAL, qrs]).min())

    def samples(self, seconds: float) -> int:
        return math.ceil(seconds * self.sampling_hz - 1e-9)

    def blind_from(self, seconds: float) -> int:
        """Trailing samples that lie strictly after a point ``seconds`` before the end."""
        return max(0, math.floor(seconds * self.sampling_hz - 1e-9))

    @property
    def n_inputs(self) -> int:
        return 1

    @property
    def baseline(self) -> float:
        return 0.5

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x, y, _, _, _ = self._draw(n, rng)
        return x, y

    def sample_annotated(self, n: int, rng: np.random.Generator,
                         ) -> tuple[np.ndarray, np.ndarray, Beats]:
        """Like ``sample`` (same draws), plus where each beat was placed and of what kind."""
        x, y, back, kinds, end_s = self._draw(n, rng)
        return x, y, Beats(r_peak_s=-back[:, ::-1] - end_s, kinds=kinds[:, ::-1].copy())

    all_normal: bool = False  # every beat NORMAL: rendering skips the kinds

    def _draw(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """x, y, the beats as ``place_beats`` put them, and each row's last sample time.
        The tail and the baseline wander's two uniforms are consecutive draws: one call."""
        back, kinds, labels = self.place_beats(n, rng)
        lo, hi = self.tail_range_s
        tail, freq, phase = self.uniforms("tail", n, lambda: [(lo, hi, (n, 1)),
                                                               *wander_blocks(n)]).draw(rng)
        times = tail - self._steps_before_end_s  # last R peak at 0
        ecg = self._renderer(back, None if self.all_normal else kinds, times)
        ecg = wander_and_noise(ecg, times, freq, phase, self.baseline_wander, self.noise_std,
                               rng)
        x = np.ascontiguousarray(ecg.astype(np.float32)[:, :, None])
        return x, labels.astype(np.int64)[:, None], back, kinds, times[:, -1:]

    def uniforms(self, what: str, n: int, blocks: Callable[[], list]) -> Uniforms:
        """The ``Uniforms`` of ``blocks()`` for batches of ``n``, kept per task (the knobs
        are fixed): building one costs more than drawing from it."""
        cache = self.__dict__.setdefault("_uniforms", {})
        held = cache.get((what, n))
        if held is None:
            if len(cache) >= MAX_CACHED:
                cache.clear()
            held = cache[(what, n)] = Uniforms(blocks())
        return held

    @cached_property
    def _renderer(self) -> Renderer:
        return Renderer(self.shapes.table, self.shapes.table_start_s, self.sampling_hz)

    @cached_property
    def _steps_before_end_s(self) -> np.ndarray:
        """(1, T): seconds from each sample to the last one (fixed by the knobs)."""
        steps = np.arange(self.seq_len)[None, :]
        return (self.seq_len - 1 - steps) / self.sampling_hz

    @cached_property
    def beats_per_sequence(self) -> int:
        """Beats ``place_beats`` draws per sequence (fixed by the knobs)."""
        return self.beats_needed()

    def beats_needed(self) -> int:
        raise NotImplementedError

    def place_beats(self, n: int, rng: np.random.Generator,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(seconds before the last R peak (n, B), kinds (n, B), labels (n,)); column 0 is
        the last beat and times grow backwards."""
        raise NotImplementedError

    def beats_to_cover(self, shortest_rr_s: float) -> int:
        """Beats needed so the earliest one lies before the first sample, whatever the RR."""
        reach = self.seq_len / self.sampling_hz + self.shapes.max_support_s
        return math.ceil(reach / shortest_rr_s) + 2
