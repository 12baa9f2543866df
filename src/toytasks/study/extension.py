"""Seed extension: a verdict one seed can flip gets more seeds where it is fragile.

The published (c) verdict read "inconclusive" off `lstm` at depth 4 with 8/10; a rerun on
another CPU gave 9/9 and "not supported": one seed decided it. A profile with
``fragile_seeds = 30`` therefore, after a section's jobs, finds the cells where one flipped
seed changes the verdict (``toytasks.study.fragility``) and trains more seeds there, in
rounds, until no verdict is fragile or every fragile cell has the cap; the report names
the cells that remain fragile at the cap. The new seeds are trials of the same cell
(same configuration, higher seed numbers), so they join it in the same store and a rerun
trains only the seeds not stored yet.

Steps of ``SEED_STEP`` = 10 (10 -> 20 -> 30): the study's rules are stated at 10 and 20
seeds (cp95 needs 10; the 1/3 equivalence margin is met by 18/20 vs 20/20, by nothing
short of 10/10 at 10), so each round lands on counts whose meaning the report already
states; a round of 10 seeds per cell keeps every worker busy, where steps of one or two
seeds would run many short, mostly serial rounds; and a cell at 10 reaches the cap of 30
in two rounds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from toytasks.reading.records import TrialRecord
from toytasks.reading.summary import Row, summarise
from toytasks.running.plan import Job, Progress, Workers, on_device, run_jobs
from toytasks.study.budget import source_job, split_reruns
from toytasks.study.explanations import EXPLANATIONS
from toytasks.study.fragility import cell_name, fragile_cells, row_cell_key

if TYPE_CHECKING:
    from toytasks.reading.store import ResultStore
    from toytasks.study.explanations.evidence import Verdict
    from toytasks.study.sections import Experiment

SEED_STEP = 10
ANNOUNCE = "more seeds for a fragile verdict:"
Judge = Callable[[list[Row], list[TrialRecord]], "Verdict"]


def next_seeds(now: int, cap: int) -> int | None:
    """The seeds a fragile cell asked ``now`` gets next: the next multiple of
    ``SEED_STEP``, at most ``cap``; None when it has the cap already."""
    if now >= cap:
        return None
    return min(cap, (now // SEED_STEP + 1) * SEED_STEP)


def seeds_asked(row: Row, records: list[TrialRecord], depth: int) -> int:
    """The seeds the runs asked for at ``row``'s ``depth`` (the most any asked)."""
    key = row_cell_key(row)
    asked = [r.run.seeds for r in records if r.cell == key and r.depth == depth
             and isinstance(r.run.seeds, int)]
    return max(asked, default=row.depths[depth].seeds)


def plan(rows: list[Row], records: list[TrialRecord], verdict: Verdict, judge: Judge,
         cap: int) -> tuple[list[tuple[Row, int, int]], list[tuple[Row, int]]]:
    """(the fragile cells to extend, as (row, depth, seeds to ask for); the fragile cells
    that have the cap already)."""
    grow, stuck = [], []
    for row, depth, _ in fragile_cells(rows, records, verdict, judge):
        more = next_seeds(seeds_asked(row, records, depth), cap)
        if more is None:
            stuck.append((row, depth))
        else:
            grow.append((row, depth, more))
    return grow, stuck


def remaining_text(rows: list[Row], stuck: list[tuple[Row, int]], cap: int) -> str:
    """'lstm at depth 4 (27/30)': the cells still fragile with ``cap`` seeds."""
    return "; ".join(f"{cell_name(row, rows)} at depth {depth} "
                     f"({row.depths[depth].successes}/{row.depths[depth].seeds})"
                     for row, depth in stuck) + f" (still fragile at the cap of {cap} seeds)"


def extend_job(job: Job, arch: str, depth: int, seeds: int) -> Job:
    """Every seed up to ``seeds`` of ``arch`` at ``depth``: the cell's own trials (same
    steps, patience and rule), so only the seeds not stored yet train."""
    opts = replace(job.opts, archs=(arch,), min_depth=depth, max_depth=depth,
                   search="exhaustive", seeds=seeds)
    return replace(job, opts=opts, confirm=False,
                   announce=f"{ANNOUNCE} {arch} depth {depth}, {seeds} seeds")


def _judge(letter: str, exp: dict[str, Any]) -> Judge:
    explanation = EXPLANATIONS[letter]
    return lambda rows, records: explanation.judge(rows, records, exp)


def extend_seeds(exp: Experiment, store: ResultStore, executor: Executor, workers: Workers,
                 cap: int, progress: Progress = lambda _: None) -> str:
    """Rounds of more seeds for the section's fragile cells until none is fragile or all
    have ``cap``; '' or the cells that remain fragile at the cap, named."""
    manifest = json.loads(json.dumps(exp.manifest()))  # as the report reads it back
    judge = _judge(exp.letter, manifest)
    jobs = on_device(exp.jobs(), exp.opts.device)
    asked: set[tuple[str, int, int]] = set()  # each (cell, depth, seeds) is asked once
    while True:
        records, _ = split_reruns(store.records(), manifest)
        rows = summarise(records)
        grow, stuck = plan(rows, records, judge(rows, records), judge, cap)
        todo = []
        for row, depth, seeds in grow:
            found = source_job(jobs, row, depth)
            if found is not None and (row_cell_key(row), depth, seeds) not in asked:
                asked.add((row_cell_key(row), depth, seeds))
                todo.append(extend_job(*found, depth, seeds))
        if not todo:
            return remaining_text(rows, stuck, cap) if stuck else ""
        run_jobs(todo, store, executor, workers, progress)
