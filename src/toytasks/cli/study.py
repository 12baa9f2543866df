"""`toytasks study` and `toytasks report`: run a study spec's explanations, and write the
report of a study folder (docs/report.md)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from toytasks import __version__
from toytasks.cli.common import (
    csv_list,
    describe_workers,
    device_options,
    dry_run_option,
    interrupted,
    main,
    print_dry_run,
    quiet_option,
    say,
    tasks_dir_option,
)
from toytasks.errors import ToytasksError


@main.command()
@click.argument("spec_name", metavar="SPEC")
@click.option("--profile", default="quick", show_default=True,
              help="Profile of the study spec (e.g. quick, paper).")
@click.option("--out", type=click.Path(file_okay=False),
              help="Study folder (reused: resume); default results/study-NAME-PROFILE.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False),
              help="Where to write the report (default: OUT/report).")
@click.option("--only", help="Comma-separated explanations to run (default: all in the spec).")
@device_options
@tasks_dir_option
@quiet_option
@dry_run_option
def study(spec_name: str, profile: str, out: str | None, report_dir: str | None,
          only: str | None, workers: int | None, device: str, workers_per_device: int | None,
          gpu_memory_fraction: float | None, tasks_dir: tuple[str, ...],
          quiet: bool, dry_run: bool = False) -> None:
    """Run a study spec (experiments/NAME.toml or a path) at a profile, then write its
    report: one section and one verdict per explanation the spec has."""
    import time

    from toytasks.running.devices import plan_workers
    from toytasks.running.launch import execute
    from toytasks.running.plan import on_device, run_jobs
    from toytasks.running.progress import make_progress
    from toytasks.specs.options import default_out
    from toytasks.study.budget import run_reruns
    from toytasks.study.experiment import load_study, store_dir, write_manifest
    from toytasks.study.extension import extend_seeds
    from toytasks.study.report import load_sections, verdict_table, write_report

    where = plan_workers(device, workers, workers_per_device, gpu_memory_fraction)
    spec = load_study(spec_name, profile, tasks_dir)
    letters = csv_list(only, str, "--only") or tuple(e.letter for e in spec.experiments)
    unknown = [x for x in letters if x not in {e.letter for e in spec.experiments}]
    if unknown:
        raise ToytasksError(f"--only: '{unknown[0]}' is not a section of {spec.path} "
                            f"(valid: {', '.join(e.letter for e in spec.experiments)})")
    root = Path(out) if out else default_out("study", spec.name, profile, stamp=False)
    if dry_run:
        from toytasks.cost.dryrun import Group

        print_dry_run([Group(f"({e.letter})", on_device(e.jobs(), where.device),
                             store_dir(root, e.letter))
                       for e in spec.experiments if e.letter in letters],
                      where, report=True)
        return
    write_manifest(spec, root)
    say(f"toytasks {__version__}: study {spec.name}, profile {profile}, explanations "
        f"{','.join(letters)}, {describe_workers(where)}; results in {root}")
    start = time.perf_counter()
    progress = make_progress(quiet)
    try:
        for exp in spec.experiments:
            if exp.letter in letters:
                progress(f"({exp.letter}) {exp.spec.name}, archs {','.join(exp.opts.archs)}")
                exp = replace(exp, opts=replace(exp.opts, device=where.device))

                def section(s: Any, executor: Any, limit: Any, e: Any = exp) -> None:
                    run_jobs(on_device(e.jobs(), where.device), s, executor, limit, progress)
                    if spec.fragile_seeds:  # more seeds where one seed decides the verdict
                        left = extend_seeds(e, s, executor, limit, spec.fragile_seeds,
                                            progress)
                        if left:
                            say(f"({e.letter}) verdict still fragile: {left}")
                    if spec.budget_reruns:  # then the deciding unsolved cells, 2x steps
                        run_reruns(e, s, executor, limit, progress)

                execute(store_dir(root, exp.letter), where, section, say=say,
                        on_interrupt=interrupted)
    finally:
        progress.close()
    path = write_report(root, Path(report_dir) if report_dir else root / "report")
    click.echo(verdict_table(load_sections(root)[1], "simple"))
    say(f"study {spec.name} ({profile}): {time.perf_counter() - start:.0f}s; results: {root}; "
        f"report: {path}")


@main.command()
@click.argument("study_dir", type=click.Path(file_okay=False))
@click.option("--out", type=click.Path(file_okay=False),
              help="Folder for report.md and figures/ (default: STUDY_DIR/report).")
@click.option("--no-figures", is_flag=True, help="Tables and verdicts only.")
def report(study_dir: str, out: str | None, no_figures: bool) -> None:
    """Write the Markdown report of a study folder (verdicts computed from its results)."""
    from toytasks.study.report import load_sections, verdict_table, write_report

    path = write_report(study_dir, Path(out) if out else Path(study_dir) / "report",
                        figures=not no_figures)
    click.echo(verdict_table(load_sections(Path(study_dir))[1], "simple"))
    say(f"report: {path}")
