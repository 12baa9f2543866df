"""`toytasks suite PROFILE`: every entry of a profile, one job each, into one results folder."""

from __future__ import annotations

import click

from toytasks import __version__
from toytasks.cli.common import (
    TABLE_FORMATS,
    describe_workers,
    device_options,
    dry_run_option,
    executor_options,
    exit_on_faults,
    interrupted,
    main,
    print_dry_run,
    quiet_option,
    say,
    tasks_dir_option,
)


@main.command()
@click.argument("profile")
@click.option("--out", type=click.Path(file_okay=False), help="Results folder (reused: resume).")
@device_options
@tasks_dir_option
@click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS), default="simple",
              show_default=True, help="Table format.")
@click.option("--by", type=click.Choice(("task", "arch")), default="task", show_default=True,
              help="One table per task configuration, or one per architecture.")
@quiet_option
@executor_options
@dry_run_option
def suite(profile: str, out: str | None, workers: int | None, device: str,
          workers_per_device: int | None, gpu_memory_fraction: float | None,
          tasks_dir: tuple[str, ...], fmt: str, by: str, quiet: bool,
          executor_kind: str = "local", scheduler: str | None = None,
          dry_run: bool = False) -> None:
    """Run every entry of a profile (profiles/NAME.toml or a path) into one results folder."""
    import time
    from concurrent.futures import Executor
    from pathlib import Path

    from toytasks.reading.records import TrialRecord
    from toytasks.reading.store import ResultStore
    from toytasks.reading.summary import summarise
    from toytasks.reading.table import render
    from toytasks.running.devices import plan_workers
    from toytasks.running.launch import execute
    from toytasks.running.plan import Workers, on_device, run_jobs
    from toytasks.running.progress import make_progress
    from toytasks.running.suite import load_profile
    from toytasks.specs.options import default_out

    where = plan_workers(device, workers, workers_per_device, gpu_memory_fraction,
                         executor_kind, scheduler)
    prof = load_profile(profile, tasks_dir)
    if dry_run:
        from toytasks.cost.dryrun import Group

        print_dry_run([Group(prof.name, on_device(prof.jobs(), where.device),
                             Path(out) if out else None)], where)
        return
    root = Path(out) if out else default_out("suite", prof.name)
    header = (f"toytasks {__version__}: profile {prof.name} ({len(prof.runs)} run(s), "
              f"{describe_workers(where, executor_kind)}); results in {root}")
    start = time.perf_counter()
    progress = make_progress(quiet)

    def run_all(store: ResultStore, executor: Executor, limit: Workers) -> list[TrialRecord]:
        run_jobs(on_device(prof.jobs(), where.device), store, executor, limit, progress)
        return store.records()

    try:
        records = execute(root, where, run_all, executor_kind, scheduler, say, interrupted,
                          lambda _: say(header))
    finally:
        progress.close()
    rows = summarise(records)
    click.echo(render(rows, fmt, by))
    say(f"profile {prof.name}: {time.perf_counter() - start:.0f}s; results: {root}")
    exit_on_faults(rows)
