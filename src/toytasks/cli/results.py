"""`toytasks table`, `baseline` and `check`: what a results folder says, and whether it
still says what a committed baseline says (docs/results.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from toytasks.cli.common import TABLE_FORMATS, csv_list, main, say
from toytasks.errors import ToytasksError


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS), default="simple",
              show_default=True, help="Table format (latex: booktabs table floats).")
@click.option("--by", type=click.Choice(("task", "arch")), default="task", show_default=True,
              help="One table per task configuration, or one per architecture.")
@click.option("--best-depth", "best_depth", is_flag=True,
              help="The best depth at the budget (mean held-out metric per depth, 95% "
                   "t-interval over seeds, depths not separated from the best) instead of "
                   "the minimal depth; one table per task configuration.")
def table(results_dir: str, fmt: str, by: str, best_depth: bool) -> None:
    """Render the minimal-depth table(s) of a results folder (same store: same bytes)."""
    from toytasks.reading.store import ResultStore
    from toytasks.reading.summary import summarise
    from toytasks.reading.table import render

    store = ResultStore(results_dir, create=False)
    rows = summarise(store.records())
    if best_depth:
        from toytasks.reading.best_depth import render_best

        if by != "task":
            raise ToytasksError("--best-depth makes one table per task configuration: "
                                "leave out --by arch")
        click.echo(render_best(rows, fmt))
        return
    click.echo(render(rows, fmt, by))


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False))
@click.option("--write", "write_path", required=True, type=click.Path(dir_okay=False),
              help="Baseline JSON file to write (replaced if it exists).")
def baseline(results_dir: str, write_path: str) -> None:
    """Write the findings of a results folder as a small, reviewable baseline JSON."""
    from toytasks.reading.baselines import build_baseline, write_baseline
    from toytasks.reading.store import ResultStore
    from toytasks.reading.summary import summarise

    rows = summarise(ResultStore(results_dir, create=False).records())
    if not rows:
        raise ToytasksError(f"'{results_dir}' holds no trial results to baseline")
    data = build_baseline(rows)
    write_baseline(Path(write_path), data)
    cells = sum(len(t["cells"]) for t in data["tables"])
    say(f"baseline: {cells} cell(s) in {len(data['tables'])} table(s) written to {write_path}")


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
    from toytasks.reading.baselines import compare, load_baseline
    from toytasks.reading.store import ResultStore
    from toytasks.reading.summary import summarise

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


@main.command("budget-curve")
@click.argument("results_dir", type=click.Path(file_okay=False))
@click.option("--budgets", "budgets_text", required=True, metavar="B1,B2,...",
              help="Step budgets to read the store at, e.g. 2000,4000,8000 (each a multiple "
                   "of the evaluation period, none above the steps trained).")
@click.option("--rule", "rule_name", help="Solve rule (default: the one the store records).")
@click.option("--format", "fmt", type=click.Choice(("simple", "plain", "github", "markdown")),
              default="simple", show_default=True, help="Table format.")
def budget_curve(results_dir: str, budgets_text: str, rule_name: str | None, fmt: str) -> None:
    """Minimal depth against step budget, from one store trained with --patience 0 at the
    largest budget: a seed solves within B steps when its steps-to-solve is <= B."""
    from toytasks.reading.budget_curve import check_curve, curve, render_curve
    from toytasks.reading.store import ResultStore
    from toytasks.training.solve import get_rule

    budgets = csv_list(budgets_text, int, "--budgets")
    rule = get_rule(rule_name) if rule_name else None
    records = ResultStore(results_dir, create=False).records()
    check_curve(records, budgets, results_dir)
    click.echo(render_curve(curve(records, budgets, rule), budgets, fmt))
