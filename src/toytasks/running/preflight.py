"""Checks before any training: a plugin that would waste compute or cheat is refused.

An architecture must build, map (batch, time, inputs) to (batch, output_steps, outputs) and
be causal: its features at step t must not change when inputs after t change (a model that
sees the future would "solve" tasks at any depth). A task must sample the documented
shapes and dtypes and be deterministic for a seed. Each failure is one line naming the
plugin. The runs check plugins and architectures with knobs set; the tests check every
built-in with the same functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from toytasks import plugins
from toytasks.errors import ToytasksError, one_line
from toytasks.models import ARCHITECTURES, SequenceModel, build_model, get_architecture
from toytasks.models.causality import PROBE_STEPS, Leak, first_leak, readout
from toytasks.plugins import is_builtin
from toytasks.tasks import CLASSIFICATION, GENERATORS, Task

BATCH = 4
FINITE_SAMPLES = 1024  # sequences drawn to catch rare non-finite values
TOLERANCE = 1e-5


def _noun(cls: type, noun: str, name: str) -> str:
    return f"{noun} '{name}'" if is_builtin(cls) else f"{noun} plugin '{name}'"


def check_task(name: str, task: Task) -> None:
    """Shapes, dtypes, label range, finiteness and determinism of ``task.sample``."""
    who = _noun(type(task), "task", name)
    try:
        x, y = task.sample(BATCH, np.random.default_rng(0))
        x2, y2 = task.sample(BATCH, np.random.default_rng(0))
    except Exception as exc:
        raise ToytasksError(f"{who}: sample() failed "
                            f"({one_line(f'{type(exc).__name__}: {exc}')})") from None
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise ToytasksError(f"{who}: sample() must return two numpy arrays (x, y)")
    want_x = (BATCH, task.seq_len, task.n_inputs)
    if x.shape != want_x or x.dtype != np.float32:
        raise ToytasksError(f"{who}: sample() x is {x.dtype} {x.shape}, expected float32 "
                            f"{want_x} (n, seq_len, n_inputs)")
    y_dtype = np.int64 if task.kind == CLASSIFICATION else np.float32
    want_y = (BATCH, task.output_steps)
    if y.shape != want_y or y.dtype != y_dtype:
        raise ToytasksError(f"{who}: sample() y is {y.dtype} {y.shape}, expected "
                            f"{np.dtype(y_dtype)} {want_y} (n, output_steps)")
    if task.kind == CLASSIFICATION and (y.min() < 0 or y.max() >= task.n_outputs):
        raise ToytasksError(f"{who}: sample() labels must lie in [0, {task.n_outputs})")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ToytasksError(f"{who}: sample() returned NaN or infinite values")
    try:  # a rare NaN (1 in 200 sequences) shows in 1,024 with probability 0.994
        xs, ys = task.sample(FINITE_SAMPLES, np.random.default_rng(1))
    except Exception as exc:
        raise ToytasksError(f"{who}: sample() failed "
                            f"({one_line(f'{type(exc).__name__}: {exc}')})") from None
    bad = ~(np.isfinite(xs).reshape(len(xs), -1).all(1) & np.isfinite(ys).reshape(
        len(ys), -1).all(1))
    if bad.any():
        raise ToytasksError(f"{who}: sample() returned NaN or infinite values in "
                            f"{int(bad.sum())} of {FINITE_SAMPLES} sequences")
    if not (np.array_equal(x, x2) and np.array_equal(y, y2)):
        raise ToytasksError(f"{who}: sample() is not deterministic for a seed (draw all "
                            "randomness from the generator it is given)")


def check_architecture(name: str, task: Task, width: int, knobs: dict[str, Any] | None = None,
                       depth: int = 2, max_depth: int | None = None) -> None:
    """Builds at every depth from ``depth`` to ``max_depth`` (default: ``depth`` only), has
    the protocol's shapes, leaves the readout to toytasks, and is causal and deterministic
    in eval mode (the model as it is measured) at every cut of a short probe."""
    for at in range(depth, (max_depth or depth) + 1):
        _check_depth(name, task, width, knobs, at)


def _check_depth(name: str, task: Task, width: int, knobs: dict[str, Any] | None,
                 depth: int) -> None:
    cls = get_architecture(name)
    who = _noun(cls, "architecture", name)
    seq_len = task.seq_len
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        try:
            model = build_model(name, task.n_inputs, task.n_outputs, depth, width,
                                task.output_steps, knobs=knobs).eval()
            x = torch.randn(BATCH, seq_len, task.n_inputs)
            with torch.no_grad():
                out = model(x)
                feats = model.features(x)
                scored = readout(model, x) if type(model.head) is nn.Linear else None
            leak = _probe(model, seq_len, task.n_inputs)
        except ToytasksError:
            raise
        except Exception as exc:
            raise ToytasksError(f"{who}: cannot build or run it "
                                f"({one_line(f'{type(exc).__name__}: {exc}')})") from None
    want = (BATCH, task.output_steps, task.n_outputs)
    if tuple(out.shape) != want:
        raise ToytasksError(f"{who}: output shape {tuple(out.shape)}, expected {want} "
                            "(batch, output_steps, outputs)")
    channels = getattr(model, "feature_width", width)  # width, unless the model widens
    if tuple(feats.shape) != (BATCH, seq_len, channels):
        raise ToytasksError(f"{who}: features() shape {tuple(feats.shape)}, expected "
                            f"{(BATCH, seq_len, channels)} (batch, time, width)")
    if leak is not None:
        raise ToytasksError(f"{who} at depth {depth} is {leak.text()}")
    if scored is None or not torch.allclose(out, scored, atol=TOLERANCE):
        raise ToytasksError(f"{who}: forward() or head is not toytasks' readout "
                            "(head = nn.Linear(width, outputs) on features at the last "
                            "output_steps steps); keep the base class's forward and head")


def _probe(model: SequenceModel, seq_len: int, n_inputs: int) -> Leak | None:
    """Every cut of a short random probe in one forward; the full length when the model
    does not take another length (e.g. a fixed positional table)."""
    length = min(seq_len, PROBE_STEPS)
    base, other = torch.randn(2, 1, seq_len, n_inputs)
    if length < seq_len:
        try:
            with torch.no_grad():
                ok = tuple(model.features(base[:, :length]).shape[:2]) == (1, length)
        except Exception:
            ok = False
        if ok:
            return first_leak(model, base[:, :length], other[:, :length])
    return first_leak(model, base, other)


def warn_shadowed() -> None:
    """A warning for each installed entry point hidden by a built-in of its name."""
    plugins.warn_shadowed(plugins.ARCH_GROUP, ARCHITECTURES)
    plugins.warn_shadowed(plugins.TASK_GROUP, GENERATORS)


def needs_check(arch: str, knobs: dict[str, Any]) -> bool:
    """Runs check plugins and built-ins with knobs set; built-in defaults are tested."""
    return bool(knobs) or not is_builtin(get_architecture(arch))


def check_job(generator: str, task: Task, archs: tuple[str, ...], width: int,
              knobs_for: Any, depths: tuple[int, int] = (2, 2)) -> None:
    """Everything a run checks before it trains (``knobs_for(arch)``: the knobs set;
    ``depths``: the first and last depth the run may train, each checked)."""
    if not is_builtin(type(task)):
        check_task(generator, task)
    warn_shadowed()
    for arch in archs:
        knobs = knobs_for(arch)
        if needs_check(arch, knobs):
            check_architecture(arch, task, width, knobs, depths[0], depths[1])
