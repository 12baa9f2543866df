"""The runner: runs one job's trials on an executor and stores every result.

It drives the job's ``schedule.Schedule`` with real trials: stored results are reused
(resume), what the schedule submits is trained, results are stored and fed back as they
come, and a trial whose worker died goes again. Searches decide (``toytasks.training.search``),
the schedule orders, the executor trains, the store keeps; the runner returns the cells it
touched and leaves summarising to the caller (``toytasks.running.plan``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from dataclasses import asdict

from toytasks.errors import one_line
from toytasks.reading.records import RunInfo, cell_key
from toytasks.reading.store import ResultStore, provenance
from toytasks.running.flops import priority
from toytasks.running.progress import Event, TrialDone
from toytasks.running.schedule import Schedule, make_searches
from toytasks.running.trials import trial_factory
from toytasks.specs.options import RunOptions
from toytasks.specs.spec import TaskSpec
from toytasks.training.packed import pack_key, packs, train_pack
from toytasks.training.search import DepthSearch
from toytasks.training.solve import SolveRule
from toytasks.training.train import train
from toytasks.training.trial import Trial, TrialResult, error_result

Progress = Callable[[Event], None]

MAX_CRASH_RETRIES = 2  # within a run: a trial whose worker dies is resubmitted this often
MAX_STORED_ERRORS = 3  # across runs: resume retries a lost-worker error until it has this many


def stored_result(store: ResultStore) -> Callable[[Trial], TrialResult | None]:
    """The stored result the runner reuses for a trial: None when there is none, or when it
    is a lost-worker error due for a retry."""
    def lookup(trial: Trial) -> TrialResult | None:
        if trial.key in store and not store.retry_due(trial.key, MAX_STORED_ERRORS):
            return store.result(trial.key)
        return None

    return lookup


def run_trials(spec: TaskSpec, opts: RunOptions, rule: SolveRule, store: ResultStore,
        executor: Executor, workers: int | Callable[[], int],
        progress: Progress = lambda _: None) -> set[str]:
    """Train what the searches ask for (resuming what ``store`` holds); returns the cell
    keys (``records.cell_key``) of every row the run touched."""
    task = spec.make_generator()
    keys: set[str] = set()
    schedule = Schedule(
        make_searches(opts, rule, lambda arch: trial_factory(spec, arch, opts)),
        stored=stored_result(store),
        rank=lambda trial: priority(trial, task.seq_len, task.n_inputs),
        seen=lambda trial: keys.add(cell_key(trial.config(), opts.match_params)),
        group=pack_key)
    store.log_run({"task": spec.name, "spec_path": spec.path, "options": asdict(opts),
                   "rule": rule.name, "started": time.time()})
    prov = provenance(opts.device)
    search_info = RunInfo(opts.seeds, rule.name, opts.search, tuple(sorted(set(opts.lrs))),
                             opts.match_params).to_dict()
    running: dict[Future, list[tuple[DepthSearch, Trial]]] = {}
    done_count = steps = 0
    flops = 0.0
    attempts: dict[str, int] = {}

    while True:
        free = (workers() if callable(workers) else workers) - len(running)
        chosen = schedule.submit(free)
        of = {trial.key: (search, trial) for search, trial in chosen}
        for unit in packs([trial for _, trial in chosen]):
            work = (executor.submit(train, unit[0]) if unit[0].pack == 1
                    else executor.submit(train_pack, unit))
            running[work] = [of[trial.key] for trial in unit]
        if not running:
            if schedule.done:
                break
            continue
        finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
        crashed = False
        done = sorted(((future, pair) for future in finished for pair in running.pop(future)),
                      key=lambda item: item[1][1].key)
        for future, (search, trial) in done:
            result = _result_or_error(future, trial)
            if result is None:  # its worker process died: retry in a fresh pool
                crashed = True
                attempts[trial.key] = attempts.get(trial.key, 0) + 1
                if attempts[trial.key] <= MAX_CRASH_RETRIES:
                    progress(f"worker process died during {trial.label()}; retrying")
                    schedule.retry(search, trial)
                    continue
                result = error_result(trial.key, f"worker process died "
                                                 f"{attempts[trial.key]} times on this trial")
            store.append(trial, result, prov, search_info)
            done_count += 1
            steps, flops = steps + result.steps, flops + (result.flops or 0.0)
            progress(TrialDone(done_count, sum(map(len, running.values())), trial, result))
            schedule.record(search, trial, result)
        if crashed and hasattr(executor, "restart"):
            # the broken pool takes its other trials down too: rerun them in the new pool
            for future in list(running):
                for pair in running.pop(future):
                    schedule.retry(*pair)
            executor.restart()
    if schedule.reused:
        progress(f"reused {len(schedule.reused)} stored trial(s) from {store.root}")
    progress(f"trained {done_count} trial(s) in this run: {steps:,} steps, {flops:.3g} FLOPs")
    return keys


def _result_or_error(future: Future, trial: Trial) -> TrialResult | None:
    """The trial's result (a pack's future holds a list: the trial's own); an error result
    if the executor failed it; None if the worker process died (the caller retries it in a
    fresh pool)."""
    try:
        result = future.result()
        if isinstance(result, list):
            return next(r for r in result if r.key == trial.key)
        return result
    except BrokenExecutor:
        return None
    except Exception as exc:  # e.g. a cluster worker lost, a result that failed to unpickle
        reason = f"executor failed the trial: {type(exc).__name__}: {exc}"
        return error_result(trial.key, one_line(reason))
