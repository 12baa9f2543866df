"""Packing seeds into one module, and torch.compile, against plain eager training.

K models (K seeds of one configuration) trained one after another in eager mode is the
baseline; measured in the same run, interleaved, one thread:

* packed: the K models' parameters stacked and trained as one batched computation
  (``torch.func.stack_module_state`` + ``vmap(grad(...))`` + one Adam over the stacks);
  vmap turns the K convolutions into one batched convolution and the K LSTMs into batched
  matmuls (oneDNN's fused LSTM kernel has no batching rule, so the packed LSTM runs
  PyTorch's composite LSTM, which vmap batches);
* compiled: each model ``torch.compile``d (inductor, default mode), time per step after
  compilation; the compile time is reported apart.

Figures are speed-ups (baseline time / variant time; > 1 is faster), each time the fastest
of a few interleaved repeats. Training steps only (no clipping, no evaluation), cycle-pattern
default task, batch 32 per model.
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable

import torch
from torch.func import functional_call, grad, stack_module_state, vmap
from torch.nn import functional as F

from benchmarks.common import fastest_interleaved
from toytasks.models import build_model
from toytasks.tasks import get_generator
from toytasks.training.train import train_rng

K, BATCH, STEPS, REPEATS = 4, 32, 10, 3
CASES = [("cnn", 4), ("lstm", 1)]
WIDTHS = (16, 32, 64)
COMPILE_WIDTHS = (32, 64)



def _loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


def _eager_steps(models: list[torch.nn.Module], data) -> Callable[[], None]:
    optimizers = [torch.optim.Adam(m.parameters(), lr=1e-3) for m in models]

    def run() -> None:
        for x, y in data:
            for k, (model, optimizer) in enumerate(zip(models, optimizers, strict=True)):
                loss = _loss(model(x[k]), y[k])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()

    return run


def _packed_steps(models: list[torch.nn.Module], data) -> Callable[[], None]:
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    optimizer = torch.optim.Adam(list(params.values()), lr=1e-3)

    def loss(p, b, x, y):
        return _loss(functional_call(base, (p, b), (x,)), y)

    grads = vmap(grad(loss))

    def run() -> None:
        with torch.backends.mkldnn.flags(enabled=False):
            for x, y in data:
                for name, g in grads(params, buffers, x, y).items():
                    params[name].grad = g
                optimizer.step()

    return run


def measure(arch: str, depth: int, width: int, compiled: bool) -> dict[str, float]:
    torch.set_num_threads(1)
    task = get_generator("cycle-pattern")()
    rng = train_rng(0)
    data = []
    for _ in range(STEPS):
        x, y = task.sample(K * BATCH, rng)
        data.append((torch.from_numpy(x).reshape(K, BATCH, *x.shape[1:]),
                     torch.from_numpy(y).reshape(K, BATCH, *y.shape[1:])))

    def models() -> list[torch.nn.Module]:
        torch.manual_seed(0)
        return [build_model(arch, task.n_inputs, task.n_outputs, depth, width,
                            task.output_steps) for _ in range(K)]

    fns = {"eager": _eager_steps(models(), data), "packed": _packed_steps(models(), data)}
    figures = {}
    if compiled:
        compiled_models = [torch.compile(m) for m in models()]
        fns["compiled"] = _eager_steps(compiled_models, data)
        start = time.perf_counter()
        fns["compiled"]()  # compiles (forward and backward) on the first steps
        figures["compile_s"] = time.perf_counter() - start
    fastest_interleaved(fns, 1)  # warm-up
    best = fastest_interleaved(fns, REPEATS)
    figures.update({name: best["eager"] / best[name] for name in fns if name != "eager"})
    figures["eager_ms_per_model_step"] = 1000 * best["eager"] / (STEPS * K)
    return figures


def main(argv: list[str] | None = None) -> None:
    compile_ok = "--no-compile" not in (argv or [])
    print(f"packing {K} seeds / torch.compile vs eager one after another (speed-up, > 1 is "
          "faster), cycle-pattern, batch 32, 1 thread")
    for arch, depth in CASES:
        for width in WIDTHS:
            f = measure(arch, depth, width, compile_ok and width in COMPILE_WIDTHS)
            text = f"packed {f['packed']:.2f}x"
            if "compiled" in f:
                text += f"; compiled {f['compiled']:.2f}x (compile {f['compile_s']:.0f} s)"
            print(f"   {arch:5s} depth {depth} width {width:3d}: eager "
                  f"{f['eager_ms_per_model_step']:.1f} ms/step; {text}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
