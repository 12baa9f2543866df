"""Suite profiles: a named list of runs (task + options) that fill one results folder.

A profile is a TOML file, e.g. ``profiles/quick.toml``::

    description = "what this profile is for"

    [[run]]
    task = "cycle-pattern"          # task name or path to a .toml spec
    arch = ["lstm", "gru", "tcn"]   # default: the spec's architectures
    seeds = 3                       # also: min_depth, max_depth, width, lr, steps, batch_size
    set = { period_samples = 4 }    # knob overrides, as with --set

Each entry means exactly what the same options mean to ``toytasks run``; the suite runs
them in order into one store, so a profile resumes like a single run and its tables,
baselines and checks read that store only. Validation is strict: an unknown key, a wrong
type or an out-of-range value names the file, the entry and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES
from toytasks.runner import RunOptions, default_options
from toytasks.spec import PACKAGE_DIR, TaskSpec, find_toml, load_spec, read_toml

BUILTIN_DIRS = (PACKAGE_DIR / "_profiles", PACKAGE_DIR.parents[1] / "profiles")

_INT_KEYS = {"seeds": (1, 1000), "min_depth": (1, 256), "max_depth": (1, 256),
             "width": (1, 4096), "steps": (1, 10**7), "batch_size": (1, 65536)}
_RUN_KEYS = {"task", "arch", "lr", "set", *_INT_KEYS}
_TOP_KEYS = {"description", "run"}


@dataclass(frozen=True)
class SuiteRun:
    """One entry of a profile, resolved: the task spec (knobs applied) and run options."""

    spec: TaskSpec
    opts: RunOptions

    def describe(self) -> str:
        return (f"{self.spec.name}, archs {','.join(self.opts.archs)}, depths "
                f"{self.opts.min_depth}..{self.opts.max_depth}, {self.opts.seeds} seed(s), "
                f"{self.opts.max_steps} steps")


@dataclass(frozen=True)
class Profile:
    name: str
    path: str
    description: str
    runs: tuple[SuiteRun, ...]


def profile_dirs() -> list[Path]:
    return [d for d in BUILTIN_DIRS if d.is_dir()][:1]


def find_profile(name: str) -> Path:
    """A built-in profile by name, or a path to a profile TOML file."""
    return find_toml(name, profile_dirs(), "profile", "profile file")


def load_profile(name: str, tasks_dir: tuple[str, ...] = ()) -> Profile:
    path = find_profile(name)
    data = read_toml(path)
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ToytasksError(f"{path}: unknown key '{unknown[0]}' (valid: description, run)")
    entries = data.get("run")
    if not isinstance(entries, list) or not entries:
        raise ToytasksError(f"{path}: needs at least one [[run]] entry")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ToytasksError(f"{path}: 'description' must be a string")
    runs = tuple(_entry(entry, f"{path}: run[{i}]", tasks_dir)
                 for i, entry in enumerate(entries))
    return Profile(path.stem, str(path), description, runs)


def _entry(entry: Any, where: str, tasks_dir: tuple[str, ...]) -> SuiteRun:
    check_table(entry, where, _RUN_KEYS)
    if not isinstance(entry.get("task"), str):
        raise ToytasksError(f"{where}: 'task' (a task name) is required")
    try:
        spec = load_spec(entry["task"], tasks_dir)
    except ToytasksError as exc:
        raise ToytasksError(f"{where}: {exc}") from None
    knobs = entry.get("set", {})
    if not isinstance(knobs, dict):
        raise ToytasksError(f"{where}: 'set' must be a table of knob = value")
    try:
        spec = spec.with_knobs(knobs)
    except ToytasksError as exc:
        raise ToytasksError(f"{where}: {exc}") from None
    opts = default_options(spec)
    values: dict[str, Any] = {}
    for key, (low, high) in _INT_KEYS.items():
        if key in entry:
            value = entry[key]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ToytasksError(f"{where}: '{key}' must be an integer in [{low}, {high}], "
                                    f"got {value!r}")
            values[key] = value
    archs = entry.get("arch", list(opts.archs))
    archs = archs.split(",") if isinstance(archs, str) else archs
    if not isinstance(archs, list) or not archs or not all(isinstance(a, str) for a in archs):
        raise ToytasksError(f"{where}: 'arch' must be a list of architecture names")
    archs = [a.strip() for a in archs]
    bad = [a for a in archs if a not in ARCHITECTURES]
    if bad:
        raise ToytasksError(f"{where}: unknown architecture '{bad[0]}' "
                            f"(valid: {', '.join(ARCHITECTURES)})")
    opts = replace(
        opts, archs=tuple(archs), lrs=parse_lrs(entry.get("lr", list(opts.lrs)), where),
        seeds=values.get("seeds", opts.seeds),
        min_depth=values.get("min_depth", opts.min_depth),
        max_depth=values.get("max_depth", opts.max_depth),
        width=values.get("width", opts.width), max_steps=values.get("steps", opts.max_steps),
        batch_size=values.get("batch_size", opts.batch_size),
    )
    check_depth_range(opts, where)
    return SuiteRun(spec, opts)


def check_table(value: Any, where: str, allowed: set[str]) -> None:
    """A TOML table whose keys are all in ``allowed`` (profile and study entries)."""
    if not isinstance(value, dict):
        raise ToytasksError(f"{where} must be a table")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ToytasksError(f"{where}: unknown key '{unknown[0]}' "
                            f"(valid: {', '.join(sorted(allowed))})")


def parse_lrs(value: Any, where: str) -> tuple[float, ...]:
    """A learning rate or a list of them, from a profile or study file."""
    lrs = value if isinstance(value, list) else [value]
    if not lrs or not all(isinstance(lr, (int, float)) and not isinstance(lr, bool)
                          and 0 < lr <= 10 for lr in lrs):
        raise ToytasksError(f"{where}: 'lr' must be a number in (0, 10] or a list of them")
    return tuple(float(lr) for lr in lrs)


def check_depth_range(opts: RunOptions, where: str) -> None:
    if opts.min_depth > opts.max_depth:
        raise ToytasksError(f"{where}: min_depth {opts.min_depth} is larger than max_depth "
                            f"{opts.max_depth}")
