"""train(trial) -> TrialResult: one pure, seeded training run; no file I/O, no globals.

Cost facts that shaped it: one held-out evaluation of 1,024 samples costs about 3-19
training steps of batch 32, depending on the architecture and width (measured with
``python -m benchmarks.eval_cost``, docs/performance.md), and most compute goes to
configurations that never solve. So the loop checks the cheap signal (accuracy on the batch
it just trained on) every step, runs the held-out evaluation only when that signal says
"maybe solved" or on a fixed cadence, and gives up when the held-out loss has not improved
for ``patience`` evaluations (``patience`` 0: never; the trial then trains until it solves
or spends its budget).
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from toytasks.errors import ToytasksError, one_line
from toytasks.models import SequenceModel, build_model, get_architecture, knob_schema
from toytasks.models.causality import PROBE_STEPS, first_leak, readout
from toytasks.tasks import Task, get_generator
from toytasks.training.course import IMPROVEMENT, Course
from toytasks.training.diagnostics import Recorder
from toytasks.training.objective import Objective, evaluate
from toytasks.training.trial import (
    DIVERGED,
    ERROR,
    FIELD_KNOBS,
    REFUSED,
    SOLVED,
    Trial,
    TrialResult,
    error_result,
)

TRAIN_STREAM, TEST_STREAM = 1, 2
__all__ = ["IMPROVEMENT", "train"]
TEST_ENTROPY = 20_260_101  # fixed: the held-out set is the same for every seed and model
FOREACH = True  # multi-tensor Adam and clipping: same numbers, up to 1.2x faster on small models
TRIAL_THREADS = 1  # torch threads per trial: LSTM results differ bit for bit between 1 and 2
# Weights are drawn from torch's global RNG: trials that run in threads of one process (a
# Dask worker with --nthreads > 1) must not interleave seeding and initialisation.
INIT_LOCK = threading.Lock()
# cuBLAS's fixed workspace: without it cuBLAS matmuls are not deterministic on CUDA >= 10.2
# (and torch.use_deterministic_algorithms refuses them). cuBLAS reads it when it starts.
CUBLAS_WORKSPACE = ":4096:8"


def make_generator(trial: Trial) -> Task:
    return get_generator(trial.generator)(**trial.knob_values)


def train_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(TRAIN_STREAM,)))


def test_rng() -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(TEST_ENTROPY, spawn_key=(TEST_STREAM,)))


def held_out_set(task: Task, size: int) -> tuple[np.ndarray, np.ndarray]:
    return task.sample(size, test_rng())


def deterministic_cuda() -> None:
    """Make CUDA reruns bit-identical: deterministic algorithms everywhere (an op without
    one raises, and the trial is stored as an error that names it), cuBLAS's fixed
    workspace (the command line sets it before any CUDA call; ``setdefault`` here covers
    library use, where this is the first CUDA call of a worker), and no cuDNN autotuning
    (its fastest convolution kernels are not deterministic)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def train(trial: Trial) -> TrialResult:
    """Train one trial; faults (NaN loss, exceptions) become a status, never a crash."""
    torch.set_num_threads(TRIAL_THREADS)
    start = time.perf_counter()
    at = [0]  # the step reached, for the reason of an exception
    try:
        return _train(trial, start, at)
    except (torch.OutOfMemoryError, MemoryError):
        # Out of memory says where the trial ran (workers sharing a GPU, a memory cap), not
        # what it gives: raised to the executor, the runner stores a lost-worker error that
        # a rerun retries, never a result.
        raise
    except Exception as exc:  # recorded so that a sweep goes on; the reason names it
        result = error_result(trial.key, one_line(f"{type(exc).__name__}: {exc}"),
                              wall_s=time.perf_counter() - start)
        result.steps = at[0]
        return result


def model_knobs(trial: Trial) -> dict[str, Any]:
    """The knobs ``trial``'s model is built with: its ``arch_knobs``, and the knobs kept in
    fields of their own (``FIELD_KNOBS``) where its architecture declares them."""
    declared = knob_schema(trial.arch)
    return {**{name: getattr(trial, name) for name in FIELD_KNOBS if name in declared},
            **dict(trial.arch_knobs)}


def non_finite(*arrays: torch.Tensor) -> bool:
    """Task data with NaN or infinity: the task's fault, not the model's, so the trial is
    a task error that names the task, never a divergence."""
    return not all(bool(torch.isfinite(a).all()) for a in arrays)


def causality_fault(model: SequenceModel, x_test: torch.Tensor, solved: bool) -> str:
    """'' when the trained model is causal and deterministic in eval mode, else the reason
    it is refused. Every trial: every cut of a short random probe (one forward); a solved
    trial also every cut of a full-length held-out sequence (a leak anywhere in time)."""
    gen = torch.Generator().manual_seed(0)  # never the trial's stream
    length = min(x_test.shape[1], PROBE_STEPS)
    base, other = torch.randn(2, 1, length, x_test.shape[2], generator=gen).to(x_test.device)
    try:
        leak = first_leak(model, base, other)
    except Exception:  # a model that takes only its task's length: check that length
        leak, solved = None, True
    if leak is None and solved and len(x_test) > 1:
        leak = first_leak(model, x_test[:1], x_test[1:2])
    return leak.reason() if leak is not None else ""


def setup(trial: Trial) -> tuple[Task, Objective, SequenceModel]:
    """Check the trial's version, make its task and build its model from its seed: the
    same draws whether the seed then trains alone or packed."""
    version = get_architecture(trial.arch).version
    if trial.arch_version != version:  # another version's numbers under this key: refuse
        raise ToytasksError(f"the trial is for {trial.arch} arch version {trial.arch_version}, "
                            f"this toytasks builds version {version} (CHANGELOG.md)")
    task = make_generator(trial)
    device = torch.device(trial.device)
    if device.type == "cuda":
        deterministic_cuda()
    with INIT_LOCK:
        # a plugin may draw from Python's or numpy's global generator: seeded per trial too
        random.seed(trial.seed)
        np.random.seed(trial.seed % 2**32)
        torch.manual_seed(trial.seed)
        model = build_model(
            trial.arch, task.n_inputs, task.n_outputs, trial.depth, trial.width,
            task.output_steps, model_knobs(trial),
        ).to(device)
    return task, Objective(task), model


def batch(trial: Trial, task: Task, rng: np.random.Generator, pool: tuple | None,
          to_device: Callable) -> tuple[torch.Tensor, torch.Tensor]:
    """The next training batch of ``trial``'s own stream: fresh samples, or indices into
    its fixed training set."""
    if pool is None:
        return to_device(*task.sample(trial.batch_size, rng))
    idx = torch.from_numpy(rng.integers(0, trial.train_size, trial.batch_size))
    return pool[0][idx.to(pool[0].device)], pool[1][idx.to(pool[0].device)]


def _train(trial: Trial, start: float, at: list[int]) -> TrialResult:
    if trial.pack > 1:  # its numbers come from a K-slot model: only its pack trains it
        raise ToytasksError(f"a trial packed {trial.pack} per model trains in its pack "
                            "(toytasks.training.packed.train_pack), not alone")
    task, objective, model = setup(trial)
    device = torch.device(trial.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=trial.lr, foreach=FOREACH)
    rng = train_rng(trial.seed)

    def to_device(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)

    x_test, y_test = to_device(*held_out_set(task, trial.test_size))
    pool = to_device(*task.sample(trial.train_size, rng)) if trial.train_size else None
    if non_finite(x_test, y_test, *(pool or ())):
        return error_result(trial.key, f"task '{trial.generator}' sampled NaN or infinite "
                            "values in its held-out or training set",
                            wall_s=time.perf_counter() - start)
    recorder = Recorder(model, objective, x_test, y_test) if trial.diagnostics else None
    flops_per_seq = model.forward_flops(task.seq_len)
    params = [p for p in model.parameters() if p.requires_grad]
    course = Course(trial, objective)

    for step in range(1, trial.max_steps + 1):
        at[0], course.step = step - 1, step
        x, y = batch(trial, task, rng, pool, to_device)
        out = readout(model, x)
        loss = objective.loss(out, y)
        loss_value = loss.item()
        if not math.isfinite(loss_value):
            course.diverge("training loss")
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(params, trial.clip, foreach=FOREACH)
        if not math.isfinite(grad_norm.item()):
            course.diverge("gradient")
            break
        optimizer.step()
        if course.trained(loss_value, out, y):
            course.evaluated(*evaluate(model, objective, x_test, y_test))
            if course.stopped:
                break
    return conclude(course, model, task, (x, y), flops_per_seq, x_test, pool, recorder,
                    to_device, time.perf_counter() - start)


def conclude(course: Course, model: SequenceModel, task: Task,
             last: tuple[torch.Tensor, torch.Tensor], flops_per_seq: float,
             x_test: torch.Tensor, pool: tuple | None, recorder: Recorder | None,
             to_device: Callable, wall_s: float) -> TrialResult:
    """The trained model's result: FLOPs, longer tests, diagnostics and the causality
    check, all on ``model`` (the trial's own single-seed model)."""
    trial, step = course.trial, course.step
    status, reason, steps_to_solve = course.status, course.reason, course.steps_to_solve
    if status == DIVERGED and non_finite(*last):  # the batch, not the model, was not finite
        status, reason = ERROR, (f"task '{trial.generator}' sampled NaN or infinite values "
                                 f"at step {step}")
    flops = flops_per_seq * (3.0 * trial.batch_size * step + trial.test_size * course.evals)
    lengths = []
    if status == SOLVED:
        for factor in trial.test_lengths:
            found, cost = longer_evaluation(model, task, factor, trial, to_device)
            lengths.append(found)
            flops += cost
    diagnostics = recorder.finish(model, pool) if recorder else {}
    refusal = causality_fault(model, x_test, status == SOLVED)
    if refusal:  # never solved, never counted toward a minimal depth
        status, reason, steps_to_solve = REFUSED, refusal, None
    return TrialResult(
        key=trial.key, status=status, metric=task.metric, best_metric=course.best_metric,
        final_metric=course.test_metric, baseline=task.baseline, steps=step,
        steps_to_solve=steps_to_solve, train_loss=course.train_loss,
        test_loss=course.test_loss, params=model.param_count(), flops=flops, wall_s=wall_s,
        evals=course.evals, reason=reason, diagnostics=diagnostics, lengths=lengths,
    )


def longer_evaluation(model: torch.nn.Module, task: Task, factor: int, trial: Trial,
                      to_device: Callable) -> tuple[dict[str, Any], float]:
    """The trained model scored on ``factor`` times longer sequences of the same task (its
    prefix knob raised, the deciding span unchanged), on a held-out set as fixed as the
    usual one; and the FLOPs that cost. It draws from its own generator after training,
    so it changes nothing else about the trial."""
    longer = task.longer(factor)
    objective = Objective(longer)
    x, y = to_device(*held_out_set(longer, trial.test_size))
    _, metric = evaluate(model, objective, x, y)
    found = {"factor": factor, "seq_len": longer.seq_len, "metric": metric,
             "meets": bool(objective.meets(metric, trial.threshold))}
    return found, model.forward_flops(longer.seq_len) * trial.test_size

