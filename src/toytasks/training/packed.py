"""train_pack(trials) -> results: the seeds of one cell trained as one model (``--pack K``).

K seeds that differ only in seed are packed into one module (``models.packing``: grouped
convolutions, a block-diagonal GRU) and trained together: at width 16 that was measured
at 1.3-2.9x the speed of training them one after another (docs/performance.md). Each seed
keeps everything the trainer gives it alone: its own initialisation and data stream, its
own loss (the packed loss is their sum, whose gradient in a seed's parameters is that
seed's own), gradient clipping on its own norm, its own evaluations on its single-seed
model, early stopping and causality check (``Course``, ``conclude``).

The numbers differ in the last bits from the seed trained alone (other kernel shapes), so
``Trial.pack`` is part of the identity. What must not change them is who shares the pack:
seed s always trains in slot ``s % K`` of a K-slot model, whichever of the other slots are
filled (``--seeds``, resume, the search asking for some seeds only, the worker count). A
slot that is empty, or whose seed has stopped, holds zeros (parameters and Adam state) and
gets zero input, so it computes exact zeros; a seed whose loss or gradient is not finite
is removed and the step redone without it, so no NaN meets another seed. A frozen slot
still costs its compute: a pack runs until its last seed stops.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from toytasks.errors import ToytasksError, one_line
from toytasks.models import SequenceModel
from toytasks.models.packing import PackedModel, pack_models, packable
from toytasks.tasks import Task
from toytasks.training.course import Course
from toytasks.training.diagnostics import Recorder
from toytasks.training.objective import evaluate
from toytasks.training.train import (
    FOREACH,
    TRIAL_THREADS,
    batch,
    conclude,
    held_out_set,
    non_finite,
    setup,
    train_rng,
)
from toytasks.training.trial import Trial, TrialResult, error_result


def pack_key(trial: Trial) -> tuple[str, int] | None:
    """The pack ``trial`` trains in (its cell and ``seed // pack``); None when unpacked."""
    if trial.pack <= 1:
        return None
    config = {k: v for k, v in trial.config().items() if k != "seed"}
    return repr(sorted(config.items())), trial.seed // trial.pack


def check_pack(trials: Sequence[Trial]) -> None:
    """One pack: trials of one cell and pack number, distinct seeds, a packable arch."""
    keys = {pack_key(t) for t in trials}
    if not trials or None in keys or len(keys) > 1:
        raise ToytasksError("a pack holds trials with pack > 1 that differ only in seed, "
                            "with the same seed // pack")
    if len({t.seed for t in trials}) < len(trials):
        raise ToytasksError("a pack holds each seed once")
    if not packable(trials[0].arch) or trials[0].arch_plugin:
        raise ToytasksError(f"architecture '{trials[0].arch}' is not packed (--pack)")


def clip_per_seed_(model: PackedModel, max_norm: float) -> torch.Tensor:
    """clip_grad_norm_ for each seed on its own; returns the K norms. Each norm is computed
    as clip_grad_norm_ computes it, on the single model's tensors in its order: a norm over
    a row of the packed tensor, or the parameters in another order, sums in another order
    (measured: last-bit differences)."""
    views = [model.seed_view(n, p.grad) for n, p in model.named_parameters()
             if p.grad is not None]
    total = torch.stack([torch.nn.utils.get_total_norm(
        [g.contiguous() for g in seed.values()], foreach=FOREACH)
        for seed in model.unpack(grads=True)])
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    with torch.no_grad():
        for v in views:
            v.mul_(coef.view(-1, *[1] * (v.dim() - 1)))
    return total


@dataclass
class Seat:
    """One seed of a pack: its trial, slot, single-seed model and stream."""

    trial: Trial
    slot: int
    task: Task
    model: SequenceModel
    course: Course
    rng: np.random.Generator
    pool: tuple | None
    recorder: Recorder | None
    flops_per_seq: float
    last: tuple[torch.Tensor, torch.Tensor] | None = None
    result: TrialResult | None = None


def train_pack(trials: Sequence[Trial]) -> list[TrialResult]:
    """The results ``trials`` (one pack, ``check_pack``) get, in their order; faults
    become a status, never a crash, as in ``train``."""
    check_pack(trials)
    torch.set_num_threads(TRIAL_THREADS)
    start = time.perf_counter()
    at = [0]
    try:
        results = _train_pack(sorted(trials, key=lambda t: t.seed), start, at)
    except (torch.OutOfMemoryError, MemoryError):
        raise  # where it ran, not what it gives: the runner retries (see train)
    except Exception as exc:
        results = {}
        for trial in trials:
            results[trial.key] = error_result(trial.key, one_line(
                f"{type(exc).__name__}: {exc}"), wall_s=time.perf_counter() - start)
            results[trial.key].steps = at[0]
    return [results[t.key] for t in trials]


def _train_pack(trials: list[Trial], start: float, at: list[int]) -> dict[str, TrialResult]:
    k = trials[0].pack
    device = torch.device(trials[0].device)

    def to_device(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)

    seats: list[Seat] = []
    x_test = y_test = None
    for trial in trials:  # each seed built and seeded exactly as ``train`` builds it
        task, objective, model = setup(trial)
        rng = train_rng(trial.seed)
        if x_test is None:  # the held-out set is the same for every seed
            x_test, y_test = to_device(*held_out_set(task, trial.test_size))
        pool = to_device(*task.sample(trial.train_size, rng)) if trial.train_size else None
        recorder = Recorder(model, objective, x_test, y_test) if trial.diagnostics else None
        seats.append(Seat(trial, trial.seed % k, task, model, Course(trial, objective), rng,
                          pool, recorder, model.forward_flops(task.seq_len)))
    slots = {seat.slot: seat.model for seat in seats}
    models = [slots[i] if i in slots else copy.deepcopy(seats[0].model) for i in range(k)]
    packed = pack_models(trials[0].arch, models).to(device)
    optimizer = torch.optim.Adam(packed.parameters(), lr=trials[0].lr, foreach=FOREACH)
    names = dict(packed.named_parameters())

    def freeze(seat: Seat) -> None:
        """The slot computes zeros from now on, and Adam never moves it."""
        packed.clear(seat.slot)
        with torch.no_grad():
            for name, param in names.items():
                for value in optimizer.state.get(param, {}).values():
                    if value.shape == param.shape:
                        packed.seed_view(name, value)[seat.slot].zero_()

    def finish(seat: Seat) -> None:
        packed.copy_to(seat.slot, seat.model)
        seat.result = conclude(seat.course, seat.model, seat.task, seat.last,
                               seat.flops_per_seq, x_test, seat.pool, seat.recorder,
                               to_device, (time.perf_counter() - start) / len(seats))
        seat.course.stopped = True
        freeze(seat)

    for i in set(range(k)) - set(slots):
        packed.clear(i)
    for seat in seats:
        if non_finite(x_test, y_test, *(seat.pool or ())):
            seat.result = error_result(seat.trial.key, f"task '{seat.trial.generator}' "
                                       "sampled NaN or infinite values in its held-out or "
                                       "training set")
            seat.course.stopped = True
            freeze(seat)

    for step in range(1, trials[0].max_steps + 1):
        active = [seat for seat in seats if not seat.course.stopped]
        if not active:
            break
        at[0] = step - 1
        for seat in active:
            seat.course.step = step
            seat.last = batch(seat.trial, seat.task, seat.rng, seat.pool, to_device)
        active, out, losses = _step(packed, optimizer, active, k, finish)
        if not active:
            continue
        optimizer.step()
        for seat in active:
            if seat.course.trained(losses[seat.slot], out[seat.slot], seat.last[1]):
                packed.copy_to(seat.slot, seat.model)
                seat.course.evaluated(*evaluate(seat.model, seat.course.objective, x_test,
                                                y_test))
                if seat.course.stopped:
                    finish(seat)
    for seat in seats:
        if seat.result is None:
            finish(seat)
    return {seat.trial.key: seat.result for seat in seats}


def _step(packed: PackedModel, optimizer: torch.optim.Optimizer, active: list[Seat], k: int,
          finish: Callable[[Seat], None]) -> tuple[list[Seat], torch.Tensor, dict[int, float]]:
    """Forward, per-seed losses, backward and per-seed clipping for the seeds still in
    training. A seed whose batch is not finite stops first (a task error, as ``train``
    records it); a seed whose loss or own gradient is not finite stops as diverged, as it
    would alone, and the step is redone without it, so its NaN reaches no other seed."""
    for seat in [s for s in active if non_finite(*s.last)]:
        seat.course.diverge("training loss")  # ``conclude`` names the batch instead
        finish(seat)
    active = [s for s in active if not s.course.stopped]
    while active:
        out, losses, norms = _attempt(packed, optimizer, active, k)
        what = "gradient" if norms else "training loss"
        pick = (lambda r, slot: r[2][slot]) if norms else (lambda r, slot: r[1][slot])
        bad = [s for s in active if not math.isfinite(pick((out, losses, norms), s.slot))]
        if not bad:
            return active, out, losses
        if len(bad) > 1:  # whose own number is it? each seed alone decides
            bad = [s for s in bad if not math.isfinite(
                pick(_attempt(packed, optimizer, [s], k), s.slot))] or bad
        for seat in bad:
            seat.course.diverge(what)
            finish(seat)
        active = [s for s in active if s not in bad]
    return active, torch.empty(0), {}


def _attempt(packed: PackedModel, optimizer: torch.optim.Optimizer, active: list[Seat],
             k: int) -> tuple[torch.Tensor, dict[int, float], list[float]]:
    """One forward and backward of ``active``'s batches in their slots (zeros elsewhere):
    (outputs, loss per slot, gradient norm per slot, after clipping to it)."""
    x0, y0 = active[0].last
    x = x0.new_zeros((k, *x0.shape))
    y = y0.new_zeros((k, *y0.shape))
    for seat in active:
        x[seat.slot], y[seat.slot] = seat.last
    out = packed(x)
    losses = {seat.slot: seat.course.objective.loss(out[seat.slot], y[seat.slot])
              for seat in active}
    values = {slot: loss.item() for slot, loss in losses.items()}
    if not all(math.isfinite(v) for v in values.values()):
        return out, values, []
    optimizer.zero_grad(set_to_none=True)
    sum(losses.values()).backward()
    packed.after_backward()
    clip = active[0].trial.clip
    return out, values, clip_per_seed_(packed, clip).tolist()


def packs(trials: Sequence[Trial]) -> list[list[Trial]]:
    """``trials`` grouped into their packs (unpacked ones alone), in first-seen order."""
    groups: dict[object, list[Trial]] = {}
    for trial in trials:
        groups.setdefault(pack_key(trial) or trial.key, []).append(trial)
    return list(groups.values())

