"""Shortcut probes: can a classifier that sees only a trailing window beat chance?

A task is only useful if a model that cannot see the whole deciding span stays at chance.
These probes fit scikit-learn models on the raw samples of a trailing window (ending at a
target step) and report held-out accuracy, so tests can show: the blind window gives
chance, the full span gives (near) perfect accuracy.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from toytasks.tasks import Task


def trailing_window(x: np.ndarray, window: int, target: int, output_steps: int) -> np.ndarray:
    """Flattened inputs of the ``window`` steps ending at target step ``target``."""
    end = x.shape[1] - output_steps + target + 1
    start = max(0, end - window)
    return x[:, start:end, :].reshape(len(x), -1)


def probe_accuracy(task: Task, window: int, classifier: str = "mlp", n_train: int = 6000,
                   n_test: int = 2000, seed: int = 0, target: int = 0) -> float:
    """Held-out accuracy of a classifier given only the trailing ``window`` samples."""
    rng = np.random.default_rng(seed)
    x_train, y_train = task.sample(n_train, rng)
    x_test, y_test = task.sample(n_test, rng)
    a = trailing_window(x_train, window, target, task.output_steps)
    b = trailing_window(x_test, window, target, task.output_steps)
    if window <= 0:
        a, b = np.zeros((n_train, 1)), np.zeros((n_test, 1))
    model = (
        LogisticRegression(max_iter=3000)
        if classifier == "logistic"
        else MLPClassifier((64,), max_iter=600, random_state=seed)
    )
    model.fit(a, y_train[:, target])
    return float(model.score(b, y_test[:, target]))


def chance_tolerance(baseline: float, n_test: int, sigmas: float = 3.0) -> float:
    """``sigmas`` binomial standard deviations of an accuracy estimate at chance."""
    return sigmas * math.sqrt(baseline * (1 - baseline) / n_test)
