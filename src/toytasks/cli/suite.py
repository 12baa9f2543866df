"""`toytasks suite PROFILE`: every entry of a profile, one job each, into one results folder."""

from __future__ import annotations

import click

from toytasks import __version__
from toytasks.cli.common import (
    TABLE_FORMATS,
    check_executor,
    describe_workers,
    device_options,
    dry_run_option,
    execute,
    executor_options,
    exit_on_faults,
    main,
    placement,
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
    from pathlib import Path

    from toytasks.reading.store import ResultStore
    from toytasks.reading.summary import summarise
    from toytasks.reading.table import render
    from toytasks.running.plan import on_device, run_jobs
    from toytasks.running.progress import make_progress
    from toytasks.running.suite import load_profile
    from toytasks.specs.options import default_out

    check_executor(executor_kind, scheduler)
    where = placement(device, workers, workers_per_device, gpu_memory_fraction, executor_kind)
    prof = load_profile(profile, tasks_dir)
    if dry_run:
        from toytasks.cost.dryrun import Group

        print_dry_run([Group(prof.name, on_device(prof.jobs(), device),
                             Path(out) if out else None)], where)
        return
    store = ResultStore(Path(out) if out else default_out("suite", prof.name))
    say(f"toytasks {__version__}: profile {prof.name} ({len(prof.runs)} run(s), "
        f"{describe_workers(where, executor_kind)}); results in {store.root}")
    start = time.perf_counter()
    progress = make_progress(quiet)
    try:
        execute(store, where, lambda executor, limit: run_jobs(
            on_device(prof.jobs(), device), store, executor, limit, progress),
            executor_kind, scheduler)
    finally:
        progress.close()
    rows = summarise(store.records())
    click.echo(render(rows, fmt, by))
    say(f"profile {prof.name}: {time.perf_counter() - start:.0f}s; results: {store.root}")
    exit_on_faults(rows)
