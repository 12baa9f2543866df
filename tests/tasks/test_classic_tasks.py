"""Classic long-memory tasks (issue 10): determinism, knobs, layouts and trivial baselines."""

from __future__ import annotations

import math
import re
import sys

import numpy as np
import pytest

from toytasks.errors import ToytasksError
from toytasks.specs.spec import load_spec
from toytasks.tasks import GENERATORS, REGRESSION, get_generator

CLASSIC = ("adding", "multiplication", "temporal-order", "sparse-parity")


def draw(name: str, n: int = 512, seed: int = 0, **knobs):
    task = get_generator(name)(**knobs)
    return task, *task.sample(n, np.random.default_rng(seed))


@pytest.mark.parametrize("name", CLASSIC)
def test_registered_with_a_spec_and_a_source(name: str) -> None:
    assert name in GENERATORS
    spec = load_spec(name)
    assert spec.generator == name
    module_doc = sys.modules[GENERATORS[name].__module__].__doc__
    assert GENERATORS[name].source.split()[0] in module_doc  # definition cites the source
    assert re.search(r"(19|20)\d\d", GENERATORS[name].source)  # a dated publication


@pytest.mark.parametrize("name", CLASSIC)
def test_deterministic_shapes_and_types(name: str) -> None:
    task, x1, y1 = draw(name, seed=7)
    _, x2, y2 = draw(name, seed=7)
    _, x3, _ = draw(name, seed=8)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    assert x1.dtype == np.float32 and x1.shape == (512, task.seq_len, task.n_inputs)
    assert y1.shape == (512, task.output_steps)
    if task.kind == REGRESSION:
        assert y1.dtype == np.float32 and task.n_outputs == 1 and task.metric == "mse"
        assert not task.higher_is_better
    else:
        assert y1.dtype == np.int64 and set(np.unique(y1)) == set(range(task.n_outputs))


# --- trivial baselines against their closed forms ----------------------------------------
def constant_mse(y: np.ndarray) -> tuple[float, float]:
    """MSE of the best constant (the mean) and its 3-sigma tolerance."""
    err = (y - y.mean()) ** 2
    return float(err.mean()), 3 * float(err.std()) / math.sqrt(len(err))


@pytest.mark.parametrize("anywhere", [False, True])
def test_adding_baseline_is_one_sixth(anywhere: bool) -> None:
    task, _, y = draw("adding", 200_000, marks_anywhere=anywhere)
    assert task.baseline == pytest.approx(1 / 6, abs=1e-15)
    mse, tol = constant_mse(y[:, 0])
    assert abs(mse - 1 / 6) < tol
    assert abs(y.mean() - 1.0) < 0.01  # the best constant is 1


@pytest.mark.parametrize("anywhere", [False, True])
def test_multiplication_baseline_is_seven_144ths(anywhere: bool) -> None:
    task, _, y = draw("multiplication", 200_000, marks_anywhere=anywhere)
    assert task.baseline == pytest.approx(7 / 144, abs=1e-15)
    mse, tol = constant_mse(y[:, 0])
    assert abs(mse - 7 / 144) < tol
    assert abs(y.mean() - 0.25) < 0.005


@pytest.mark.parametrize("name, classes", [("temporal-order", 4), ("sparse-parity", 2)])
def test_classification_baseline_is_uniform_chance(name: str, classes: int) -> None:
    n = 40_000
    task, _, y = draw(name, n)
    assert task.baseline == pytest.approx(1 / classes)
    freq = np.bincount(y[:, 0], minlength=classes) / n
    sigma = math.sqrt(task.baseline * (1 - task.baseline) / n)
    assert np.all(np.abs(freq - 1 / classes) < 4 * sigma)  # majority class = chance


# --- adding / multiplication: layout and knobs ------------------------------------------
def marks(x: np.ndarray) -> np.ndarray:
    return np.argwhere(x[:, :, 1] == 1.0)


@pytest.mark.parametrize("name", ["adding", "multiplication"])
@pytest.mark.parametrize("t_len", [6, 32, 200])
def test_seq_len_knob_and_hs_layout(name: str, t_len: int) -> None:
    task, x, y = draw(name, 4000, seq_len_samples=t_len)
    assert x.shape[1] == t_len and task.span_samples == t_len
    h = t_len // 2 - 1
    per_row = np.bincount(marks(x)[:, 0], minlength=len(x))
    assert np.all(per_row == 2)  # two distinct marked steps per sequence
    steps = marks(x)[:, 1]
    assert steps.max() == h - 1 and steps.min() == 0  # both marks in the first h steps
    assert task.blind_samples == t_len - h
    earliest = marks(x).reshape(-1, 2, 2)[:, :, 1].min(axis=1)
    assert earliest.max() <= min(10, h) - 1  # some mark is always on the first 10 steps
    assert task.first_mark_missed_samples == t_len - min(10, h)
    values = (x[:, :, 0] * x[:, :, 1])
    combined = values.sum(1) if name == "adding" else np.where(
        x[:, :, 1] == 1, x[:, :, 0], 1.0).prod(1)
    np.testing.assert_allclose(y[:, 0], combined, rtol=1e-6)


@pytest.mark.parametrize("name", ["adding", "multiplication"])
def test_marks_anywhere_knob_spreads_marks_over_the_sequence(name: str) -> None:
    task, x, _ = draw(name, 4000, seq_len_samples=20, marks_anywhere=True)
    steps = marks(x)[:, 1]
    assert set(steps) == set(range(20))  # every step, including the last, can be marked
    assert abs(np.mean(steps >= 10) - 0.5) < 0.03
    assert task.blind_samples == 0 and task.first_mark_missed_samples == 0
    hs, _, _ = draw(name, 10, seq_len_samples=20)
    assert hs.blind_samples == 11


def test_precision_knob_sets_the_threshold_not_the_data() -> None:
    from toytasks.running.trials import trial_factory
    from toytasks.specs.options import default_options

    spec = load_spec("multiplication")
    assert spec.from_task and spec.threshold == pytest.approx(0.04**2)
    finer = spec.with_knobs({"precision": "0.02"})
    assert finer.threshold == pytest.approx(0.02**2)
    a = trial_factory(spec, "lstm", default_options(spec))(1, 0, 3e-3)
    b = trial_factory(finer, "lstm", default_options(finer))(1, 0, 3e-3)
    assert a.threshold == pytest.approx(0.0016) and b.threshold == pytest.approx(0.0004)
    assert a.key != b.key
    _, xa, ya = draw("multiplication", precision=0.04)
    _, xb, yb = draw("multiplication", precision=0.02)
    np.testing.assert_array_equal(xa, xb)
    np.testing.assert_array_equal(ya, yb)


# --- temporal-order ------------------------------------------------------------------
def symbol_steps(x: np.ndarray) -> np.ndarray:
    """(n, 2) steps of the relevant symbols X/Y (channels 6, 7), in time order."""
    hits = np.argwhere(x[:, :, 6:].sum(-1) == 1.0)
    assert np.all(np.bincount(hits[:, 0]) == 2)
    return hits[:, 1].reshape(-1, 2)


@pytest.mark.parametrize("lag, spread", [(20, 4), (60, 11), (5, 1)])
def test_temporal_order_lag_and_spread_knobs(lag: int, spread: int) -> None:
    task, x, y = draw("temporal-order", 4000, lag_steps=lag, spread_steps=spread)
    assert task.seq_len == 1 + spread + lag == x.shape[1]
    tokens = x.argmax(-1)
    assert np.all(tokens[:, 0] == 5) and np.all(tokens[:, -1] == 4)  # E ... B
    steps = symbol_steps(x)
    assert set(steps[:, 0]) == set(range(1, spread + 1))  # first symbol: steps 1..W
    assert task.seq_len - 1 - steps[:, 0].max() == lag  # held for at least lag_steps
    second = set(steps[:, 1])
    assert len(second) == spread and min(second) == task.second_start
    assert task.blind_samples == task.seq_len - 1 - max(second)
    assert task.span_samples == task.seq_len - 1
    rows = np.arange(len(x))
    which = x[rows[:, None], steps, 7]  # 1 where the symbol is Y
    np.testing.assert_array_equal(y[:, 0], 2 * which[:, 0] + which[:, 1])


def test_temporal_order_rejects_a_lag_shorter_than_the_spread() -> None:
    with pytest.raises(ToytasksError, match="lag_steps"):
        get_generator("temporal-order")(lag_steps=4, spread_steps=4)


# --- sparse-parity ---------------------------------------------------------------------
@pytest.mark.parametrize("n_bits, k", [(16, 3), (8, 1), (5, 5), (30, 7)])
def test_sparse_parity_knobs(n_bits: int, k: int) -> None:
    task, x, y = draw("sparse-parity", 4000, n_bits=n_bits, k=k)
    assert x.shape[1] == n_bits == task.span_samples and task.blind_samples == n_bits - 1
    assert np.all(x[:, :, 1].sum(1) == k) and np.all(x[:, 0, 1] == 1)
    bits = (x[:, :, 0] > 0) & (x[:, :, 1] == 1)
    np.testing.assert_array_equal(y[:, 0], bits.sum(1) % 2)
    if 1 < k < n_bits:
        others = x[:, 1:, 1].sum(0)
        assert np.all(others > 0)  # the other marks range over every later step


def test_sparse_parity_rejects_k_above_n() -> None:
    with pytest.raises(ToytasksError, match="'k'"):
        get_generator("sparse-parity")(n_bits=4, k=5)
