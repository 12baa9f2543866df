"""Controlled single-trial probes for the ECG rhythm puzzle (docs/ecg.md, "The rhythm puzzle").

One run = one model trained by a fixed, hand-written loop that matches the CLI's defaults:
1 thread, Adam lr 3e-3, gradient clipping 1.0, batch 32, a fresh batch every step, readout at
the last step, held-out accuracy on 1,024 fixed samples every 100 steps. Each flag changes
exactly one thing, so a row of the output differs from its neighbour in one cause:

    python scripts/ecg_probe.py --task ecg-ectopy --set sampling_hz=100 --arch lstm \
        --init bias:3 --steps 2000 --seed 0
    python scripts/ecg_probe.py --task ecg-rhythm --arch lstm --init chrono:200

``--init``: ``bias:B`` sets the memory-gate bias to B (LSTM forget gate, GRU update gate;
PyTorch's own init otherwise), ``default`` keeps PyTorch's init, ``chrono:T`` draws the
biases as Tallec & Ollivier (2018) from time scales uniform in [1, T - 1]; a suffix
``,input:I`` then sets the LSTM input-gate bias to I (e.g. ``bias:3,input:-3``).
``--input``: ``raw`` (default), ``standardise`` (per-sequence zero mean, unit variance),
``xK`` (multiply by K) or ``rpeaks`` (a clean pulse at each R peak instead of the ECG).
Prints one JSON line per run.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import torch
from torch.nn import functional as F

from toytasks.models import build_model
from toytasks.models.recurrent import RecurrentStack, chrono_init
from toytasks.tasks import get_generator


def parse_value(text: str) -> object:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def draw(task, n: int, rng: np.random.Generator, how: str) -> tuple[np.ndarray, np.ndarray]:
    """A batch; ``rpeaks`` replaces the ECG by a clean pulse train (1 at each R peak's
    nearest sample, 0 elsewhere): the same timing, no waveform to detect beats in."""
    if how != "rpeaks":
        x, y = task.sample(n, rng)
        return transform(x, how), y
    _, y, beats = task.sample_annotated(n, rng)
    index = np.rint(task.seq_len - 1 + beats.r_peak_s * task.sampling_hz).astype(int)
    x = np.zeros((n, task.seq_len, 1), dtype=np.float32)
    rows = np.broadcast_to(np.arange(n)[:, None], index.shape)
    inside = (index >= 0) & (index < task.seq_len)
    x[rows[inside], index[inside], 0] = 1.0
    return x, y


def transform(x: np.ndarray, how: str) -> np.ndarray:
    if how == "raw":
        return x
    if how == "standardise":
        return (x - x.mean(1, keepdims=True)) / (x.std(1, keepdims=True) + 1e-6)
    if how.startswith("x"):
        return x * float(how[1:])
    raise SystemExit(f"unknown --input {how!r}")


def build(args: argparse.Namespace, task) -> torch.nn.Module:
    torch.manual_seed(args.seed)
    first, _, extra = args.init.partition(",")
    kind, _, value = first.partition(":")
    gate_bias = float(value) if kind == "bias" else None
    model = build_model(args.arch, task.n_inputs, task.n_outputs, args.depth, args.width,
                        1, None if gate_bias is None else {"gate_bias": gate_bias})
    if isinstance(model, RecurrentStack):
        if kind == "default":
            model = _pytorch_default(args, task)
        elif kind == "chrono":
            chrono_init(model.rnn, model.arch, torch.rand(args.depth, args.width), float(value))
        if extra.startswith("input:"):  # LSTM input-gate bias (PyTorch chunk 0)
            with torch.no_grad():
                for layer in range(args.depth):
                    getattr(model.rnn, f"bias_ih_l{layer}")[: args.width] = float(extra[6:])
                    getattr(model.rnn, f"bias_hh_l{layer}")[: args.width] = 0.0
    return model


def _pytorch_default(args: argparse.Namespace, task) -> torch.nn.Module:
    torch.manual_seed(args.seed)
    model = build_model(args.arch, task.n_inputs, task.n_outputs, args.depth, args.width, 1,
                        {"gate_bias": 0.0})
    torch.manual_seed(args.seed)
    fresh = type(model.rnn)(task.n_inputs, args.width, num_layers=args.depth, batch_first=True)
    model.rnn.load_state_dict(fresh.state_dict())
    return model


def saturation(model: torch.nn.Module, x: torch.Tensor) -> float | None:
    """Share of LSTM cells with |c| > 2 (tanh' < 0.07) at the last step; None for others."""
    if not isinstance(getattr(model, "rnn", None), torch.nn.LSTM):
        return None
    with torch.no_grad():
        _, (_, c) = model.rnn(x)
    return round((c[-1].abs() > 2).float().mean().item(), 3)


def run(args: argparse.Namespace) -> dict:
    torch.set_num_threads(1)
    knobs = dict(kv.split("=", 1) for kv in args.set)
    task = get_generator(args.task)(**{k: parse_value(v) for k, v in knobs.items()})
    model = build(args, task)
    trained = model.head.parameters() if args.readout_only else model.parameters()
    opt = torch.optim.Adam(trained, lr=args.lr)
    rng = np.random.default_rng(args.seed + 1)
    xt, yt = draw(task, 1024, np.random.default_rng(12345), args.input)
    xt = torch.from_numpy(xt.astype(np.float32))
    yt = torch.from_numpy(yt)[:, 0]
    saturated_at_init = saturation(model, xt[:256])
    start, losses, best, solved_at, acc = time.perf_counter(), [], 0.0, None, 0.5
    for step in range(1, args.steps + 1):
        x, y = draw(task, args.batch, rng, args.input)
        x = torch.from_numpy(x.astype(np.float32))
        loss = F.cross_entropy(model(x)[:, -1], torch.from_numpy(y)[:, 0])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        if step % 100 == 0:
            model.eval()
            with torch.no_grad():
                acc = (model(xt)[:, -1].argmax(-1) == yt).float().mean().item()
            model.train()
            best = max(best, acc)
            if acc >= 0.95:
                solved_at = step
                break
    return {
        "task": args.task, "knobs": knobs, "arch": args.arch, "depth": args.depth,
        "width": args.width, "init": args.init + (" readout-only" if args.readout_only else ""),
        "input": args.input, "seed": args.seed,
        "seq_len": task.seq_len, "span": task.span_samples, "solved_at": solved_at,
        "best_acc": round(best, 3), "last_acc": round(acc, 3), "steps": step,
        "train_loss_last100": round(float(np.mean(losses[-100:])), 4),
        "wall_s": round(time.perf_counter() - start, 1),
        "cells_saturated": [saturated_at_init, saturation(model, xt[:256])],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--task", default="ecg-rhythm")
    p.add_argument("--set", nargs="*", default=[], help="knob=value ...")
    p.add_argument("--arch", default="lstm")
    p.add_argument("--depth", type=int, default=1)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--init", default="bias:3")
    p.add_argument("--input", default="raw")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--readout-only", action="store_true",
                   help="train only the linear readout (the stack stays as initialised)")
    result = run(p.parse_args())
    print(json.dumps(result), flush=True)
    if math.isnan(result["train_loss_last100"]):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
