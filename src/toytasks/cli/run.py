"""`toytasks run` and `toytasks sweep`: one task, one job (or one job per knob value)."""

from __future__ import annotations

import click

from toytasks import __version__
from toytasks.cli.common import (
    bounded,
    check_executor,
    cli_job,
    csv_list,
    describe_workers,
    dry_run_option,
    executor_options,
    exit_on_faults,
    interrupted,
    main,
    output_options,
    placement,
    print_dry_run,
    say,
    search_options,
    split_assignments,
    training_options,
)
from toytasks.errors import ToytasksError
from toytasks.specs.spec import load_spec, parse_assignments


@main.command()
@click.option("--task", "task_name", required=True, help="Task name or path to a .toml spec.")
@training_options
@click.option("--set", "assignments", multiple=True, metavar="KNOB=VALUE",
              help="Override a task knob, or an architecture knob as ARCH.KNOB=VALUE "
                   "(e.g. cnn.kernel=7); repeatable, or comma-separated.")
@output_options
@click.option("--diagnostics", is_flag=True,
              help="Record per-layer gradient norms, input gradient per lag and (with "
                   "--train-size) the train/held-out gap with each trial.")
@click.option("--train-size", type=bounded("train_size"), default=0,
              help="Train on a fixed set of N examples instead of fresh batches (0: fresh).")
@click.option("--test-lengths", "test_lengths", metavar="N,M",
              help="Also score each solved trial on sequences N (M, ...) times as long, "
                   "made longer by the task's prefix knob; one table column per length.")
@search_options
@executor_options
@dry_run_option
def run(task_name: str, arch: str | None, seeds: int | None, min_depth: int | None,
        max_depth: int | None, width: int | None, lr_text: str | None, steps: int | None,
        batch_size: int | None, assignments: tuple[str, ...], out: str | None,
        workers: int | None, device: str, workers_per_device: int | None,
        gpu_memory_fraction: float | None, tasks_dir: tuple[str, ...], fmt: str,
        quiet: bool, diagnostics: bool, train_size: int, test_lengths: str | None,
        rule_name: str, search: str, exhaustive: bool, match_params: int | None,
        executor_kind: str = "local",
        scheduler: str | None = None, dry_run: bool = False) -> None:
    """Train each architecture at increasing depth; print the minimal depth that solves."""
    from pathlib import Path

    from toytasks.api import run_job_in
    from toytasks.reading.store import ResultStore
    from toytasks.reading.table import render
    from toytasks.running.progress import make_progress
    from toytasks.specs.options import default_out

    check_executor(executor_kind, scheduler)
    spec = load_spec(task_name, tasks_dir)
    task_knobs, arch_knobs = split_assignments(parse_assignments(assignments))
    spec = spec.with_knobs(task_knobs)
    job = cli_job(spec, arch, seeds, min_depth, max_depth, width, lr_text, steps, batch_size,
                  device, rule_name, search, exhaustive, match_params, arch_knobs,
                  diagnostics=diagnostics, train_size=train_size,
                  test_lengths=csv_list(test_lengths, int, "--test-lengths"))
    where = placement(device, workers, workers_per_device, gpu_memory_fraction, executor_kind)
    opts = job.opts
    if dry_run:
        from toytasks.cost.dryrun import Group

        print_dry_run([Group(spec.name, [job], Path(out) if out else None)], where)
        return
    store = ResultStore(Path(out) if out else default_out(spec.name))
    say(f"toytasks {__version__}: {spec.name}, archs {','.join(opts.archs)}, depths "
        f"{opts.min_depth}..{opts.max_depth}, {opts.seeds} seed(s), "
        f"{describe_workers(where, executor_kind)}; results in {store.root}")
    progress = make_progress(quiet)
    try:
        rows = run_job_in(job, store, where, executor_kind, scheduler, progress, say,
                          lambda: interrupted(store))
    finally:
        progress.close()
    click.echo(render(rows, fmt))
    say(f"results: {store.root}")
    exit_on_faults(rows)


@main.command()
@click.option("--task", "task_name", required=True, help="Task name or path to a .toml spec.")
@click.option("--vary", "vary", required=True, metavar="KNOB=V1,V2,...",
              help="The knob to sweep and its values, e.g. period_samples=4,8,16, or an "
                   "architecture knob, e.g. cnn.kernel=3,5,9.")
@training_options
@click.option("--set", "assignments", multiple=True, metavar="KNOB=VALUE",
              help="Override another task knob, or an architecture knob ARCH.KNOB=VALUE "
                   "(repeatable, or comma-separated).")
@output_options
@search_options
@executor_options
@dry_run_option
def sweep(task_name: str, vary: str, arch: str | None, seeds: int | None,
          min_depth: int | None, max_depth: int | None, width: int | None,
          lr_text: str | None, steps: int | None, batch_size: int | None,
          assignments: tuple[str, ...], out: str | None, workers: int | None, device: str,
          workers_per_device: int | None, gpu_memory_fraction: float | None,
          tasks_dir: tuple[str, ...], fmt: str, quiet: bool, rule_name: str, search: str,
          exhaustive: bool, match_params: int | None, executor_kind: str = "local",
          scheduler: str | None = None, dry_run: bool = False) -> None:
    """Minimal depth at each value of one knob: rows architectures, columns values."""
    from pathlib import Path

    from toytasks.api import sweep_in
    from toytasks.reading.store import ResultStore
    from toytasks.reading.table import render_sweep
    from toytasks.running.progress import make_progress
    from toytasks.running.sweep import parse_vary, sweep_specs
    from toytasks.specs.options import default_out

    check_executor(executor_kind, scheduler)
    knob, values = parse_vary(vary)
    spec = load_spec(task_name, tasks_dir)
    overrides = parse_assignments(assignments)
    if knob in overrides:
        raise ToytasksError(f"knob '{knob}' is both varied (--vary) and fixed (--set)")
    task_knobs, arch_knobs = split_assignments(overrides)
    spec = spec.with_knobs(task_knobs)
    if "." not in knob:
        sweep_specs(spec, knob, values)  # a task knob: its values are checked first
    job = cli_job(spec, arch, seeds, min_depth, max_depth, width, lr_text, steps, batch_size,
                  device, rule_name, search, exhaustive, match_params, arch_knobs)
    where = placement(device, workers, workers_per_device, gpu_memory_fraction, executor_kind)
    opts = job.opts
    if dry_run:
        from toytasks.cost.dryrun import Group
        from toytasks.running.sweep import sweep_jobs

        jobs = [j for _, j in sweep_jobs(spec, knob, values, opts, job.rule)]
        print_dry_run([Group(f"sweep {knob}", jobs, Path(out) if out else None)], where)
        return
    store = ResultStore(Path(out) if out else default_out(spec.name, "sweep"))
    say(f"toytasks {__version__}: sweep {spec.name} over {knob}={','.join(values)}, archs "
        f"{','.join(opts.archs)}, depths {opts.min_depth}..{opts.max_depth}, {opts.seeds} "
        f"seed(s), {opts.search} search, {describe_workers(where, executor_kind)}; results in "
        f"{store.root}")
    progress = make_progress(quiet)
    try:
        points = sweep_in(job, knob, values, store, where, executor_kind, scheduler,
                          progress, say, lambda: interrupted(store))
    finally:
        progress.close()
    click.echo(render_sweep(points, knob, opts.archs, fmt))
    say(f"results: {store.root}")
    exit_on_faults([r for p in points for r in p.rows])
