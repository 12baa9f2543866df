"""Trial and TrialResult: the frozen record of what determines a result, and the result.

A trial's hash (``key``) is the identity of a result: the store, resume and the regression
check address results by it. Everything that can change a trained model's numbers is a
field here. That includes the kind of device: CPU and CUDA kernels give results that differ
bit for bit, so a trial on ``cuda`` (any ``cuda:N``) has its own identity, and resuming a
CPU folder with ``--device cuda`` trains and reports its own trials beside the CPU ones
instead of mixing them. The device joins the identity only when it is not the CPU, so every
CPU result stored before keeps its key. Which card, and which CPU model, is provenance.

The same holds for an architecture's numerics: a change that gives other numbers for the
same trial (a faster scan, another FFT size, a new block under an old name) bumps the
architecture's ``version`` (CHANGELOG.md), and the trial carries it as ``arch_version``.
Version 1 stays out of the identity, so every key stored before keeps its value, and a
result of version 1 is never read as one of version 2.

Packed seeds (``--pack K``, ``toytasks.training.packed``) train K seeds of one cell as one
model; the numbers differ in the last bits from a seed trained alone, so ``pack`` is part
of the identity from 2 on (1, unpacked, stays out: no stored key changes).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import Any

SOLVED, UNSOLVED, DIVERGED, ERROR = "solved", "unsolved", "diverged", "error"
# the trained model was not causal (or not deterministic) in eval mode: never a solve, and
# a row with one has no minimal depth (toytasks.models.causality)
REFUSED = "refused"
# ``patience`` 0: early stopping off, a trial trains until it solves or spends its budget
# (``--patience 0``; ``patience = 0`` in a task spec's [budget]).
PATIENCE_OFF = 0
NOT_IDENTITY = ("device",)  # in the identity as ``device_kind``, and only when not cpu
# In the identity only when set, so that trials without them keep their existing hashes.
IDENTITY_WHEN_SET = ("arch_knobs", "arch_plugin", "task_plugin", "test_lengths")
# In the identity only away from this default, for the same reason.
IDENTITY_UNLESS = {"arch_version": 1, "pack": 1}
# Architecture knobs kept in a Trial field of their own instead of ``arch_knobs``: the field
# came first (it was ``budget.gate_bias``) and every stored identity spells it. The knob path
# is the same as for any other knob; only where the value is stored differs. Every trial
# holds the field (3 unless set), an architecture without the knob included, so that no
# stored key changes.
FIELD_KNOBS = ("gate_bias",)
# Properties of the architecture, not of the task or budget: rows of one table may differ in
# them.
ARCH_FIELDS = ("arch", "arch_knobs", "arch_plugin", *FIELD_KNOBS, "arch_version")


def device_kind(device: str) -> str:
    """'cuda' for 'cuda' and 'cuda:N': the part of a device that is a result's identity."""
    return device.split(":", 1)[0]


def can_stop_early(patience: int, eval_every: int, max_steps: int) -> bool:
    """Whether early stopping could end a trial before its step budget: only then may an
    unsolved trial have stopped short of a solve it would have reached (patience 1000 at
    100 steps an evaluation never fires within 3,000 steps; patience 0 never fires)."""
    return patience != PATIENCE_OFF and patience * eval_every < max_steps


def config_hash(config: dict[str, Any]) -> str:
    """The identity of a result: a hash of its trial configuration (as stored in JSON)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Trial:
    task: str
    generator: str
    knobs: tuple[tuple[str, Any], ...]
    arch: str
    depth: int
    width: int
    seed: int
    lr: float
    max_steps: int
    batch_size: int
    eval_every: int
    patience: int
    test_size: int
    threshold: float
    clip: float = 1.0
    gate_bias: float = 3.0  # a FIELD_KNOBS knob: lstm.gate_bias, gru.gate_bias, ...
    train_size: int = 0  # 0: a fresh batch every step; N: a fixed training set of N examples
    diagnostics: bool = False
    device: str = "cpu"
    # Architecture knobs set away from their defaults, sorted (e.g. (("kernel", 7),)).
    arch_knobs: tuple[tuple[str, Any], ...] = ()
    # 'module:Class dist==version' of a plugin architecture / generator ('' for built-ins).
    arch_plugin: str = ""
    task_plugin: str = ""
    # Length generalisation: once solved, the model is also scored on sequences this many
    # times as long (the task's prefix knob raised; ``Task.longer``), e.g. (2, 4).
    test_lengths: tuple[int, ...] = ()
    # The architecture's numerics version (``SequenceModel.version``) the trial was made for.
    arch_version: int = 1
    # Seeds packed per model (``toytasks.training.packed``): seed s trains in slot s % pack
    # of the pack of seeds s // pack. 1: trained alone (``train``).
    pack: int = 1

    def __post_init__(self) -> None:  # records read back from JSON hold a dict / a list
        if isinstance(self.arch_knobs, dict):
            object.__setattr__(self, "arch_knobs", tuple(sorted(self.arch_knobs.items())))
        if isinstance(self.test_lengths, list):
            object.__setattr__(self, "test_lengths", tuple(self.test_lengths))

    @property
    def knob_values(self) -> dict[str, Any]:
        return dict(self.knobs)

    def config(self) -> dict[str, Any]:
        """Everything that determines the result, as plain JSON-able data."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in NOT_IDENTITY
                and not (f.name in IDENTITY_WHEN_SET and not getattr(self, f.name))
                and not (f.name in IDENTITY_UNLESS
                         and getattr(self, f.name) == IDENTITY_UNLESS[f.name])}
        data["knobs"] = dict(self.knobs)
        if device_kind(self.device) != "cpu":
            data["device"] = device_kind(self.device)
        if self.arch_knobs:
            data["arch_knobs"] = dict(self.arch_knobs)
        return data

    @cached_property
    def key(self) -> str:
        """Computed once per trial (searches and the scheduler ask for it often)."""
        return config_hash(self.config())

    def label(self) -> str:
        return f"{self.task} {self.arch} depth={self.depth} seed={self.seed} lr={self.lr:g}"


@dataclass
class TrialResult:
    key: str
    status: str
    metric: str
    best_metric: float
    final_metric: float
    baseline: float
    steps: int
    steps_to_solve: int | None
    train_loss: float
    test_loss: float
    params: int
    flops: float
    wall_s: float
    evals: int = 0
    reason: str = ""
    diagnostics: dict[str, Any] = field(default_factory=dict)
    # One per trial.test_lengths factor, for a solved trial: {"factor", "seq_len" (the length
    # evaluated), "metric" (held-out, at that length), "meets" (the threshold)}.
    lengths: list[dict[str, Any]] = field(default_factory=list)

    @property
    def solved(self) -> bool:
        return self.status == SOLVED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialResult:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def error_result(key: str, reason: str, wall_s: float = 0.0) -> TrialResult:
    """The result of a trial that could not be trained (crash, lost worker, bad input):
    status ``error``, no numbers, and the reason in one line."""
    return TrialResult(
        key=key, status=ERROR, metric="", best_metric=math.nan, final_metric=math.nan,
        baseline=math.nan, steps=0, steps_to_solve=None, train_loss=math.nan,
        test_loss=math.nan, params=0, flops=0.0, wall_s=wall_s, reason=reason,
    )


# An ``error`` with one of these reasons says nothing about the trial, only that its worker
# was lost (killed, out of memory, a cluster worker gone): a later run retries it (runner)
# and the new result supersedes the error, which stays in the store's history (store).
LOST_WORKER_REASONS = ("worker process died", "executor failed the trial")


def lost_worker(result: TrialResult) -> bool:
    """The trial never finished because its worker was lost: worth retrying later."""
    return result.status == ERROR and result.reason.startswith(LOST_WORKER_REASONS)
