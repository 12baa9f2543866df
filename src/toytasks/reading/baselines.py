"""Baselines: write a results folder's findings as a baseline, and check a folder against one
(`toytasks baseline`, `toytasks check`).

A baseline is a small, reviewable JSON file: per task configuration, per architecture, the
finding (minimal depth, or the deepest depth tried when unsolved) and its evidence
(successes/seeds at that depth), and the solve rule that decided it. The rule is read from
the rows (each run records its rule with its trials): the top-level ``"rule"`` is the rule
most cells used, and a cell decided by another rule carries its own ``"rule"``, so a folder
with a single rule writes the same file as before the per-cell rule existed. It is
derived from the store by the same ``summarise`` that prints tables, so "the check passes"
means "the table's findings are unchanged". Cells are matched by their full configuration
(task, knobs, budget, width, ...); a cell whose configuration changed is reported as such,
paired with its old self by task and architecture, so the diff stays readable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toytasks import __version__
from toytasks.errors import ToytasksError
from toytasks.reading.summary import Row

FORMAT = "toytasks-baseline/1"
CELL_KEYS = ("minimal_depth", "max_depth_tried", "successes", "seeds")
DEFAULT_RULE = "majority"  # the only rule before baselines recorded one


def cell(row: Row) -> dict[str, Any]:
    """The finding of one table row: what the check compares."""
    ev = row.evidence
    return {"minimal_depth": row.minimal_depth, "max_depth_tried": row.max_depth_tried,
            "successes": ev.successes, "seeds": ev.seeds}


def _config(row: Row) -> dict[str, Any]:
    return {k: v for k, v in sorted(row.config.items()) if k != "arch"}


def _main_rule(rows: list[Row]) -> str:
    """The rule most rows were decided by (ties: alphabetical), the file's top-level rule."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.rule] = counts.get(row.rule, 0) + 1
    return min(counts, key=lambda name: (-counts[name], name)) if counts else DEFAULT_RULE


def cell_rule(baseline: dict[str, Any], values: dict[str, Any]) -> str:
    """The rule that decided one baseline cell: its own, else the file's."""
    return values.get("rule") or baseline.get("rule") or DEFAULT_RULE


def build_baseline(rows: list[Row]) -> dict[str, Any]:
    """Baseline data for ``rows`` (one entry per task configuration, a cell per arch), each
    cell with the solve rule its row was decided by (``Row.rule``, as the run recorded it)."""
    rule = _main_rule(rows)
    entries: dict[str, dict[str, Any]] = {}
    for row in rows:
        config = _config(row)
        key = json.dumps(config, sort_keys=True)
        entry = entries.setdefault(key, {"task": row.task, "config": config, "cells": {}})
        entry["cells"][row.arch] = cell(row)
        if row.rule != rule:
            entry["cells"][row.arch]["rule"] = row.rule
    return {
        "format": FORMAT,
        "rule": rule,
        "made_with": sorted({v for r in rows for v in r.versions}) or [__version__],
        "tables": list(entries.values()),
    }


def write_baseline(path: Path, data: dict[str, Any]) -> None:
    """Deterministic, diff-friendly JSON (sorted keys, one value per line)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ToytasksError(f"cannot write baseline '{path}' ({exc.strerror})") from None


def load_baseline(path: Path) -> dict[str, Any]:
    """Read and validate a baseline; every problem is one ToytasksError naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ToytasksError(f"baseline '{path}' not found") from None
    except OSError as exc:
        raise ToytasksError(f"cannot read baseline '{path}' ({exc.strerror})") from None
    except ValueError as exc:
        raise ToytasksError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ToytasksError(f"{path}: not a toytasks baseline (expected \"format\": "
                            f"\"{FORMAT}\")")
    tables = data.get("tables")
    if not isinstance(tables, list):
        raise ToytasksError(f"{path}: 'tables' must be a list")
    for i, table in enumerate(tables):
        where = f"{path}: tables[{i}]"
        if not isinstance(table, dict) or not isinstance(table.get("config"), dict) \
                or not isinstance(table.get("cells"), dict) or "task" not in table:
            raise ToytasksError(f"{where} needs 'task', 'config' and 'cells'")
        for arch, values in table["cells"].items():
            if not isinstance(values, dict) or set(CELL_KEYS) - set(values):
                raise ToytasksError(f"{where}.cells.{arch} needs {', '.join(CELL_KEYS)}")
    return data


@dataclass(frozen=True)
class Finding:
    """One cell that differs from the baseline, phrased for a reader."""

    where: str
    change: str

    def __str__(self) -> str:
        return f"{self.where}: {self.change}"


def _depth_text(values: dict[str, Any]) -> str:
    depth = values["minimal_depth"]
    return str(depth) if depth is not None else f"> {values['max_depth_tried']}"


def _label(task: str, config: dict[str, Any], arch: str) -> str:
    knobs = ", ".join(f"{k}={v}" for k, v in sorted(config.get("knobs", {}).items()))
    return f"{task} ({knobs}) {arch}"


def compare_cell(old: dict[str, Any], new: dict[str, Any], depth_tolerance: int = 0,
                 success_tolerance: int = 0, rules: tuple[str, str] | None = None
                 ) -> list[str]:
    """What changed in one cell beyond the tolerances (empty list: unchanged).

    Solved vs unsolved always counts as a change; so does the same unsolved cell searched
    to a different depth ("> 4" vs "> 6" is a different table), and a different solve rule
    (``rules``: old, new), whatever the tolerances: the same counts mean another claim.
    ``success_tolerance`` bounds the change in successes and in failures among the counted
    seeds (the sequential rule counts seeds until the verdict is decided, so one more
    failure shows as 2/2 -> 2/3).
    """
    changes = []
    if rules is not None and rules[0] != rules[1]:
        changes.append(f"solve rule {rules[0]} -> {rules[1]}")
    a, b = old["minimal_depth"], new["minimal_depth"]
    if (a is None) != (b is None) or (a is None and old["max_depth_tried"]
                                      != new["max_depth_tried"]) \
            or (a is not None and abs(a - b) > depth_tolerance):
        changes.append(f"min depth {_depth_text(old)} -> {_depth_text(new)}")
    failures_old, failures_new = (old["seeds"] - old["successes"],
                                  new["seeds"] - new["successes"])
    if abs(old["successes"] - new["successes"]) > success_tolerance \
            or abs(failures_old - failures_new) > success_tolerance:
        changes.append(f"solved {old['successes']}/{old['seeds']} -> "
                       f"{new['successes']}/{new['seeds']}")
    return changes


def _config_diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    diffs = []
    for key in sorted(set(old) | set(new)):
        if key == "knobs":
            continue
        if old.get(key) != new.get(key):
            diffs.append(f"{key} {old.get(key)!r} -> {new.get(key)!r}")
    return ", ".join(diffs)


def compare(baseline: dict[str, Any], rows: list[Row], depth_tolerance: int = 0,
            success_tolerance: int = 0) -> tuple[list[Finding], int]:
    """(findings that changed, number of baseline cells that match within tolerance)."""
    current = build_baseline(rows)
    now = {json.dumps(t["config"], sort_keys=True): t for t in current["tables"]}
    findings: list[Finding] = []
    matched = 0

    def rules(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
        return cell_rule(baseline, old), cell_rule(current, new)

    unpaired_old: list[tuple[dict[str, Any], str]] = []
    seen: set[tuple[str, str]] = set()
    for table in baseline["tables"]:
        key = json.dumps(table["config"], sort_keys=True)
        for arch, old in sorted(table["cells"].items()):
            new_table = now.get(key)
            if new_table is None or arch not in new_table["cells"]:
                unpaired_old.append((table, arch))
                continue
            seen.add((key, arch))
            label = _label(table["task"], table["config"], arch)
            new = new_table["cells"][arch]
            changes = compare_cell(old, new, depth_tolerance, success_tolerance,
                                   rules(old, new))
            if changes:
                findings.append(Finding(label, "; ".join(changes)))
            else:
                matched += 1
    unpaired_new = [(t, arch) for key, t in now.items() for arch in sorted(t["cells"])
                    if (key, arch) not in seen]
    for table, arch in unpaired_old:
        partner = next(((t, a) for t, a in unpaired_new if a == arch and t["task"] ==
                        table["task"] and t["config"].get("knobs") ==
                        table["config"].get("knobs")), None)
        label = _label(table["task"], table["config"], arch)
        old = table["cells"][arch]
        if partner is None:
            findings.append(Finding(label, f"missing from the results (baseline: min depth "
                                           f"{_depth_text(old)}, solved "
                                           f"{old['successes']}/{old['seeds']})"))
            continue
        unpaired_new.remove(partner)
        new_table, _ = partner
        new = new_table["cells"][arch]
        changes = compare_cell(old, new, depth_tolerance, success_tolerance, rules(old, new))
        what = _config_diff(table["config"], new_table["config"])
        findings.append(Finding(label, f"configuration changed ({what}); "
                                + ("; ".join(changes) if changes else "finding unchanged")))
    for table, arch in unpaired_new:
        new = table["cells"][arch]
        findings.append(Finding(_label(table["task"], table["config"], arch),
                                f"not in the baseline (now: min depth {_depth_text(new)}, "
                                f"solved {new['successes']}/{new['seeds']})"))
    return findings, matched
