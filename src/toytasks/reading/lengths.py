"""Length generalisation in tables: one column per tested length (``--test-lengths 2,4``).

A trial that solved was also scored on sequences N times as long (``Task.longer``: the
task's prefix knob raised, the deciding span unchanged). A row's ``×N`` cell reads its
minimal depth: the median held-out metric at N times the length over the seeds that solved
there, and how many of them still meet the threshold; an unsolved row shows '–'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toytasks.reading.summary import Row

UNSOLVED = "–"


def factors(rows: list[Row]) -> list[int]:
    """Every length multiple any of ``rows`` was tested at, ascending."""
    return sorted({int(f) for r in rows for f in r.config.get("test_lengths") or ()})


def headers(rows: list[Row]) -> list[str]:
    return [f"×{f}" for f in factors(rows)]


def cells(row: Row, tested: list[int]) -> list[str]:
    """'0.98 (3/3)': median metric at that length, seeds meeting the threshold / scored."""
    if row.minimal_depth is None:
        return [UNSOLVED] * len(tested)
    found = row.evidence.lengths
    return [f"{found[f][0]:.3g} ({found[f][1]}/{found[f][2]})" if f in found else UNSOLVED
            for f in tested]


def extend(head: list[str], body: list[list[str]], rows: list[Row]
           ) -> tuple[list[str], list[list[str]]]:
    """A table's headers and body with one column per tested length (none: unchanged)."""
    tested = factors(rows)
    return [*head, *headers(rows)], [[*cells_, *cells(row, tested)]
                                     for cells_, row in zip(body, rows, strict=True)]


def note(rows: list[Row]) -> list[str]:
    """The caption's sentence on the length columns (none when no length was tested)."""
    if not factors(rows):
        return []
    return ["×N: at the minimal depth, the median held-out metric on sequences N times the "
            "trained length (more prefix before the same deciding span) over the seeds that "
            "solved, and how many of them still meet the threshold; – unsolved"]
