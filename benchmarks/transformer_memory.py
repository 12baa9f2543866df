"""Peak memory of one `transformer` training step at long T, each in a fresh subprocess.

A child process builds the model (default heads and FFN, depth 2, width 32), the optimizer
and one batch of xor-products at ``seq_len_samples = T``, reads its peak resident set size
after resetting it (Linux ``/proc/self/clear_refs``; ``ru_maxrss`` elsewhere), runs one step
(forward, backward, Adam) and reads the peak again: the difference from the resident set
before the step is what the step itself needed. Printed beside it, for scale: the size of
the attention weights a step would hold if attention were materialised (batch x heads x T^2
float32 values per layer), which PyTorch's CPU scaled-dot-product kernel does not do; and
the batch that fits a 4 GiB budget if the step's memory were proportional to the batch (an
estimate, conservative: part of it is a fixed cost).

Usage: ``python -m benchmarks.transformer_memory [--lengths 100,1000,4000] [--batch 32]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from toytasks.models import build_model
from toytasks.models.transformer import HEADS
from toytasks.tasks import get_generator
from toytasks.training.train import train_rng

DEPTH, WIDTH, BATCH = 2, 32, 32
LENGTHS = [100, 1000, 4000]
BUDGET_MIB = 4096
REPO = Path(__file__).resolve().parents[1]  # the child imports benchmarks from here


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise KeyError(field)


def _reset_peak() -> tuple[float, str]:
    """(resident MiB now, method). Linux: writing 5 to clear_refs resets the peak (VmHWM)
    to the current resident set, so the step's own peak is read even when importing torch
    peaked higher; elsewhere the lifetime peak (ru_maxrss), which can hide a small step."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return _status_mib("VmRSS"), "VmHWM"
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "ru_maxrss"


def _peak_mib(method: str) -> float:
    if method == "VmHWM":
        return _status_mib("VmHWM")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(seq_len: int, batch: int, depth: int = DEPTH) -> dict:
    """One training step in this process; what it added to the peak resident set."""
    torch.set_num_threads(1)
    task = get_generator("xor-products")(seq_len_samples=seq_len)
    torch.manual_seed(0)
    model = build_model("transformer", task.n_inputs, task.n_outputs, depth, WIDTH)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    x, y = (torch.from_numpy(a) for a in task.sample(batch, train_rng(0)))
    before, method = _reset_peak()
    start = time.perf_counter()
    out = model(x)
    loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    seconds = time.perf_counter() - start
    return {"step_mib": _peak_mib(method) - before, "process_mib": before, "step_s": seconds,
            "method": method}


def measure(seq_len: int, batch: int, depth: int = DEPTH) -> dict:
    code = ("import json; from benchmarks.transformer_memory import child; "
            f"print(json.dumps(child({seq_len}, {batch}, {depth})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


def attention_matrix_mib(seq_len: int, batch: int, depth: int = DEPTH) -> float:
    return batch * HEADS * seq_len**2 * 4 * depth / 2**20


def main(argv: list[str] | None = None) -> dict[int, dict]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transformer_memory")
    parser.add_argument("--lengths", default=",".join(map(str, LENGTHS)))
    parser.add_argument("--batch", type=int, default=BATCH)
    args = parser.parse_args(argv)
    print(f"transformer memory: peak memory of one training step (depth {DEPTH}, width {WIDTH},"
          f" {HEADS} heads, batch {args.batch}, 1 thread), a fresh process per T")
    results = {}
    for seq_len in (int(t) for t in args.lengths.split(",")):
        row = measure(seq_len, args.batch)
        results[seq_len] = row
        per_sample = row["step_mib"] / args.batch
        fits = f">= ~{int(BUDGET_MIB / per_sample)}" if per_sample > 0 else "any"
        print(f"   T={seq_len:5d}: step +{row['step_mib']:7.1f} MiB over the "
              f"{row['process_mib']:.0f} MiB process, {row['method']} ({row['step_s']:.1f} s); "
              f"materialised attention would be {attention_matrix_mib(seq_len, args.batch):8.0f}"
              f" MiB; batch in {BUDGET_MIB // 1024} GiB {fits} (estimated)",
              flush=True)
    return results


if __name__ == "__main__":
    main()
