"""Effective receptive field of ecg-resnet (and tcn) at initialisation on ecg-ectopy.

The receptive-field formula says which lags *can* matter; at initialisation, how much each
lag does matter is the input gradient of the last output (Luo et al. 2016, "effective
receptive field"). Prints, per depth, the share of the input-gradient mass (mean |d out /
d x_lag| over 64 sequences and 5 seeds) that falls on the deciding beat's lags (between the
blind window and the span) and beyond the span. docs/ecg.md, "Measured: minimal depth vs
sampling rate".

    python scripts/ecg_resnet_erf.py 100
    python scripts/ecg_resnet_erf.py 250 12,14,16     (ecg-resnet depths only)
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import torch

from toytasks.models import build_model
from toytasks.tasks import get_generator


def profile(arch: str, depth: int, x: torch.Tensor, seeds: int = 5) -> np.ndarray:
    total = torch.zeros(x.shape[1])
    for seed in range(seeds):
        torch.manual_seed(seed)
        model = build_model(arch, 1, 2, depth, 32)
        xi = x.clone().requires_grad_(True)
        out = model(xi)[:, -1]
        (out[:, 1] - out[:, 0]).sum().backward()
        g = xi.grad.abs().mean(dim=(0, 2)).flip(0)
        total += g / g.sum()
    return (total / seeds).numpy()


def main() -> None:
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    hz = float(sys.argv[1]) if len(sys.argv) > 1 else 100.0
    task = get_generator("ecg-ectopy")(sampling_hz=hz)
    x = torch.from_numpy(task.sample(64, np.random.default_rng(0))[0])
    blind, span = task.blind_samples, task.span_samples
    print(f"ecg-ectopy at {hz:g} Hz: blind {blind}, span {span}, T {task.seq_len}")
    print("| arch | depth | RF | gradient share on lags blind..span | beyond span |")
    print("|---|---|---|---|---|")
    depths = {"ecg-resnet": range(6, 17), "tcn": range(5, 9)}
    if len(sys.argv) > 2:
        depths = {"ecg-resnet": [int(d) for d in sys.argv[2].split(",")]}
    for arch, ds in depths.items():
        for depth in ds:
            g = profile(arch, depth, x)
            rf = build_model(arch, 1, 2, depth, 32).receptive_field(depth)
            print(f"| {arch} | {depth} | {rf} | {g[blind:span].sum():.3f} | "
                  f"{g[span:].sum():.3f} |", flush=True)


if __name__ == "__main__":
    main()
