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

from toytasks.errors import ToytasksError, one_line
from toytasks.models import build_model, get_architecture
from toytasks.plugins import is_builtin
from toytasks.tasks import CLASSIFICATION, Task

BATCH = 4
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
    if not (np.array_equal(x, x2) and np.array_equal(y, y2)):
        raise ToytasksError(f"{who}: sample() is not deterministic for a seed (draw all "
                            "randomness from the generator it is given)")


def check_architecture(name: str, task: Task, width: int, knobs: dict[str, Any] | None = None,
                       depth: int = 2) -> None:
    """Builds, has the output shape of the protocol, and is causal."""
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
                cuts = sorted({0, seq_len // 3, seq_len // 2, seq_len - 2} - {-1})
                changed = []
                for cut in cuts:
                    later = x.clone()
                    later[:, cut + 1:] = torch.randn_like(later[:, cut + 1:])
                    changed.append((cut, model.features(later)))
        except ToytasksError:
            raise
        except Exception as exc:
            raise ToytasksError(f"{who}: cannot build or run it "
                                f"({one_line(f'{type(exc).__name__}: {exc}')})") from None
    want = (BATCH, task.output_steps, task.n_outputs)
    if tuple(out.shape) != want:
        raise ToytasksError(f"{who}: output shape {tuple(out.shape)}, expected {want} "
                            "(batch, output_steps, outputs)")
    if tuple(feats.shape) != (BATCH, seq_len, width):
        raise ToytasksError(f"{who}: features() shape {tuple(feats.shape)}, expected "
                            f"{(BATCH, seq_len, width)} (batch, time, width)")
    for cut, other in changed:
        if not torch.allclose(feats[:, : cut + 1], other[:, : cut + 1], atol=TOLERANCE):
            raise ToytasksError(f"{who} is not causal: its output at step {cut} changes when "
                                f"inputs after step {cut} change (it would see the future)")


def needs_check(arch: str, knobs: dict[str, Any]) -> bool:
    """Runs check plugins and built-ins with knobs set; built-in defaults are tested."""
    return bool(knobs) or not is_builtin(get_architecture(arch))


def check_job(generator: str, task: Task, archs: tuple[str, ...], width: int,
              knobs_for: Any) -> None:
    """Everything a run checks before it trains (``knobs_for(arch)``: the knobs set)."""
    if not is_builtin(type(task)):
        check_task(generator, task)
    for arch in archs:
        knobs = knobs_for(arch)
        if needs_check(arch, knobs):
            check_architecture(arch, task, width, knobs)
