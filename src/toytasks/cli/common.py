"""What the command groups share: the click group, shared options, option parsing into a
``Job``, and running jobs on an executor while holding the results folder.

Tables go to stdout; progress, logs and the results folder go to stderr. Every user error
is one line, `toytasks: error: ...`, with exit code 2 and no traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from toytasks import __version__
from toytasks.errors import ToytasksError
from toytasks.models import check_arch_knobs, get_architecture
from toytasks.options import BOUNDS, LR_MAX, resolve

if TYPE_CHECKING:
    from toytasks.plan import Job
    from toytasks.spec import TaskSpec
    from toytasks.store import ResultStore

T = TypeVar("T")
RULE_NAMES = ("majority", "cp95")  # toytasks.solve.RULES (not imported: keeps --help fast)
SEARCH_NAMES = ("adaptive", "linear", "exhaustive")  # toytasks.search.SEARCHES

TABLE_FORMATS = ("simple", "plain", "github", "markdown", "latex", "csv")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="toytasks")
def main() -> None:
    """Minimal depth at which each architecture solves each synthetic task."""


def bounded(key: str) -> click.IntRange:
    """click's range for an integer option, from the one table (toytasks.options.BOUNDS)."""
    return click.IntRange(*BOUNDS[key])


def csv_list(value: str | None, kind: type, option: str) -> tuple:
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


def check_archs(archs: tuple[str, ...]) -> None:
    for arch in archs:
        get_architecture(arch)  # a built-in, or a plugin that imports and has the protocol


def arch_knob_triples(values: dict[str, str], archs: tuple[str, ...],
                      where: str = "--set") -> tuple[tuple[str, str, object], ...]:
    """``{'cnn.kernel': '7'}`` -> (('cnn', 'kernel', 7),), validated by the knob schema.

    The architecture must be one the run trains: a knob for another would do nothing."""
    out = []
    for key, value in values.items():
        arch, _, knob = key.rpartition(".")
        if arch not in archs:
            raise ToytasksError(f"{where} {key}: architecture '{arch}' is not in this run "
                                f"(archs: {', '.join(archs)})")
        out.append((arch, knob, check_arch_knobs(arch, {knob: value}, f"{where} {key}")[knob]))
    return tuple(sorted(out, key=lambda t: (t[0], t[1])))


def split_assignments(values: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """``--set`` values: task knobs (``KNOB=V``) and architecture knobs (``ARCH.KNOB=V``)."""
    task = {k: v for k, v in values.items() if "." not in k}
    return task, {k: v for k, v in values.items() if "." in k}


def say(message: str) -> None:
    click.echo(message, err=True)


def stack(*decorators: Callable) -> Callable:
    """Apply several click options as one decorator (options shared by commands)."""
    def apply(func: Callable) -> Callable:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func
    return apply


search_options = stack(  # run and sweep: how depths are searched and how solved is decided
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
    click.option("--match-params", type=bounded("match_params"),
                 help="Per depth, the width whose parameter count is closest to this."),
)
executor_options = stack(  # run, suite and sweep (docs/cluster.md)
    click.option("--executor", "executor_kind", type=click.Choice(("local", "dask")),
                 default="local", show_default=True,
                 help="local: process pool; dask: a Dask cluster."),
    click.option("--scheduler", metavar="ADDRESS",
                 help="Dask scheduler to run on, e.g. tcp://host:8786 (with --executor dask; "
                      "default: start a local cluster on 127.0.0.1)."),
)
training_options = stack(
    click.option("--arch", help="Comma-separated architectures (default: the spec's)."),
    click.option("--seeds", type=bounded("seeds"), help="Seeds per depth."),
    click.option("--min-depth", type=bounded("min_depth"), help="First depth to train."),
    click.option("--max-depth", type=bounded("max_depth"), help="Last depth to train."),
    click.option("--width", type=bounded("width"), help="Channels / hidden size."),
    click.option("--lr", "lr_text", help="Learning rate, or a comma-separated grid (best of)."),
    click.option("--steps", type=bounded("steps"), help="Training step budget."),
    click.option("--batch-size", type=bounded("batch_size"), help="Batch size."),
)
workers_option = click.option("--workers", type=bounded("workers"),
                              help="Parallel trials (default: cores).")
tasks_dir_option = click.option("--tasks-dir", multiple=True,
                                help="Extra folder of task TOML specs.")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
output_options = stack(
    click.option("--out", type=click.Path(file_okay=False),
                 help="Results folder (reused: resume)."),
    workers_option,
    click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N."),
    tasks_dir_option,
    click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS), default="simple",
                 show_default=True, help="Table format."),
    quiet_option,
)


def cli_job(spec: TaskSpec, arch: str | None, seeds: int | None, min_depth: int | None,
            max_depth: int | None, width: int | None, lr_text: str | None,
            steps: int | None, batch_size: int | None, device: str, rule_name: str,
            search: str, exhaustive: bool, match_params: int | None,
            arch_knobs: dict[str, str] | None = None, **extra: object) -> Job:
    """The spec's defaults overridden by the command line, validated, as one job
    (``arch_knobs``: ``--set ARCH.KNOB=V`` values; ``extra``: further run options, e.g.
    diagnostics, train_size)."""
    from toytasks.plan import Job
    from toytasks.solve import get_rule

    archs = csv_list(arch, str, "--arch")
    check_archs(archs)
    triples = arch_knob_triples(arch_knobs or {}, archs or spec.defaults.architectures)
    lrs = csv_list(lr_text, float, "--lr")
    opts = resolve(spec, {"arch": archs, "seeds": seeds, "min_depth": min_depth,
                          "max_depth": max_depth, "width": width, "lr": lrs, "steps": steps,
                          "batch_size": batch_size, "device": check_device(device)})
    if opts.min_depth > opts.max_depth:
        raise ToytasksError(f"--min-depth {opts.min_depth} is larger than --max-depth "
                            f"{opts.max_depth}")
    if any(not 0 < lr <= LR_MAX for lr in opts.lrs):
        raise ToytasksError(f"--lr values must be in (0, {LR_MAX:g}], got {lr_text}")
    if match_params and width:
        raise ToytasksError("--width and --match-params exclude each other")
    rule = get_rule(rule_name)
    rule.check_seeds(opts.seeds)
    opts = replace(opts, search="exhaustive" if exhaustive else search,
                   match_params=match_params or 0, arch_knobs=triples, **extra)
    return Job(spec, opts, rule)


def check_device(device: str) -> str:
    if device == "cpu":
        return device
    if not device.startswith("cuda"):
        raise ToytasksError(f"unknown device '{device}' (valid: cpu, cuda, cuda:N)")
    import torch

    if not torch.cuda.is_available():
        raise ToytasksError(f"--device {device}: no CUDA GPU is available here")
    return device


def open_executor(kind: str, scheduler: str | None,
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
                             say=say)
    return executor, executor.capacity


def execute(store: ResultStore, workers: int | None,
            body: Callable[[Executor, int | Callable[[], int]], T],
            executor_kind: str = "local", scheduler: str | None = None) -> T:
    """Run ``body(executor, trials in flight)`` while holding the results folder.

    Ctrl-C stops scheduling, ends running trials (what is finished is already stored) and
    prints the exact command that resumes; any error abandons the workers before the
    one-line message, so nothing is left running.
    """
    with store.lock():
        executor, limit = open_executor(executor_kind, scheduler, workers)
        try:
            result = body(executor, limit)
        except KeyboardInterrupt:
            _abandon(executor)
            say(f"interrupted: {len(store)} finished trial(s) are kept in {store.root}; "
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
