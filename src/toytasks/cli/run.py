"""`toytasks run` and `toytasks sweep`: one task, one job (or one job per knob value).

The commands turn click's values into a ``RunRequest`` and hand it to
``toytasks.running.launch``, the code ``toytasks.run`` and ``run_sweep`` call too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from toytasks import __version__
from toytasks.cli.common import (
    bounded,
    csv_list,
    describe_workers,
    dry_run_option,
    executor_options,
    exit_on_faults,
    interrupted,
    main,
    output_options,
    print_dry_run,
    say,
    search_options,
    training_options,
)

if TYPE_CHECKING:
    from toytasks.running.launch import Launch, RunRequest

CLI_ONLY = ("fmt", "quiet", "dry_run", "best_depth")  # how to show a run, not what it is
best_depth_option = click.option(
    "--best-depth", "best_depth", is_flag=True,
    help="Show the best depth at the budget instead of the minimal depth: mean held-out "
         "metric per depth with a 95% t-interval over seeds, and the depths not separated "
         "from the best (needs --exhaustive).")


def check_best_depth(options: dict[str, Any]) -> None:
    """A ranking of depths needs every depth: refuse a search that trains only some."""
    if options.get("best_depth") and not (options["exhaustive"]
                                          or options["search"] == "exhaustive"):
        from toytasks.errors import ToytasksError

        raise ToytasksError(f"--best-depth needs every depth trained: add --exhaustive (the "
                            f"{options['search']} search trains only some depths)")


def cli_request(options: dict[str, Any]) -> RunRequest:
    """click's values (types and ranges already checked) as a ``RunRequest``."""
    from toytasks.running.launch import RunRequest
    from toytasks.specs.spec import parse_assignments

    given = {k: v for k, v in options.items() if k not in CLI_ONLY}
    exhaustive, search = given.pop("exhaustive"), given.pop("search")
    out = given.pop("out")
    return RunRequest(
        task=given.pop("task_name"), arch=csv_list(given.pop("arch"), str, "--arch"),
        knobs=parse_assignments(given.pop("assignments")),
        lr=csv_list(given.pop("lr_text"), float, "--lr"), rule=given.pop("rule_name"),
        search="exhaustive" if exhaustive else search, executor=given.pop("executor_kind"),
        out=Path(out) if out else None, tasks_dir=tuple(given.pop("tasks_dir")),
        test_lengths=csv_list(given.pop("test_lengths", None), int, "--test-lengths"),
        **given)


def start(options: dict[str, Any], header: Callable[[Launch], str]) -> tuple[Launch, Any]:
    """Check everything, then print the dry run (no result) or run with progress on
    stderr; Ctrl-C keeps what is finished and prints the command that resumes."""
    from toytasks.running.launch import launch, prepare
    from toytasks.running.progress import make_progress

    check_best_depth(options)
    req = cli_request(options)
    plan = prepare(req)
    if options["dry_run"]:
        from toytasks.cost.dryrun import Group
        from toytasks.running.sweep import sweep_jobs

        job = plan.job
        jobs = ([j for _, j in sweep_jobs(job.spec, plan.knob, list(plan.values), job.opts,
                                          job.rule)] if plan.knob else [job])
        name = f"sweep {plan.knob}" if plan.knob else job.spec.name
        print_dry_run([Group(name, jobs, req.out)], plan.placement)
        return plan, None
    progress = make_progress(options["quiet"])
    try:
        return plan, launch(plan, progress, say, interrupted, lambda _: say(header(plan)))
    finally:
        progress.close()


def _archs_depths_seeds(plan: Launch) -> str:
    opts = plan.job.opts
    return (f"archs {','.join(opts.archs)}, depths {opts.min_depth}..{opts.max_depth}, "
            f"{opts.seeds} seed(s)")


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
@best_depth_option
@executor_options
@dry_run_option
def run(**options: Any) -> None:
    """Train each architecture at increasing depth; print the minimal depth that solves."""
    from toytasks.reading.best_depth import render_best
    from toytasks.reading.table import render

    def header(plan: Launch) -> str:
        return (f"toytasks {__version__}: {plan.job.spec.name}, {_archs_depths_seeds(plan)}, "
                f"{describe_workers(plan.placement, plan.executor)}; results in {plan.root}")

    plan, rows = start(options, header)
    if rows is not None:
        opts = plan.job.opts
        click.echo(render_best(rows, options["fmt"], range(opts.min_depth, opts.max_depth + 1))
                   if options["best_depth"] else render(rows, options["fmt"]))
        say(f"results: {plan.root}")
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
@best_depth_option
@executor_options
@dry_run_option
def sweep(**options: Any) -> None:
    """Minimal depth at each value of one knob: rows architectures, columns values."""
    from toytasks.reading.best_depth import render_best_sweep
    from toytasks.reading.table import render_sweep

    def header(plan: Launch) -> str:
        return (f"toytasks {__version__}: sweep {plan.job.spec.name} over {plan.knob}="
                f"{','.join(plan.values)}, {_archs_depths_seeds(plan)}, {plan.job.opts.search} "
                f"search, {describe_workers(plan.placement, plan.executor)}; results in "
                f"{plan.root}")

    plan, points = start(options, header)
    if points is not None:
        opts = plan.job.opts
        click.echo(render_best_sweep(points, plan.knob, opts.archs, options["fmt"],
                                     range(opts.min_depth, opts.max_depth + 1))
                   if options["best_depth"] else
                   render_sweep(points, plan.knob, opts.archs, options["fmt"]))
        say(f"results: {plan.root}")
        exit_on_faults([r for p in points for r in p.rows])
