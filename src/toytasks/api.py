"""The Python API: ``toytasks.run``, ``toytasks.run_sweep``, ``toytasks.load``.

(The sweep function is ``run_sweep``: the public names never shadow a module.)

The command line calls the same functions (``make_job``, ``execute``, ``run_job_in``), so
a run from Python and the same run from the shell write identical results folders.
Everything returns a ``Results``: typed rows, tables in every format, plain records, and
``to_pandas()`` when pandas is installed (it is not a dependency of toytasks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from toytasks.errors import ToytasksError
from toytasks.models import get_architecture, split_variant
from toytasks.reading.store import ResultStore
from toytasks.reading.summary import Row, summarise
from toytasks.running.devices import Placement, check_device, local_workers, plan_workers
from toytasks.running.plan import Job, run_job
from toytasks.specs.options import (
    LR_MAX,
    arch_knob_triples,
    check_int,
    check_test_lengths,
    check_variants,
    default_out,
    merge_knobs,
    resolve,
    split_knobs,
)
from toytasks.specs.spec import TaskSpec, load_spec
from toytasks.training.solve import get_rule

if TYPE_CHECKING:
    from toytasks.reading.summary import SweepPoint

T = TypeVar("T")
Workers = int | Callable[[], int]


@dataclass
class Results:
    """What a run, a sweep or a results folder holds."""

    folder: Path
    rows: list[Row]
    points: list[SweepPoint] = field(default_factory=list)  # a sweep's columns
    vary: str = ""

    def table(self, format: str = "simple") -> str:
        """The table `toytasks run/sweep/table` prints, in any tabulate format."""
        if self.points:
            from toytasks.reading.table import render_sweep

            archs = tuple(dict.fromkeys(r.arch for p in self.points for r in p.rows))
            return render_sweep(self.points, self.vary, archs, format)
        from toytasks.reading.table import render

        return render(self.rows, format)

    def records(self) -> list[dict[str, Any]]:
        """One plain dict per stored trial: its configuration, its result, its key."""
        return [{"key": r.key, **r.config, **{f"result_{k}": v for k, v in
                                               r.result.to_dict().items() if k != "key"}}
                for r in ResultStore(self.folder, create=False).records()]

    def to_pandas(self) -> Any:
        """``records()`` as a pandas DataFrame (needs pandas installed)."""
        try:
            import pandas as pd
        except ImportError:
            raise ToytasksError("to_pandas() needs pandas (pip install pandas)") from None
        return pd.DataFrame(self.records())


def make_job(spec: TaskSpec, archs: Sequence[str] = (), *, seeds: int | None = None,
             min_depth: int | None = None, max_depth: int | None = None,
             width: int | None = None, lrs: Sequence[float] = (), steps: int | None = None,
             batch_size: int | None = None, device: str = "cpu", rule: str = "majority",
             search: str = "adaptive", match_params: int | None = None,
             arch_knobs: dict[str, Any] | None = None, where: str = "--", **extra: Any) -> Job:
    """The spec's defaults overridden by these options, validated, as one job.
    ``arch_knobs``: {"cnn.kernel": 7, ...}; ``extra``: diagnostics, train_size,
    test_lengths (e.g. (2, 4))."""
    given = {"seeds": seeds, "min_depth": min_depth, "max_depth": max_depth, "width": width,
             "steps": steps, "batch_size": batch_size, "match_params": match_params,
             "train_size": extra.get("train_size")}
    for key, value in given.items():
        if value is not None:  # click checks these on the command line; Python calls here
            check_int(value, key, "options")
    archs = tuple(archs)
    for arch in archs:
        split_variant(arch, f"{where}arch")  # ARCH or ARCH@KNOB=V@...: well formed
        get_architecture(arch)  # a built-in, or a plugin that imports and has the protocol
    triples = arch_knob_triples(arch_knobs or {}, archs or spec.defaults.architectures,
                                f"{where}set")
    opts = resolve(spec, {"arch": archs, "seeds": seeds, "min_depth": min_depth,
                          "max_depth": max_depth, "width": width, "lr": tuple(lrs),
                          "steps": steps, "batch_size": batch_size,
                          "device": check_device(device)})
    if opts.min_depth > opts.max_depth:
        raise ToytasksError(f"{where}min-depth {opts.min_depth} is larger than "
                            f"{where}max-depth {opts.max_depth}")
    if any(not 0 < lr <= LR_MAX for lr in opts.lrs):
        raise ToytasksError(f"{where}lr values must be in (0, {LR_MAX:g}], got "
                            f"{','.join(f'{lr:g}' for lr in opts.lrs)}")
    if match_params and width:
        raise ToytasksError(f"{where}width and {where}match-params exclude each other")
    solve_rule = get_rule(rule)
    solve_rule.check_seeds(opts.seeds)
    check_variants(opts.archs, triples, f"{where}arch")
    if extra.get("test_lengths"):
        extra["test_lengths"] = check_test_lengths(spec, extra["test_lengths"], where)
    opts = replace(opts, search=search, match_params=match_params or 0,
                   arch_knobs=merge_knobs(opts.arch_knobs, triples), **extra)
    return Job(spec, opts, solve_rule)


def open_executor(kind: str, scheduler: str | None, workers: int | Placement | None,
                  say: Callable[[str], None] = lambda _: None) -> tuple[Executor, Workers]:
    """The executor and how many trials to keep in flight (a callable: asked each time).
    ``workers``: a count, or a ``Placement`` (the count and the GPUs to pin workers to)."""
    from toytasks.running.executor import default_workers, make_executor

    placement = workers if isinstance(workers, Placement) else Placement(workers)
    workers = placement.workers
    if kind == "local":
        if scheduler:
            raise ToytasksError("--scheduler needs --executor dask")
        n_workers = local_workers(placement)
        return make_executor(n_workers, placement.gpus, placement.memory_fraction), n_workers
    from toytasks.running import cluster

    executor = cluster.start(scheduler, workers or (0 if scheduler else default_workers()),
                             say=say)
    return executor, executor.capacity


def execute(store: ResultStore, workers: int | Placement | None,
            body: Callable[[Executor, Workers], T],
            executor_kind: str = "local", scheduler: str | None = None,
            say: Callable[[str], None] = lambda _: None,
            on_interrupt: Callable[[], None] | None = None) -> T:
    """Run ``body(executor, trials in flight)`` while holding the results folder; on any
    error (Ctrl-C included) abandon the workers first, so nothing is left running."""
    with store.lock():
        executor, limit = open_executor(executor_kind, scheduler, workers, say)
        try:
            result = body(executor, limit)
        except KeyboardInterrupt:
            _abandon(executor)
            if on_interrupt:
                on_interrupt()
            raise
        except BaseException:
            _abandon(executor)
            raise
        executor.shutdown()
        return result


def _abandon(executor: Executor) -> None:
    """Stop at once: cancel queued trials and end running ones."""
    if hasattr(executor, "abandon"):
        executor.abandon()
    else:
        executor.shutdown(wait=False, cancel_futures=True)


def _spec(task: str | TaskSpec, knobs: dict[str, Any] | None,
          tasks_dir: Sequence[str]) -> tuple[TaskSpec, dict[str, Any]]:
    """The task spec with its knobs set, and the architecture knobs (ARCH.KNOB keys)."""
    spec = task if isinstance(task, TaskSpec) else load_spec(task, tuple(tasks_dir))
    task_knobs, arch_knobs = split_knobs(knobs or {})
    return spec.with_knobs(task_knobs), arch_knobs


def _archs(arch: str | Sequence[str] | None) -> tuple[str, ...]:
    if arch is None:
        return ()
    return tuple(a.strip() for a in arch.split(",")) if isinstance(arch, str) else tuple(arch)


def run(task: str | TaskSpec, arch: str | Sequence[str] | None = None, *,
        knobs: dict[str, Any] | None = None, out: str | Path | None = None,
        workers: int | None = None, executor: str = "local", scheduler: str | None = None,
        progress: Callable[[Any], None] | None = None, tasks_dir: Sequence[str] = (),
        lr: float | Sequence[float] = (), workers_per_device: int | None = None,
        gpu_memory_fraction: float | None = None, **options: Any) -> Results:
    """`toytasks run` from Python: the minimal-depth table of ``task`` for ``arch``.

    ``knobs``: task knobs and architecture knobs ({"n_positive": 1, "cnn.kernel": 7});
    ``options``: seeds, min_depth, max_depth, width, steps, batch_size, device, rule,
    search, match_params, train_size, diagnostics, test_lengths (as on the command line);
    ``workers_per_device``, ``gpu_memory_fraction``: local workers on CUDA devices.
    """
    spec, arch_knobs = _spec(task, knobs, tasks_dir)
    lrs = (lr,) if isinstance(lr, (int, float)) else tuple(lr)
    job = make_job(spec, _archs(arch), lrs=lrs, arch_knobs=arch_knobs, where="", **options)
    placement = plan_workers(options.get("device", "cpu"), workers, workers_per_device,
                             gpu_memory_fraction, executor, where="")
    store = ResultStore(Path(out) if out else default_out(spec.name))
    rows = run_job_in(job, store, placement, executor, scheduler, progress)
    return Results(store.root, rows)


def run_job_in(job: Job, store: ResultStore, workers: int | Placement | None,
               executor_kind: str = "local",
               scheduler: str | None = None, progress: Callable[[Any], None] | None = None,
               say: Callable[[str], None] = lambda _: None,
               on_interrupt: Callable[[], None] | None = None) -> list[Row]:
    """One job into ``store``: what `toytasks run` and ``toytasks.run`` both do."""
    return execute(store, workers, lambda pool, limit: run_job(
        job, store, pool, limit, progress or (lambda _: None)), executor_kind, scheduler, say,
        on_interrupt)


def run_sweep(task: str | TaskSpec, vary: str, arch: str | Sequence[str] | None = None, *,
              knobs: dict[str, Any] | None = None, out: str | Path | None = None,
              workers: int | None = None, executor: str = "local",
              scheduler: str | None = None, progress: Callable[[Any], None] | None = None,
              tasks_dir: Sequence[str] = (), lr: float | Sequence[float] = (),
              workers_per_device: int | None = None, gpu_memory_fraction: float | None = None,
              **options: Any) -> Results:
    """`toytasks sweep` from Python: ``vary`` is "KNOB=v1,v2,..." (or "ARCH.KNOB=...");
    the other arguments as for ``run``."""
    from toytasks.running.sweep import parse_vary

    knob, values = parse_vary(vary)
    if knob in (knobs or {}):
        raise ToytasksError(f"knob '{knob}' is both varied (--vary) and fixed (--set)")
    spec, arch_knobs = _spec(task, knobs, tasks_dir)
    lrs = (lr,) if isinstance(lr, (int, float)) else tuple(lr)
    job = make_job(spec, _archs(arch), lrs=lrs, arch_knobs=arch_knobs, where="", **options)
    placement = plan_workers(options.get("device", "cpu"), workers, workers_per_device,
                             gpu_memory_fraction, executor, where="")
    store = ResultStore(Path(out) if out else default_out(spec.name, "sweep"))
    points = sweep_in(job, knob, values, store, placement, executor, scheduler, progress)
    return Results(store.root, [r for p in points for r in p.rows], points, knob)


def sweep_in(job: Job, knob: str, values: list[str], store: ResultStore,
             workers: int | Placement | None, executor_kind: str = "local",
             scheduler: str | None = None,
             progress: Callable[[Any], None] | None = None,
             say: Callable[[str], None] = lambda _: None,
             on_interrupt: Callable[[], None] | None = None) -> list[SweepPoint]:
    """A sweep into ``store``: what `toytasks sweep` and ``toytasks.run_sweep`` both do."""
    from toytasks.running.sweep import run_points, sweep_jobs

    sweep_jobs(job.spec, knob, values, job.opts, job.rule)  # validate every value first
    return execute(store, workers, lambda pool, limit: run_points(
        job.spec, knob, values, job.opts, store, pool, limit, progress or (lambda _: None),
        job.rule), executor_kind, scheduler, say, on_interrupt)


def load(path: str | Path, rule: str | None = None) -> Results:
    """A results folder read back: the rows `toytasks table` prints."""
    store = ResultStore(Path(path), create=False)
    return Results(store.root, summarise(store.records(), get_rule(rule) if rule else None))
