"""Studies: one spec, one command, the experiments that test explanations (a)–(e).

A study spec (``experiments/NAME.toml``) names a question, a few profiles (``quick``,
``paper``: seeds, rule, budget) and one section per explanation it tests, ``[a]`` .. ``[e]``.
Any value may be given per profile as a table keyed by profile name, e.g.
``seeds = { quick = 3, paper = 10 }``. ``toytasks study SPEC --profile P --out DIR`` runs
every section into its own results folder ``DIR/<letter>/`` (resumable like ``run``),
writes ``DIR/study.json`` (what was asked, resolved for the profile) and the report. The
report reads only ``study.json`` and the stores (docs/report.md).

What each section runs (the experiment that tests its explanation):
  * a: a sweep of one knob (``vary``, ``values``), archs ``conv`` and ``recurrent``;
  * b: ``arch`` and ``residual`` at each of ``depths``, every seed (exhaustive),
    with ``--diagnostics`` (gradient per layer at initialisation);
  * c: ``recurrent`` and ``conv`` on a finite training set (``train_size``), diagnostics;
  * d: every architecture of ``pairs`` ([gated, plain], ...), minimal-depth search;
  * e: ``recurrent`` and ``conv`` at the spec's width and with ``match_params``.
After each minimal-depth search, the cells that decide a minimal depth (the minimal depth
and the one below it, or the deepest depth of an unsolved row) are *confirmed*: their
remaining seeds are trained, so that the report's intervals rest on every seed asked for
(the decisions do not change: the rule reads seeds in order).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from toytasks import __version__
from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES
from toytasks.runner import RunOptions, default_options
from toytasks.runner import run as run_search
from toytasks.search import RULES, SEARCHES, SolveRule, get_rule
from toytasks.spec import PACKAGE_DIR, TaskSpec, find_toml, load_spec, read_toml
from toytasks.store import ResultStore
from toytasks.suite import check_depth_range, check_table, parse_lrs
from toytasks.summary import Row

BUILTIN_DIRS = (PACKAGE_DIR / "_experiments", PACKAGE_DIR.parents[1] / "experiments")
MANIFEST = "study.json"
LETTERS = ("a", "b", "c", "d", "e")

EXPLANATIONS = {
    "a": ("receptive field vs state",
          "a CNN must stack layers until its receptive field spans the pattern, while an "
          "LSTM carries it in its state"),
    "b": ("deep recurrent stacks are hard to train",
          "deep RNN stacks are hard to train (vanishing gradients)"),
    "c": ("overfitting", "RNNs overfit sequential data fast"),
    "d": ("multiplication",
          "RNN gates multiply inputs while a CNN only adds, so a CNN needs many layers to "
          "imitate multiplication"),
    "e": ("parameter count",
          "RNN layers are fully connected and simply have more parameters"),
}

_INT_KEYS = {"seeds": (1, 1000), "min_depth": (1, 256), "max_depth": (1, 256),
             "width": (1, 4096), "steps": (1, 10**7), "batch_size": (1, 65536)}
_RUN_KEYS = {*_INT_KEYS, "rule", "search", "lr"}
_SECTION_KEYS = {
    "a": {"conv", "recurrent", "vary", "values"},
    "b": {"arch", "residual", "depths"},
    "c": {"conv", "recurrent", "train_size"},
    "d": {"pairs"},
    "e": {"conv", "recurrent", "match_params"},
}
_COMMON_KEYS = {"task", "set", "note", *_RUN_KEYS}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Experiment:
    """One section of a study, resolved for a profile."""

    letter: str
    spec: TaskSpec
    opts: RunOptions
    rule: str
    params: dict[str, Any]  # the section's own keys (conv, recurrent, vary, values, ...)
    note: str = ""

    def manifest(self) -> dict[str, Any]:
        return {"task": self.spec.name, "knobs": dict(sorted(self.spec.knobs.items())),
                "rule": self.rule, "seeds": self.opts.seeds, "search": self.opts.search,
                "min_depth": self.opts.min_depth, "max_depth": self.opts.max_depth,
                "width": self.opts.width, "steps": self.opts.max_steps,
                "batch_size": self.opts.batch_size, "lr": list(self.opts.lrs),
                "archs": list(self.opts.archs), "note": self.note, **self.params}


@dataclass(frozen=True)
class Study:
    name: str
    path: str
    question: str
    description: str
    profile: str
    profiles: tuple[str, ...]
    experiments: tuple[Experiment, ...]

    def manifest(self) -> dict[str, Any]:
        return {"study": self.name, "spec": self.path, "question": self.question,
                "description": self.description, "profile": self.profile,
                "experiments": {e.letter: e.manifest() for e in self.experiments}}


def find_study(name: str) -> Path:
    """A study spec by path, or by name in the built-in ``experiments/`` folder."""
    return find_toml(name, [d for d in BUILTIN_DIRS if d.is_dir()], "study", "study spec")


def load_study(name: str, profile: str, tasks_dir: tuple[str, ...] = ()) -> Study:
    """Parse and validate a study spec for one profile (errors name the file and the key)."""
    path = find_study(name)
    data = read_toml(path)  # also turns a file that is not UTF-8 into a one-line error
    top = {"question", "description", "profile", *LETTERS}
    unknown = sorted(set(data) - top)
    if unknown:
        raise ToytasksError(f"{path}: unknown key '{unknown[0]}' "
                            f"(valid: {', '.join(sorted(top))})")
    profiles = data.get("profile")
    if not isinstance(profiles, dict) or not profiles:
        raise ToytasksError(f"{path}: needs at least one [profile.NAME] table")
    if profile not in profiles:
        raise ToytasksError(f"{path}: unknown profile '{profile}' "
                            f"(valid: {', '.join(profiles)})")
    for key in ("question", "description"):
        if not isinstance(data.get(key, ""), str):
            raise ToytasksError(f"{path}: '{key}' must be a string")
    defaults = profiles[profile]
    where = f"{path}: profile.{profile}"
    check_table(defaults, where, _RUN_KEYS)
    names = tuple(profiles)
    experiments = []
    for letter in LETTERS:
        if letter in data:
            section = data[letter]
            if not isinstance(section, dict):
                raise ToytasksError(f"{path}: [{letter}] must be a table")
            values = {k: _for_profile(v, names, profile, f"{path}: {letter}.{k}")
                      for k, v in section.items()}
            if isinstance(values.get("set"), dict):  # knob values may be per profile too
                values["set"] = {k: _for_profile(v, names, profile, f"{path}: {letter}.set.{k}")
                                 for k, v in values["set"].items()}
            experiments.append(_experiment(letter, values, defaults, f"{path}: [{letter}]",
                                           tasks_dir))
    if not experiments:
        raise ToytasksError(f"{path}: names no explanation to test (sections [a] .. [e])")
    return Study(path.stem, str(path), data.get("question", ""), data.get("description", ""),
                 profile, names, tuple(experiments))


def _for_profile(value: Any, profiles: tuple[str, ...], profile: str, where: str) -> Any:
    """A value, or a table keyed by profile name (which must then name every profile)."""
    if isinstance(value, dict) and value and set(value) <= set(profiles):
        missing = [p for p in profiles if p not in value]
        if missing:
            raise ToytasksError(f"{where}: gives no value for profile '{missing[0]}'")
        return value[profile]
    return value


def _int(value: Any, key: str, where: str, low: int = 1, high: int = 10**7) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ToytasksError(f"{where}: '{key}' must be an integer in [{low}, {high}], "
                            f"got {value!r}")
    return value


def _arch(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str) or value not in ARCHITECTURES:
        raise ToytasksError(f"{where}: '{key}' must be an architecture "
                            f"(valid: {', '.join(ARCHITECTURES)}), got {value!r}")
    return value


def _experiment(letter: str, values: dict[str, Any], defaults: dict[str, Any], where: str,
                tasks_dir: tuple[str, ...]) -> Experiment:
    allowed = _COMMON_KEYS | _SECTION_KEYS[letter]
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ToytasksError(f"{where}: unknown key '{unknown[0]}' "
                            f"(valid: {', '.join(sorted(allowed))})")
    missing = sorted(k for k in _SECTION_KEYS[letter] | {"task"} if k not in values)
    if missing:
        raise ToytasksError(f"{where}: '{missing[0]}' is required")
    try:
        spec = load_spec(values["task"], tasks_dir)
        knobs = values.get("set", {})
        if not isinstance(knobs, dict):
            raise ToytasksError("'set' must be a table of knob = value")
        spec = spec.with_knobs(knobs)
    except ToytasksError as exc:
        raise ToytasksError(f"{where}: {exc}") from None
    run = {**defaults, **{k: v for k, v in values.items() if k in _RUN_KEYS}}
    opts = default_options(spec)
    ints = {k: _int(run[k], k, where, *_INT_KEYS[k]) for k in _INT_KEYS if k in run}
    rule = run.get("rule", "majority")
    if rule not in RULES:
        raise ToytasksError(f"{where}: 'rule' must be one of {', '.join(RULES)}, got {rule!r}")
    search = run.get("search", "adaptive")
    if search not in SEARCHES:
        raise ToytasksError(f"{where}: 'search' must be one of {', '.join(SEARCHES)}, "
                            f"got {search!r}")
    opts = replace(
        opts, seeds=ints.get("seeds", opts.seeds), min_depth=ints.get("min_depth", 1),
        max_depth=ints.get("max_depth", opts.max_depth), width=ints.get("width", opts.width),
        max_steps=ints.get("steps", opts.max_steps),
        batch_size=ints.get("batch_size", opts.batch_size),
        lrs=parse_lrs(run.get("lr", list(opts.lrs)), where), search=search,
    )
    check_depth_range(opts, where)
    try:
        get_rule(rule).check_seeds(opts.seeds)
    except ToytasksError as exc:
        raise ToytasksError(f"{where}: {exc}") from None
    params, archs = _section(letter, values, spec, where)
    note = values.get("note", "")
    if not isinstance(note, str):
        raise ToytasksError(f"{where}: 'note' must be a string")
    return Experiment(letter, spec, replace(opts, archs=archs), rule, params, note)


def _section(letter: str, values: dict[str, Any], spec: TaskSpec,
             where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The section's own keys, validated, and the architectures it trains."""
    if letter in ("a", "c", "e"):
        params = {k: _arch(values[k], k, where) for k in ("recurrent", "conv")}
        archs = (params["recurrent"], params["conv"])
        if letter == "a":
            knob = values["vary"]
            if not isinstance(knob, str) or knob not in spec.knobs:
                raise ToytasksError(f"{where}: 'vary' must be a knob of '{spec.name}' "
                                    f"(valid: {', '.join(spec.knobs)}), got {knob!r}")
            items = values["values"]
            if not isinstance(items, list) or len(items) < 2:
                raise ToytasksError(f"{where}: 'values' must list at least two values of "
                                    f"'{knob}'")
            try:
                checked = [spec.with_knobs({knob: v}).knobs[knob] for v in items]
            except ToytasksError as exc:
                raise ToytasksError(f"{where}: {exc}") from None
            if len(set(map(repr, checked))) != len(checked):
                raise ToytasksError(f"{where}: 'values' lists a value twice")
            params.update(vary=knob, values=checked)
        elif letter == "c":
            params["train_size"] = _int(values["train_size"], "train_size", where)
        else:
            params["match_params"] = _int(values["match_params"], "match_params", where,
                                          1, 10**9)
        return params, archs
    if letter == "b":
        params = {k: _arch(values[k], k, where) for k in ("arch", "residual")}
        depths = values["depths"]
        if (not isinstance(depths, list) or len(depths) < 2
                or len(set(map(repr, depths))) != len(depths)):
            raise ToytasksError(f"{where}: 'depths' must list at least two distinct depths")
        params["depths"] = sorted(_int(d, "depths", where, 1, 256) for d in depths)
        return params, (params["arch"], params["residual"])
    pairs = values["pairs"]
    if (not isinstance(pairs, list) or not pairs
            or not all(isinstance(p, list) and len(p) == 2 for p in pairs)):
        raise ToytasksError(f"{where}: 'pairs' must be a list of [gated, plain] pairs")
    checked_pairs = [[_arch(a, "pairs", where) for a in pair] for pair in pairs]
    archs = tuple(dict.fromkeys(a for pair in checked_pairs for a in pair))
    return {"pairs": checked_pairs}, archs


# --- running ------------------------------------------------------------------------------
def store_dir(root: Path, letter: str) -> Path:
    return root / letter


def write_manifest(study: Study, root: Path) -> None:
    text = json.dumps({**study.manifest(), "toytasks": __version__}, indent=2,
                      sort_keys=True)
    try:
        root.mkdir(parents=True, exist_ok=True)
        (root / MANIFEST).write_text(text + "\n")
    except OSError as exc:  # e.g. --out under a file: one line, not a traceback
        raise ToytasksError(f"cannot write study folder '{root}' ({exc.strerror or exc})"
                            ) from None


def read_manifest(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    if not path.is_file():
        raise ToytasksError(f"'{root}' is not a study folder (no {MANIFEST}; run "
                            f"toytasks study SPEC --out {root} first)")
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ToytasksError(f"{path}: cannot read ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("experiments"), dict):
        raise ToytasksError(f"{path}: not a study manifest (no 'experiments')")
    return data


def run_experiment(exp: Experiment, store: ResultStore, executor: Executor, workers: int,
                   progress: Progress = lambda _: None) -> None:
    """Train what one section needs into ``store`` (resuming what is already there)."""
    rule = get_rule(exp.rule)
    opts = exp.opts

    def search(spec: TaskSpec, options: RunOptions) -> None:
        rows = run_search(spec, options, store, executor, workers, progress, rule)
        if options.search != "exhaustive":
            confirm(spec, options, rows, rule, store, executor, workers, progress)

    if exp.letter == "a":
        for value in exp.params["values"]:
            progress(f"(a) {exp.params['vary']}={value}")
            search(exp.spec.with_knobs({exp.params["vary"]: value}), opts)
    elif exp.letter == "b":
        for depth in exp.params["depths"]:
            progress(f"(b) depth {depth}, every seed")
            run_search(exp.spec, replace(opts, min_depth=depth, max_depth=depth,
                                         search="exhaustive", diagnostics=True),
                       store, executor, workers, progress, rule)
    elif exp.letter == "c":
        search(exp.spec, replace(opts, train_size=exp.params["train_size"], diagnostics=True))
    elif exp.letter == "d":
        search(exp.spec, opts)
    else:
        progress("(e) at the spec's width")
        search(exp.spec, opts)
        progress(f"(e) width matched to ~{exp.params['match_params']:,} parameters")
        search(exp.spec, replace(opts, match_params=exp.params["match_params"]))


def decisive_depths(row: Row) -> list[int]:
    """The cells that decide a row's minimal depth: that depth and the one below it (when
    trained), or the deepest depth tried when unsolved."""
    if row.minimal_depth is None:
        return [row.max_depth_tried]
    return [d for d in (row.minimal_depth - 1, row.minimal_depth) if d in row.depths]


def confirm(spec: TaskSpec, opts: RunOptions, rows: list[Row], rule: SolveRule,
            store: ResultStore, executor: Executor, workers: int,
            progress: Progress = lambda _: None) -> None:
    """Train every seed asked for at each row's decisive depths (an exhaustive run at one
    depth): the evidence then counts all seeds, the decision is unchanged."""
    for row in rows:
        for depth in decisive_depths(row):
            if row.depths[depth].seeds < opts.seeds:
                progress(f"confirm {row.arch} depth {depth}: all {opts.seeds} seeds")
                run_search(spec, replace(opts, archs=(row.arch,), min_depth=depth,
                                         max_depth=depth, search="exhaustive"),
                           store, executor, workers, progress, rule)


__all__ = ["EXPLANATIONS", "Experiment", "Study", "load_study", "read_manifest",
           "run_experiment", "write_manifest"]
