"""`toytasks list` (the tasks with their knobs, the architectures, plugins included) and
`toytasks audit` (is a task shortcut-free?)."""

from __future__ import annotations

import click

from toytasks import plugins
from toytasks.cli.common import TABLE_FORMATS, main
from toytasks.models import all_architectures
from toytasks.specs.spec import available_specs, load_spec
from toytasks.tasks import get_generator


@main.command("list")
@click.option("--task", "task_name", help="Show one task's knobs in full.")
@click.option("--tasks-dir", multiple=True, help="Extra folder of task TOML specs.")
def list_cmd(task_name: str | None, tasks_dir: tuple[str, ...]) -> None:
    """List tasks (with their knobs) and architectures."""
    from tabulate import tabulate

    from toytasks.errors import ToytasksError
    from toytasks.running.preflight import warn_shadowed

    warn_shadowed()
    specs = available_specs(tasks_dir)
    entry_points = sorted(set(plugins.registered(plugins.TASK_GROUP)) - set(specs))
    names = [task_name] if task_name else [*sorted(specs), *entry_points]
    click.echo("Tasks (toytasks run --task NAME --set knob=value):")
    for name in names:
        try:
            spec = load_spec(name, tasks_dir)
            task = spec.make_generator()
        except ToytasksError as exc:
            if name != task_name and name in entry_points:  # one broken plugin hides no other
                click.echo(f"\n  {name}: BROKEN: {exc}")
                continue
            raise
        cls = get_generator(spec.generator)
        info = task.describe()
        where = "" if plugins.is_builtin(cls) else f" [plugin {plugins.origin(cls)}]"
        click.echo(f"\n  {name}: {cls.summary}{where}")
        click.echo(f"    spec {spec.path}; solved when {spec.threshold_text()} "
                   f"(baseline {info['baseline']:.4g}); span {info['span_samples']} samples, "
                   f"blind window {info['blind_samples']}, sequence {info['seq_len']}")
        click.echo("    longer test lengths (--test-lengths): " + (
            f"yes, more {cls.prefix_knob} before the same span" if cls.prefix_knob
            else "no (no prefix knob: a longer sequence would change the span)"))
        rows = [[k.name, spec.knobs[k.name], k.unit, k.range_text(), k.doc] for k in cls.knobs]
        table = tabulate(rows, headers=["knob", "value", "unit", "allowed", "meaning"],
                         disable_numparse=True)
        click.echo("\n".join("    " + line for line in table.splitlines()))
    click.echo("\nArchitectures (--arch a,b,...):")
    rows = []
    broken: dict[str, str] = {}
    for name, cls in all_architectures(broken).items():
        rf = cls.receptive_field(1)
        rf_text = ", ".join(str(cls.receptive_field(d)) for d in (1, 2, 3, 4)) + ", ..." \
            if rf is not None else "unbounded"
        contrast = f"vs {cls.isolates[0]}: {cls.isolates[1]}" if cls.isolates else ""
        knobs = ", ".join(f"{k.name}={k.default} ({k.range_text()})" for k in cls.knobs)
        where = "built-in" if plugins.is_builtin(cls) else f"plugin {plugins.origin(cls)}"
        rows.append([name, cls.family, rf_text, cls.summary, contrast, knobs or "-", where])
    table = tabulate(rows, headers=["arch", "family", "RF at depth 1,2,3,4", "what it is",
                                    "pair: the one property it changes",
                                    "knobs (--set ARCH.KNOB=V, --arch ARCH@KNOB=V)", "from"])
    click.echo("\n".join("  " + line for line in table.splitlines()))
    for name, message in broken.items():
        click.echo(f"  {name}: BROKEN: {message}")


@main.command()
@click.option("--task", "task_name", required=True,
              help="Task name, .toml spec, or plugin generator (package.module:Class).")
@click.option("--set", "assignments", multiple=True, metavar="KNOB=VALUE",
              help="Override a task knob (repeatable, or comma-separated).")
@click.option("--tasks-dir", multiple=True, help="Extra folder of task TOML specs.")
@click.option("--samples", type=click.IntRange(200, 10**6), default=3000, show_default=True,
              help="Training samples per probe (2,000 more are held out).")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True,
              help="Seed of the probes' data.")
@click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS), default="simple",
              show_default=True, help="Table format.")
def audit(task_name: str, assignments: tuple[str, ...], tasks_dir: tuple[str, ...],
          samples: int, seed: int, fmt: str) -> None:
    """Is a task shortcut-free? Blind window at chance, full span informative (exit 1 if not)."""
    import sys

    from toytasks.running.preflight import check_task
    from toytasks.specs.spec import parse_assignments
    from toytasks.tasks.audit import audit_task, render_audit

    spec = load_spec(task_name, tasks_dir).with_knobs(parse_assignments(assignments))
    task = spec.make_generator()
    check_task(spec.generator, task)
    result = audit_task(spec.name, task, n_train=samples, seed=seed)
    click.echo(render_audit(result, fmt))
    if not result.passed:
        sys.exit(1)
