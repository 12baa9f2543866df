"""Data generation: share of a training step spent generating its batch (target <= 5%).

Every built-in task spec at its default knobs, plus the ECG tasks at 20 Hz and 250 Hz
(``sampling_hz`` overridden), each against the training step of an lstm of depth 1 (a
cheap model: the worst case for the generator's share) at that same setting.

The step is the trainer's marginal step: (time of ``2 S`` steps - time of ``S`` steps) / S,
with held-out evaluation only at the last step, so the held-out set's generation and the
final evaluation cancel and what is left is what a long run pays per step (its own batch
generation included). Generation, short and long runs are timed interleaved, best of
``REPEATS`` rounds, in CPU time (both are one-thread work: the trainer runs torch on one
thread), so other processes on a shared machine change the ratio little.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from typing import Any

import numpy as np

from benchmarks.common import default_trial, fastest_interleaved
from toytasks.specs.spec import available_specs, load_spec
from toytasks.training.train import make_generator, train

ARCH_FOR_STEP = ("lstm", 1)  # a cheap model: the worst case for the generator's share
TARGET = 0.05
ECG_RATES_HZ = (20.0, 250.0)
STEPS = 100  # S: the long run trains 2 S steps
BATCHES = 100  # batches generated per timing
REPEATS = 3


def cases() -> list[tuple[str, str, dict[str, Any]]]:
    """(label, task, knob overrides): every built-in spec, each ECG task at every rate."""
    found = []
    for name in sorted(available_specs()):
        knobs = load_spec(name).knobs
        if "sampling_hz" not in knobs:
            found.append((name, name, {}))
            continue
        for hz in ECG_RATES_HZ:
            default = " (default)" if knobs["sampling_hz"] == hz else ""
            found.append((f"{name} @ {hz:g} Hz{default}", name, {"sampling_hz": hz}))
    return found


def _run(trial) -> None:
    result = train(trial)
    if result.steps != trial.max_steps:  # an early stop would fake a cheap step
        raise RuntimeError(f"{trial.task}: stopped at step {result.steps} of "
                           f"{trial.max_steps} ({result.status}: {result.reason})")


def measure(task_name: str, knobs: dict[str, Any]) -> tuple[int, float, float]:
    """(sequence length, seconds per batch, seconds per training step)."""
    trial = default_trial(task_name, *ARCH_FOR_STEP, steps=STEPS, knobs=knobs)
    short = replace(trial, eval_every=10**6)  # held-out evaluation only at the last step
    long = replace(short, max_steps=2 * STEPS)
    task = make_generator(trial)
    rng = np.random.default_rng(0)
    batch = trial.batch_size
    best = fastest_interleaved({
        "gen": lambda: [task.sample(batch, rng) for _ in range(BATCHES)],
        "short": lambda: _run(short),
        "long": lambda: _run(long),
    }, repeats=REPEATS, clock=time.process_time)
    return task.seq_len, best["gen"] / BATCHES, (best["long"] - best["short"]) / STEPS


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Print one line per case; ``argv`` may name label prefixes to run a subset
    (``python -m benchmarks.datagen ecg-rhythm``)."""
    wanted = argv or []
    arch, depth = ARCH_FOR_STEP
    print(f"4. data generation (batch generation / training step of an {arch} of depth "
          f"{depth}; target <= {100 * TARGET:.0f}%)")
    shares = {}
    start = time.perf_counter()
    for label, name, knobs in cases():
        if wanted and not any(label.startswith(w) for w in wanted):
            continue
        seq_len, gen, step = measure(name, knobs)
        shares[label] = gen / step
        verdict = "ok" if gen / step <= TARGET else "OVER"
        print(f"   {label:30s} T={seq_len:4d} {gen * 1e6:7.0f} us/batch vs "
              f"{step * 1e3:7.2f} ms/step: {100 * gen / step:5.1f}%  {verdict}", flush=True)
    worst = max(shares, key=shares.get) if shares else "-"
    print(f"   worst: {worst} {100 * shares.get(worst, 0):.1f}% (target <= "
          f"{100 * TARGET:.0f}%); {time.perf_counter() - start:.0f} s")
    return shares


if __name__ == "__main__":
    main(sys.argv[1:])
