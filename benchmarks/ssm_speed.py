"""State-space models and linear attention vs `lstm`: training steps/s at T = 100 and 1,000.

Each architecture trains through the real trainer (`train`, one thread, the task's batch
size) on xor-products with ``seq_len_samples = T`` (one input step per sample, one output),
depth 1 and 2, width 32, a fixed number of steps that never stops early. Figures are steps/s
and the ratio to `lstm` at the same depth, width and T, measured in the same run (absolute
times on a shared machine are noise). Target: `s4d` at T = 1,000 costs no more per step
than `lstm` (ratio >= 1.0).

Usage: ``python -m benchmarks.ssm_speed [--steps N] [--depths 1,2] [--width W]
[--lengths 100,1000]``.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from benchmarks.common import best_of, default_trial
from toytasks.training.train import train

ARCHS = ["lstm", "s4d", "s6", "mamba", "linear-attention", "transformer"]
LENGTHS = [100, 1000]
WIDTH = 32


def trial_at(arch: str, depth: int, seq_len: int, steps: int, width: int = WIDTH):
    trial = default_trial("xor-products", arch, depth, width=width, steps=steps)
    knobs = dict(trial.knobs)
    knobs["seq_len_samples"] = seq_len
    # One held-out evaluation at the end, on a small set: the figure is the training step.
    return replace(trial, knobs=tuple(sorted(knobs.items())), eval_every=10**6, test_size=32)


def steps_per_second(arch: str, depth: int, seq_len: int, steps: int, repeats: int,
                     width: int = WIDTH) -> float:
    trial = trial_at(arch, depth, seq_len, steps, width)
    return steps / best_of(lambda: train(trial), repeats)


def main(argv: list[str] | None = None) -> dict[tuple[int, int, str], float]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ssm_speed")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--depths", default="1,2")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--width", type=int, default=WIDTH)
    parser.add_argument("--lengths", default=",".join(map(str, LENGTHS)))
    args = parser.parse_args(argv)
    lengths = [int(t) for t in args.lengths.split(",")]
    print(f"ssm speed: training steps/s, width {args.width}, batch 32, 1 thread, "
          f"xor-products at T = {lengths} (ratio = arch steps/s / lstm steps/s, same run)")
    rates: dict[tuple[int, int, str], float] = {}
    train(trial_at("lstm", 1, 100, 2, args.width))  # warm-up: one-time costs of the process
    for seq_len in lengths:
        for depth in (int(d) for d in args.depths.split(",")):
            for arch in ARCHS:
                rates[seq_len, depth, arch] = steps_per_second(
                    arch, depth, seq_len, args.steps, args.repeats, args.width)
            lstm = rates[seq_len, depth, "lstm"]
            cells = "  ".join(f"{arch} {rates[seq_len, depth, arch]:6.2f}/s "
                              f"({rates[seq_len, depth, arch] / lstm:4.2f}x)" for arch in ARCHS)
            print(f"   T={seq_len:5d} depth {depth}: {cells}")
    for depth in (int(d) for d in args.depths.split(",") if 1000 in lengths):
        ratio = rates[1000, depth, "s4d"] / rates[1000, depth, "lstm"]
        verdict = "met" if ratio >= 1.0 else "NOT met"
        print(f"   target (s4d step at T=1000, depth {depth} no slower than lstm): {ratio:.2f}x, "
              f"{verdict}")
    return rates


if __name__ == "__main__":
    main()
