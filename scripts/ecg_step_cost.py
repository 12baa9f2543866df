"""Seconds per training step (batch 32, width 32, 1 thread) on ecg-ectopy by sampling rate.

    python scripts/ecg_step_cost.py      (docs/ecg.md, "Cost by sampling rate")
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import torch

from toytasks.models import build_model
from toytasks.tasks import get_generator

MODELS = (("ecg-resnet", 12), ("ecg-resnet", 16), ("cnn", 10), ("tcn", 8), ("lstm", 1),
          ("gru", 1), ("transformer", 1))


def main() -> None:
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    for hz in (100, 250, 500):
        task = get_generator("ecg-ectopy")(sampling_hz=hz)
        x = torch.from_numpy(task.sample(32, np.random.default_rng(0))[0])
        y = torch.zeros(32, dtype=torch.long)
        for arch, depth in MODELS:
            torch.manual_seed(0)
            model = build_model(arch, 1, 2, depth, 32)
            opt = torch.optim.Adam(model.parameters())
            for i in range(4):  # one warm-up step, then three timed
                if i == 1:
                    start = time.perf_counter()
                loss = torch.nn.functional.cross_entropy(model(x)[:, -1], y)
                opt.zero_grad()
                loss.backward()
                opt.step()
            ms = (time.perf_counter() - start) / 3 * 1000
            print(f"{hz} Hz, T {task.seq_len}: {arch} {depth}: {ms:.0f} ms/step", flush=True)


if __name__ == "__main__":
    main()
