"""One architecture's training step against `lstm`'s, in one process: the A/B used for the
arch-version-2 speed-ups (docs/performance.md). Forward, backward and Adam on random data,
batch 32, width 32, one thread; `lstm` at depth 1 and ARCH at depth 2 (the depths of
``benchmarks.long_sequences``); CPU time of the fastest of R steps, two interleaved rounds.

Usage: ``python -m benchmarks.arch_versions ARCH [T] [R]``. To compare two checkouts, run it
alternately with ``PYTHONPATH=<other checkout>/src`` and compare the ratios, not the
times: on a shared machine the same lstm step varied from 27 to 55 ms between processes.
"""

from __future__ import annotations

import sys
import time

import torch

from toytasks.models import build_model


def step_seconds(arch: str, depth: int, seq_len: int, repeats: int) -> float:
    torch.manual_seed(0)
    model = build_model(arch, 3, 2, depth=depth, width=32)
    x = torch.randn(32, seq_len, 3)
    optimizer = torch.optim.Adam(model.parameters())

    def step() -> None:
        optimizer.zero_grad()
        model(x).square().mean().backward()
        optimizer.step()

    step()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        step()
        best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> float:
    args = sys.argv[1:] if argv is None else argv
    arch = args[0]
    seq_len = int(args[1]) if len(args) > 1 else 1000
    repeats = int(args[2]) if len(args) > 2 else 2
    torch.set_num_threads(1)
    times: dict[str, float] = {}
    for _ in range(2):  # interleaved, so that a load that comes and goes hits both
        for name, depth in (("lstm", 1), (arch, 2)):
            times[name] = min(times.get(name, float("inf")),
                              step_seconds(name, depth, seq_len, repeats))
    ratio = times["lstm"] / times[arch]
    print(f"{arch:17s} T={seq_len} lstm {times['lstm'] * 1e3:7.1f} ms  {arch} "
          f"{times[arch] * 1e3:8.1f} ms  ratio {ratio:.3f}x")
    return ratio


if __name__ == "__main__":
    main()
