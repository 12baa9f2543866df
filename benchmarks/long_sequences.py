"""Long sequences: the per-step cost of every built-in architecture at T = 100, 1,000, 4,000,
toytasks' trainer against a raw PyTorch loop; then the LSTM/GRU recurrence paths
(``benchmarks.recurrent_paths``) and the transformer's memory (``benchmarks.transformer_memory``).

Each case trains one architecture on xor-products with ``seq_len_samples = T`` (3 inputs a
step, one label at the end; drawing a batch of T = 4,000 costs ~10 ms, small beside any
step), batch 32, width 32, one thread, at a depth typical of its family (``DEPTHS``). The
trainer side is the real ``toytasks.train.train`` (clipping, the loss check every step, one
held-out evaluation at the end, here on a single sample so that it does not count); the raw
side is ``benchmarks.trainer_overhead.raw_loop``, a hand-written loop over the same model,
initialisation and data stream (Adam, no clipping). Both time the whole run from building
the model. Each timed run is N steps, N chosen so that a case takes about ``--case-seconds``
(at most ``--steps``, at least 1); the two sides alternate, best of R rounds
(``common.fastest_interleaved``); rows with N or R below the defaults say so. The ratio is
trainer steps/s / raw steps/s (target >= 0.9 at every length).

Usage: ``python -m benchmarks.long_sequences [--lengths 100,1000,4000] [--archs lstm,gru]
[--steps 20] [--repeats 3] [--case-seconds 6] [--no-paths] [--no-memory]``.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, replace

from benchmarks import recurrent_paths, transformer_memory
from benchmarks.common import default_trial, fastest_interleaved
from benchmarks.trainer_overhead import raw_loop
from toytasks.models import ARCHITECTURES
from toytasks.train import train
from toytasks.trial import Trial

TASK, WIDTH = "xor-products", 32
LENGTHS = [100, 1000, 4000]
FAMILY_DEPTH = {"conv": 8, "recurrent": 1, "attention": 2, "ssm": 2}
DEPTHS = {arch: FAMILY_DEPTH.get(cls.family, 2) for arch, cls in ARCHITECTURES.items()}
DEPTHS["res-lstm"] = 2  # its shortcuts start at the second layer: depth 1 is plain lstm
TARGET = 0.9


@dataclass(frozen=True)
class Case:
    arch: str
    depth: int
    seq_len: int
    steps: int
    repeats: int
    raw_steps_s: float
    trainer_steps_s: float

    @property
    def ratio(self) -> float:
        return self.trainer_steps_s / self.raw_steps_s


def trial_at(arch: str, depth: int, seq_len: int, steps: int) -> Trial:
    trial = default_trial(TASK, arch, depth, width=WIDTH, steps=steps)
    knobs = dict(trial.knobs, seq_len_samples=seq_len)
    return replace(trial, knobs=tuple(sorted(knobs.items())), eval_every=10**6, test_size=1)


def plan(step_s: float, max_steps: int, repeats: int, case_s: float) -> tuple[int, int]:
    """(steps per timed run, rounds) so that 2 sides x rounds x steps fit in ``case_s``."""
    def fits(per_unit: float) -> int:
        return math.floor(case_s / per_unit + 1e-9)

    rounds = max(1, min(repeats, fits(2 * step_s)))
    steps = max(1, min(max_steps, fits(2 * rounds * step_s)))
    return steps, rounds


def measure(arch: str, depth: int, seq_len: int, max_steps: int, repeats: int,
            case_s: float) -> Case:
    start = time.perf_counter()
    raw_loop(trial_at(arch, depth, seq_len, 1))  # one step: the estimate N and R come from
    steps, rounds = plan(time.perf_counter() - start, max_steps, repeats, case_s)
    trial = trial_at(arch, depth, seq_len, steps)
    best = fastest_interleaved({"raw": lambda: raw_loop(trial), "trainer": lambda: train(trial)},
                               rounds)
    return Case(arch, depth, seq_len, steps, rounds, steps / best["raw"],
                steps / best["trainer"])


def row(case: Case, max_steps: int, repeats: int) -> str:
    fewer = []
    if case.steps < max_steps:
        fewer.append(f"{case.steps} step{'s' * (case.steps > 1)}")
    if case.repeats < repeats:
        fewer.append(f"best of {case.repeats}")
    note = f"  (fewer: {', '.join(fewer)})" if fewer else ""
    flag = "" if case.ratio >= TARGET else "  BELOW TARGET"
    return (f"   T={case.seq_len:5d} {case.arch:16s} d{case.depth}: raw "
            f"{case.raw_steps_s:8.2f} steps/s ({1e3 / case.raw_steps_s:8.1f} ms), trainer "
            f"{case.trainer_steps_s:8.2f} steps/s, ratio {case.ratio:4.2f}x{flag}{note}")


def throughput(archs: list[str], lengths: list[int], max_steps: int, repeats: int,
               case_s: float) -> list[Case]:
    print(f"long sequences: training steps/s, trainer vs raw loop, {TASK}, batch 32, width "
          f"{WIDTH}, 1 thread; {max_steps} steps a timed run, best of {repeats} interleaved, "
          f"unless noted; ratio = trainer / raw (target >= {TARGET})")
    train(trial_at("lstm", 1, 20, 2))  # warm-up: one-time costs of the process
    cases = []
    for seq_len in lengths:
        for arch in archs:
            case = measure(arch, DEPTHS[arch], seq_len, max_steps, repeats, case_s)
            cases.append(case)
            print(row(case, max_steps, repeats), flush=True)
    below = [f"{c.arch}@T={c.seq_len} {c.ratio:.2f}x" for c in cases if c.ratio < TARGET]
    print(f"   target (trainer >= {TARGET}x raw at every length): "
          + ("met" if not below else f"NOT met for {', '.join(below)}"))
    return cases


def main(argv: list[str] | None = None) -> list[Case]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.long_sequences")
    parser.add_argument("--lengths", default=",".join(map(str, LENGTHS)))
    parser.add_argument("--archs", default=",".join(ARCHITECTURES),
                        help="comma-separated built-in architectures (default: all)")
    parser.add_argument("--steps", type=int, default=20, help="most steps in a timed run")
    parser.add_argument("--repeats", type=int, default=3, help="most interleaved rounds")
    parser.add_argument("--case-seconds", type=float, default=6.0,
                        help="about how long one (arch, T) case may take")
    parser.add_argument("--no-paths", action="store_true", help="skip the LSTM/GRU paths")
    parser.add_argument("--no-memory", action="store_true", help="skip transformer memory")
    args = parser.parse_args(argv)
    archs = args.archs.split(",")
    unknown = [a for a in archs if a not in ARCHITECTURES]
    if unknown:
        parser.error(f"unknown architecture {', '.join(unknown)} (valid: "
                     f"{', '.join(ARCHITECTURES)})")
    lengths = [int(t) for t in args.lengths.split(",")]
    start = time.perf_counter()
    cases = throughput(archs, lengths, args.steps, args.repeats, args.case_seconds)
    long = [t for t in lengths if t >= 1000] or [max(lengths)]
    if not args.no_paths:
        recurrent_paths.main(["--lengths", ",".join(map(str, long)),
                              "--repeats", str(min(args.repeats, 2))])
    if not args.no_memory:
        transformer_memory.main(["--lengths", ",".join(map(str, lengths))])
    print(f"long sequences: done in {time.perf_counter() - start:.0f} s")
    return cases


if __name__ == "__main__":
    main()
