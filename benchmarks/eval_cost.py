"""Held-out evaluation cost in training steps: what the trainer's evaluation cadence rests on.

For each case, one training step (batch 32, forward + backward + Adam, fresh batch) and one
held-out evaluation (``objective.evaluate`` on 1,024 and 2,048 samples, as ``train`` runs
it) are timed on the same model, interleaved, one thread; the figure is evaluation time /
step time. Each time is the fastest of several interleaved repeats, the least disturbed by
other load on a shared machine.
"""

from __future__ import annotations

import torch

from benchmarks.common import fastest_interleaved
from toytasks.models import build_model
from toytasks.tasks import get_generator
from toytasks.training.objective import Objective, evaluate
from toytasks.training.train import held_out_set, train_rng

CASES = [("cnn", 8), ("lstm", 1), ("transformer", 2)]
WIDTHS = (32, 64)
SIZES = (1024, 2048)
BATCH, STEPS, REPEATS = 32, 20, 5



def measure(arch: str, depth: int, width: int) -> dict[int, float]:
    """{held-out size: evaluation time / training-step time} for one model."""
    torch.set_num_threads(1)
    task = get_generator("cycle-pattern")()
    objective = Objective(task)
    torch.manual_seed(0)
    model = build_model(arch, task.n_inputs, task.n_outputs, depth, width, task.output_steps)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
    rng = train_rng(0)
    held = {n: tuple(torch.from_numpy(a) for a in held_out_set(task, n)) for n in SIZES}

    def steps() -> None:
        for _ in range(STEPS):
            x, y = task.sample(BATCH, rng)
            loss = objective.loss(model(torch.from_numpy(x)), torch.from_numpy(y))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    fns = {"steps": steps, **{str(n): (lambda n=n: evaluate(model, objective, *held[n]))
                             for n in SIZES}}
    fastest_interleaved(fns, 1)  # warm-up
    best = fastest_interleaved(fns, REPEATS)
    step = best["steps"] / STEPS
    return {n: best[str(n)] / step for n in SIZES}


def main() -> None:
    print("held-out evaluation cost, in training steps (batch 32), cycle-pattern, 1 thread")
    for width in WIDTHS:
        for arch, depth in CASES:
            ratios = measure(arch, depth, width)
            text = "; ".join(f"{n:,} samples = {r:.1f} steps" for n, r in ratios.items())
            print(f"   width {width:3d} {arch:12s} depth {depth}: {text}")


if __name__ == "__main__":
    main()
