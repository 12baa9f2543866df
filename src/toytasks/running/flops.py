"""The FLOPs cost model of a trial: the runner's submission order and the dry run's cost.

A trial's FLOPs come from its model built on the meta device (``SequenceModel.forward_flops``),
so the model is never allocated. It lives in the running layer because the runner orders
its submissions by it; ``toytasks.cost`` (the dry run) reads it from here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch

from toytasks.models import build_model
from toytasks.tasks import get_generator
from toytasks.training.trial import Trial


def expected_cost(trial: Trial, seq_len: int, n_inputs: int) -> float:
    """FLOPs at the full budget: schedule the longest trials first so none runs alone."""
    return _forward_flops(trial.arch, n_inputs, trial.depth, trial.width, seq_len,
                          trial.arch_knobs) * trial.max_steps


def priority(trial: Trial, seq_len: int, n_inputs: int) -> tuple[int, float, str]:
    """Submission order: lowest seed first (verdicts come early), then the dearest trial
    (the last one does not run alone)."""
    return trial.seed, -expected_cost(trial, seq_len, n_inputs), trial.arch


def step_flops(trial: Trial) -> float:
    """FLOPs of one training step of ``trial`` (forward + backward over a batch)."""
    seq_len, n_inputs = _task_shape(trial.generator, trial.knobs)
    return 3.0 * trial.batch_size * _forward_flops(trial.arch, n_inputs, trial.depth,
                                                   trial.width, seq_len, trial.arch_knobs)


@lru_cache(maxsize=256)
def _task_shape(generator: str, knobs: tuple[tuple[str, Any], ...]) -> tuple[int, int]:
    task = get_generator(generator)(**dict(knobs))
    return task.seq_len, task.n_inputs


@lru_cache(maxsize=4096)
def _forward_flops(arch: str, n_inputs: int, depth: int, width: int, seq_len: int,
                   knobs: tuple[tuple[str, Any], ...] = ()) -> float:
    """Built on the meta device: no memory, and torch's global random generator untouched
    (initialisation draws nothing there), so estimating never shifts a later draw."""
    with torch.device("meta"):
        return build_model(arch, n_inputs, 2, depth, width,
                           knobs=dict(knobs)).forward_flops(seq_len)
