"""The runner: turns a spec and options into trials, runs them, stores every result.

It owns the loop "ask each search for trials -> skip those already stored -> submit ->
record results as they come back". Searches decide, the executor trains, the store keeps;
the runner returns the cells it touched and leaves summarising to the caller
(``toytasks.running.plan``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from dataclasses import asdict
from functools import lru_cache
from typing import Any

import torch

from toytasks.errors import one_line
from toytasks.models import arch_origin, build_model, get_architecture
from toytasks.models.matching import match_width
from toytasks.models.recurrent import RecurrentStack
from toytasks.reading.records import RunInfo, cell_key
from toytasks.reading.store import ResultStore, provenance
from toytasks.running.progress import Event, TrialDone
from toytasks.specs.options import RunOptions
from toytasks.specs.spec import TaskSpec
from toytasks.tasks import generator_origin, get_generator
from toytasks.training.search import DepthSearch, TrialFactory, make_search
from toytasks.training.solve import SolveRule
from toytasks.training.train import train
from toytasks.training.trial import Trial, TrialResult, error_result

Progress = Callable[[Event], None]

MAX_CRASH_RETRIES = 2  # within a run: a trial whose worker dies is resubmitted this often
MAX_STORED_ERRORS = 3  # across runs: resume retries a lost-worker error until it has this many


def arch_settings(spec: TaskSpec, arch: str, opts: RunOptions
                  ) -> tuple[float, tuple[tuple[str, Any], ...], str]:
    """(gate bias, architecture knobs away from their defaults, plugin origin) of ``arch``'s
    trials. A recurrent stack's gate_bias knob sets the trial's gate_bias (the spec's
    budget.gate_bias is its default), so built-in identities are unchanged."""
    values = opts.knobs_for(arch)
    cls = get_architecture(arch)
    gate_bias = spec.budget.gate_bias
    if issubclass(cls, RecurrentStack):
        gate_bias = float(values.pop("gate_bias", gate_bias))
    defaults = {k.name: k.default for k in cls.knobs}
    knobs = tuple(sorted((k, v) for k, v in values.items() if v != defaults.get(k)))
    return gate_bias, knobs, arch_origin(arch)


def trial_factory(spec: TaskSpec, arch: str, opts: RunOptions) -> TrialFactory:
    knobs = tuple(sorted(spec.knobs.items()))
    task = spec.make_generator()
    gate_bias, arch_knobs, origin = arch_settings(spec, arch, opts)
    task_plugin = generator_origin(spec.generator)

    def width(depth: int) -> int:
        if not opts.match_params:
            return opts.width
        return match_width(arch, task.n_inputs, task.n_outputs, depth, opts.match_params,
                           task.output_steps, arch_knobs)[0]

    def make(depth: int, seed: int, lr: float) -> Trial:
        return Trial(
            task=spec.name, generator=spec.generator, knobs=knobs, arch=arch, depth=depth,
            width=width(depth), seed=seed, lr=lr, max_steps=opts.max_steps,
            batch_size=opts.batch_size, eval_every=spec.budget.eval_every,
            patience=spec.budget.patience, test_size=spec.budget.test_size,
            threshold=spec.threshold, clip=spec.budget.clip, gate_bias=gate_bias,
            train_size=opts.train_size, diagnostics=opts.diagnostics, device=opts.device,
            arch_knobs=arch_knobs, arch_plugin=origin, task_plugin=task_plugin,
        )

    return make


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


def _take_stored(searches: list[DepthSearch], store: ResultStore, keys: set[str],
                 match_params: int = 0) -> tuple[list[tuple[DepthSearch, Trial]], int]:
    """Feed stored results to the searches until they ask for something new (resume).

    Returns the candidates that still need training and the count of reused results.
    """
    reused = 0
    while True:
        fresh = []
        progressed = False
        for search in searches:
            for trial in search.candidates():
                keys.add(cell_key(trial.config(), match_params))
                if trial.key in store and not store.retry_due(trial.key, MAX_STORED_ERRORS):
                    search.started(trial)
                    search.record(trial, store.result(trial.key))
                    reused += 1
                    progressed = True
                    break  # the search may have moved on: ask it again
                fresh.append((search, trial))
        if not progressed:
            return fresh, reused


def run_trials(spec: TaskSpec, opts: RunOptions, rule: SolveRule, store: ResultStore,
        executor: Executor, workers: int | Callable[[], int],
        progress: Progress = lambda _: None) -> set[str]:
    """Train what the searches ask for (resuming what ``store`` holds); returns the cell
    keys (``records.cell_key``) of every row the run touched."""
    rule.check_seeds(opts.seeds)
    task = spec.make_generator()
    searches = [
        make_search(opts.search, arch, trial_factory(spec, arch, opts), opts.seeds, opts.lrs,
                    opts.min_depth, opts.max_depth, rule)
        for arch in opts.archs
    ]
    store.log_run({"task": spec.name, "spec_path": spec.path, "options": asdict(opts),
                   "rule": rule.name, "started": time.time()})
    prov = provenance(opts.device)
    search_info = RunInfo(opts.seeds, rule.name, opts.search, tuple(sorted(set(opts.lrs))),
                             opts.match_params).to_dict()
    running: dict[Future, tuple[DepthSearch, Trial]] = {}
    keys: set[str] = set()
    done_count = reused = steps = 0
    flops = 0.0
    attempts: dict[str, int] = {}
    retry: list[tuple[DepthSearch, Trial]] = []

    while True:
        candidates, n_reused = _take_stored(searches, store, keys, opts.match_params)
        reused += n_reused
        free = (workers() if callable(workers) else workers) - len(running)
        ranked = sorted(candidates, key=lambda p: priority(p[1], task.seq_len, task.n_inputs))
        for search, trial in (retry + ranked)[:max(0, free)]:
            search.started(trial)
            running[executor.submit(train, trial)] = (search, trial)
        retry = [p for p in retry if p[1].key not in {t.key for _, t in running.values()}]
        if not running:
            if all(s.done for s in searches):
                break
            continue
        finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
        crashed = False
        for future in sorted(finished, key=lambda f: running[f][1].key):
            search, trial = running.pop(future)
            result = _result_or_error(future, trial)
            if result is None:  # its worker process died: retry in a fresh pool
                crashed = True
                attempts[trial.key] = attempts.get(trial.key, 0) + 1
                if attempts[trial.key] <= MAX_CRASH_RETRIES:
                    progress(f"worker process died during {trial.label()}; retrying")
                    retry.append((search, trial))
                    continue
                result = error_result(trial.key, f"worker process died "
                                                 f"{attempts[trial.key]} times on this trial")
            store.append(trial, result, prov, search_info)
            done_count += 1
            steps, flops = steps + result.steps, flops + (result.flops or 0.0)
            progress(TrialDone(done_count, len(running), trial, result))
            search.record(trial, result)
        if crashed and hasattr(executor, "restart"):
            # the broken pool takes its other trials down too: rerun them in the new pool
            retry.extend(running.pop(future) for future in list(running))
            executor.restart()
    if reused:
        progress(f"reused {reused} stored trial(s) from {store.root}")
    progress(f"trained {done_count} trial(s) in this run: {steps:,} steps, {flops:.3g} FLOPs")
    return keys


def _result_or_error(future: Future, trial: Trial) -> TrialResult | None:
    """The trial's result; an error result if the executor failed it; None if the worker
    process died (the caller retries it in a fresh pool)."""
    try:
        return future.result()
    except BrokenExecutor:
        return None
    except Exception as exc:  # e.g. a cluster worker lost, a result that failed to unpickle
        reason = f"executor failed the trial: {type(exc).__name__}: {exc}"
        return error_result(trial.key, one_line(reason))
