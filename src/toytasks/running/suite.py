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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toytasks import plugins
from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES, base_arch, get_architecture
from toytasks.running.plan import Job
from toytasks.specs.options import (
    RUN_INT_KEYS,
    arch_knob_triples,
    check_depth_range,
    check_int,
    check_lrs,
    check_table,
    check_variants,
    resolve,
    split_knobs,
)
from toytasks.specs.spec import PACKAGE_DIR, find_toml, load_spec, read_toml

BUILTIN_DIRS = (PACKAGE_DIR / "_profiles", PACKAGE_DIR.parents[1] / "profiles")

_RUN_KEYS = {"task", "arch", "lr", "set", *RUN_INT_KEYS}
_TOP_KEYS = {"description", "run"}


@dataclass(frozen=True)
class Profile:
    name: str
    path: str
    description: str
    runs: tuple[Job, ...]

    def jobs(self) -> list[Job]:
        """The entries in order, each announced as "[run i/n] ..."."""
        n = len(self.runs)
        return [Job(job.spec, job.opts, job.rule, f"[run {i}/{n}] {job.describe()}")
                for i, job in enumerate(self.runs, start=1)]


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


def _entry(entry: Any, where: str, tasks_dir: tuple[str, ...]) -> Job:
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
    knobs, arch_knobs = split_knobs(knobs)
    try:
        spec = spec.with_knobs(knobs)
    except ToytasksError as exc:
        raise ToytasksError(f"{where}: {exc}") from None
    values: dict[str, Any] = {key: check_int(entry[key], key, where)
                              for key in RUN_INT_KEYS if key in entry}
    archs = entry.get("arch", list(spec.defaults.architectures))
    archs = archs.split(",") if isinstance(archs, str) else archs
    if not isinstance(archs, list) or not archs or not all(isinstance(a, str) for a in archs):
        raise ToytasksError(f"{where}: 'arch' must be a list of architecture names")
    archs = [a.strip() for a in archs]
    bad = [a for a in archs if base_arch(a) not in ARCHITECTURES and ":" not in a
           and base_arch(a) not in plugins.registered(plugins.ARCH_GROUP)]
    if bad:
        raise ToytasksError(f"{where}: unknown architecture '{bad[0]}' "
                            f"(valid: {', '.join(ARCHITECTURES)})")
    try:
        for arch in archs:
            get_architecture(arch)
    except ToytasksError as exc:
        raise ToytasksError(f"{where}: {exc}") from None
    triples = arch_knob_triples(arch_knobs, archs, f"{where}: set")
    check_variants(archs, triples, f"{where}: arch")
    values.update(arch=tuple(archs), lr=check_lrs(entry.get("lr", [spec.budget.lr]), where),
                  arch_knobs=triples)
    opts = resolve(spec, values)
    check_depth_range(opts, where)
    return Job(spec, opts)
