"""Packing K seeds by grouped convolutions / batched recurrences, against K runs one after another.

The baseline is the trainer's step (``toytasks.training.train``: forward, loss, backward,
global-norm clipping at 1.0, foreach Adam) for each of the K seeds in turn, each seed its own model
(``torch.manual_seed(seed)`` then ``build_model``) and its own batches (``train_rng(seed)``),
one after another. The packed step computes the same K models as one module
(``benchmarks/packed_models.py``): the loss is the sum of the K per-seed losses, gradients are
clipped per seed, one Adam steps all K (Adam is per element, so the K states pack exactly).

Two questions, both printed:

* speed-up = baseline time / packed time for the same steps (> 1 is faster), each time the
  fastest of interleaved repeats, one torch thread, batch 32, cycle-pattern defaults;
* determinism: after N steps, are the packed run's per-seed losses and parameters bit-identical
  to the single-seed runs (else the largest difference), and is the packed run bit-identical
  to itself when repeated?

A third part scans widths: bit-identity holds only where oneDNN picks the same algorithm for
the grouped convolution as for the single one (measured here: widths 8, 16, 32, 48, 64, not
24; gated-cnn not at 8), so it is a property of the kernel library and the CPU, not of the
packing.

``python -m benchmarks.packing_groups`` (19 min on 2 heavily loaded cores; ``--tiny`` for a
seconds-long smoke run).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from benchmarks.common import fastest_interleaved
from benchmarks.packed_models import PackedModel, clip_per_seed_, pack, packed_loss
from toytasks.models import build_model
from toytasks.tasks import get_generator
from toytasks.training.objective import Objective
from toytasks.training.train import FOREACH, train_rng

BATCH, LR, CLIP = 32, 3e-3, 1.0
# (arch, depth, packing): conv archs by grouped convolutions; recurrent by both packings
CASES = [("cnn", 4, "grouped-conv"), ("cnn", 10, "grouped-conv"), ("tcn", 4, "grouped-conv"),
         ("res-cnn", 4, "grouped-conv"), ("gated-cnn", 4, "grouped-conv"),
         ("lstm", 1, "block-diagonal"), ("lstm", 1, "batched-lstm"),
         ("lstm", 2, "block-diagonal"), ("gru", 1, "block-diagonal")]


@dataclass(frozen=True)
class Setup:
    arch: str
    depth: int
    width: int
    k: int
    steps: int
    task: str = "cycle-pattern"


def build_seeds(s: Setup) -> tuple[list[torch.nn.Module], list[list[tuple]], Objective]:
    """The K single-seed models as the trainer builds them, and each seed's batches."""
    task = get_generator(s.task)()
    models, data = [], []
    for seed in range(s.k):
        torch.manual_seed(seed)
        models.append(build_model(s.arch, task.n_inputs, task.n_outputs, s.depth, s.width,
                                  task.output_steps))
        rng = train_rng(seed)
        data.append([tuple(torch.from_numpy(a) for a in task.sample(BATCH, rng))
                     for _ in range(s.steps)])
    return models, data, Objective(task)


def single_runner(model: torch.nn.Module, batches, objective: Objective
                  ) -> Callable[[], list[float]]:
    """The trainer's step, on one seed: returns the losses of one pass over its batches."""
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, foreach=FOREACH)
    params = list(model.parameters())

    def run() -> list[float]:
        losses = []
        for x, y in batches:
            loss = objective.loss(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, CLIP, foreach=FOREACH)
            optimizer.step()
            losses.append(loss.detach())
        return [float(v) for v in losses]

    return run


def packed_runner(packed: PackedModel, data, objective: Objective
                  ) -> Callable[[], list[list[float]]]:
    """The packed step: per step, one forward/backward/Adam step for all K seeds."""
    optimizer = torch.optim.Adam(packed.parameters(), lr=LR, foreach=FOREACH)
    xs = [torch.stack([seed[i][0] for seed in data]) for i in range(len(data[0]))]
    ys = [torch.stack([seed[i][1] for seed in data]) for i in range(len(data[0]))]

    def run() -> list[list[float]]:
        losses = []
        for x, y in zip(xs, ys, strict=True):
            total, per_seed = packed_loss(objective, packed(x), y)
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            packed.after_backward()
            clip_per_seed_(packed, CLIP)
            optimizer.step()
            losses.append(per_seed.detach())
        return [v.tolist() for v in losses]

    return run


def speedup(s: Setup, method: str, repeats: int) -> tuple[float, float]:
    """(baseline ms per seed-step, baseline time / packed time)."""
    models, data, objective = build_seeds(s)
    singles = [single_runner(m, d, objective) for m, d in zip(models, data, strict=True)]
    fns = {"sequential": lambda: [run() for run in singles],
           "packed": packed_runner(pack(models, method), data, objective)}
    fastest_interleaved(fns, 1)  # warm-up
    best = fastest_interleaved(fns, repeats)
    return 1000 * best["sequential"] / (s.k * s.steps), best["sequential"] / best["packed"]


@dataclass
class Determinism:
    identical: bool  # packed losses and parameters == the single-seed runs', bit for bit
    max_loss_diff: float
    max_param_diff: float
    repeatable: bool  # two packed runs bit-identical to each other


def determinism(s: Setup, method: str) -> Determinism:
    models, data, objective = build_seeds(s)
    packs = [pack(models, method) for _ in range(2)]  # before the single runs train models
    ref_losses = [single_runner(m, d, objective)() for m, d in zip(models, data, strict=True)]
    runs = [(packed_runner(p, data, objective)(), p.unpack()) for p in packs]
    (losses, params), (losses2, params2) = runs
    loss_diff = max(abs(losses[i][k] - ref_losses[k][i])
                    for i in range(s.steps) for k in range(s.k))
    param_diff = max((params[k][n] - p).abs().max().item()
                     for k, m in enumerate(models) for n, p in m.named_parameters())
    repeatable = losses == losses2 and all(
        torch.equal(a[n], b[n]) for a, b in zip(params, params2, strict=True) for n in a)
    return Determinism(loss_diff == 0.0 and param_diff == 0.0, loss_diff, param_diff, repeatable)


SCAN_WIDTHS = (8, 16, 24, 32, 48, 64)


def width_scan(arch: str, depth: int, method: str, widths, k: int, steps: int
               ) -> tuple[list[int], list[int]]:
    """(widths where the packed run is bit-identical after ``steps`` steps, widths where not):
    bit-identity rests on the kernel library picking the same algorithm for the grouped
    convolution as for the single one, which depends on the channel counts."""
    same, differ = [], []
    for width in widths:
        exact = determinism(Setup(arch, depth, width, k, steps), method).identical
        (same if exact else differ).append(width)
    return same, differ


def _listed(values: list[int]) -> str:
    return " ".join(map(str, values)) or "-"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.packing_groups")
    parser.add_argument("--tiny", action="store_true", help="smoke run: width 4, 2 steps")
    parser.add_argument("--ks", default="4,8", help="seeds per pack, comma-separated")
    parser.add_argument("--widths", default="16,32", help="widths, comma-separated")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved timing rounds")
    parser.add_argument("--check-steps", type=int, default=30,
                        help="training steps before comparing packed and single runs")
    parser.add_argument("--archs", default="", help="only these architectures, comma-separated")
    parser.add_argument("--no-scan", action="store_true", help="skip the bit-identity width scan")
    args = parser.parse_args(argv)
    cases = [c for c in CASES if not args.archs or c[0] in args.archs.split(",")]
    ks = [int(v) for v in args.ks.split(",")]
    widths = [int(v) for v in args.widths.split(",")]
    steps, repeats, check_steps = args.steps, args.repeats, args.check_steps
    scan_widths: tuple[int, ...] = SCAN_WIDTHS
    if args.tiny:
        ks, widths, steps, repeats, check_steps, scan_widths = [2], [4], 2, 1, 3, (4,)
    torch.set_num_threads(1)
    print(f"packing K seeds vs the K trained one after another (speed-up > 1 is faster), "
          f"cycle-pattern, batch {BATCH}, 1 thread, {steps} steps x {repeats} interleaved "
          f"repeats; determinism after {check_steps} steps")
    start = time.perf_counter()
    for arch, depth, method in cases:
        for width in widths:
            for k in ks:
                ms, ratio = speedup(Setup(arch, depth, width, k, steps), method, repeats)
                d = determinism(Setup(arch, depth, width, k, check_steps), method)
                exact = "bit-identical" if d.identical else (
                    f"differs: loss {d.max_loss_diff:.1e}, params {d.max_param_diff:.1e}")
                print(f"  {arch:9s} depth {depth:2d} width {width:2d} K {k}  {method:14s} "
                      f"eager {ms:5.2f} ms/seed-step  packed {ratio:4.2f}x  {exact}; "
                      f"packed rerun {'identical' if d.repeatable else 'DIFFERS'}", flush=True)
    scanned = [] if args.no_scan else [c for c in cases if c[2] == "grouped-conv"]
    if scanned:
        print(f"bit-identity by width, K {ks[0]}, after {check_steps} steps:")
    for arch, depth, method in scanned:
        same, differ = width_scan(arch, depth, method, scan_widths, ks[0], check_steps)
        print(f"  {arch:9s} depth {depth:2d}: identical at widths {_listed(same)}; "
              f"differs at {_listed(differ)}", flush=True)
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
