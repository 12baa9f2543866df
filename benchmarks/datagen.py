"""Data generation: share of a training step spent generating its batch (target <= 5%)."""

from __future__ import annotations

import numpy as np

from benchmarks.common import best_of, default_trial
from toytasks.spec import available_specs
from toytasks.train import make_task, train

ARCH_FOR_STEP = ("lstm", 1)  # a cheap model: the worst case for the generator's share


def main() -> dict[str, float]:
    print("4. data generation (batch generation time / training step time; target <= 5%)")
    shares = {}
    for name in sorted(available_specs()):
        trial = default_trial(name, *ARCH_FOR_STEP, steps=100)
        task = make_task(trial)
        rng = np.random.default_rng(0)
        batch = trial.batch_size
        gen = best_of(lambda t=task, r=rng, b=batch: [t.sample(b, r) for _ in range(200)]) / 200
        step = best_of(lambda t=trial: train(t), repeats=2) / trial.max_steps
        shares[name] = gen / step
        print(f"   {name:16s} {gen * 1e6:7.0f} us/batch vs {step * 1e3:6.2f} ms/step "
              f"({ARCH_FOR_STEP[0]} depth {ARCH_FOR_STEP[1]}): {100 * gen / step:4.1f}%")
    return shares


if __name__ == "__main__":
    main()
