"""The model contract: (batch, time, inputs) -> (batch, output_steps, outputs), causal.

Every architecture computes one feature vector per time step, causally, and a shared
linear readout is applied at the last ``output_steps`` steps only. Reading out at the
last step (rather than pooling over time) is what makes "the model sees exactly its
receptive field" true, so the receptive-field bound of a convolutional stack is a real
lower bound on the depth that can solve a task.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from toytasks.tasks.base import Knob


class SequenceModel(nn.Module):
    arch: ClassVar[str]
    summary: ClassVar[str] = ""
    family: ClassVar[str] = "other"  # "conv", "recurrent", "attention" (built-ins)
    # Architecture knobs (kernel size, heads, ...): constructor keyword arguments with a
    # type, range, default and meaning, as task knobs have (docs/extending.md).
    knobs: ClassVar[tuple[Knob, ...]] = ()
    # (base architecture, the one property this one changes), for ablation pairs; see
    # docs/ablations.md. None: not an ablation of another registered architecture.
    isolates: ClassVar[tuple[str, str] | None] = None
    # The numerics version: bumped when a change gives different numbers for the same trial
    # (CHANGELOG.md). Part of the trial's identity (``Trial.arch_version``) from 2 on, so
    # results of two versions never share a key.
    version: ClassVar[int] = 1

    def __init__(self, n_inputs: int, n_outputs: int, depth: int, width: int,
                 output_steps: int = 1) -> None:
        super().__init__()
        self.n_inputs, self.n_outputs = n_inputs, n_outputs
        self.depth, self.width, self.output_steps = depth, width, output_steps
        # channels of ``features``: ``width`` unless the model widens with depth (Hannun's
        # channel doubling, `ecg-resnet-hannun`), which then builds its head to match
        self.feature_width = width
        self.head = nn.Linear(width, n_outputs)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, time, inputs) -> (batch, time, feature_width); step t may only see steps
        <= t (``feature_width`` is ``width`` but for models that widen with depth).

        Every architecture overrides this (``nn.Module`` has no ABCMeta, so an
        ``@abstractmethod`` here would never be enforced; the plugin loader checks it)."""
        raise NotImplementedError(f"{type(self).__name__} must implement features(x)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)[:, -self.output_steps :])

    @classmethod
    def receptive_field(cls, depth: int, **knobs: Any) -> int | None:
        """Input steps that can influence one output step; None when unbounded."""
        return None

    def body_flops(self, seq_len: int) -> float:
        """Forward FLOPs of the feature stack for one sequence (multiply-add = 2 FLOPs).

        Built-ins count them by formula; a plugin that does not is measured once with
        torch's FLOP counter on one sequence (``flops_measured`` says which)."""
        from torch.utils.flop_counter import FlopCounterMode

        param = next(self.parameters(), None)
        x = torch.zeros(1, seq_len, self.n_inputs,
                        device=param.device if param is not None else None)
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            self.features(x)
        return float(counter.get_total_flops())

    @classmethod
    def flops_measured(cls) -> bool:
        return cls.body_flops is SequenceModel.body_flops

    def forward_flops(self, seq_len: int) -> float:
        return self.body_flops(seq_len) + 2.0 * self.width * self.n_outputs * self.output_steps

    def param_count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def layer_groups(self) -> list[tuple[str, list[nn.Parameter]]]:
        """Parameters per layer, input side first, readout last: the unit of gradient norms.

        The default groups by the top-level submodule; stacks override it so that each
        stacked layer is its own group.
        """
        return [(name, list(module.parameters())) for name, module in self.named_children()
                if name != "head" and any(True for _ in module.parameters())] + [
            ("head", list(self.head.parameters()))]
