"""Where in an ecg-ectopy sequence is the label? Linear probes on windows of raw samples.

A logistic regression (and a one-hidden-layer MLP) is fitted on the leading or trailing
samples of generated sequences and scored on fresh ones. If the task is honest, the
trailing ``blind_samples`` and everything before the deciding beat are at chance; a window
that covers the deciding beat's waves is not. This separates *reach* (is the information
inside a model's receptive field?) from *training* (does the model find it?): the study's
(f) trains `ecg-resnet` at depth 8 (receptive field 181 samples at 100 Hz) and it stays at
the majority rate, although a linear read of the last 150 samples is exact.

    python scripts/ecg_window_probe.py                       # 100 Hz (about 30 s)
    python scripts/ecg_window_probe.py --sampling-hz 250
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from toytasks.tasks.ecg_ectopy import EcgEctopy


def score(kind: str, a: np.ndarray, ya: np.ndarray, b: np.ndarray, yb: np.ndarray) -> float:
    model = (LogisticRegression(max_iter=3000) if kind == "logistic" else
             MLPClassifier((64,), max_iter=300, random_state=0, early_stopping=True))
    return float(model.fit(a, ya).score(b, yb))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sampling-hz", type=float, default=100.0)
    parser.add_argument("--train", type=int, default=8000)
    parser.add_argument("--test", type=int, default=2000)
    args = parser.parse_args()
    start = time.perf_counter()
    task = EcgEctopy(sampling_hz=args.sampling_hz)
    t, span, blind = task.seq_len, task.span_samples, task.blind_samples
    x, y = task.sample(args.train, np.random.default_rng(1))
    xt, yt = task.sample(args.test, np.random.default_rng(2))
    x, y, xt, yt = x[:, :, 0], y[:, 0], xt[:, :, 0], yt[:, 0]
    base = max(yt.mean(), 1 - yt.mean())
    print(f"ecg-ectopy at {args.sampling_hz:g} Hz: T = {t}, span {span}, blind window {blind}; "
          f"{args.train} training, {args.test} held-out sequences; majority rate {base:.3f}")
    scale = args.sampling_hz / 100
    trailing = sorted({blind, round(120 * scale), round(150 * scale), span, t})
    leading = sorted({round(130 * scale), round(140 * scale), t - span})
    print("| window | samples | logistic | mlp |\n|---|---|---|---|")
    for name, widths, cut in (("trailing", trailing, lambda w: np.s_[:, t - w:]),
                              ("leading", leading, lambda w: np.s_[:, :w])):
        for w in widths:
            a, b = x[cut(w)], xt[cut(w)]
            print(f"| {name} | {w} | {score('logistic', a, y, b, yt):.3f} | "
                  f"{score('mlp', a, y, b, yt):.3f} |")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
