"""Hardware use: achieved training FLOP/s per architecture vs a matmul peak (same run, 1 thread).

Training FLOPs are the analytic count the store records (3x the forward FLOPs per sample).
Target: >= 40% of the matmul peak for convolutional models at width >= 64.
"""

from __future__ import annotations

from benchmarks.common import best_of, default_trial, matmul_peak_gflops
from toytasks.models import build_model
from toytasks.training.train import make_generator, train

CASES = [("cnn", 10), ("tcn", 4), ("rnn", 1), ("lstm", 1), ("gru", 1), ("transformer", 2)]


def main(widths: tuple[int, ...] = (32, 64)) -> dict[str, float]:
    peak = matmul_peak_gflops()
    print(f"2. hardware use (1 thread; float32 matmul peak {peak:.1f} GFLOP/s)")
    fractions = {}
    for width in widths:
        for arch, depth in CASES:
            trial = default_trial("cycle-pattern", arch, depth, width=width, steps=150)
            task = make_generator(trial)
            model = build_model(arch, task.n_inputs, task.n_outputs, depth, width)
            flops = 3 * model.forward_flops(task.seq_len) * trial.batch_size * trial.max_steps
            seconds = best_of(lambda t=trial: train(t), repeats=2)
            achieved = flops / seconds / 1e9
            fractions[f"{arch}/w{width}"] = achieved / peak
            print(f"   {arch:12s} depth {depth:2d} width {width:3d}: {achieved:6.1f} GFLOP/s "
                  f"= {100 * achieved / peak:5.1f}% of peak")
    return fractions


if __name__ == "__main__":
    main()
