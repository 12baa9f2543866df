"""Is the label linearly readable from an untrained network's last-step features?

Gradient descent on a last-step readout starts from what the untrained stack already
computes: if a logistic regression on those features is at chance, the readout's gradient
carries no first-order signal and training must escape a flat plateau (the loss sits at
ln 2). For each task variant and architecture (depth 1, width 128 for many
random features, seed 0), fit a logistic regression on the last-step features of
3,000 sequences and score 1,000 others. Prints a Markdown table (docs/ecg.md).

    python scripts/ecg_init_probe.py
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from toytasks.models import build_model
from toytasks.tasks import get_generator

sys.path.insert(0, "scripts")
from ecg_probe import draw

VARIANTS = [
    ("ecg-ectopy", {"sampling_hz": 20.0}, "raw"),
    ("ecg-ectopy", {"sampling_hz": 100.0}, "raw"),
    ("ecg-rhythm", {}, "raw"),
    ("ecg-rhythm", {"longer_share": 1.0, "hr_spread": 0.0, "hrv": 0.0}, "rpeaks"),
]
ARCHS = [("lstm", 1), ("chrono-lstm", 1), ("gru", 1)]


def features(arch: str, depth: int, x: np.ndarray, seed: int, width: int) -> np.ndarray:
    torch.manual_seed(seed)
    model = build_model(arch, 1, 2, depth, width).eval()
    with torch.no_grad():
        return model.features(torch.from_numpy(x))[:, -1].numpy()


def probe(task_name: str, knobs: dict, how: str, arch: str, depth: int, seed: int) -> float:
    task = get_generator(task_name)(**knobs)
    x, y = draw(task, 4000, np.random.default_rng(seed), how)
    f = StandardScaler().fit_transform(features(arch, depth, x.astype(np.float32), seed, 128))
    clf = LogisticRegression(max_iter=3000, C=1.0).fit(f[:3000], y[:3000, 0])
    return clf.score(f[3000:], y[3000:, 0])


def main() -> None:
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    print("| task | knobs | input | " + " | ".join(f"{a} {d}" for a, d in ARCHS) + " |")
    print("|---|---|---|" + "---|" * len(ARCHS))
    for task_name, knobs, how in VARIANTS:
        cells = []
        for arch, depth in ARCHS:
            scores = [probe(task_name, knobs, how, arch, depth, s) for s in range(1)]
            cells.append(f"{np.mean(scores):.2f}")
        knob_text = ", ".join(f"{k}={v:g}" for k, v in knobs.items()) or "default"
        print(f"| {task_name} | {knob_text} | {how} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
