"""How much the last output of an untrained recurrent net depends on the deciding beat.

For ecg-ectopy at several sampling rates: mean |d logit-difference / d x_t| over a batch,
at the lags of the deciding beat (the first 20% of the span, counted back from the span's
start) relative to the last 10% of the sequence, per architecture and gate initialisation.
Also the share of LSTM cells in tanh saturation (|c| > 2) at the last step. Averaged over
5 seeds, width 32, depth 1. Prints a Markdown table (docs/ecg.md, "The rhythm puzzle").

    python scripts/ecg_gradient_at_init.py
"""

from __future__ import annotations

import numpy as np
import torch

from toytasks.models import build_model
from toytasks.tasks import get_generator

CONFIGS = [("lstm", 3.0, None), ("lstm", 3.0, -3.0), ("gru", 3.0, None),
           ("chrono-lstm", None, None), ("chrono-gru", None, None)]


def gradient_profile(arch: str, bias: float | None, input_bias: float | None, hz: float,
                     seed: int) -> tuple[float, float, float]:
    task = get_generator("ecg-ectopy")(sampling_hz=hz)
    x, _ = task.sample(64, np.random.default_rng(seed))
    x = torch.from_numpy(x).requires_grad_(True)
    torch.manual_seed(seed)
    model = build_model(arch, 1, 2, 1, 32, 1, None if bias is None else {"gate_bias": bias})
    if input_bias is not None:
        with torch.no_grad():
            model.rnn.bias_ih_l0[:32] = input_bias
            model.rnn.bias_hh_l0[:32] = 0.0
    out = model(x)[:, -1]
    (out[:, 1] - out[:, 0]).sum().backward()
    g = x.grad.abs().mean(dim=(0, 2)).flip(0)  # lag 0 = last sample
    span, blind = task.span_samples, task.blind_samples
    deciding = g[blind:span].mean().item()
    recent = g[: max(1, task.seq_len // 10)].mean().item()
    saturated = float("nan")
    if arch.endswith("lstm"):
        with torch.no_grad():
            _, (_, c) = model.rnn(x)
        saturated = (c.abs() > 2).float().mean().item()
    return deciding, recent, saturated


def main() -> None:
    torch.set_num_threads(1)
    print("| rate | arch | memory-gate init | gradient at the deciding beat / at the last 10% "
          "| LSTM cells saturated (abs c > 2) |")
    print("|---|---|---|---|---|")
    for hz in (20.0, 50.0, 100.0, 250.0):
        for arch, bias, input_bias in CONFIGS:
            runs = np.array([gradient_profile(arch, bias, input_bias, hz, s) for s in range(5)])
            ratio = np.exp(np.mean(np.log(runs[:, 0] / runs[:, 1])))
            init = ("chrono, T = sequence" if bias is None else f"bias {bias:g}"
                    + (f", input bias {input_bias:g}" if input_bias is not None else ""))
            sat = "" if np.isnan(runs[0, 2]) else f"{runs[:, 2].mean():.2f}"
            print(f"| {hz:g} Hz | {arch} | {init} | {ratio:.1e} | {sat} |", flush=True)


if __name__ == "__main__":
    main()
