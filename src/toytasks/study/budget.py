"""Budget reruns: is an unsolved cell that decides a verdict too slow for the budget, or
does it learn nothing?

Measured on main: `ecg-resnet` at depth 10 (100 Hz) was unsolved after ~600 steps of the
default budget with early stopping, and solved after 2,445 steps with it off. So a paper
profile (``budget_reruns = true`` in the study spec's profile) reruns, after a section's
jobs, every unsolved cell whose being solved would change the verdict and that is not
provably blind: ``RERUN_SEEDS`` seeds at ``RERUN_FACTOR`` times the section's steps, early
stopping off. Those trials differ in ``max_steps`` and ``patience``, so they have their own
identity, live in the section's store beside the originals, and never enter the verdict
(``split_reruns``): the report shows each such cell's class and its rerun's outcome.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from toytasks.reading.records import TrialRecord, cell_key
from toytasks.reading.summary import Row, summarise
from toytasks.reading.unsolved import LEARNING, SHORT, unsolved_class
from toytasks.running.plan import Job, Progress, Workers, on_device, run_jobs
from toytasks.running.trials import trial_factory
from toytasks.study.explanations import EXPLANATIONS
from toytasks.study.fragility import cell_name, deciding_unsolved, row_cell_key
from toytasks.training.solve import get_rule
from toytasks.training.trial import PATIENCE_OFF, SOLVED

if TYPE_CHECKING:
    from toytasks.reading.store import ResultStore
    from toytasks.study.explanations.evidence import Verdict
    from toytasks.study.sections import Experiment

RERUN_FACTOR = 2  # times the section's step budget
RERUN_SEEDS = 3  # seeds 0-2: enough to tell "learns nothing" (0/3) from "too slow" (>= 1/3)
RERUN_RULE = "majority"  # the reruns are counted, not judged: cp95 needs 10 seeds
ANNOUNCE = "budget rerun"
# the fields a rerun changes: its cell is the original's less these
CHANGED = ("max_steps", "patience")


def is_rerun(record: TrialRecord, steps: int) -> bool:
    """A budget rerun of a section whose step budget is ``steps``."""
    return (record.config.get("patience") == PATIENCE_OFF
            and record.config.get("max_steps") == RERUN_FACTOR * steps)


def split_reruns(records: list[TrialRecord], exp: dict[str, Any] | None
                 ) -> tuple[list[TrialRecord], list[TrialRecord]]:
    """(the section's own records, its budget reruns): only the first decide a verdict."""
    if exp is None:
        return records, []
    steps = int(exp["steps"])
    return ([r for r in records if not is_rerun(r, steps)],
            [r for r in records if is_rerun(r, steps)])


def source_job(jobs: list[Job], row: Row, depth: int) -> tuple[Job, str] | None:
    """The job and architecture of the section whose trials make ``row``'s cell."""
    want = row_cell_key(row)
    for job in jobs:
        for arch in job.opts.archs:
            trial = trial_factory(job.spec, arch, job.opts)(depth, 0, job.opts.lrs[0])
            if cell_key(trial.config(), job.opts.match_params) == want:
                return job, arch
    return None


def rerun_job(job: Job, arch: str, depth: int) -> Job:
    """``RERUN_SEEDS`` seeds of ``arch`` at ``depth``, ``RERUN_FACTOR`` times the steps,
    early stopping off, every seed trained."""
    steps = RERUN_FACTOR * job.opts.max_steps
    opts = replace(job.opts, archs=(arch,), min_depth=depth, max_depth=depth,
                   search="exhaustive", seeds=RERUN_SEEDS, max_steps=steps,
                   patience=PATIENCE_OFF)
    return replace(job, opts=opts, rule=get_rule(RERUN_RULE), confirm=False,
                   announce=f"{ANNOUNCE} {arch} depth {depth}: {RERUN_SEEDS} seeds, "
                            f"{steps:,} steps, early stopping off")


def rerun_jobs(exp: Experiment, cells: list[tuple[Row, int, str]], device: str = "cpu"
               ) -> list[Job]:
    """The rerun jobs of the deciding unsolved cells ``cells`` (``deciding_unsolved``);
    a cell no job of the section makes (another run's, in the same folder) is left alone."""
    jobs = on_device(exp.jobs(), device)
    out = []
    for row, depth, _ in cells:
        found = source_job(jobs, row, depth)
        if found is not None:
            out.append(rerun_job(*found, depth))
    return out


def _original(record: TrialRecord) -> str:
    return cell_key(record.config, record.run.match_params, drop=CHANGED)


def rerun_outcomes(reruns: list[TrialRecord]) -> dict[tuple[str, int], tuple[int, int, list]]:
    """Per (original cell less steps and patience, depth): (solved seeds, seeds, steps to
    solve of the solved ones); a seed solves when any of its lrs does."""
    seeds: dict[tuple[str, int], dict[int, list[TrialRecord]]] = defaultdict(
        lambda: defaultdict(list))
    for record in reruns:
        seeds[(_original(record), record.depth)][record.seed].append(record)
    out = {}
    for key, by_seed in seeds.items():
        solved = [min(r.result.steps_to_solve or 0 for r in rs if r.result.status == SOLVED)
                  for rs in by_seed.values() if any(r.result.status == SOLVED for r in rs)]
        out[key] = (len(solved), len(by_seed), sorted(solved))
    return out


def outcome_text(solved: int, seeds: int, steps: list[int], budget: int) -> str:
    """'at 2x budget (6,000 steps), no early stopping: 2/3 solved, steps-to-solve
    2,300-3,100'."""
    where = f"at {RERUN_FACTOR}x budget ({budget:,} steps), no early stopping"
    if not steps:
        return f"{where}: {solved}/{seeds} solved"
    span = f"{steps[0]:,}" if steps[0] == steps[-1] else f"{steps[0]:,}-{steps[-1]:,}"
    median = f", median {statistics.median(steps):,.0f}" if len(steps) > 2 else ""
    return f"{where}: {solved}/{seeds} solved, steps-to-solve {span}{median}"


def rerun_lines(rows: list[Row], reruns: list[TrialRecord], steps: int) -> list[str]:
    """One line per rerun cell: its name and class in the section, and the rerun's outcome."""
    outcomes = rerun_outcomes(reruns)
    lines = []
    for row in rows:
        base = cell_key(row.config, row.match_params, drop=CHANGED)
        for depth in sorted(row.depths):
            if (base, depth) not in outcomes:
                continue
            kind = unsolved_class(row, depth)
            metric = row.depths[depth].failed_metric
            best = f", best {metric:.3g}" if kind == LEARNING and metric is not None else ""
            label = f"{SHORT[kind]}{best}" if kind else "not unsolved in this store"
            lines.append(f"{cell_name(row, rows)} at depth {depth} ({label}): "
                         f"{outcome_text(*outcomes[(base, depth)], RERUN_FACTOR * steps)}")
    return lines


def deciding_cells(letter: str, exp: dict[str, Any], records: list[TrialRecord]
                   ) -> list[tuple[Row, int, str]]:
    """The section's unsolved cells, not provably blind, whose being solved would change
    its verdict (judged on its own records: reruns left out)."""
    originals, _ = split_reruns(records, exp)
    if not originals:
        return []
    explanation = EXPLANATIONS[letter]
    rows = summarise(originals)

    def judge(r: list[Row], rec: list[TrialRecord]) -> Verdict:
        return explanation.judge(r, rec, exp)

    return deciding_unsolved(rows, originals, judge(rows, originals), judge)


def run_reruns(exp: Experiment, store: ResultStore, executor: Executor, workers: Workers,
               progress: Progress = lambda _: None) -> list[Job]:
    """After a section's jobs: rerun its deciding unsolved cells (resumable: a rerun
    already stored is reused). Returns the jobs run."""
    manifest = json.loads(json.dumps(exp.manifest()))  # as the report reads it back
    cells = deciding_cells(exp.letter, manifest, store.records())
    jobs = rerun_jobs(exp, cells, exp.opts.device)
    run_jobs(jobs, store, executor, workers, progress)
    return jobs


def budget_note(rows: list[Row], records: list[TrialRecord], reruns: list[TrialRecord],
                verdict: Verdict, judge: Callable[[list[Row], list[TrialRecord]], Verdict],
                steps: int) -> str:
    """The deciding unsolved cells that a rerun solved at least once: the verdict then
    rests on the step budget, and its line says so. '' when none did."""
    outcomes = rerun_outcomes(reruns)
    names = []
    for row, depth, _ in deciding_unsolved(rows, records, verdict, judge):
        found = outcomes.get((cell_key(row.config, row.match_params, drop=CHANGED), depth))
        if found and found[0]:
            names.append(f"{cell_name(row, rows)} at depth {depth}: {found[0]}/{found[1]} "
                         f"solved at {RERUN_FACTOR * steps:,} steps")
    return "; ".join(names)
