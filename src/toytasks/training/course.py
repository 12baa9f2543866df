"""One trial's course through the training loop: when to evaluate, when to stop, why.

Shared by the single-seed trainer (``train``) and the packed one (``packed``), so that a
packed seed evaluates, early-stops and records exactly as the same seed trained alone
would decide from the same numbers: one copy of the rules, not two.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import torch

from toytasks.training.objective import Objective
from toytasks.training.trial import DIVERGED, PATIENCE_OFF, SOLVED, UNSOLVED, Trial

IMPROVEMENT = 1e-3  # relative drop in held-out loss that counts as progress


@dataclass
class Course:
    """The loop's state for one trial; ``stopped`` once it has its verdict."""

    trial: Trial
    objective: Objective
    recent_loss: deque[float] = field(default_factory=lambda: deque(maxlen=50))
    best_metric: float = math.nan
    best_loss: float = math.inf
    stale: int = 0
    evals: int = 0
    last_eval: int = 0
    status: str = UNSOLVED
    reason: str = "step budget spent"
    steps_to_solve: int | None = None
    test_metric: float = math.nan
    test_loss: float = math.inf
    step: int = 0
    stopped: bool = False

    def __post_init__(self) -> None:
        self.best_metric = -math.inf if self.objective.higher_is_better else math.inf
        self.test_metric = self.best_metric

    def diverge(self, what: str) -> None:
        """A non-finite ``what`` ("training loss", "gradient", "held-out loss") at this
        step: the trial stops as diverged."""
        if what == "gradient":
            self.status, self.reason = DIVERGED, f"non-finite gradient at step {self.step}"
        elif what == "held-out loss":
            self.status, self.reason = DIVERGED, f"non-finite held-out loss at step {self.step}"
        else:
            self.status, self.reason = DIVERGED, f"non-finite training loss at step {self.step}"
        self.stopped = True

    def trained(self, loss_value: float, out: torch.Tensor, y: torch.Tensor) -> bool:
        """After the optimizer step: whether to score the held-out set now (on the fixed
        cadence, when the batch just trained on says "maybe solved", or at the last step)."""
        trial, step = self.trial, self.step
        self.recent_loss.append(loss_value)
        scheduled = step % trial.eval_every == 0
        hopeful = step - self.last_eval >= max(1, trial.eval_every // 4) and \
            self.objective.meets(self.objective.metric(out.detach(), y), trial.threshold)
        return scheduled or hopeful or step == trial.max_steps

    def evaluated(self, test_loss: float, test_metric: float) -> None:
        """Take one held-out score: solved, diverged, out of patience, or go on."""
        trial, step, objective = self.trial, self.step, self.objective
        self.test_loss, self.test_metric = test_loss, test_metric
        self.evals, self.last_eval = self.evals + 1, step
        if not math.isfinite(test_loss):
            self.diverge("held-out loss")
            return
        if objective.meets(test_metric, self.best_metric):
            self.best_metric = test_metric
        if objective.meets(test_metric, trial.threshold):
            self.status, self.reason, self.steps_to_solve = SOLVED, "", step
            self.stopped = True
            return
        if step % trial.eval_every == 0:
            if test_loss < self.best_loss * (1 - IMPROVEMENT):
                self.best_loss, self.stale = test_loss, 0
            else:
                self.stale += 1
                if trial.patience != PATIENCE_OFF and self.stale >= trial.patience:
                    self.reason = f"held-out loss flat for {self.stale} evaluations"
                    self.stopped = True

    @property
    def train_loss(self) -> float:
        return float(np.mean(self.recent_loss)) if self.recent_loss else math.nan
