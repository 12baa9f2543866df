"""Why does a stack rescue an LSTM started from PyTorch's default initialisation? (section (h))

At initialisation, before any training: how much does the top layer's last output depend on
the part of a cycle-pattern sequence that decides the label (everything before the blind
window, i.e. more than 15 steps back)? Redraw those steps, keep the last 15, and report the
median over seeds of the relative change of the last output, and the gradient norm of the
last output with respect to the input at lag 15-27 (the deciding span's far end) over the
gradient at lags 0-2. Shipped init (forget bias 3), Keras' (1), forget bias 0 and PyTorch's
default (torch_init), at depths 1-4, width 32, 10 seeds each. Seeded; run from the
repository root (a few seconds):

    python scripts/lstm_memory_at_init.py
"""

from __future__ import annotations

import statistics

import numpy as np
import torch
from tabulate import tabulate

from toytasks.models import build_model
from toytasks.specs.spec import load_spec

INITS = (("shipped (forget bias 3)", {}), ("Keras (forget bias 1)", {"gate_bias": 1.0}),
         ("forget bias 0", {"gate_bias": 0.0}), ("PyTorch default", {"torch_init": True}))
BLIND = 15  # cycle-pattern's blind window at the defaults: the last 15 steps
SEEDS = 10


def main() -> None:
    torch.set_num_threads(1)
    task = load_spec("cycle-pattern").make_generator()
    x = torch.from_numpy(task.sample(256, np.random.default_rng(0))[0])
    redrawn = x.clone()
    early = torch.from_numpy(task.sample(256, np.random.default_rng(1))[0])
    redrawn[:, :-BLIND] = early[:, :-BLIND]
    rows = []
    for name, knobs in INITS:
        for depth in (1, 2, 3, 4):
            changes, ratios = [], []
            for seed in range(SEEDS):
                torch.manual_seed(seed)
                model = build_model("lstm", task.n_inputs, task.n_outputs, depth, 32,
                                    knobs=knobs)
                with torch.no_grad():
                    a, b = model.features(x)[:, -1], model.features(redrawn)[:, -1]
                changes.append(float((a - b).norm() / a.norm()))
                probe = x.clone().requires_grad_(True)
                model.features(probe)[:, -1].sum().backward()
                grad = probe.grad.norm(dim=(0, 2))  # per time step
                t = grad.shape[0]
                far = grad[t - 28:t - BLIND].mean()
                near = grad[t - 3:].mean()
                ratios.append(float(far / near))
            rows.append([name, depth, f"{statistics.median(changes):.3g}",
                         f"{statistics.median(ratios):.3g}"])
    print(tabulate(rows, ["initialisation", "depth",
                          "relative change of the last output (deciding steps redrawn)",
                          "input gradient, lags 15-27 / lags 0-2"], tablefmt="github"))


if __name__ == "__main__":
    main()
