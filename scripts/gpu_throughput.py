"""Trials per second on the CPU (one worker per core) against one or more GPUs with 1, 2, 4
and 8 workers per GPU (`--workers-per-device`, docs/performance.md#gpu).

The trial set is fixed: cycle-pattern (default knobs) with a cnn at depth 8 and an lstm at
depth 1, width 32, batch 32, seeds 0..S-1, each trained for exactly STEPS steps (threshold
out of reach, patience off), so every configuration does the same work. Each configuration
starts its pool, warms every worker up with one short trial (process start, torch import,
CUDA context), then times the whole set: trials/s = trials / wall time of the set; the
mean trial time is each trial's own wall time, which grows as workers share a GPU.

It also checks what sharing a GPU must not change: every trial's result (every field but
the wall time) is identical at every workers-per-device, and no trial errs. Exits 1 on a
failed check, and with one line when no CUDA GPU is present (nothing is measured then).

Usage: PYTHONPATH=src python3 scripts/gpu_throughput.py [--quick]
    --quick: 8 seeds x 2 archs = 16 trials of 300 steps (estimated 2-4 min on one GPU);
    default: 16 seeds (32 trials) of 1,000 steps. See --help for the other options.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import wait
from dataclasses import dataclass, replace

QUICK = {"seeds": 8, "steps": 300}
FULL = {"seeds": 16, "steps": 1000}
ARCHS = (("cnn", 8), ("lstm", 1))  # (architecture, depth): a deep conv and a recurrent net
UNREACHABLE = 2.0  # an accuracy threshold no trial meets: every trial runs all its steps


@dataclass
class Measurement:
    label: str
    workers: int
    trials: int
    startup_s: float  # pool start and warm-up (not in the rate)
    wall_s: float  # the timed set
    trial_s: dict[str, float]  # architecture -> mean wall time of one trial
    fingerprints: dict[str, str]  # trial key -> every result field but the wall time
    errors: list[str]

    @property
    def per_s(self) -> float:
        return self.trials / self.wall_s


def make_trials(seeds: int, steps: int, device: str) -> list:
    """The fixed set, made as `toytasks run` makes its trials (trials.trial_factory)."""
    from toytasks.running.trials import trial_factory
    from toytasks.specs.options import default_options
    from toytasks.specs.spec import load_spec

    spec = load_spec("cycle-pattern")
    opts = replace(default_options(spec), max_steps=steps, device=device, width=32,
                   batch_size=32)
    trials = []
    for arch, depth in ARCHS:
        make = trial_factory(spec, arch, replace(opts, archs=(arch,)))
        trials += [replace(make(depth, seed, spec.budget.lr), threshold=UNREACHABLE,
                           patience=steps + 1) for seed in range(seeds)]
    return trials


def fingerprint(result) -> str:
    data = result.to_dict()
    data.pop("wall_s")
    return json.dumps(data, sort_keys=True)


def measure(label: str, trials: list, workers: int, gpus: tuple[int, ...] = ()) -> Measurement:
    """Start a pool of ``workers`` (pinned round robin to ``gpus``), warm it, time the set."""
    from toytasks.running.executor import make_executor
    from toytasks.training.train import train

    start = time.perf_counter()
    executor = make_executor(workers, gpus)
    try:
        warm = [replace(trials[i % len(trials)], max_steps=5) for i in range(workers)]
        wait([executor.submit(train, t) for t in warm])
        timed = time.perf_counter()
        futures = {executor.submit(train, t): t for t in trials}
        results = {futures[f].key: (futures[f], f.result()) for f in futures}
        wall = time.perf_counter() - timed
    finally:
        executor.shutdown()
    trial_s = {arch: statistics.mean(r.wall_s for t, r in results.values() if t.arch == arch)
               for arch, _ in ARCHS}
    errors = [f"{t.label()}: {r.status} {r.reason}" for t, r in results.values()
              if r.status == "error" or r.steps != t.max_steps]
    return Measurement(label, workers, len(trials), timed - start, wall, trial_s,
                       {key: fingerprint(r) for key, (_, r) in results.items()}, errors)


def table(rows: list[Measurement]) -> str:
    """One line per configuration; the rate against the first row (the CPU)."""
    from tabulate import tabulate

    base = rows[0].per_s
    body = [[m.label, m.workers, m.trials, f"{m.startup_s:.1f}", f"{m.wall_s:.1f}",
             f"{m.per_s:.2f}", *(f"{m.trial_s[a]:.2f}" for a, _ in ARCHS),
             f"{m.per_s / base:.2f}x"] for m in rows]
    heads = ["config", "workers", "trials", "start s", "wall s", "trials/s",
             *(f"{a} d{d} trial s" for a, d in ARCHS), f"vs {rows[0].label}"]
    return tabulate(body, heads, tablefmt="github")


def check(rows: list[Measurement]) -> list[str]:
    """Failures: trials that erred or stopped early, and GPU results that depend on how
    many workers shared the GPU (every GPU row against the first GPU row)."""
    failures = [f"{m.label}: {e}" for m in rows for e in m.errors]
    gpu_rows = [m for m in rows if m.label.startswith("cuda")]
    for m in gpu_rows[1:]:
        differ = [k for k, f in gpu_rows[0].fingerprints.items() if m.fingerprints.get(k) != f]
        if differ:
            failures.append(f"{m.label}: {len(differ)} trial result(s) differ from "
                            f"{gpu_rows[0].label}")
    return failures


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gpu_throughput.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK['seeds']} seeds, {QUICK['steps']} steps (a few minutes)")
    parser.add_argument("--seeds", type=int, help="seeds per architecture")
    parser.add_argument("--steps", type=int, help="training steps per trial")
    parser.add_argument("--per-device", default="1,2,4,8",
                        help="workers per GPU to measure, comma-separated (default 1,2,4,8)")
    parser.add_argument("--cpu-workers", type=int, help="CPU workers (default: cores)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    args.seeds = sizes["seeds"] if args.seeds is None else args.seeds
    args.steps = sizes["steps"] if args.steps is None else args.steps
    try:
        args.per_device = [int(v) for v in args.per_device.split(",")]
    except ValueError:
        parser.error(f"--per-device expects comma-separated integers, got {args.per_device}")
    given = [*args.per_device, args.seeds, args.steps]
    if min(given + ([] if args.cpu_workers is None else [args.cpu_workers])) < 1:
        parser.error("--seeds, --steps, --per-device and --cpu-workers must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    import torch

    if not torch.cuda.is_available():
        print(f"gpu_throughput: no CUDA GPU is available here (torch {torch.__version__}); "
              "nothing measured: run it on a machine with a GPU", file=sys.stderr)
        return 1
    from toytasks.running.devices import check_device
    from toytasks.running.executor import default_workers

    check_device("cuda")  # cuBLAS's fixed workspace, before any CUDA call (workers inherit)
    gpus = tuple(range(torch.cuda.device_count()))
    cpu_workers = args.cpu_workers or default_workers()
    begin = time.perf_counter()
    print(f"torch {torch.__version__}, {len(gpus)} GPU(s): "
          f"{', '.join(torch.cuda.get_device_name(g) for g in gpus)}; {cpu_workers} CPU "
          f"worker(s) of {os.cpu_count()} cores")
    print(f"trials: cycle-pattern, {', '.join(f'{a} depth {d}' for a, d in ARCHS)}, width 32, "
          f"batch 32, {args.seeds} seeds each, exactly {args.steps} steps", flush=True)
    rows = [measure("cpu", make_trials(args.seeds, args.steps, "cpu"), cpu_workers)]
    print(f"  cpu: {rows[-1].per_s:.2f} trials/s", flush=True)
    cuda_trials = make_trials(args.seeds, args.steps, "cuda")
    for k in args.per_device:
        rows.append(measure(f"cuda x{k}/GPU", cuda_trials, k * len(gpus), gpus))
        print(f"  {rows[-1].label}: {rows[-1].per_s:.2f} trials/s", flush=True)
    print()
    print(table(rows))
    failures = check(rows)
    command = " ".join(["python3", "scripts/gpu_throughput.py", *(argv or sys.argv[1:])])
    print(f"\n{command}: {time.perf_counter() - begin:.0f}s")
    print("FAILED:\n  " + "\n  ".join(failures) if failures else
          "checks passed: no errors; every GPU result identical at every workers-per-device")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
