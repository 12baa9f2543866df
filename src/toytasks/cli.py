"""The `toytasks` command: a thin click layer that parses, validates and calls the library.

Tables go to stdout; progress, logs and the results folder go to stderr. Every user error
is one line, `toytasks: error: ...`, with exit code 2 and no traceback.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from toytasks import __version__
from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES
from toytasks.spec import available_specs, load_spec, parse_assignments
from toytasks.tasks import GENERATORS

if TYPE_CHECKING:
    from toytasks.runner import RunOptions
    from toytasks.search import SolveRule
    from toytasks.spec import TaskSpec
    from toytasks.store import ResultStore

T = TypeVar("T")
RULE_NAMES = ("majority", "cp95")  # toytasks.search.RULES (not imported: keeps --help fast)
SEARCH_NAMES = ("adaptive", "linear", "exhaustive")  # toytasks.search.SEARCHES

TABLE_FORMATS = ("simple", "plain", "github", "markdown", "latex", "csv")


def _csv_list(value: str | None, kind: type, option: str) -> tuple:
    if value is None:
        return ()
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise ToytasksError(f"{option} needs at least one value")
    try:
        return tuple(kind(v) for v in items)
    except ValueError:
        raise ToytasksError(f"{option} expects comma-separated {kind.__name__} values, "
                            f"got {value!r}") from None


def _check_archs(archs: tuple[str, ...]) -> None:
    for arch in archs:
        if arch not in ARCHITECTURES:
            raise ToytasksError(
                f"unknown architecture '{arch}' (valid: {', '.join(ARCHITECTURES)})"
            )


def _say(message: str) -> None:
    click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="toytasks")
def main() -> None:
    """Minimal depth at which each architecture solves each synthetic task."""


@main.command("list")
@click.option("--task", "task_name", help="Show one task's knobs in full.")
@click.option("--tasks-dir", multiple=True, help="Extra folder of task TOML specs.")
def list_cmd(task_name: str | None, tasks_dir: tuple[str, ...]) -> None:
    """List tasks (with their knobs) and architectures."""
    from tabulate import tabulate

    specs = available_specs(tasks_dir)
    names = [task_name] if task_name else sorted(specs)
    click.echo("Tasks (toytasks run --task NAME --set knob=value):")
    for name in names:
        spec = load_spec(name, tasks_dir)
        task = spec.make_task()
        cls = GENERATORS[spec.generator]
        info = task.describe()
        click.echo(f"\n  {name}: {cls.summary}")
        click.echo(f"    spec {spec.path}; solved when {spec.threshold_text()} "
                   f"(baseline {info['baseline']:.4g}); span {info['span_samples']} samples, "
                   f"blind window {info['blind_samples']}, sequence {info['seq_len']}")
        rows = [[k.name, spec.knobs[k.name], k.unit, k.range_text(), k.doc] for k in cls.knobs]
        table = tabulate(rows, headers=["knob", "value", "unit", "allowed", "meaning"],
                         disable_numparse=True)
        click.echo("\n".join("    " + line for line in table.splitlines()))
    click.echo("\nArchitectures (--arch a,b,...):")
    rows = []
    for name, cls in ARCHITECTURES.items():
        rf = cls.receptive_field(1)
        rf_text = ", ".join(str(cls.receptive_field(d)) for d in (1, 2, 3, 4)) + ", ..." \
            if rf is not None else "unbounded"
        contrast = f"vs {cls.isolates[0]}: {cls.isolates[1]}" if cls.isolates else ""
        rows.append([name, cls.family, rf_text, cls.summary, contrast])
    table = tabulate(rows, headers=["arch", "family", "RF at depth 1,2,3,4", "what it is",
                                    "pair: the one property it changes"])
    click.echo("\n".join("  " + line for line in table.splitlines()))


def _search_options(func: Callable) -> Callable:
    """Options shared by `run` and `sweep`: how depths are searched and how solved is decided."""
    options = [
        click.option("--rule", "rule_name", type=click.Choice(sorted(RULE_NAMES)),
                     default="majority", show_default=True,
                     help="When a depth counts as solved: majority of seeds, or cp95 (95% "
                          "Clopper-Pearson lower bound of the success rate >= 0.5; needs "
                          ">= 10 seeds)."),
        click.option("--search", type=click.Choice(SEARCH_NAMES), default="adaptive",
                     show_default=True, help="Depth search: adaptive (gallop then bisect), "
                     "linear (1, 2, 3, ...) or exhaustive (the whole grid)."),
        click.option("--exhaustive", is_flag=True,
                     help="Same as --search exhaustive: every depth, seed and lr."),
        click.option("--match-params", type=click.IntRange(1, 10**9),
                     help="Per depth, the width whose parameter count is closest to this."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _apply_search_options(opts: RunOptions, rule_name: str, search: str, exhaustive: bool,
                          match_params: int | None, width: int | None) -> tuple[RunOptions,
                                                                                 SolveRule]:
    from dataclasses import replace

    from toytasks.search import get_rule

    if match_params and width:
        raise ToytasksError("--width and --match-params exclude each other")
    rule = get_rule(rule_name)
    rule.check_seeds(opts.seeds)
    return replace(opts, search="exhaustive" if exhaustive else search,
                   match_params=match_params or 0), rule


def _run_options(spec: TaskSpec, arch: str | None, seeds: int | None, min_depth: int | None,
                 max_depth: int | None, width: int | None, lr_text: str | None,
                 steps: int | None, batch_size: int | None, device: str) -> RunOptions:
    """The spec's defaults overridden by the command line, validated."""
    from dataclasses import replace

    from toytasks.runner import default_options

    opts = default_options(spec)
    archs = _csv_list(arch, str, "--arch") or opts.archs
    _check_archs(archs)
    opts = replace(
        opts, archs=archs, seeds=seeds or opts.seeds,
        min_depth=min_depth or opts.min_depth, max_depth=max_depth or opts.max_depth,
        width=width or opts.width, lrs=_csv_list(lr_text, float, "--lr") or opts.lrs,
        max_steps=steps or opts.max_steps, batch_size=batch_size or opts.batch_size,
        device=_check_device(device),
    )
    if opts.min_depth > opts.max_depth:
        raise ToytasksError(f"--min-depth {opts.min_depth} is larger than --max-depth "
                            f"{opts.max_depth}")
    if any(not 0 < lr <= 10 for lr in opts.lrs):
        raise ToytasksError(f"--lr values must be in (0, 10], got {lr_text}")
    return opts


def _executor_options(func: Callable) -> Callable:
    """--executor / --scheduler, shared by run, suite and sweep (docs/cluster.md)."""
    func = click.option(
        "--scheduler", metavar="ADDRESS",
        help="Dask scheduler to run on, e.g. tcp://host:8786 (with --executor dask; "
             "default: start a local cluster on 127.0.0.1).")(func)
    return click.option(
        "--executor", "executor_kind", type=click.Choice(("local", "dask")), default="local",
        show_default=True, help="local: process pool; dask: a Dask cluster.")(func)


def _open_executor(kind: str, scheduler: str | None,
                   workers: int | None) -> tuple[Executor, int | Callable[[], int]]:
    """The executor and how many trials to keep in flight (a callable: asked each time)."""
    from toytasks.executor import default_workers, make_executor

    if kind == "local":
        if scheduler:
            raise ToytasksError("--scheduler needs --executor dask")
        n_workers = workers or default_workers()
        return make_executor(n_workers), n_workers
    from toytasks import cluster

    executor = cluster.start(scheduler, workers or (0 if scheduler else default_workers()),
                             say=_say)
    return executor, executor.capacity


def _stack(*decorators: Callable) -> Callable:
    """Apply several click options as one decorator (options shared by commands)."""
    def apply(func: Callable) -> Callable:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func
    return apply


_training_options = _stack(
    click.option("--arch", help="Comma-separated architectures (default: the spec's)."),
    click.option("--seeds", type=click.IntRange(1, 1000), help="Seeds per depth."),
    click.option("--min-depth", type=click.IntRange(1, 256), help="First depth to train."),
    click.option("--max-depth", type=click.IntRange(1, 256), help="Last depth to train."),
    click.option("--width", type=click.IntRange(1, 4096), help="Channels / hidden size."),
    click.option("--lr", "lr_text", help="Learning rate, or a comma-separated grid (best of)."),
    click.option("--steps", type=click.IntRange(1, 10**7), help="Training step budget."),
    click.option("--batch-size", type=click.IntRange(1, 65536), help="Batch size."),
)
_output_options = _stack(
    click.option("--out", type=click.Path(file_okay=False),
                 help="Results folder (reused: resume)."),
    click.option("--workers", type=click.IntRange(1, 256),
                 help="Parallel trials (default: cores)."),
    click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N."),
    click.option("--tasks-dir", multiple=True, help="Extra folder of task TOML specs."),
    click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS), default="simple",
                 show_default=True, help="Table format."),
    click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr."),
)


@main.command()
@click.option("--task", "task_name", required=True, help="Task name or path to a .toml spec.")
@_training_options
@click.option("--set", "assignments", multiple=True, metavar="KNOB=VALUE",
              help="Override a task knob (repeatable, or comma-separated).")
@_output_options
@click.option("--diagnostics", is_flag=True,
              help="Record per-layer gradient norms, input gradient per lag and (with "
                   "--train-size) the train/held-out gap with each trial.")
@click.option("--train-size", type=click.IntRange(0, 10**7), default=0,
              help="Train on a fixed set of N examples instead of fresh batches (0: fresh).")
@_search_options
@_executor_options
def run(task_name: str, arch: str | None, seeds: int | None, min_depth: int | None,
        max_depth: int | None, width: int | None, lr_text: str | None, steps: int | None,
        batch_size: int | None, assignments: tuple[str, ...], out: str | None,
        workers: int | None, device: str, tasks_dir: tuple[str, ...], fmt: str,
        quiet: bool, diagnostics: bool, train_size: int, rule_name: str, search: str,
        exhaustive: bool, match_params: int | None, executor_kind: str = "local",
        scheduler: str | None = None) -> None:
    """Train each architecture at increasing depth; print the minimal depth that solves."""
    from toytasks.progress import make_progress
    from toytasks.runner import run as run_search
    from toytasks.store import ResultStore
    from toytasks.table import render

    spec = load_spec(task_name, tasks_dir)
    spec = spec.with_knobs(parse_assignments(assignments))
    opts = _run_options(spec, arch, seeds, min_depth, max_depth, width, lr_text, steps,
                        batch_size, device)
    opts, rule = _apply_search_options(opts, rule_name, search, exhaustive, match_params, width)
    opts = dataclasses.replace(opts, diagnostics=diagnostics, train_size=train_size)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    store = ResultStore(Path(out) if out else Path("results") / f"{spec.name}-{stamp}")
    _say(f"toytasks {__version__}: {spec.name}, archs {','.join(opts.archs)}, depths "
         f"{opts.min_depth}..{opts.max_depth}, {opts.seeds} seed(s); results in {store.root}")
    progress = make_progress(quiet)
    try:
        rows = _execute(store, workers, lambda executor, limit: run_search(
            spec, opts, store, executor, limit, progress=progress, rule=rule),
            executor_kind, scheduler)
    finally:
        progress.close()
    click.echo(render(rows, fmt))
    _say(f"results: {store.root}")


def _execute(store: ResultStore, workers: int | None,
             body: Callable[[Executor, int | Callable[[], int]], T],
             executor_kind: str = "local", scheduler: str | None = None) -> T:
    """Run ``body(executor, trials in flight)`` while holding the results folder.

    Ctrl-C stops scheduling, ends running trials (what is finished is already stored) and
    prints the exact command that resumes; any error abandons the workers before the
    one-line message, so nothing is left running.
    """
    with store.lock():
        executor, limit = _open_executor(executor_kind, scheduler, workers)
        try:
            result = body(executor, limit)
        except KeyboardInterrupt:
            _abandon(executor)
            _say(f"interrupted: {len(store)} finished trial(s) are kept in {store.root}; "
                 f"resume with: {_resume_command(store.root)}")
            sys.exit(130)
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


def _resume_command(root: Path) -> str:
    import shlex

    args = sys.argv[1:]
    if "--out" not in args and not any(a.startswith("--out=") for a in args):
        args = [*args, "--out", str(root)]
    return "toytasks " + " ".join(shlex.quote(a) for a in args)


def _check_device(device: str) -> str:
    if device == "cpu":
        return device
    if not device.startswith("cuda"):
        raise ToytasksError(f"unknown device '{device}' (valid: cpu, cuda, cuda:N)")
    import torch

    if not torch.cuda.is_available():
        raise ToytasksError(f"--device {device}: no CUDA GPU is available here")
    return device


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS), default="simple",
              show_default=True, help="Table format (latex: booktabs table floats).")
@click.option("--by", type=click.Choice(("task", "arch")), default="task", show_default=True,
              help="One table per task configuration, or one per architecture.")
def table(results_dir: str, fmt: str, by: str) -> None:
    """Render the minimal-depth table(s) of a results folder (same store: same bytes)."""
    from toytasks.store import ResultStore
    from toytasks.summary import summarise
    from toytasks.table import render

    store = ResultStore(results_dir, create=False)
    click.echo(render(summarise(store.records()), fmt, by))


# --- results that last: baseline, check, suite (docs/results.md) ------------------------
@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False))
@click.option("--write", "write_path", required=True, type=click.Path(dir_okay=False),
              help="Baseline JSON file to write (replaced if it exists).")
def baseline(results_dir: str, write_path: str) -> None:
    """Write the findings of a results folder as a small, reviewable baseline JSON."""
    from toytasks.regress import build_baseline, write_baseline
    from toytasks.store import ResultStore
    from toytasks.summary import summarise

    rows = summarise(ResultStore(results_dir, create=False).records())
    if not rows:
        raise ToytasksError(f"'{results_dir}' holds no trial results to baseline")
    data = build_baseline(rows)
    write_baseline(Path(write_path), data)
    cells = sum(len(t["cells"]) for t in data["tables"])
    _say(f"baseline: {cells} cell(s) in {len(data['tables'])} table(s) written to {write_path}")


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False))
@click.option("--baseline", "baseline_path", required=True, type=click.Path(dir_okay=False),
              help="Baseline JSON written by `toytasks baseline`.")
@click.option("--depth-tolerance", type=click.IntRange(0, 256), default=0, show_default=True,
              help="Allowed change in a solved cell's minimal depth.")
@click.option("--success-tolerance", type=click.IntRange(0, 1000), default=0,
              show_default=True, help="Allowed change in successes (and failures) per cell.")
def check(results_dir: str, baseline_path: str, depth_tolerance: int,
          success_tolerance: int) -> None:
    """Compare a results folder with a baseline; exit 1 and list the cells that moved."""
    from toytasks.regress import compare, load_baseline
    from toytasks.store import ResultStore
    from toytasks.summary import summarise

    data = load_baseline(Path(baseline_path))
    rows = summarise(ResultStore(results_dir, create=False).records())
    findings, matched = compare(data, rows, depth_tolerance, success_tolerance)
    tolerance = f"depth tolerance {depth_tolerance}, success tolerance {success_tolerance}"
    if findings:
        click.echo(f"toytasks check: {len(findings)} finding(s) changed against "
                   f"{baseline_path} ({tolerance}); {matched} cell(s) match:")
        for finding in findings:
            click.echo(f"  {finding}")
        click.echo("If the change is intended, review it and update the baseline with "
                   f"`toytasks baseline {results_dir} --write {baseline_path}`.")
        sys.exit(1)
    click.echo(f"toytasks check: all {matched} cell(s) match {baseline_path} ({tolerance})")


@main.command()
@click.argument("profile")
@click.option("--out", type=click.Path(file_okay=False), help="Results folder (reused: resume).")
@click.option("--workers", type=click.IntRange(1, 256), help="Parallel trials (default: cores).")
@click.option("--tasks-dir", multiple=True, help="Extra folder of task TOML specs.")
@click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS), default="simple",
              show_default=True, help="Table format.")
@click.option("--by", type=click.Choice(("task", "arch")), default="task", show_default=True,
              help="One table per task configuration, or one per architecture.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
@_executor_options
def suite(profile: str, out: str | None, workers: int | None, tasks_dir: tuple[str, ...],
          fmt: str, by: str, quiet: bool, executor_kind: str = "local",
          scheduler: str | None = None) -> None:
    """Run every entry of a profile (profiles/NAME.toml or a path) into one results folder."""
    import time

    from toytasks.executor import default_workers
    from toytasks.progress import make_progress
    from toytasks.runner import run as run_search
    from toytasks.store import ResultStore
    from toytasks.suite import load_profile
    from toytasks.summary import summarise
    from toytasks.table import render

    prof = load_profile(profile, tasks_dir)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    store = ResultStore(Path(out) if out else Path("results") / f"suite-{prof.name}-{stamp}")
    where = f"{workers or default_workers()} worker(s)" if executor_kind == "local" else "dask"
    _say(f"toytasks {__version__}: profile {prof.name} ({len(prof.runs)} run(s), "
         f"{where}); results in {store.root}")
    start = time.perf_counter()

    progress = make_progress(quiet)

    def run_all(executor: Executor, limit: int | Callable[[], int]) -> None:
        for i, entry in enumerate(prof.runs, start=1):
            progress(f"[run {i}/{len(prof.runs)}] {entry.describe()}")
            run_search(entry.spec, entry.opts, store, executor, limit, progress=progress)

    try:
        _execute(store, workers, run_all, executor_kind, scheduler)
    finally:
        progress.close()
    click.echo(render(summarise(store.records()), fmt, by))
    _say(f"profile {prof.name}: {time.perf_counter() - start:.0f}s; results: {store.root}")


@main.command()
@click.option("--task", "task_name", required=True, help="Task name or path to a .toml spec.")
@click.option("--vary", "vary", required=True, metavar="KNOB=V1,V2,...",
              help="The knob to sweep and its values, e.g. period_samples=4,8,16.")
@_training_options
@click.option("--set", "assignments", multiple=True, metavar="KNOB=VALUE",
              help="Override another task knob (repeatable, or comma-separated).")
@_output_options
@_search_options
@_executor_options
def sweep(task_name: str, vary: str, arch: str | None, seeds: int | None,
          min_depth: int | None, max_depth: int | None, width: int | None,
          lr_text: str | None, steps: int | None, batch_size: int | None,
          assignments: tuple[str, ...], out: str | None, workers: int | None, device: str,
          tasks_dir: tuple[str, ...], fmt: str, quiet: bool, rule_name: str, search: str,
          exhaustive: bool, match_params: int | None, executor_kind: str = "local",
          scheduler: str | None = None) -> None:
    """Minimal depth at each value of one knob: rows architectures, columns values."""
    from toytasks.progress import make_progress
    from toytasks.store import ResultStore
    from toytasks.sweep import parse_vary, render_sweep, run_sweep, sweep_specs

    knob, values = parse_vary(vary)
    spec = load_spec(task_name, tasks_dir)
    overrides = parse_assignments(assignments)
    if knob in overrides:
        raise ToytasksError(f"knob '{knob}' is both varied (--vary) and fixed (--set)")
    spec = spec.with_knobs(overrides)
    sweep_specs(spec, knob, values)  # validate every value before training anything
    opts = _run_options(spec, arch, seeds, min_depth, max_depth, width, lr_text, steps,
                        batch_size, device)
    opts, rule = _apply_search_options(opts, rule_name, search, exhaustive, match_params, width)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    store = ResultStore(Path(out) if out else Path("results") / f"{spec.name}-sweep-{stamp}")
    _say(f"toytasks {__version__}: sweep {spec.name} over {knob}={','.join(values)}, archs "
         f"{','.join(opts.archs)}, depths {opts.min_depth}..{opts.max_depth}, {opts.seeds} "
         f"seed(s), {opts.search} search; results in {store.root}")
    progress = make_progress(quiet)
    try:
        points = _execute(store, workers, lambda executor, limit: run_sweep(
            spec, knob, values, opts, store, executor, limit, progress, rule),
            executor_kind, scheduler)
    finally:
        progress.close()
    click.echo(render_sweep(points, knob, opts.archs, fmt))
    _say(f"results: {store.root}")


# --- figures (docs/ablations.md) -------------------------------------------------------
@main.command()
@click.option("--task", "task_name", required=True, help="Task name or path to a .toml spec.")
@click.option("--set", "assignments", multiple=True, metavar="KNOB=VALUE",
              help="Override a task knob (repeatable, or comma-separated).")
@click.option("--out", type=click.Path(dir_okay=False), help="Figure file (.png, .svg or "
              ".pdf; default: TASK-examples.png).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True,
              help="Seed of the examples drawn.")
@click.option("--tasks-dir", multiple=True, help="Extra folder of task TOML specs.")
def show(task_name: str, assignments: tuple[str, ...], out: str | None, seed: int,
         tasks_dir: tuple[str, ...]) -> None:
    """Draw a positive and a negative example of a task, the deciding span marked."""
    from toytasks.figures import task_examples

    spec = load_spec(task_name, tasks_dir).with_knobs(parse_assignments(assignments))
    path = task_examples(spec.make_task(), out or f"{spec.name}-examples.png", seed=seed,
                         title=f"{spec.name}: {spec.description}" if spec.description else "")
    _say(f"wrote {path}")


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), required=True,
              help="Folder for the figures.")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png",
              show_default=True, help="Figure format.")
def plot(results_dir: str, out: str, fmt: str) -> None:
    """Write every figure a results folder supports: success vs depth, minimal depth vs a
    swept knob, and (for --diagnostics runs) input gradient by lag and per-layer norms."""
    from toytasks.figures import store_figures
    from toytasks.store import ResultStore
    from toytasks.summary import summarise

    store = ResultStore(results_dir, create=False)
    records = store.records()
    for path in store_figures(records, summarise(records), out, fmt):
        click.echo(str(path))



# --- studies and reports: explanations (a)-(e) (docs/report.md) ---------------------------
@main.command()
@click.argument("spec_name", metavar="SPEC")
@click.option("--profile", default="quick", show_default=True,
              help="Profile of the study spec (e.g. quick, paper).")
@click.option("--out", type=click.Path(file_okay=False),
              help="Study folder (reused: resume); default results/study-NAME-PROFILE.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False),
              help="Where to write the report (default: OUT/report).")
@click.option("--only", help="Comma-separated explanations to run (default: all in the spec).")
@click.option("--workers", type=click.IntRange(1, 256), help="Parallel trials (default: cores).")
@click.option("--tasks-dir", multiple=True, help="Extra folder of task TOML specs.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
def study(spec_name: str, profile: str, out: str | None, report_dir: str | None,
          only: str | None, workers: int | None, tasks_dir: tuple[str, ...],
          quiet: bool) -> None:
    """Run a study spec (experiments/NAME.toml or a path) at a profile, then write its
    report: one section and one verdict per explanation (a)-(e)."""
    import time

    from toytasks.executor import default_workers
    from toytasks.progress import make_progress
    from toytasks.report import load_sections, verdict_table, write_report
    from toytasks.store import ResultStore
    from toytasks.study import load_study, run_experiment, store_dir, write_manifest

    spec = load_study(spec_name, profile, tasks_dir)
    letters = _csv_list(only, str, "--only") or tuple(e.letter for e in spec.experiments)
    unknown = [x for x in letters if x not in {e.letter for e in spec.experiments}]
    if unknown:
        raise ToytasksError(f"--only: '{unknown[0]}' is not a section of {spec.path} "
                            f"(valid: {', '.join(e.letter for e in spec.experiments)})")
    root = Path(out) if out else Path("results") / f"study-{spec.name}-{profile}"
    write_manifest(spec, root)
    n_workers = workers or default_workers()
    _say(f"toytasks {__version__}: study {spec.name}, profile {profile}, explanations "
         f"{','.join(letters)}, {n_workers} worker(s); results in {root}")
    start = time.perf_counter()
    progress = make_progress(quiet)
    try:
        for exp in spec.experiments:
            if exp.letter in letters:
                store = ResultStore(store_dir(root, exp.letter))
                progress(f"({exp.letter}) {exp.spec.name}, archs {','.join(exp.opts.archs)}")
                _execute(store, n_workers, lambda executor, limit, e=exp, s=store:
                         run_experiment(e, s, executor, limit, progress))
    finally:
        progress.close()
    path = write_report(root, Path(report_dir) if report_dir else root / "report")
    click.echo(verdict_table(load_sections(root)[1], "simple"))
    _say(f"study {spec.name} ({profile}): {time.perf_counter() - start:.0f}s; results: {root}; "
         f"report: {path}")


@main.command()
@click.argument("study_dir", type=click.Path(file_okay=False))
@click.option("--out", type=click.Path(file_okay=False),
              help="Folder for report.md and figures/ (default: STUDY_DIR/report).")
@click.option("--no-figures", is_flag=True, help="Tables and verdicts only.")
def report(study_dir: str, out: str | None, no_figures: bool) -> None:
    """Write the Markdown report of a study folder (verdicts computed from its results)."""
    from toytasks.report import load_sections, verdict_table, write_report

    path = write_report(study_dir, Path(out) if out else Path(study_dir) / "report",
                        figures=not no_figures)
    click.echo(verdict_table(load_sections(Path(study_dir))[1], "simple"))
    _say(f"report: {path}")

def entry(argv: list[str] | None = None) -> None:
    """Console entry point: one-line errors with exit code 2, never a traceback."""
    import warnings

    warnings.formatwarning = lambda message, *_args, **_kw: f"toytasks: warning: {message}\n"
    try:
        main.main(args=argv, prog_name="toytasks", standalone_mode=False)
    except ToytasksError as exc:
        click.echo(f"toytasks: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("toytasks: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"toytasks: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
