"""What sequence lengths the ECG tasks serve: a loud warning before a long run, an error past it.

Cost grows with the sequence length (samples = seconds x ``sampling_hz``): every layer of a
CNN and every step of an RNN runs once per sample. Measured on one CPU thread, width 32,
batch 32 (docs/ecg.md, "Cost by sampling rate"), a training step at 250 Hz (832 samples)
takes 0.05-0.4 s depending on the architecture, so a depth that fails and runs to
early stopping (600 steps) costs minutes, and a full minimal-depth search tens of minutes
per architecture. Past ``WARN_SAMPLES`` we say so before anything trains; past
``MAX_SAMPLES`` (about 33 s of ECG at 250 Hz) we refuse, naming the knobs that set the length.
"""

from __future__ import annotations

import warnings

from toytasks.errors import ToytasksError

WARN_SAMPLES = 1500  # 500 Hz ecg-ectopy (1,662 samples) warns; 250 Hz (832) does not
MAX_SAMPLES = 8192


def check_length(task_name: str, seq_len: int, sampling_hz: float) -> None:
    """Raise past MAX_SAMPLES, warn past WARN_SAMPLES; both name ``sampling_hz``."""
    if seq_len > MAX_SAMPLES:
        raise ToytasksError(
            f"task '{task_name}': sequences of {seq_len:,} samples exceed the {MAX_SAMPLES:,} "
            f"the ECG tasks serve; lower sampling_hz (now {sampling_hz:g}) or the beats per "
            "sequence (n_normal / n_beats, prefix_beats)"
        )
    if seq_len > WARN_SAMPLES:
        warnings.warn(
            f"task '{task_name}': sampling_hz={sampling_hz:g} gives {seq_len:,}-sample "
            "sequences; on a CPU each depth tried costs minutes and a full search can take "
            "hours (docs/ecg.md, cost by sampling rate): narrow --arch/--max-depth, or use "
            "--device cuda",
            stacklevel=2,
        )
