"""Long sequences: the per-step cost of every built-in architecture at T = 100, 1,000, 4,000,
toytasks' trainer against a raw PyTorch loop; then the LSTM/GRU recurrence paths
(``benchmarks.recurrent_paths``) and the transformer's memory (``benchmarks.transformer_memory``).

Each case trains one architecture on xor-products with ``seq_len_samples = T`` (3 inputs a
step, one label at the end; drawing a batch of T = 4,000 costs ~10 ms, small beside any
step), batch 32, width 32, one thread, at a depth typical of its family (``DEPTHS``). The
trainer side is the real ``toytasks.training.train.train`` (clipping, the loss and accuracy checks
every step, one held-out evaluation at the end); the raw side is
``benchmarks.trainer_overhead.raw_loop``, a hand-written loop over the same model,
initialisation and data stream (Adam, no clipping).

The per-step cost is the interval between two consecutive ``optimizer.step()`` calls (a
global optimizer hook stamps each): one whole step of the loop, the next batch included,
without what a run pays once (building the model, the held-out set, the final evaluation:
for an overhead-bound recurrence a one-sample evaluation at T = 4,000 costs a third of a
step, which would otherwise count against the trainer in a short run). Times are CPU
seconds of the process (``time.process_time``; everything runs on one thread), not wall
time: on a shared, oversubscribed machine the wait for a core would swamp a 10% difference,
while CPU time is disturbed only by what the load does to caches and memory bandwidth.
Each timed run is N steps (N - 1 intervals, the fastest counts), N chosen from an estimate
so that a case takes about ``--case-seconds`` of CPU (at most ``--steps``, at least 2); the
two sides alternate, best of R rounds; rows with N or R below the defaults say so (2 steps,
best of one, resolves a 10% difference only on a quiet machine). The ratio is trainer
steps/s / raw steps/s (target >= 0.9 at every length).

Usage: ``python -m benchmarks.long_sequences [--lengths 100,1000,4000] [--archs lstm,gru]
[--steps 20] [--repeats 3] [--case-seconds 4] [--no-paths] [--no-memory]``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from torch.optim.optimizer import register_optimizer_step_post_hook

from benchmarks import recurrent_paths, transformer_memory
from benchmarks.common import default_trial
from benchmarks.trainer_overhead import raw_loop
from toytasks.models import ARCHITECTURES
from toytasks.training.train import train
from toytasks.training.trial import Trial

TASK, WIDTH = "xor-products", 32
LENGTHS = [100, 1000, 4000]
FAMILY_DEPTH = {"conv": 8, "recurrent": 1, "attention": 2, "ssm": 2}
DEPTHS = {arch: FAMILY_DEPTH.get(cls.family, 2) for arch, cls in ARCHITECTURES.items()}
DEPTHS["res-lstm"] = 2  # its shortcuts start at the second layer: depth 1 is plain lstm
TARGET = 0.9
CLOCK = time.process_time  # CPU seconds of this process (see the module docstring)
MIN_STEPS = 2  # a timed run needs two optimizer steps for one step-to-step interval


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
    """Never stops early, evaluates once at the end, on one held-out sample."""
    trial = default_trial(TASK, arch, depth, width=WIDTH, steps=steps)
    knobs = dict(trial.knobs, seq_len_samples=seq_len)
    return replace(trial, knobs=tuple(sorted(knobs.items())), eval_every=10**6, test_size=1)


def plan(step_s: float, max_steps: int, repeats: int, case_s: float) -> tuple[int, int]:
    """(steps per timed run, rounds) so that 2 sides x rounds x steps fit in ``case_s``;
    at least 2 steps (one interval between optimizer steps), rounds given up first."""
    def fits(per_unit: float) -> int:
        return math.floor(case_s / per_unit + 1e-9)

    rounds = max(1, min(repeats, fits(2 * MIN_STEPS * step_s)))
    steps = max(MIN_STEPS, min(max_steps, fits(2 * rounds * step_s)))
    return steps, rounds


@contextmanager
def optimizer_steps() -> Iterator[list[float]]:
    """CPU clock at the end of every ``optimizer.step()`` while open (any optimizer)."""
    stamps: list[float] = []
    handle = register_optimizer_step_post_hook(lambda *_: stamps.append(CLOCK()))
    try:
        yield stamps
    finally:
        handle.remove()


def step_seconds(run: Callable[[], None]) -> float:
    """The fastest interval between consecutive optimizer steps of one run: a whole step
    (checks of the last, next batch, forward, backward, clipping, Adam) without the costs
    that come once (building the model, the held-out set and evaluation)."""
    with optimizer_steps() as stamps:
        run()
    return min(b - a for a, b in itertools.pairwise(stamps))


def estimate(arch: str, seq_len: int, measured: dict[int, float]) -> float:
    """Step seconds expected: scaled from the longest shorter T measured (attention
    quadratically, the rest linearly), else one raw step timed whole (an overestimate)."""
    shorter = [t for t in measured if t < seq_len]
    if shorter:
        t = max(shorter)
        power = 2 if ARCHITECTURES[arch].family == "attention" else 1
        return measured[t] * (seq_len / t) ** power
    start = CLOCK()
    raw_loop(trial_at(arch, DEPTHS[arch], seq_len, 1))
    return CLOCK() - start


def measure(arch: str, depth: int, seq_len: int, max_steps: int, repeats: int,
            case_s: float, step_s: float) -> Case:
    steps, rounds = plan(step_s, max_steps, repeats, case_s)
    trial = trial_at(arch, depth, seq_len, steps)
    best = {"raw": math.inf, "trainer": math.inf}
    for _ in range(rounds):  # interleaved, so that a load that comes and goes hits both
        best["raw"] = min(best["raw"], step_seconds(lambda: raw_loop(trial)))
        best["trainer"] = min(best["trainer"], step_seconds(lambda: train(trial)))
    return Case(arch, depth, seq_len, steps, rounds, 1 / best["raw"], 1 / best["trainer"])


def row(case: Case, max_steps: int, repeats: int) -> str:
    fewer = []
    if case.steps < max_steps:
        fewer.append(f"{case.steps} step{'s' * (case.steps > 1)}")
    if case.repeats < repeats:
        fewer.append(f"best of {case.repeats}")
    note = f"  (fewer: {', '.join(fewer)})" if fewer else ""
    flag = "" if case.ratio >= TARGET else "  BELOW TARGET"
    return (f"   T={case.seq_len:5d} {case.arch:16s} d{case.depth}: raw "
            f"{case.raw_steps_s:8.2f} steps/s ({1e3 / case.raw_steps_s:8.1f} ms a step), trainer "
            f"{case.trainer_steps_s:8.2f} steps/s, ratio {case.ratio:4.2f}x{flag}{note}")


def throughput(archs: list[str], lengths: list[int], max_steps: int, repeats: int,
               case_s: float) -> list[Case]:
    print(f"long sequences: training steps per CPU second, trainer vs raw loop, {TASK}, batch "
          f"32, width {WIDTH}, 1 thread; {max_steps} steps a timed run, best of {repeats} "
          f"interleaved, unless noted; per step = fastest interval between optimizer steps; "
          f"ratio = trainer / raw (target >= {TARGET})")
    train(trial_at("lstm", 1, 20, 2))  # warm-up: one-time costs of the process
    cases, measured = [], {arch: {} for arch in archs}
    for seq_len in lengths:
        for arch in archs:
            step_s = estimate(arch, seq_len, measured[arch])
            case = measure(arch, DEPTHS[arch], seq_len, max_steps, repeats, case_s, step_s)
            measured[arch][seq_len] = 1 / case.raw_steps_s
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
    parser.add_argument("--steps", type=int, default=20,
                        help=f"most steps in a timed run (at least {MIN_STEPS})")
    parser.add_argument("--repeats", type=int, default=3, help="most interleaved rounds")
    parser.add_argument("--case-seconds", type=float, default=4.0,
                        help="about how many CPU seconds one (arch, T) case may take")
    parser.add_argument("--no-paths", action="store_true", help="skip the LSTM/GRU paths")
    parser.add_argument("--no-memory", action="store_true", help="skip transformer memory")
    args = parser.parse_args(argv)
    if args.steps < MIN_STEPS or args.repeats < 1:
        parser.error(f"--steps must be at least {MIN_STEPS} and --repeats at least 1")
    archs = args.archs.split(",")
    unknown = [a for a in archs if a not in ARCHITECTURES]
    if unknown:
        parser.error(f"unknown architecture {', '.join(unknown)} (valid: "
                     f"{', '.join(ARCHITECTURES)})")
    try:
        lengths = [int(t) for t in args.lengths.split(",")]
    except ValueError:
        parser.error(f"--lengths must be comma-separated integers, got '{args.lengths}'")
    start = time.perf_counter()  # wall time of the whole run, for the record
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
