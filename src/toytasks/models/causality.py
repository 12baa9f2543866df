"""Causality as a guarantee: the readout toytasks owns, and the check of the measured model.

A minimal depth means something only if the model that solved could not see the future.
So toytasks owns the readout (``readout``: its own linear head on ``features`` at the last
``output_steps`` steps; a plugin's ``forward`` is never what is trained or scored), and
``first_leak`` checks the model as it is measured: in eval mode, at every cut t, in one
batched forward. Row 0 of the batch is a base sequence; row t+1 keeps the base up to step t
and takes another sequence after it. The features up to step t must not change. A change
is told apart from nondeterminism (the same batch run twice giving two outputs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from toytasks.models.base import SequenceModel

ATOL = 1e-5
RTOL = 1e-4  # of the largest feature: FFT convolutions (s4d) round off across the sequence
CHUNK = 256  # sequences per forward: the full-length check of a long sequence stays small
PROBE_STEPS = 32  # the short probe: every cut of it in one forward


def readout(model: SequenceModel, x: torch.Tensor) -> torch.Tensor:
    """What training and evaluation score: toytasks' head on the last ``output_steps``
    features (``SequenceModel.forward`` computes exactly this, so built-ins are unchanged)."""
    return model.head(model.features(x)[:, -model.output_steps :])


@dataclass(frozen=True)
class Leak:
    """Features at ``step`` changed when only inputs after ``cut`` changed (``random``: the
    same input gave two outputs, so it is nondeterminism, not a view of the future)."""

    step: int
    cut: int
    random: bool = False

    def text(self) -> str:
        if self.random:
            return (f"not deterministic: the same input gave two outputs at step {self.step} "
                    "in eval mode (randomness left on in eval, e.g. dropout(training=True))")
        return (f"not causal: its output at step {self.step} changes when inputs after step "
                f"{self.cut} change (it would see the future)")

    def reason(self) -> str:
        """The stored reason of a refused trial: short, the step named."""
        kind = "not deterministic (two outputs for one input" if self.random else \
            "not causal (leaked"
        return f"{kind} at step {self.step})"


def cut_batch(base: torch.Tensor, other: torch.Tensor, cuts: range) -> torch.Tensor:
    """(1 + len(cuts), L, C): the base, then per cut t the base up to t and ``other`` after."""
    length = base.shape[1]
    keep = torch.arange(length, device=base.device)[None, :] <= torch.as_tensor(
        list(cuts), device=base.device)[:, None]
    mixed = torch.where(keep[..., None], base, other)
    return torch.cat([base, mixed])


def _features(fn: Callable[[torch.Tensor], torch.Tensor], batch: torch.Tensor,
              chunk: int) -> torch.Tensor:
    return torch.cat([fn(batch[i : i + chunk]) for i in range(0, len(batch), chunk)])


def _first_change(feats: torch.Tensor, cuts: range) -> tuple[int, int] | None:
    """(step, cut) of the earliest step whose features moved, or None."""
    base, rows = feats[:1], feats[1:]
    tol = ATOL + RTOL * float(feats.abs().max()) if feats.numel() else ATOL
    moved = (rows - base).abs().amax(dim=-1) > tol  # (cuts, time)
    steps = torch.arange(feats.shape[1], device=feats.device)[None, :]
    moved &= steps <= torch.as_tensor(list(cuts), device=feats.device)[:, None]
    if not bool(moved.any()):
        return None
    hit = moved.nonzero()
    first = hit[hit[:, 1].argmin()]
    return int(first[1]), cuts[int(first[0])]


def first_leak(model: SequenceModel, base: torch.Tensor, other: torch.Tensor,
               chunk: int = CHUNK) -> Leak | None:
    """The first leak of ``model`` (put in eval mode) over every cut of ``base`` (1, L, C),
    or None. ``other`` (1, L, C) supplies the changed future."""
    model.eval()
    cuts = range(base.shape[1] - 1)
    batch = cut_batch(base, other, cuts)
    with torch.no_grad():
        feats = _features(model.features, batch, chunk)
        found = _first_change(feats, cuts)
        if found is None:
            return None
        again = _features(model.features, batch, chunk)
    step, cut = found
    same = bool(((again - feats).abs() <= ATOL + RTOL * float(feats.abs().max())).all())
    return Leak(step, cut, random=not same)
