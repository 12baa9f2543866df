"""Shortcut probes: can a classifier that sees only a trailing window beat chance?

A task is only useful if a model that cannot see the whole deciding span stays at chance.
These probes fit scikit-learn models on the raw samples of a trailing window (ending at a
target step) and report held-out accuracy, so tests can show: the blind window gives
chance, the full span gives (near) perfect accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures
from sklearn.tree import DecisionTreeClassifier

from toytasks.errors import ToytasksError
from toytasks.tasks import Task


def finite_draws(task: Task, n_train: int, n_test: int, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training and held-out draws for a probe; a task that samples NaN or infinity is
    named in one line (scikit-learn would raise a traceback about its input)."""
    x_train, y_train = task.sample(n_train, rng)
    x_test, y_test = task.sample(n_test, rng)
    name = getattr(task, "name", type(task).__name__)
    for array in (x_train, y_train, x_test, y_test):
        if not np.isfinite(array).all():
            raise ToytasksError(f"task '{name}': sample() returned NaN or infinite values in "
                                f"the audit's {n_train + n_test} sequences")
    return x_train, y_train, x_test, y_test


def trailing_window(x: np.ndarray, window: int, target: int, output_steps: int) -> np.ndarray:
    """Flattened inputs of the ``window`` steps ending at target step ``target``."""
    end = x.shape[1] - output_steps + target + 1
    start = max(0, end - window)
    return x[:, start:end, :].reshape(len(x), -1)


def probe_accuracy(task: Task, window: int, classifier: str = "mlp", n_train: int = 6000,
                   n_test: int = 2000, seed: int = 0, target: int = 0,
                   early_stopping: bool = False,
                   features: Callable[[np.ndarray], np.ndarray] | None = None) -> float:
    """Held-out accuracy of a classifier given only the trailing ``window`` samples.

    ``classifier``: "mlp", "logistic", or "tree" (a full-depth decision tree: an exact
    lookup table on discrete inputs, to show that a window determines the label).
    ``early_stopping``: the MLP stops when a 10% validation split stops improving (on a
    window with nothing to learn that is after a few dozen epochs, not 600).
    ``features``: computed from the window, (n, window, channels) -> (n, features), instead
    of the raw samples (a task's own reading of its span, e.g. a key-value lookup).
    """
    rng = np.random.default_rng(seed)
    x_train, y_train, x_test, y_test = finite_draws(task, n_train, n_test, rng)
    a = trailing_window(x_train, window, target, task.output_steps)
    b = trailing_window(x_test, window, target, task.output_steps)
    if features is not None:
        shape = (-1, a.shape[1] // task.n_inputs, task.n_inputs)
        a, b = features(a.reshape(shape)), features(b.reshape(shape))
    if window <= 0:
        a, b = np.zeros((n_train, 1)), np.zeros((n_test, 1))
    if classifier == "tree":  # an exact lookup table on discrete inputs
        model = DecisionTreeClassifier(random_state=seed)
    elif classifier == "logistic":
        model = LogisticRegression(max_iter=3000)
    else:
        model = MLPClassifier((64,), max_iter=600, random_state=seed,
                              early_stopping=early_stopping, n_iter_no_change=20)
    model.fit(a, y_train[:, target])
    return float(model.score(b, y_test[:, target]))


def chance_tolerance(baseline: float, n_test: int, sigmas: float = 3.0) -> float:
    """``sigmas`` binomial standard deviations of an accuracy estimate at chance."""
    return sigmas * math.sqrt(baseline * (1 - baseline) / n_test)


Features = Callable[[np.ndarray], np.ndarray]  # (n, window, channels) -> (n, features)


def probe_mse(task: Task, window: int, regressor: str = "mlp", features: Features | None = None,
              n_train: int = 6000, n_test: int = 2000, seed: int = 0,
              target: int = 0, early_stopping: bool = False) -> tuple[float, float]:
    """Regression counterpart of ``probe_accuracy``: (held-out MSE, its 3-sigma tolerance).

    ``features`` maps the raw window (n, window, channels) to probe inputs, e.g. value x
    marker per step, so that a linear or quadratic probe can state what the window holds;
    ``regressor`` is "linear", "poly2" (degree-2 polynomial features) or "mlp".
    """
    rng = np.random.default_rng(seed)
    x_train, y_train, x_test, y_test = finite_draws(task, n_train, n_test, rng)

    def inputs(x: np.ndarray) -> np.ndarray:
        if window <= 0:
            return np.zeros((len(x), 1))
        end = x.shape[1] - task.output_steps + target + 1
        part = x[:, max(0, end - window) : end, :]
        return (features(part) if features else part).reshape(len(x), -1)

    if regressor == "linear":
        model = LinearRegression()
    elif regressor == "poly2":
        model = make_pipeline(PolynomialFeatures(2), LinearRegression())
    else:
        model = MLPRegressor(hidden_layer_sizes=(64,), max_iter=600, random_state=seed,
                             early_stopping=early_stopping, n_iter_no_change=20)
    model.fit(inputs(x_train), y_train[:, target])
    errors = (model.predict(inputs(x_test)) - y_test[:, target]) ** 2
    return float(errors.mean()), 3.0 * float(errors.std()) / math.sqrt(n_test)
