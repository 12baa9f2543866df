"""Ways to run the LSTM/GRU recurrence on CPU at long T: speed, and exactness against today's.

Today `lstm`/`gru` call ``nn.LSTM``/``nn.GRU`` (``RecurrentStack.features``): on CPU the LSTM
runs oneDNN's fused kernel (``torch.backends.mkldnn`` on, the default) and the GRU PyTorch's
native C++ loop over cells. Each alternative below computes the same layer from the same
weights; for each the benchmark prints forward + backward steps per CPU second (batch 32,
width 32, one layer, one thread), the speed-up over today's path, and the largest absolute
difference of its outputs and of its gradients (inputs and every weight) from today's.
"exact" means both are 0.0, i.e. bit-identical: only such a path may replace today's,
because results and baselines must not move.

Paths: ``native`` (today), ``native-no-mkldnn`` (oneDNN off), ``cell-loop`` (a Python loop
over ``torch.lstm_cell``/``torch.gru_cell``, what ``nn.LSTMCell`` runs), ``hoisted`` (the input
projection for all steps in one matmul, then a Python loop of the hidden projection and the
gate arithmetic, written as PyTorch's native cell writes it), ``hoisted-script`` (the same
loop ``torch.jit.script``ed), ``chunked-K`` (``nn.LSTM``/``nn.GRU`` on chunks of K steps, the
state carried across), ``manual-backward`` (a custom autograd function: the same forward, a
hand-written backward that sums the weight gradients of all steps in one matmul each).

Usage: ``python -m benchmarks.recurrent_paths [--cells lstm,gru] [--lengths 1000,4000]
[--repeats 2]``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.common import fastest_interleaved
from toytasks.models import build_model

BATCH, WIDTH, INPUTS = 32, 32, 2
LENGTHS = [1000, 4000]
CHUNK = 250

Path = Callable[[nn.RNNBase, torch.Tensor], torch.Tensor]


def _weights(rnn: nn.RNNBase) -> tuple[torch.Tensor, ...]:
    return rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0


def native(rnn: nn.RNNBase, x: torch.Tensor) -> torch.Tensor:
    return rnn(x)[0]


def native_no_mkldnn(rnn: nn.RNNBase, x: torch.Tensor) -> torch.Tensor:
    with warnings.catch_warnings():  # flags() also sets oneDNN's TF32 switch, which warns
        warnings.simplefilter("ignore", UserWarning)
        with torch.backends.mkldnn.flags(enabled=False):
            return rnn(x)[0]


def chunked(rnn: nn.RNNBase, x: torch.Tensor, chunk: int = CHUNK) -> torch.Tensor:
    outs, state = [], None
    for part in x.split(chunk, dim=1):
        out, state = rnn(part, state)
        outs.append(out)
    return torch.cat(outs, dim=1)


def cell_loop(rnn: nn.RNNBase, x: torch.Tensor) -> torch.Tensor:
    w_ih, w_hh, b_ih, b_hh = _weights(rnn)
    h = x.new_zeros(x.shape[0], rnn.hidden_size)
    outs = []
    if isinstance(rnn, nn.LSTM):
        c = h
        for x_t in x.unbind(1):
            h, c = torch.lstm_cell(x_t, (h, c), w_ih, w_hh, b_ih, b_hh)
            outs.append(h)
    else:
        for x_t in x.unbind(1):
            h = torch.gru_cell(x_t, h, w_ih, w_hh, b_ih, b_hh)
            outs.append(h)
    return torch.stack(outs, dim=1)


def _lstm_hoisted(gates_in: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor,
                  h: torch.Tensor) -> torch.Tensor:
    """Native LSTMCell's arithmetic (aten/src/ATen/native/RNN.cpp), input gates precomputed."""
    c = h
    outs = []
    for g_in in gates_in.unbind(0):
        gates = F.linear(h, w_hh, b_hh) + g_in
        i, f, g, o = gates.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs, dim=1)


def _gru_hoisted(gates_in: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor,
                 h: torch.Tensor) -> torch.Tensor:
    """Native GRUCell's arithmetic (aten/src/ATen/native/RNN.cpp), input gates precomputed."""
    outs = []
    for g_in in gates_in.unbind(0):
        i_r, i_z, i_n = g_in.chunk(3, 1)
        h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
        r = torch.sigmoid(h_r + i_r)
        z = torch.sigmoid(h_z + i_z)
        n = torch.tanh(i_n + h_n * r)
        h = (h - n) * z + n
        outs.append(h)
    return torch.stack(outs, dim=1)


_SCRIPTED: dict[str, Callable] = {}


def _hoisted_with(loop: Callable, rnn: nn.RNNBase, x: torch.Tensor) -> torch.Tensor:
    w_ih, w_hh, b_ih, b_hh = _weights(rnn)
    gates_in = F.linear(x.transpose(0, 1), w_ih, b_ih)  # (time, batch, gates * width)
    return loop(gates_in, w_hh, b_hh, x.new_zeros(x.shape[0], rnn.hidden_size))


def hoisted(rnn: nn.RNNBase, x: torch.Tensor) -> torch.Tensor:
    return _hoisted_with(_lstm_hoisted if isinstance(rnn, nn.LSTM) else _gru_hoisted, rnn, x)


def hoisted_script(rnn: nn.RNNBase, x: torch.Tensor) -> torch.Tensor:
    name = "lstm" if isinstance(rnn, nn.LSTM) else "gru"
    if name not in _SCRIPTED:
        _SCRIPTED[name] = torch.jit.script(_lstm_hoisted if name == "lstm" else _gru_hoisted)
    return _hoisted_with(_SCRIPTED[name], rnn, x)


class _GRUManualBackward(torch.autograd.Function):
    """GRU layer with a hand-written backward: per step only the recurrence's own chain,
    weight gradients summed over all steps in one matmul each (fewer, larger ops than
    autograd's per-step graph; the summation order differs, so not bit-identical)."""

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh):  # type: ignore[override]
        gates_in = F.linear(x.transpose(0, 1), w_ih, b_ih)  # (T, B, 3H)
        h = x.new_zeros(gates_in.shape[1], w_hh.shape[1])
        hs, rs, zs, ns, hns = [], [], [], [], []
        for g_in in gates_in.unbind(0):
            i_r, i_z, i_n = g_in.chunk(3, 1)
            h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
            r = torch.sigmoid(h_r + i_r)
            z = torch.sigmoid(h_z + i_z)
            n = torch.tanh(i_n + h_n * r)
            for saved, value in zip((hs, rs, zs, ns, hns), (h, r, z, n, h_n), strict=True):
                saved.append(value)
            h = (h - n) * z + n
        out = torch.stack([*hs[1:], h], dim=1)
        ctx.save_for_backward(x, w_ih, w_hh, torch.stack(hs), torch.stack(rs), torch.stack(zs),
                              torch.stack(ns), torch.stack(hns))
        return out

    @staticmethod
    def backward(ctx, grad_out):  # type: ignore[override]
        x, w_ih, w_hh, h_prev, r, z, n, h_n = ctx.saved_tensors
        steps = h_prev.shape[0]
        d_in = torch.empty(steps, *r.shape[1:-1], 3 * r.shape[-1])
        d_hh = torch.empty_like(d_in)
        dh = torch.zeros_like(h_prev[0])
        grad_t = grad_out.transpose(0, 1)
        for t in range(steps - 1, -1, -1):
            dh = dh + grad_t[t]
            dz = dh * (h_prev[t] - n[t]) * z[t] * (1 - z[t])
            dn = dh * (1 - z[t]) * (1 - n[t] * n[t])
            dr = dn * h_n[t] * r[t] * (1 - r[t])
            d_in[t] = torch.cat([dr, dz, dn], 1)
            d_hh[t] = torch.cat([dr, dz, dn * r[t]], 1)
            dh = dh * z[t] + d_hh[t] @ w_hh
        flat_in, flat_hh = d_in.reshape(-1, d_in.shape[-1]), d_hh.reshape(-1, d_hh.shape[-1])
        grad_x = (d_in @ w_ih).transpose(0, 1)
        grad_w_ih = flat_in.T @ x.transpose(0, 1).reshape(-1, x.shape[-1])
        grad_w_hh = flat_hh.T @ h_prev.reshape(-1, h_prev.shape[-1])
        return grad_x, grad_w_ih, grad_w_hh, flat_in.sum(0), flat_hh.sum(0)


def manual_backward(rnn: nn.RNNBase, x: torch.Tensor) -> torch.Tensor:
    if isinstance(rnn, nn.LSTM):
        raise NotImplementedError("manual-backward is written for the GRU only")
    return _GRUManualBackward.apply(x, *_weights(rnn))


PATHS: dict[str, Path] = {
    "native": native, "native-no-mkldnn": native_no_mkldnn, "cell-loop": cell_loop,
    "hoisted": hoisted, "hoisted-script": hoisted_script, f"chunked-{CHUNK}": chunked,
    "manual-backward": manual_backward,
}


def layer(cell: str) -> nn.RNNBase:
    """One layer exactly as the model builds it (same init, gate bias 3)."""
    torch.manual_seed(0)
    return build_model(cell, INPUTS, 2, 1, WIDTH).rnn


def outputs_and_grads(path: Path, rnn: nn.RNNBase, x: torch.Tensor,
                      weight: torch.Tensor) -> list[torch.Tensor]:
    x = x.detach().requires_grad_(True)
    out = path(rnn, x)
    params = list(_weights(rnn))
    grads = torch.autograd.grad((out * weight).sum(), [x, *params])
    return [out.detach(), *grads]


def max_differences(path: Path, rnn: nn.RNNBase, x: torch.Tensor,
                    weight: torch.Tensor) -> tuple[float, float, float]:
    """Against ``native``: max |output difference|, max |gradient difference|, and the
    latter relative to the largest |gradient| of that tensor (weight gradients are sums
    over all steps, so their absolute differences scale with T)."""
    ref = outputs_and_grads(native, rnn, x, weight)
    got = outputs_and_grads(path, rnn, x, weight)
    out_diff = (got[0] - ref[0]).abs().max().item()
    pairs = list(zip(got[1:], ref[1:], strict=True))
    grad_diff = max((g - r).abs().max().item() for g, r in pairs)
    relative = max(((g - r).abs().max() / r.abs().max()).item() for g, r in pairs)
    return out_diff, grad_diff, relative


def fwd_bwd(path: Path, rnn: nn.RNNBase, x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        rnn.zero_grad(set_to_none=True)
        path(rnn, x)[:, -1].sum().backward()
    return run


def compare(cell: str, seq_len: int, repeats: int, paths: list[str]) -> dict[str, dict]:
    torch.set_num_threads(1)
    rnn = layer(cell)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(BATCH, seq_len, INPUTS, generator=gen)
    weight = torch.randn(BATCH, seq_len, WIDTH, generator=gen)
    usable = [p for p in paths if not (p == "manual-backward" and cell == "lstm")]
    rows = {name: dict(zip(("out_diff", "grad_diff", "grad_rel"),
                           max_differences(PATHS[name], rnn, x, weight), strict=True))
            for name in usable}
    runs = {name: fwd_bwd(PATHS[name], rnn, x) for name in usable}
    for run in runs.values():  # warm-up: the scripted loop is optimised on its second call
        run()
    times = fastest_interleaved(runs, repeats, time.process_time)  # CPU s: see common
    for name in usable:
        rows[name]["steps_s"] = 1.0 / times[name]
        rows[name]["speedup"] = times["native"] / times[name]
    return rows


def main(argv: list[str] | None = None) -> dict[tuple[str, int], dict[str, dict]]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recurrent_paths")
    parser.add_argument("--cells", default="lstm,gru")
    parser.add_argument("--lengths", default=",".join(map(str, LENGTHS)))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--paths", default=",".join(PATHS))
    args = parser.parse_args(argv)
    paths = args.paths.split(",")
    if "native" not in paths:
        paths.insert(0, "native")
    print(f"recurrent paths: forward+backward of one layer, batch {BATCH}, width {WIDTH}, "
          f"{INPUTS} inputs, 1 thread; speed-up over native (today), best of {args.repeats} "
          "interleaved; max |difference| from native (exact = 0 and 0)")
    results = {}
    for cell in args.cells.split(","):
        for seq_len in (int(t) for t in args.lengths.split(",")):
            rows = compare(cell, seq_len, args.repeats, paths)
            results[cell, seq_len] = rows
            for name, row in rows.items():
                exact = "exact" if row["out_diff"] == 0 and row["grad_diff"] == 0 else "differs"
                print(f"   {cell:4s} T={seq_len:5d} {name:17s} {row['steps_s']:7.2f} steps/s "
                      f"{row['speedup']:5.2f}x  out {row['out_diff']:.1e} grad "
                      f"{row['grad_diff']:.1e} (rel {row['grad_rel']:.0e}) {exact}", flush=True)
    return results


if __name__ == "__main__":
    main()
