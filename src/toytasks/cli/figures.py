"""`toytasks show` and `toytasks plot`: figures of a task and of a results folder
(docs/ablations.md)."""

from __future__ import annotations

import click

from toytasks.cli.common import main, say
from toytasks.specs.spec import load_spec, parse_assignments


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
    from toytasks.reading.figures import task_examples

    spec = load_spec(task_name, tasks_dir).with_knobs(parse_assignments(assignments))
    path = task_examples(spec.make_generator(), out or f"{spec.name}-examples.png", seed=seed,
                         title=f"{spec.name}: {spec.description}" if spec.description else "")
    say(f"wrote {path}")


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), required=True,
              help="Folder for the figures.")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png",
              show_default=True, help="Figure format.")
def plot(results_dir: str, out: str, fmt: str) -> None:
    """Write every figure a results folder supports: success vs depth, minimal depth vs a
    swept knob, and (for --diagnostics runs) input gradient by lag and per-layer norms."""
    from toytasks.reading.figures import store_figures
    from toytasks.reading.store import ResultStore
    from toytasks.reading.summary import summarise

    store = ResultStore(results_dir, create=False)
    records = store.records()
    for path in store_figures(records, summarise(records), out, fmt):
        click.echo(str(path))
