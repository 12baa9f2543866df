"""What the command groups share: the click group, the shared options, the header and the
Ctrl-C message (running is ``toytasks.running.launch``'s, for the shell and Python alike).

Tables go to stdout; progress, logs and the results folder go to stderr. Every user error
is one line, `toytasks: error: ...`, with exit code 2 and no traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from toytasks import __version__
from toytasks.errors import ToytasksError
from toytasks.specs.bounds import BOUNDS

if TYPE_CHECKING:
    from toytasks.reading.store import ResultStore
    from toytasks.reading.summary import Row
    from toytasks.running.devices import Placement

RULE_NAMES = ("majority", "cp95")  # toytasks.training.solve.RULES (not imported: keeps --help fast)
SEARCH_NAMES = ("adaptive", "linear", "exhaustive")  # toytasks.training.search.SEARCHES

TABLE_FORMATS = ("simple", "plain", "github", "markdown", "latex", "csv")
FAULT_EXIT = 3  # the table is printed, but some trials errored or a model was refused


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="toytasks")
def main() -> None:
    """Minimal depth at which each architecture solves each synthetic task."""


def bounded(key: str) -> click.IntRange:
    """click's range for an integer option, from the one table (toytasks.specs.options.BOUNDS)."""
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
    click.option("--patience", type=bounded("patience"),
                 help="Held-out evaluations without improvement before a trial stops early; "
                      "0: early stopping off (default: the task spec's budget.patience)."),
    click.option("--pack", type=bounded("pack"), metavar="K",
                 help="Train K seeds of a cell as one model (gru, cnn, tcn, res-cnn, "
                      "gated-cnn; others alone). Changes bits; part of the identity."),
)
workers_option = click.option("--workers", type=bounded("workers"),
                              help="Parallel trials (default: cores; on CUDA at least one "
                                   "per GPU).")
device_options = stack(  # run, sweep, suite and study: where trials train (docs/usage.md)
    workers_option,
    click.option("--device", default="cpu", show_default=True,
                 help="cpu, cuda (every GPU), cuda:N, or a list of GPUs cuda:N,cuda:M; "
                      "workers are spread over the GPUs round robin."),
    click.option("--workers-per-device", type=bounded("workers"), metavar="K",
                 help="With a CUDA --device: K workers on each of its GPUs (instead of "
                      "--workers)."),
    click.option("--gpu-memory-fraction", type=click.FloatRange(0, 1, min_open=True),
                 metavar="F", help="With a CUDA --device: each worker may use at most this "
                 "fraction of its GPU's memory (default: no cap)."),
)
tasks_dir_option = click.option("--tasks-dir", multiple=True,
                                help="Extra folder of task TOML specs.")
dry_run_option = click.option(
    "--dry-run", is_flag=True,
    help="Print the trials the search may train (fewest and most), their FLOPs and an "
         "estimated wall time from a short calibration; train nothing, write nothing.")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
output_options = stack(
    click.option("--out", type=click.Path(file_okay=False),
                 help="Results folder (reused: resume)."),
    device_options,
    tasks_dir_option,
    click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS), default="simple",
                 show_default=True, help="Table format."),
    quiet_option,
)


def describe_workers(where: Placement, executor_kind: str = "local") -> str:
    """'2 worker(s)', '8 worker(s) on cuda:0,cuda:1' or 'dask' (the command's first line)."""
    from toytasks.running.devices import local_workers

    return where.describe(local_workers(where)) if executor_kind == "local" else "dask"


def interrupted(store: ResultStore) -> None:
    """After Ctrl-C: what is kept, and the exact command that resumes (exit code 130)."""
    say(f"interrupted: {len(store)} finished trial(s) are kept in {store.root}; "
        f"resume with: {_resume_command(store.root)}")
    sys.exit(130)


def _resume_command(root: Path) -> str:
    import shlex

    args = sys.argv[1:]
    if "--out" not in args and not any(a.startswith("--out=") for a in args):
        args = [*args, "--out", str(root)]
    return "toytasks " + " ".join(shlex.quote(a) for a in args)


def print_dry_run(groups: list, workers: int | Placement | None,
                  report: bool = False) -> None:
    """``--dry-run``: the estimate on stdout (``toytasks.cost.dryrun``); ``workers`` as the run
    would start them (a ``Placement``: on CUDA, at least one per GPU)."""
    from toytasks.cost.dryrun import dry_run, render
    from toytasks.running.devices import Placement, local_workers

    n = local_workers(workers if isinstance(workers, Placement) else Placement(workers))
    say(f"toytasks {__version__}: dry run on {n} worker(s): timing a few training steps "
        "per configuration...")
    click.echo(render(dry_run(groups, n, report)))


def exit_on_faults(rows: list[Row]) -> None:
    """Exit ``FAULT_EXIT`` when the table rests on trials that raised or on a refused
    model: a script must not take that table for a clean result (docs/troubleshooting.md)."""
    errored = sum(row.faults.get("error", 0) for row in rows)
    refused = [row.arch_label for row in rows if row.refused]
    if not errored and not refused:
        return
    parts = [f"{errored} trial(s) ended in error"] if errored else []
    if refused:
        parts.append(f"refused (not causal or not deterministic): {', '.join(refused)}")
    say(f"toytasks: {'; '.join(parts)}; see the reasons in trials.jsonl (exit code "
        f"{FAULT_EXIT})")
    sys.exit(FAULT_EXIT)
