"""Per-trial diagnostics (`toytasks run --diagnostics`): why a depth solves or fails.

Three measurements, each tied to one explanation that docs/ablations.md tests:
  * gradient norm of the loss per layer, at initialisation and at the end of training
    (do deep stacks fail because early layers get no gradient? plain vs residual);
  * mean |d output / d x_{T-1-lag}| per lag over held-out sequences, at initialisation and
    at the end (how far back a model looks; zero beyond a conv stack's receptive field);
  * with a finite training set (``train_size`` > 0): the metric on that set, on held-out
    data, and their gap (overfitting).

All of it is measured on the first ``DIAG_BATCH`` held-out sequences, which are the same for
every seed and model, and none of it draws random numbers or leaves gradients behind, so a
trial with diagnostics trains exactly as the same trial without them.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from toytasks.models import SequenceModel
from toytasks.models.causality import readout
from toytasks.training.objective import Objective, evaluate

DIAG_BATCH = 256
LOOKBACK_MASS = 0.99  # "looks back L steps": L lags hold this share of the input gradient


def layer_grad_norms(model: SequenceModel, objective: Objective, x: torch.Tensor,
                     y: torch.Tensor) -> tuple[list[str], list[float]]:
    """L2 norm of the loss gradient over each layer's parameters (SequenceModel.layer_groups)."""
    model.zero_grad(set_to_none=True)
    objective.loss(readout(model, x), y).backward()
    names, norms = [], []
    for name, params in model.layer_groups():
        grads = [p.grad.detach().pow(2).sum() for p in params if p.grad is not None]
        names.append(name)
        norms.append(math.sqrt(float(sum(grads))) if grads else 0.0)
    model.zero_grad(set_to_none=True)
    return names, norms


def input_grad_by_lag(model: SequenceModel, x: torch.Tensor, classification: bool) -> list[float]:
    """Mean over sequences of |d output / d x_{T-1-lag}| for lag = 0 .. T-1.

    The output is the model's output at its last output step; for classification the
    logits are centred first (softmax ignores a shift common to all classes). The size per
    lag is the Frobenius norm over output units and input channels. Taken in eval mode (the
    mode held-out scores use): a batch-normalised model in train mode pools statistics over
    the batch and time, which would smear the gradient beyond the receptive field and move
    its running statistics.
    """
    was_training = model.training
    model.eval()
    try:
        x = x.detach().clone().requires_grad_(True)
        out = readout(model, x)[:, -1]
        if classification:
            out = out - out.mean(dim=-1, keepdim=True)
        squared = torch.zeros(x.shape[:2], device=x.device)
        for k in range(out.shape[-1]):
            (grad,) = torch.autograd.grad(out[:, k].sum(), x,
                                          retain_graph=k + 1 < out.shape[-1])
            squared += grad.pow(2).sum(dim=-1)
    finally:
        model.train(was_training)
    return [float(v) for v in squared.sqrt().mean(dim=0).flip(0).cpu()]


def lookback(curve: list[float], mass: float = LOOKBACK_MASS) -> int | None:
    """Fewest trailing lags that hold ``mass`` of the summed input gradient (None if all 0)."""
    total = sum(v for v in curve if math.isfinite(v))
    if not total > 0:
        return None
    running = 0.0
    for lag, value in enumerate(curve):
        running += value if math.isfinite(value) else 0.0
        if running >= mass * total:
            return lag + 1
    return len(curve)


def generalisation_gap(train_metric: float, test_metric: float, higher_is_better: bool) -> float:
    """Positive when the model does better on its training set than on held-out data."""
    return train_metric - test_metric if higher_is_better else test_metric - train_metric


class Recorder:
    """Takes the "at initialisation" measurements when built, the rest in ``finish``."""

    def __init__(self, model: SequenceModel, objective: Objective, x_test: torch.Tensor,
                 y_test: torch.Tensor) -> None:
        self.objective = objective
        self.x, self.y = x_test[:DIAG_BATCH], y_test[:DIAG_BATCH]
        self.x_test, self.y_test = x_test, y_test
        layers, norms = layer_grad_norms(model, objective, self.x, self.y)
        curve = input_grad_by_lag(model, self.x, objective.classification)
        self.data: dict[str, Any] = {
            "batch": len(self.x), "layers": layers, "grad_norm_init": norms,
            "input_grad_init": curve, "lookback_init": lookback(curve),
            "lookback_mass": LOOKBACK_MASS,
        }

    def finish(self, model: SequenceModel,
               pool: tuple[torch.Tensor, torch.Tensor] | None) -> dict[str, Any]:
        _, norms = layer_grad_norms(model, self.objective, self.x, self.y)
        curve = input_grad_by_lag(model, self.x, self.objective.classification)
        data = {**self.data, "grad_norm_final": norms, "input_grad_final": curve,
                "lookback_final": lookback(curve)}
        if pool is not None:
            train_metric = evaluate(model, self.objective, *pool)[1]
            test_metric = evaluate(model, self.objective, self.x_test, self.y_test)[1]
            data.update(train_size=len(pool[0]), train_metric=train_metric,
                        test_metric=test_metric, gap=generalisation_gap(
                            train_metric, test_metric, self.objective.higher_is_better))
        return data
