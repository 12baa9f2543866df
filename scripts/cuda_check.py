"""Prepared check of the CUDA path (run on a machine with a GPU; nothing else needs one).

Trains every architecture briefly on cuda and on cpu, checks that cuda reruns are identical
bit for bit (every result field but the wall time; train() turns on
torch.use_deterministic_algorithms and CUBLAS_WORKSPACE_CONFIG for cuda trials), exercises
the finite-training-set path, and runs a small `toytasks run --device cuda` twice (the second
run must reuse every trial). Exits 1 if any check fails.
Usage: PYTHONPATH=src python3 scripts/cuda_check.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import torch

from toytasks.models import ARCHITECTURES, get_architecture
from toytasks.training.train import train
from toytasks.training.trial import Trial, TrialResult


def trial(arch: str, device: str, **extra) -> Trial:
    """A short trial of ``arch`` at its current numerics version (without it, an
    architecture at version 2 refuses a version-1 trial: the first GPU run erred so)."""
    return Trial(task="cycle-pattern", generator="cycle-pattern",
                 arch_version=get_architecture(arch).version,
                 knobs=(("period_samples", 6),), arch=arch, depth=2, width=32, seed=0, lr=3e-3,
                 max_steps=300, batch_size=32, eval_every=100, patience=5, test_size=1024,
                 threshold=0.95, device=device, **extra)


def fingerprint(result: TrialResult) -> str:
    """Every result field but the wall time, as exact text (NaN compares equal to itself)."""
    data = result.to_dict()
    data.pop("wall_s")
    return json.dumps(data, sort_keys=True)


def main() -> None:
    print("torch", torch.__version__, "cuda available:", torch.cuda.is_available())
    if not torch.cuda.is_available():
        sys.exit("no CUDA device: nothing to check")
    print("device:", torch.cuda.get_device_name(0))
    failures = []
    for arch in ARCHITECTURES:
        cpu = train(trial(arch, "cpu"))
        t0 = time.perf_counter()
        gpu = train(trial(arch, "cuda"))
        gpu_wall = time.perf_counter() - t0
        again = train(trial(arch, "cuda"))
        same = fingerprint(gpu) == fingerprint(again)
        if not same or gpu.status == "error":
            failures.append(f"{arch}: rerun identical {same}, status {gpu.status} {gpu.reason}")
        print(f"{arch:12s} cpu: {cpu.status} {cpu.steps} steps acc {cpu.best_metric:.3f} "
              f"{cpu.wall_s:.1f}s | cuda: {gpu.status} {gpu.steps} steps acc "
              f"{gpu.best_metric:.3f} {gpu_wall:.1f}s | cuda rerun identical: {same} "
              f"{gpu.reason}")
    finite = train(trial("lstm", "cuda", train_size=256))
    print("finite training set on cuda:", finite.status, finite.steps, finite.reason)
    if finite.status == "error":
        failures.append(f"finite training set: {finite.reason}")
    command = [sys.executable, "-m", "toytasks", "run", "--task", "cycle-pattern", "--arch",
               "lstm,tcn", "--seeds", "1", "--max-depth", "4", "--steps", "400",
               "--workers", "1", "--device", "cuda", "--out", "/tmp/cuda-run"]
    first = subprocess.run(command, capture_output=True, text=True, check=False)
    print("toytasks run --device cuda exit", first.returncode)
    print(first.stdout, first.stderr[-2000:])
    second = subprocess.run(command, capture_output=True, text=True, check=False)
    if first.returncode or second.returncode or second.stdout != first.stdout \
            or "trained 0 trial(s)" not in second.stderr:
        failures.append("toytasks run --device cuda: the rerun did not reuse every trial "
                        "or printed another table")
    print("FAILED:\n  " + "\n  ".join(failures) if failures else "all cuda checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
