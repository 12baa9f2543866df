"""Fragile verdicts: would one seed's outcome, flipped, change the verdict? And does it
rest on a cell that was still learning when the budget ran out?

A verdict read off 8/10 ("inconclusive") became "not supported" when a rerun on another
CPU gave 9/9: one seed decided it. So each verdict is re-judged with every seed's outcome
in every cell flipped in turn (a success made a failure, a failure a success; for (c) also
a trial's overfitting flag), and a verdict that any single flip changes is marked
*fragile*, naming the cells. Only the flipped seed's cell is summarised again, so the
check costs one small summary per seed stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from toytasks.reading.records import cell_key
from toytasks.reading.summary import Row, summarise
from toytasks.reading.unsolved import CHANCE, LEARNING, unsolved_class
from toytasks.study.explanations.c_overfitting import OVERFIT_MARGIN
from toytasks.training.trial import SOLVED, UNSOLVED

if TYPE_CHECKING:
    from toytasks.reading.records import TrialRecord
    from toytasks.study.explanations.evidence import Verdict

Judge = Callable[[list["Row"], list["TrialRecord"]], "Verdict"]
SHOWN = 3  # cells named in the verdict line; the rest counted


def _flip_status(record: TrialRecord, solved: bool) -> TrialRecord:
    result = replace(record.result, status=SOLVED if solved else UNSOLVED,
                     steps_to_solve=(record.result.steps or 1) if solved else None)
    return replace(record, result=result)


def _flip_gap(record: TrialRecord) -> TrialRecord:
    diag = dict(record.result.diagnostics)
    diag["gap"] = 0.0 if float(diag["gap"]) >= OVERFIT_MARGIN else 2 * OVERFIT_MARGIN
    return replace(record, result=replace(record.result, diagnostics=diag))


def flips(records: list[TrialRecord]) -> Iterator[tuple[tuple[str, int], list[TrialRecord]]]:
    """((cell, depth), the cell's records with one seed's outcome flipped), per seed: a
    solved seed fails at every lr, a failed seed solves at its lowest lr; a trial with a
    train/held-out gap also has its overfitting flag flipped on its own."""
    by_seed: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    by_cell: dict[str, list[int]] = defaultdict(list)
    for i, record in enumerate(records):
        by_seed[(record.cell, record.depth, record.seed)].append(i)
        by_cell[record.cell].append(i)
    for (cell, depth, _), indices in by_seed.items():
        solved = any(records[i].result.status == SOLVED for i in indices)
        changed = {i: _flip_status(records[i], False) for i in indices} if solved else \
            {min(indices, key=lambda i: records[i].lr):
             _flip_status(records[min(indices, key=lambda i: records[i].lr)], True)}
        yield (cell, depth), [changed.get(i, records[i]) for i in by_cell[cell]]
        for i in indices:
            if (records[i].result.diagnostics or {}).get("gap") is not None:
                yield (cell, depth), [_flip_gap(records[j]) if j == i else records[j]
                                      for j in by_cell[cell]]


def fragile_cells(rows: list[Row], records: list[TrialRecord], verdict: Verdict,
                  judge: Judge) -> list[tuple[Row, int, str]]:
    """(row, depth, the outcome after the flip) for every cell where one flipped seed
    changes ``verdict``'s outcome."""
    index = {row_cell_key(r): i for i, r in enumerate(rows)}
    found: dict[tuple[str, int], tuple[Row, int, str]] = {}
    for (cell, depth), changed in flips(records):
        if (cell, depth) in found or cell not in index:
            continue
        new_rows = list(rows)
        (new_rows[index[cell]],) = summarise(changed)
        others = [r for r in records if r.cell != cell] + changed
        outcome = judge(new_rows, others).outcome
        if outcome != verdict.outcome:
            found[(cell, depth)] = (rows[index[cell]], depth, outcome)
    return list(found.values())


def cell_name(row: Row, rows: list[Row]) -> str:
    """'lstm', or 'cnn (period_samples=8)' where the section has several rows of it."""
    tasks = {r.task for r in rows}
    label = row.label([k for k in row.config["knobs"]
                       if len({repr(r.config["knobs"].get(k)) for r in rows
                               if r.arch == row.arch}) > 1])
    where = ", ".join(filter(None, [row.task if len(tasks) > 1 else "", label,
                                    f"~{row.match_params:,} params" if row.match_params
                                    else ""]))
    return f"{row.arch_label}{f' ({where})' if where else ''}"


def row_cell_key(row: Row) -> str:
    return cell_key(row.config, row.match_params)


def fragility(rows: list[Row], records: list[TrialRecord], verdict: Verdict,
              judge: Judge) -> str:
    """'' when no single flip changes the verdict, else the cells that can, named."""
    cells = fragile_cells(rows, records, verdict, judge)
    if not cells:
        return ""
    names = [f"{cell_name(row, rows)} at depth {depth} -> {outcome}"
             for row, depth, outcome in cells]
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return "one seed flipped in " + "; ".join(names[:SHOWN]) + more


def deciding_unsolved(rows: list[Row], records: list[TrialRecord], verdict: Verdict,
                      judge: Judge, classes: tuple[str, ...] = (CHANCE, LEARNING)
                      ) -> list[tuple[Row, int, str]]:
    """(row, depth, class) of every unsolved cell of one of ``classes`` whose being solved
    (every seed) would change the verdict's outcome: the cells the verdict rests on."""
    index = {row_cell_key(r): i for i, r in enumerate(rows)}
    found = []
    for row in rows:
        for depth in sorted(row.depths):
            kind = unsolved_class(row, depth)
            if kind not in classes:
                continue
            key = row_cell_key(row)
            cell = [_flip_status(r, True) if r.depth == depth else r
                    for r in records if r.cell == key]
            new_rows = list(rows)
            (new_rows[index[key]],) = summarise(cell)
            outcome = judge(new_rows, [r for r in records if r.cell != key] + cell).outcome
            if outcome != verdict.outcome:
                found.append((row, depth, kind))
    return found


def rests_on_learning(rows: list[Row], records: list[TrialRecord], verdict: Verdict,
                      judge: Judge) -> str:
    """The unsolved cells classed *learning, too slow for the budget* whose being solved
    (every seed) would change the verdict: a verdict resting on them says so, since a
    longer budget might solve them. '' when there are none."""
    return "; ".join(f"{cell_name(row, rows)} at depth {depth} "
                     f"(best {row.depths[depth].failed_metric:.3g})"
                     for row, depth, _ in deciding_unsolved(rows, records, verdict, judge,
                                                            (LEARNING,)))
