"""Task specs: one TOML file per task (generator, knob values, solve rule, budget, defaults).

A spec is data, parsed with ``tomllib`` and validated strictly: an unknown key, a wrong
type or an out-of-range value is an error that names the file and the key. Knob schemas
(type, range, unit, meaning) live with the generator code, so a spec can only choose
values, never redefine what a knob means. A user adds a task variant by dropping a TOML
file into a tasks folder (``--tasks-dir`` or ``TOYTASKS_TASKS``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from toytasks import plugins
from toytasks.errors import ToytasksError
from toytasks.models import (
    ARCHITECTURES,
    base_arch,
    check_arch_knobs,
    get_architecture,
    variant_knobs,
)
from toytasks.specs.bounds import BOUNDS
from toytasks.tasks import Task, get_generator

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the toytasks package
BUILTIN_DIRS = (PACKAGE_DIR / "_tasks", PACKAGE_DIR.parents[1] / "tasks")
ENV_DIRS = "TOYTASKS_TASKS"


@dataclass(frozen=True)
class Budget:
    """Training budget: the same for every architecture in one table."""

    max_steps: int = 2000
    batch_size: int = 32
    lr: float = 3e-3
    eval_every: int = 100
    patience: int = 5  # 0: early stopping off (PATIENCE_OFF)
    test_size: int = 1024
    clip: float = 1.0
    gate_bias: float = 3.0
    pack: int = 1  # seeds trained as one model (--pack K): 1 trains each seed alone


@dataclass(frozen=True)
class RunDefaults:
    """What `toytasks run --task NAME` does when the user gives no option."""

    architectures: tuple[str, ...] = ("cnn", "tcn", "rnn", "lstm", "gru", "transformer")
    min_depth: int = 1
    max_depth: int = 12
    seeds: int = 3
    width: int = 32


@dataclass(frozen=True)
class TaskSpec:
    name: str
    generator: str
    description: str
    knobs: dict[str, Any]
    threshold: float
    budget: Budget = field(default_factory=Budget)
    defaults: RunDefaults = field(default_factory=RunDefaults)
    path: str = ""
    # How `threshold` was stated: None = absolute (solve.threshold); a fraction of the
    # trivial baseline (solve.relative_to_baseline); or "task" (a knob sets it).
    relative_to_baseline: float | None = None
    from_task: bool = False
    # [arch.ARCH] tables: architecture knobs every run of this task uses unless the run sets
    # them (--set ARCH.KNOB=V, a variant ARCH@KNOB=V), as (arch, knob, value), sorted.
    arch_knobs: tuple[tuple[str, str, Any], ...] = ()

    def make_generator(self) -> Task:
        return get_generator(self.generator)(**self.knobs)

    def with_knobs(self, overrides: dict[str, Any]) -> TaskSpec:
        """A copy with knob values replaced; values are validated against the schema.

        A threshold stated relative to the baseline or set by a knob is recomputed, so
        `--set` never leaves a stale threshold in the trials.
        """
        knobs = {**self.knobs, **overrides}
        task = get_generator(self.generator)(**knobs)  # validates names, types and ranges
        threshold = _effective_threshold(task, self.threshold, self.relative_to_baseline,
                                         self.from_task)
        return replace(self, knobs=task.values, threshold=threshold)

    def threshold_text(self) -> str:
        """The solve rule in words, e.g. 'mse <= 0.00167 (1% of the baseline)'."""
        task = self.make_generator()
        op = ">=" if task.higher_is_better else "<="
        how = ""
        if self.relative_to_baseline is not None:
            how = f" ({100 * self.relative_to_baseline:.3g}% of the baseline)"
        elif self.from_task:
            how = " (set by the knobs)"
        return f"{task.metric} {op} {self.threshold:.4g}{how}"


def _effective_threshold(task: Task, threshold: float, relative: float | None,
                         from_task: bool) -> float:
    """The absolute threshold that goes into every Trial (and so into its identity)."""
    if from_task and task.solve_threshold is not None:
        return float(task.solve_threshold)
    if relative is not None:
        return relative * task.baseline
    return threshold


# --- schema ---------------------------------------------------------------------------
_BUDGET_TYPES = {"max_steps": int, "batch_size": int, "lr": float, "eval_every": int,
                 "patience": int, "test_size": int, "clip": float, "gate_bias": float,
                 "pack": int}
_BUDGET_RANGES = {"max_steps": BOUNDS["steps"], "batch_size": BOUNDS["batch_size"],
                  "lr": (1e-7, 10.0),
                  "eval_every": (1, 10**6), "patience": BOUNDS["patience"],
                  "test_size": (16, 10**6),
                  "clip": (1e-6, 1e6), "gate_bias": (-20.0, 20.0),
                  "pack": BOUNDS["pack"]}
_SEARCH_TYPES = {"architectures": list, "min_depth": int, "max_depth": int, "seeds": int,
                 "width": int}
_SEARCH_RANGES = {key: BOUNDS[key] for key in ("min_depth", "max_depth", "seeds", "width")}
_TOP_KEYS = {"name", "generator", "description", "knobs", "solve", "budget", "search", "arch"}


def _fail(path: str, message: str) -> ToytasksError:
    return ToytasksError(f"{path}: {message}")


def _typed(path: str, key: str, value: Any, kind: type, bounds: tuple | None) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _fail(path, f"'{key}' must be {kind.__name__}, got {value!r}")
    if bounds and not bounds[0] <= value <= bounds[1]:
        raise _fail(path, f"'{key}' = {value!r} is out of range [{bounds[0]}, {bounds[1]}]")
    return value


def _section(path: str, data: dict, name: str, types: dict, ranges: dict) -> dict[str, Any]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise _fail(path, f"[{name}] must be a table")
    unknown = sorted(set(section) - set(types))
    if unknown:
        raise _fail(path, f"unknown key '{name}.{unknown[0]}' (valid: {', '.join(types)})")
    return {
        key: _typed(path, f"{name}.{key}", value, types[key], ranges.get(key))
        for key, value in section.items()
    }


def parse_spec(data: dict[str, Any], path: str) -> TaskSpec:
    """Validate parsed TOML data into a TaskSpec; every error names ``path`` and the key."""
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _fail(path, f"unknown key '{unknown[0]}' (valid: {', '.join(sorted(_TOP_KEYS))})")
    if "generator" not in data:
        raise _fail(path, "missing key 'generator'")
    generator = _typed(path, "generator", data["generator"], str, None)
    name = _typed(path, "name", data.get("name", Path(path).stem), str, None)
    description = _typed(path, "description", data.get("description", ""), str, None)
    try:
        cls = get_generator(generator)
    except ToytasksError as exc:
        raise _fail(path, str(exc)) from None
    knobs = data.get("knobs", {})
    if not isinstance(knobs, dict):
        raise _fail(path, "[knobs] must be a table")
    try:
        task = cls(**knobs)
    except ToytasksError as exc:
        raise _fail(path, f"[knobs] {exc}") from None

    threshold, relative, from_task = _parse_solve(path, data.get("solve", {}), task)

    budget = Budget(**_section(path, data, "budget", _BUDGET_TYPES, _BUDGET_RANGES))
    search_values = _section(path, data, "search", _SEARCH_TYPES, _SEARCH_RANGES)
    if "architectures" in search_values:
        archs = search_values["architectures"]
        try:
            bad = [a for a in archs if not _is_architecture(a)]
        except ToytasksError as exc:
            raise _fail(path, f"'search.architectures': {exc}") from None
        if not archs or bad:
            raise _fail(path, f"'search.architectures' has unknown architecture "
                              f"{bad[0] if bad else '(empty list)'!r} "
                              f"(valid: {', '.join(ARCHITECTURES)})")
        search_values["architectures"] = tuple(archs)
    defaults = RunDefaults(**search_values)
    if defaults.min_depth > defaults.max_depth:
        raise _fail(path, "'search.min_depth' is larger than 'search.max_depth'")
    return TaskSpec(name, generator, description, task.values, threshold, budget, defaults, path,
                    relative, from_task, _parse_arch(path, data.get("arch", {})))


def _parse_arch(path: str, tables: Any) -> tuple[tuple[str, str, Any], ...]:
    """``[arch.cnn] kernel = 5`` -> (('cnn', 'kernel', 5),), checked by the knob schema."""
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise _fail(path, "[arch] must hold one table per architecture, e.g. [arch.cnn]")
    out = []
    for arch, values in tables.items():
        try:
            checked = check_arch_knobs(arch, values, f"[arch.{arch}]")
        except ToytasksError as exc:
            raise _fail(path, str(exc)) from None
        out += [(arch, knob, value) for knob, value in checked.items()]
    return tuple(sorted(out, key=lambda t: (t[0], t[1])))


_SOLVE_KEYS = ("threshold", "relative_to_baseline", "from_task")


def _parse_solve(path: str, solve: Any, task: Task) -> tuple[float, float | None, bool]:
    """[solve]: exactly one of threshold, relative_to_baseline, from_task = true."""
    if not isinstance(solve, dict):
        raise _fail(path, "[solve] must be a table")
    unknown = sorted(set(solve) - set(_SOLVE_KEYS))
    given = [key for key in _SOLVE_KEYS if key in solve]
    if unknown:
        raise _fail(path, f"unknown key 'solve.{unknown[0]}' (valid: {', '.join(_SOLVE_KEYS)})")
    if not given:
        raise _fail(path, "missing key 'solve.threshold' (or 'solve.relative_to_baseline', "
                          "'solve.from_task = true')")
    if len(given) > 1:
        raise _fail(path, "[solve] takes exactly one of 'threshold', 'relative_to_baseline', "
                          "'from_task = true'")
    if task.solve_threshold is not None and given != ["from_task"]:
        raise _fail(path, f"task '{task.name}' sets its threshold from its knobs; "
                          f"use 'solve.from_task = true'")
    if "from_task" in solve:
        if solve["from_task"] is not True:
            raise _fail(path, f"'solve.from_task' must be true, got {solve['from_task']!r}")
        if task.solve_threshold is None:
            raise _fail(path, f"'solve.from_task': task '{task.name}' has no knob that sets "
                              f"a threshold; use 'solve.threshold'")
        return float(task.solve_threshold), None, True
    if "relative_to_baseline" in solve:
        relative = _typed(path, "solve.relative_to_baseline", solve["relative_to_baseline"],
                          float, (0.0, 1.0))
        if task.higher_is_better:
            raise _fail(path, f"'solve.relative_to_baseline' needs a lower-is-better metric "
                              f"(mse); task '{task.name}' scores {task.metric}: use "
                              f"'solve.threshold'")
        if relative <= 0.0 or task.baseline <= 0.0:
            raise _fail(path, f"'solve.relative_to_baseline' = {relative!r} must be > 0")
        return relative * task.baseline, relative, False
    return _typed(path, "solve.threshold", solve["threshold"], float, (0.0, 1e9)), None, False


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a user's TOML file (data only: tomllib never executes anything)."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ToytasksError(f"{path}: cannot read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:  # not UTF-8 is not TOML
        raise ToytasksError(f"{path}: not valid TOML ({exc})") from None


def find_toml(name: str, dirs: list[Path], noun: str, file_noun: str) -> Path:
    """A TOML file by path, or by name (file stem) in the first of ``dirs`` that exists:
    how task specs' siblings (suite profiles, study specs) are found."""
    found = {p.stem: p for d in dirs[:1] for p in sorted(d.glob("*.toml"))}
    if name.endswith(".toml") or "/" in name:
        path = Path(name)
        if not path.is_file():
            stem = path.stem if path.suffix == ".toml" else path.name
            hint = (f" (paths are relative to the current folder; the installed {noun} of "
                    f"that name is '{stem}': give it without the path)") if stem in found else ""
            raise ToytasksError(f"{file_noun} '{name}' not found{hint}")
        return path
    if name not in found:
        valid = ", ".join(sorted(found)) or "none found"
        raise ToytasksError(f"unknown {noun} '{name}' (valid: {valid}; or a path to .toml)")
    return found[name]


def load_spec_file(path: Path) -> TaskSpec:
    return parse_spec(read_toml(path), str(path))


def task_dirs(extra: list[str] | tuple[str, ...] = ()) -> list[Path]:
    """Built-in specs first, then $TOYTASKS_TASKS, then --tasks-dir: later ones win."""
    env = [p for p in os.environ.get(ENV_DIRS, "").split(os.pathsep) if p]
    builtin = next((d for d in BUILTIN_DIRS if d.is_dir()), None)
    dirs = ([builtin] if builtin else []) + [Path(p) for p in (*env, *extra)]
    for directory in dirs[1:]:
        if not directory.is_dir():
            raise ToytasksError(f"tasks folder '{directory}' does not exist (or is not a folder)")
    return dirs


def available_specs(extra_dirs: list[str] | tuple[str, ...] = ()) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory in task_dirs(extra_dirs):
        for path in sorted(directory.glob("*.toml")):
            found[path.stem] = path
    return found


def _is_architecture(name: Any) -> bool:
    """A built-in or plugin architecture, or a variant of one (``lstm@gate_bias=1``, whose
    knobs are checked here)."""
    if not isinstance(name, str):
        return False
    if base_arch(name) != name:
        if not _is_architecture(base_arch(name)):
            return False
        variant_knobs(name)
        return True
    if name in ARCHITECTURES or not (":" in name or name in plugins.registered(
            plugins.ARCH_GROUP)):
        return name in ARCHITECTURES
    get_architecture(name)  # a plugin: its own one-line error names what is wrong
    return True


def generator_spec(generator: str) -> TaskSpec:
    """A spec for a plugin generator named without a TOML file: its knobs' defaults and
    the class's ``default_solve`` table (else accuracy >= 0.95, or MSE <= 1% of the
    baseline for regression)."""
    cls = get_generator(generator)
    solve = getattr(cls, "default_solve", None) or (
        {"threshold": 0.95} if cls.kind == "classification" else {"relative_to_baseline": 0.01})
    return parse_spec({"generator": generator, "name": generator, "solve": dict(solve),
                       "description": cls.summary}, generator)


def load_spec(name: str, extra_dirs: list[str] | tuple[str, ...] = ()) -> TaskSpec:
    """A task by registry name, a path to a .toml spec file, or a plugin generator (an
    import path or an entry-point name of the group toytasks.tasks)."""
    if name.endswith(".toml"):
        return load_spec_file(Path(name))
    specs = available_specs(extra_dirs)
    if name not in specs and (plugins.is_import_path(name)
                              or name in plugins.registered(plugins.TASK_GROUP)):
        return generator_spec(name)
    if name not in specs:
        raise ToytasksError(f"unknown task '{name}' (valid: {', '.join(sorted(specs))})")
    return load_spec_file(specs[name])


def parse_assignments(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Parse repeated ``--set key=value`` options (values are validated by the knob schema)."""
    result: dict[str, str] = {}
    for item in items:
        for part in item.split(","):
            key, sep, value = part.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise ToytasksError(f"--set expects key=value, got {part!r}")
            result[key.strip()] = value.strip()
    return result
