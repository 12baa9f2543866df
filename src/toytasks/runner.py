"""The runner: turns a spec and options into trials, runs them, stores every result.

It owns the loop "ask each search for trials -> skip those already stored -> submit ->
record results as they come back". Searches decide, the executor trains, the store keeps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import asdict, dataclass

from toytasks.models import ARCHITECTURES, build_model
from toytasks.search import LinearDepthSearch, SolveRule, TrialFactory
from toytasks.spec import TaskSpec
from toytasks.store import ResultStore, provenance
from toytasks.summary import Row, group_key, summarise
from toytasks.train import train
from toytasks.trial import ERROR, Trial, TrialResult

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunOptions:
    archs: tuple[str, ...]
    seeds: int
    min_depth: int
    max_depth: int
    width: int
    lrs: tuple[float, ...]
    max_steps: int
    batch_size: int
    device: str = "cpu"
    train_size: int = 0
    diagnostics: bool = False


def default_options(spec: TaskSpec) -> RunOptions:
    return RunOptions(
        archs=spec.search.architectures, seeds=spec.search.seeds,
        min_depth=spec.search.min_depth, max_depth=spec.search.max_depth,
        width=spec.search.width, lrs=(spec.budget.lr,), max_steps=spec.budget.max_steps,
        batch_size=spec.budget.batch_size,
    )


def trial_factory(spec: TaskSpec, arch: str, opts: RunOptions) -> TrialFactory:
    knobs = tuple(sorted(spec.knobs.items()))

    def make(depth: int, seed: int, lr: float) -> Trial:
        return Trial(
            task=spec.name, generator=spec.generator, knobs=knobs, arch=arch, depth=depth,
            width=opts.width, seed=seed, lr=lr, max_steps=opts.max_steps,
            batch_size=opts.batch_size, eval_every=spec.budget.eval_every,
            patience=spec.budget.patience, test_size=spec.budget.test_size,
            threshold=spec.threshold, clip=spec.budget.clip, gate_bias=spec.budget.gate_bias,
            train_size=opts.train_size, diagnostics=opts.diagnostics, device=opts.device,
        )

    return make


def expected_cost(trial: Trial, seq_len: int, n_inputs: int) -> float:
    """FLOPs at the full budget: schedule the longest trials first so none runs alone."""
    model = build_model(trial.arch, n_inputs, 2, trial.depth, trial.width)
    return model.forward_flops(seq_len) * trial.max_steps


def _take_stored(searches: list[LinearDepthSearch], store: ResultStore,
                 keys: set[str]) -> tuple[list[tuple[LinearDepthSearch, Trial]], int]:
    """Feed stored results to the searches until they ask for something new (resume).

    Returns the candidates that still need training and the count of reused results.
    """
    reused = 0
    while True:
        fresh = []
        progressed = False
        for search in searches:
            for trial in search.candidates():
                keys.add(group_key(trial.config()))
                if trial.key in store:
                    search.started(trial)
                    search.record(trial, store.result(trial.key))
                    reused += 1
                    progressed = True
                    break  # the search may have moved on: ask it again
                fresh.append((search, trial))
        if not progressed:
            return fresh, reused


def run(spec: TaskSpec, opts: RunOptions, store: ResultStore, executor: Executor,
        workers: int | Callable[[], int], progress: Progress = lambda _: None,
        rule: SolveRule | None = None) -> list[Row]:
    rule = rule or SolveRule()
    task = spec.make_task()
    searches = [
        LinearDepthSearch(arch, trial_factory(spec, arch, opts), opts.seeds, opts.lrs,
                          opts.min_depth, opts.max_depth, rule)
        for arch in opts.archs
    ]
    store.log_run({"task": spec.name, "spec_path": spec.path, "options": asdict(opts),
                   "rule": rule.name, "started": time.time()})
    prov = provenance(opts.device)
    search_info = {"seeds": opts.seeds, "rule": rule.name}
    running: dict[Future, tuple[LinearDepthSearch, Trial]] = {}
    keys: set[str] = set()
    done_count = reused = 0

    while True:
        candidates, n_reused = _take_stored(searches, store, keys)
        reused += n_reused
        free = (workers() if callable(workers) else workers) - len(running)
        ranked = sorted(candidates, key=lambda p: (p[1].seed, -expected_cost(
            p[1], task.seq_len, task.n_inputs), p[1].arch))
        for search, trial in ranked[:max(0, free)]:
            search.started(trial)
            running[executor.submit(train, trial)] = (search, trial)
        if not running:
            if all(s.done for s in searches):
                break
            continue
        finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
        for future in sorted(finished, key=lambda f: running[f][1].key):
            search, trial = running.pop(future)
            result = _result_or_error(future, trial)
            store.append(trial, result, prov, search_info)
            done_count += 1
            progress(_progress_line(done_count, len(running), trial, result))
            search.record(trial, result)
    if reused:
        progress(f"reused {reused} stored trial(s) from {store.root}")
    return [row for row in summarise(store.records(), rule, seeds=opts.seeds)
            if group_key(row.config) in keys]


def _result_or_error(future: Future, trial: Trial) -> TrialResult:
    """The trial's result, or an error result when the future failed instead (its worker
    died, e.g. a dask KilledWorker after the cluster's retries, or it was cancelled): the
    reason names the cause and the sweep goes on. train() itself never raises."""
    try:
        return future.result()
    except Exception as exc:
        cause = " ".join(f"{type(exc).__name__}: {exc}".split())
        return TrialResult(
            key=trial.key, status=ERROR, metric="", best_metric=math.nan,
            final_metric=math.nan, baseline=math.nan, steps=0, steps_to_solve=None,
            train_loss=math.nan, test_loss=math.nan, params=0, flops=0.0, wall_s=0.0,
            reason=f"worker lost: {cause}",
        )


def _progress_line(done: int, running: int, trial: Trial, result: TrialResult) -> str:
    metric = f"{result.metric} {result.best_metric:.3f}" if result.metric else ""
    reason = f" ({result.reason})" if result.reason else ""
    return (f"[{done} done, {running} running] {trial.arch} depth={trial.depth} "
            f"seed={trial.seed} lr={trial.lr:g}: {result.status} after {result.steps} steps, "
            f"best {metric}, {result.wall_s:.1f}s{reason}")


__all__ = ["ARCHITECTURES", "RunOptions", "default_options", "run"]
