"""One run or sweep from a ``RunRequest``: what `toytasks run`/`sweep` and ``toytasks.run``/
``run_sweep`` all do.

The command line fills a ``RunRequest`` from click (which has checked types and ranges);
the Python API fills it with ``python_request``, which applies the same types, ranges and
choices to keyword arguments. ``prepare`` then checks what depends on the task (knobs,
depths, devices, the rule's seeds) and returns a ``Launch``; nothing is written until
``launch`` runs it. So a bad option is one ``ToytasksError`` and leaves no folder behind,
and a run from Python writes the same results folder as the same run from the shell.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from toytasks.errors import ToytasksError
from toytasks.models import get_architecture, split_variant
from toytasks.reading.store import LOCK_FILE, RUNS_FILE, TRIALS_FILE, ResultStore
from toytasks.running.devices import Placement, local_workers, plan_workers
from toytasks.running.plan import Job, Progress, Workers, run_job
from toytasks.running.spawning import check_spawnable
from toytasks.specs.bounds import BOUNDS
from toytasks.specs.options import (
    LR_MAX,
    arch_knob_triples,
    check_depth_range,
    check_int,
    check_test_lengths,
    check_variants,
    default_out,
    merge_knobs,
    resolve,
    split_knobs,
)
from toytasks.specs.spec import TaskSpec, load_spec
from toytasks.tasks import get_generator
from toytasks.training.search import SEARCHES
from toytasks.training.solve import RULES, get_rule

if TYPE_CHECKING:
    from toytasks.reading.summary import Row, SweepPoint

T = TypeVar("T")
EXECUTORS = ("local", "dask")
INT_OPTIONS = ("seeds", "min_depth", "max_depth", "width", "steps", "batch_size", "patience",
               "match_params", "train_size", "workers", "workers_per_device", "pack")


@dataclass(frozen=True)
class RunRequest:
    """Every option of one run or sweep, as given (``None``: the spec's default)."""

    task: str | TaskSpec
    arch: tuple[str, ...] = ()
    knobs: Mapping[str, Any] = field(default_factory=dict)  # task knobs and ARCH.KNOB ones
    vary: str | None = None  # a sweep: "KNOB=v1,v2" or "ARCH.KNOB=v1,v2"
    seeds: int | None = None
    min_depth: int | None = None
    max_depth: int | None = None
    width: int | None = None
    lr: tuple[float, ...] = ()
    steps: int | None = None
    batch_size: int | None = None
    patience: int | None = None  # 0: early stopping off
    pack: int | None = None  # seeds per packed model (None: the spec's [budget] pack)
    rule: str = "majority"
    search: str = "adaptive"
    match_params: int | None = None
    train_size: int = 0
    diagnostics: bool = False
    test_lengths: tuple[int, ...] = ()  # also score solved trials on N times longer inputs
    device: str = "cpu"
    workers: int | None = None
    workers_per_device: int | None = None
    gpu_memory_fraction: float | None = None
    executor: str = "local"
    scheduler: str | None = None
    out: Path | None = None
    tasks_dir: tuple[str, ...] = ()
    flag: str = "--"  # how messages name an option: "--min-depth" (shell), "min-depth" (API)


@dataclass(frozen=True)
class Launch:
    """A validated request: the job, where its trials run, and its results folder."""

    job: Job
    placement: Placement
    root: Path
    executor: str = "local"
    scheduler: str | None = None
    knob: str = ""  # a sweep's varied knob and its values
    values: tuple[str, ...] = ()


def _wrong(name: str, what: str, value: Any) -> NoReturn:
    raise ToytasksError(f"{name} must be {what}, got {value!r}")


def _names(value: Any, name: str) -> tuple[str, ...]:
    """A comma-separated string or a list of strings."""
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return tuple(value)
    _wrong(name, "a string or a list of strings", value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def python_request(task: Any, arch: Any = None, vary: Any = None, **given: Any) -> RunRequest:
    """A ``RunRequest`` from the API's keyword arguments, checked like the command line's
    options (types, ranges, choices): a bad one is one ``ToytasksError``."""
    valid = {f.name for f in fields(RunRequest)} - {"task", "arch", "vary", "flag"}
    unknown = sorted(set(given) - valid)
    if unknown:
        raise ToytasksError(f"unknown option '{unknown[0]}' (valid: "
                            f"{', '.join(sorted(valid))})")
    if not isinstance(task, (str, TaskSpec)):
        _wrong("task", "a task name, a .toml path or a TaskSpec", task)
    if vary is not None and not isinstance(vary, str):
        _wrong("vary", 'a string "KNOB=v1,v2,..."', vary)
    values = {k: v for k, v in given.items() if v is not None}
    for key in INT_OPTIONS:
        if key in values:
            check_int(values[key], key, "options",
                      BOUNDS["workers"] if key == "workers_per_device" else None)
    if "knobs" in values and not (isinstance(values["knobs"], Mapping)
                                  and all(isinstance(k, str) for k in values["knobs"])):
        _wrong("knobs", "a dict of knob names to values", values["knobs"])
    if "lr" in values:
        lr = values["lr"]
        lrs = (lr,) if _number(lr) else lr
        if not isinstance(lrs, Sequence) or isinstance(lrs, str) or not all(map(_number, lrs)):
            _wrong("lr", "a number or a list of numbers", lr)
        values["lr"] = tuple(float(x) for x in lrs)
    for key, choices in (("rule", RULES), ("search", SEARCHES), ("executor", EXECUTORS)):
        if key in values and values[key] not in choices:
            _wrong(key, f"one of {', '.join(choices)}", values[key])
    for key in ("device", "scheduler"):
        if key in values and not isinstance(values[key], str):
            _wrong(key, "a string", values[key])
    if "test_lengths" in values:
        lengths = values["test_lengths"]
        if not isinstance(lengths, Sequence) or isinstance(lengths, str):
            _wrong("test_lengths", "a list of integers", lengths)
        values["test_lengths"] = tuple(lengths)  # each checked against the task in prepare
    if "diagnostics" in values and not isinstance(values["diagnostics"], bool):
        _wrong("diagnostics", "True or False", values["diagnostics"])
    fraction = values.get("gpu_memory_fraction")
    if fraction is not None and not _number(fraction):
        _wrong("gpu_memory_fraction", "a number in (0, 1]", fraction)
    if "out" in values:
        if not isinstance(values["out"], (str, os.PathLike)):
            _wrong("out", "a folder path", values["out"])
        values["out"] = Path(values["out"])
    if "tasks_dir" in values:
        folders = values["tasks_dir"]
        folders = [folders] if isinstance(folders, (str, os.PathLike)) else folders
        if not isinstance(folders, Sequence) or not all(
                isinstance(f, (str, os.PathLike)) for f in folders):
            _wrong("tasks_dir", "a folder or a list of folders", values["tasks_dir"])
        values["tasks_dir"] = tuple(str(f) for f in folders)
    archs = () if arch is None else _names(arch, "arch")
    return RunRequest(task=task, arch=archs, vary=vary, flag="", **values)


def check_progress(progress: Any) -> Progress:
    """The API's ``progress`` argument: a callable that takes each event, or None."""
    if progress is None:
        return lambda _: None
    if not callable(progress):
        _wrong("progress", "a callable that takes each progress event", progress)
    return progress


def prepare(req: RunRequest) -> Launch:
    """Everything checked, nothing written: the job, its placement and its folder."""
    from toytasks.running.sweep import parse_vary, sweep_jobs, sweep_specs

    f = req.flag
    knob, values = parse_vary(req.vary) if req.vary is not None else ("", [])
    spec = req.task if isinstance(req.task, TaskSpec) else load_spec(req.task, req.tasks_dir)
    if knob and knob in req.knobs:
        raise ToytasksError(f"knob '{knob}' is both varied (--vary) and fixed (--set)")
    task_knobs, arch_knobs = split_knobs(dict(req.knobs))
    spec = spec.with_knobs(task_knobs)
    if knob and "." not in knob:
        sweep_specs(spec, knob, values)  # a task knob: its values are checked first
    for arch in req.arch:  # the command line's order: architectures, then devices
        split_variant(arch, f"{f}arch")  # ARCH or ARCH@KNOB=V@...: well formed
        get_architecture(arch)  # a built-in, or a plugin that imports and has the protocol
    placement = plan_workers(req.device, req.workers, req.workers_per_device,
                             req.gpu_memory_fraction, req.executor, req.scheduler, where=f)
    job = _job(spec, req, arch_knobs, placement.device)
    if knob:
        sweep_jobs(spec, knob, values, job.opts, job.rule)  # every value, before any trial
    _check_spawnable(job, placement, req.executor, f)
    root = req.out or default_out(spec.name, *(("sweep",) if knob else ()))
    return Launch(job, placement, root, req.executor, req.scheduler, knob, tuple(values))


def _job(spec: TaskSpec, req: RunRequest, arch_knobs: dict[str, Any], device: str) -> Job:
    """The spec's defaults overridden by the request, as one checked job."""
    f = req.flag
    triples = arch_knob_triples(arch_knobs, req.arch or spec.defaults.architectures,
                                f"{f}set")
    opts = resolve(spec, {"arch": req.arch, "seeds": req.seeds, "min_depth": req.min_depth,
                          "max_depth": req.max_depth, "width": req.width, "lr": req.lr,
                          "steps": req.steps, "batch_size": req.batch_size, "device": device,
                          "patience": req.patience, "pack": req.pack})
    check_depth_range(opts, "", flag=f)
    if any(not 0 < lr <= LR_MAX for lr in opts.lrs):
        raise ToytasksError(f"{f}lr values must be in (0, {LR_MAX:g}], got "
                            f"{','.join(f'{lr:g}' for lr in opts.lrs)}")
    if req.match_params and req.width:
        raise ToytasksError(f"{f}width and {f}match-params exclude each other")
    rule = get_rule(req.rule)
    rule.check_seeds(opts.seeds)
    check_variants(opts.archs, triples, f"{f}arch")
    lengths = check_test_lengths(spec, req.test_lengths, f) if req.test_lengths else ()
    opts = replace(opts, search=req.search, match_params=req.match_params or 0,
                   arch_knobs=merge_knobs(opts.arch_knobs, triples),
                   train_size=req.train_size, diagnostics=req.diagnostics,
                   test_lengths=lengths)
    return Job(spec, opts, rule)


def _check_spawnable(job: Job, placement: Placement, executor: str, flag: str) -> None:
    """Worker processes must be able to import the classes the trials name."""
    from toytasks.running.executor import uses_processes

    if executor == "local" and not uses_processes(local_workers(placement),
                                                  placement.memory_fraction):
        return
    classes = [get_architecture(a) for a in job.opts.archs]
    check_spawnable([*classes, get_generator(job.spec.generator)], flag)


def launch(plan: Launch, progress: Progress = lambda _: None,
           say: Callable[[str], None] = lambda _: None,
           on_interrupt: Callable[[ResultStore], None] | None = None,
           on_open: Callable[[ResultStore], None] | None = None
           ) -> list[Row] | list[SweepPoint]:
    """Run a prepared job (or sweep) into its folder: rows, or a sweep's points.
    ``on_open``: called once the folder exists (the command line's first line)."""
    from toytasks.running.sweep import run_points

    job = plan.job

    def body(store: ResultStore, pool: Executor, limit: Workers) -> Any:
        if plan.knob:
            return run_points(job.spec, plan.knob, list(plan.values), job.opts, store, pool,
                              limit, progress, job.rule)
        return run_job(job, store, pool, limit, progress)

    return execute(plan.root, plan.placement, body, plan.executor, plan.scheduler, say,
                   on_interrupt, on_open)


def execute(root: Path, placement: Placement,
            body: Callable[[ResultStore, Executor, Workers], T],
            executor_kind: str = "local", scheduler: str | None = None,
            say: Callable[[str], None] = lambda _: None,
            on_interrupt: Callable[[ResultStore], None] | None = None,
            on_open: Callable[[ResultStore], None] | None = None) -> T:
    """Run ``body(store, executor, trials in flight)`` while holding the results folder; on
    any error (Ctrl-C included) abandon the workers first, so nothing is left running."""
    with holding(root, on_open) as store:
        executor, limit = open_executor(executor_kind, scheduler, placement, say)
        try:
            result = body(store, executor, limit)
        except KeyboardInterrupt:
            _abandon(executor)
            if on_interrupt:
                on_interrupt(store)
            raise
        except BaseException:
            _abandon(executor)
            raise
        executor.shutdown()
        return result


@contextmanager
def holding(root: Path, on_open: Callable[[ResultStore], None] | None = None
            ) -> Iterator[ResultStore]:
    """The results folder, made and locked for one run. A run refused (a ``ToytasksError``)
    before it stores a trial removes the folders it made: a refusal leaves nothing."""
    made = [p for p in (root, *root.parents) if not p.exists()]
    store = ResultStore(root)
    try:
        if on_open:
            on_open(store)
        with store.lock():
            yield store
    except ToytasksError:
        trials = root / TRIALS_FILE
        if made and not (trials.exists() and trials.stat().st_size):
            _remove_made(made)
        raise


def _remove_made(made: list[Path]) -> None:
    """The folders a refused run made (deepest first), if they hold only its own files."""
    for name in (LOCK_FILE, RUNS_FILE, TRIALS_FILE):
        (made[0] / name).unlink(missing_ok=True)
    for folder in made:
        try:
            folder.rmdir()
        except OSError:  # something else is in it now: not ours to remove
            return


def open_executor(kind: str, scheduler: str | None, placement: Placement,
                  say: Callable[[str], None] = lambda _: None) -> tuple[Executor, Workers]:
    """The executor and how many trials to keep in flight (a callable: asked each time)."""
    from toytasks.running.executor import default_workers, make_executor

    if kind == "local":
        n_workers = local_workers(placement)
        return make_executor(n_workers, placement.gpus, placement.memory_fraction), n_workers
    from toytasks.running import cluster

    executor = cluster.start(scheduler, placement.workers or (
        0 if scheduler else default_workers()), say=say)
    return executor, executor.capacity


def _abandon(executor: Executor) -> None:
    """Stop at once: cancel queued trials and end running ones."""
    if hasattr(executor, "abandon"):
        executor.abandon()
    else:
        executor.shutdown(wait=False, cancel_futures=True)
