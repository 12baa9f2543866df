"""The plan layer: every command expands into jobs, and one function runs them.

A ``Job`` is a task spec plus fully resolved run options and the solve rule: everything
the runner needs. ``toytasks run`` is one job, ``sweep`` one per knob value, ``suite`` one
per profile entry, and each study section the jobs its explanation asks for
(``toytasks.study.explanations``). ``run_jobs`` is the only loop over runs: it runs each job,
*confirms* it when asked (trains every seed at the depths that decide each row, so that
intervals rest on every seed asked for; the decisions do not change, since the rule reads
seeds in order) and summarises what each job touched.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace

from toytasks.reading.records import cell_key
from toytasks.reading.store import ResultStore
from toytasks.reading.summary import Row, summarise
from toytasks.running.preflight import check_job
from toytasks.running.progress import Event
from toytasks.running.runner import run_trials
from toytasks.running.schedule import confirm_depths, deciding
from toytasks.specs.options import RunOptions
from toytasks.specs.spec import TaskSpec
from toytasks.training.solve import SolveRule

Progress = Callable[[Event], None]
CONFIRM = "confirm"  # the announce line of a confirmation job
Workers = int | Callable[[], int]


@dataclass(frozen=True)
class Job:
    """One run: a task spec (knobs applied) and everything about how to train it."""

    spec: TaskSpec
    opts: RunOptions
    rule: SolveRule = field(default_factory=SolveRule)
    announce: str = ""  # a progress line printed before the job starts
    confirm: bool = False  # afterwards, train every seed at each row's decisive depths

    @property
    def confirms(self) -> bool:
        """Whether the finished job is confirmed (an exhaustive search counts every seed)."""
        return self.confirm and self.opts.search != "exhaustive"

    def describe(self) -> str:
        width = (f"width matched to {self.opts.match_params:,} params" if self.opts.match_params
                 else f"width {self.opts.width}")
        return (f"{self.spec.name}, archs {','.join(self.opts.archs)}, depths "
                f"{self.opts.min_depth}..{self.opts.max_depth}, {self.opts.seeds} seed(s), "
                f"{self.opts.max_steps} steps, {width}")


def preflight(job: Job) -> None:
    """Everything a job checks before it trains (plugins, knobs, seeds for the rule): the
    run and its dry run (``toytasks.cost.dryrun``) refuse the same jobs with the same line."""
    check_job(job.spec.generator, job.spec.make_generator(), job.opts.archs, job.opts.width,
              job.opts.knobs_for, (job.opts.min_depth, job.opts.max_depth))
    job.rule.check_seeds(job.opts.seeds)


def run_job(job: Job, store: ResultStore, executor: Executor, workers: Workers,
            progress: Progress = lambda _: None) -> list[Row]:
    """Run one job (and its confirmation); the summary rows of the cells it touched."""
    preflight(job)
    if job.announce:
        progress(job.announce)
    keys = run_trials(job.spec, job.opts, job.rule, store, executor, workers, progress)
    rows = _rows(store, job, keys)
    if job.confirms:
        for check in confirm_jobs(job, rows):
            run_job(check, store, executor, workers, progress)
    if not job.announce.startswith(CONFIRM):
        warn_below_rf_bound(rows)
    return rows


def warn_below_rf_bound(rows: Sequence[Row]) -> None:
    """The theory as a second guard: a depth below the receptive-field bound sees only the
    blind window, where the task is at chance, so solving there is impossible for an honest
    model; one line per such row (the table marks it too)."""
    for row in rows:
        if row.below_rf_bound:
            warnings.warn(f"{row.arch_label} solved {row.task} at depth {row.minimal_depth}, "
                          f"below its receptive-field bound {row.rf_bound} (blind window "
                          f"{row.blind_samples} samples): it uses information it cannot see "
                          "(a leak in the model, or a shortcut in the task: toytasks audit)",
                          stacklevel=2)


def run_jobs(jobs: Sequence[Job], store: ResultStore, executor: Executor, workers: Workers,
             progress: Progress = lambda _: None) -> list[list[Row]]:
    """Run ``jobs`` in order into one store; per job, the rows it touched."""
    return [run_job(job, store, executor, workers, progress) for job in jobs]


def on_device(jobs: Sequence[Job], device: str) -> list[Job]:
    """``jobs`` trained on ``device``, a trial device already checked (``Placement.device``
    from ``devices.plan_workers``); a profile or a study spec never names a device."""
    return [replace(job, opts=replace(job.opts, device=device)) for job in jobs]


def _rows(store: ResultStore, job: Job, keys: set[str]) -> list[Row]:
    return [row for row in summarise(store.records(), job.rule, seeds=job.opts.seeds)
            if cell_key(row.config, row.match_params) in keys]


def decisive_depths(row: Row) -> list[int]:
    """The cells that decide a row's minimal depth (``schedule.deciding``)."""
    return deciding(row.minimal_depth, row.depths)


def confirmations(job: Job, decided: Iterable[tuple[str, int | None, dict[int, int]]]
                  ) -> list[Job]:
    """The exhaustive one-depth jobs that confirm ``job``: every seed asked for at each
    decisive depth whose evidence counts fewer. ``decided``: per architecture, its minimal
    depth and the seeds counted per trained depth (a summary row's in a run, a search's in a
    dry run)."""
    return [confirm_job(job, arch, depth) for arch, minimal, counted in decided
            for depth in confirm_depths(minimal, counted, job.opts.seeds)]


def confirm_jobs(job: Job, rows: list[Row]) -> list[Job]:
    """``confirmations`` from the summary rows of a job's run: the evidence then counts all
    seeds, the decision is unchanged. A refused row is not confirmed: it has no decision,
    and more seeds of a model that leaks would only be refused again."""
    return confirmations(job, [(row.arch_label, row.minimal_depth,
                                {d: stats.seeds for d, stats in row.depths.items()})
                               for row in rows if not row.refused])


def confirm_job(job: Job, arch: str, depth: int) -> Job:
    """The exhaustive one-depth job that trains every seed of ``arch`` (an architecture or
    a variant: a row's ``arch_label``) at ``depth``."""
    return replace(job, opts=replace(job.opts, archs=(arch,), min_depth=depth,
                                     max_depth=depth, search="exhaustive"), confirm=False,
                   announce=f"{CONFIRM} {arch} depth {depth}: all {job.opts.seeds} seeds")
