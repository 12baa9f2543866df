"""What training optimises and how a model is scored: loss and metric per task kind.

Shared by training (``toytasks.training.train``) and the diagnostics it records
(``toytasks.training.diagnostics``), so that neither imports the other.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from toytasks.models import SequenceModel
from toytasks.models.causality import readout
from toytasks.tasks import CLASSIFICATION, Task

EVAL_BATCH = 1024


class Objective:
    """Loss and metric for a task kind; the metric is computed exactly as tables report it."""

    def __init__(self, task: Task) -> None:
        self.classification = task.kind == CLASSIFICATION
        self.higher_is_better = task.higher_is_better

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.classification:
            return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
        return F.mse_loss(out.squeeze(-1), y)

    def metric(self, out: torch.Tensor, y: torch.Tensor) -> float:
        if self.classification:
            return (out.argmax(-1) == y).float().mean().item()
        return F.mse_loss(out.squeeze(-1), y).item()

    def meets(self, value: float, threshold: float) -> bool:
        return value >= threshold if self.higher_is_better else value <= threshold


def evaluate(model: SequenceModel, objective: Objective, x: torch.Tensor,
             y: torch.Tensor) -> tuple[float, float]:
    """(loss, metric) on a whole set, in fixed-size chunks so memory stays flat."""
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), EVAL_BATCH):
            outs.append(readout(model, x[i : i + EVAL_BATCH]))
    model.train()
    out = torch.cat(outs)
    return objective.loss(out, y).item(), objective.metric(out, y)
