"""Trainer overhead: toytasks' train() vs a plain hand-written PyTorch loop.

Same model (same init), same data stream, same number of steps, one thread. The ratio is
raw-loop time / trainer time (1.0 = no overhead; target >= 0.9). Two trainer figures: the
loop alone (held-out evaluation only at the last step), and as it runs for real, with
held-out evaluations (1,024 samples) at the spec's cadence, which the raw loop never does.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch.nn import functional as F

from benchmarks.common import best_of, default_trial
from toytasks.models import build_model
from toytasks.training.train import make_generator, model_knobs, train, train_rng

CASES = [("cycle-pattern", "cnn", 8), ("cycle-pattern", "lstm", 1),
         ("cycle-pattern", "transformer", 2), ("copy-memory", "tcn", 4)]


def raw_loop(trial) -> None:
    torch.set_num_threads(1)
    task = make_generator(trial)
    torch.manual_seed(trial.seed)
    model = build_model(trial.arch, task.n_inputs, task.n_outputs, trial.depth, trial.width,
                        task.output_steps, model_knobs(trial))
    optimizer = torch.optim.Adam(model.parameters(), lr=trial.lr)
    rng = train_rng(trial.seed)
    for _ in range(trial.max_steps):
        x, y = task.sample(trial.batch_size, rng)
        out = model(torch.from_numpy(x))
        loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), torch.from_numpy(y).reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def main() -> list[tuple[str, float]]:
    print("1. trainer overhead (raw loop time / trainer time; target >= 0.9)")
    ratios = []
    for task, arch, depth in CASES:
        trial = default_trial(task, arch, depth, steps=300)
        loop_only = replace(trial, eval_every=10**6)
        t_raw = best_of(lambda t=trial: raw_loop(t))
        t_loop = best_of(lambda t=loop_only: train(t))
        t_trainer = best_of(lambda t=trial: train(t))
        ratio = t_raw / t_trainer
        ratios.append((f"{task}/{arch}/d{depth}", ratio))
        print(f"   {task:14s} {arch:12s} depth {depth:2d}: raw {trial.max_steps / t_raw:6.1f} "
              f"steps/s; trainer loop {t_raw / t_loop:.2f}x raw; with evaluations every "
              f"{trial.eval_every} steps {ratio:.2f}x raw")
    return ratios


if __name__ == "__main__":
    main()
