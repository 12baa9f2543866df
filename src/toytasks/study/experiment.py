"""Studies: one spec, one command, the experiments that test explanations (a), (b), ...

A study spec (``experiments/NAME.toml``) names a question, a few profiles (``quick``,
``paper``: seeds, rule, budget) and one section per explanation it tests, ``[a]``, ``[b]``,
... (the letters of the registry, ``toytasks.study.explanations``).
Any value may be given per profile as a table keyed by profile name, e.g.
``seeds = { quick = 3, paper = 10 }``. ``toytasks study SPEC --profile P --out DIR`` runs
every section into its own results folder ``DIR/<letter>/`` (resumable like ``run``),
writes ``DIR/study.json`` (what was asked, resolved for the profile) and the report. The
report reads only ``study.json`` and the stores (docs/report.md).

What each section runs is its explanation's ``jobs`` (see the modules of
``toytasks.study.explanations``); after a minimal-depth search, the cells that decide a minimal
depth are *confirmed* (``toytasks.running.plan``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from toytasks import __version__
from toytasks.errors import ToytasksError
from toytasks.specs.options import (
    DEFAULTS,
    RUN_INT_KEYS,
    arch_knob_triples,
    check_depth_range,
    check_int,
    check_lrs,
    check_table,
    check_variants,
    merge_knobs,
    resolve,
    split_knobs,
)
from toytasks.specs.spec import PACKAGE_DIR, find_toml, load_spec, read_toml
from toytasks.study.explanations import EXPLANATIONS
from toytasks.study.sections import Experiment
from toytasks.training.search import SEARCHES
from toytasks.training.solve import RULES, get_rule

BUILTIN_DIRS = (PACKAGE_DIR / "_experiments", PACKAGE_DIR.parents[1] / "experiments")
MANIFEST = "study.json"

_RUN_KEYS = {*RUN_INT_KEYS, "rule", "search", "lr"}
# what a profile may set for the study as a whole, after each section's jobs
# (``toytasks.study.budget``, ``toytasks.study.extension``)
_PROFILE_KEYS = {"budget_reruns", "fragile_seeds"}
FRAGILE_SEEDS_MAX = 1000
_COMMON_KEYS = {"task", "set", "note", *_RUN_KEYS}


@dataclass(frozen=True)
class Study:
    name: str
    path: str
    question: str
    description: str
    profile: str
    profiles: tuple[str, ...]
    experiments: tuple[Experiment, ...]
    # rerun each section's deciding unsolved cells at 2x the steps, early stopping off
    budget_reruns: bool = False
    # add seeds to the cells that make a verdict fragile, up to this many (0: off)
    fragile_seeds: int = 0

    def manifest(self) -> dict[str, Any]:
        return {"study": self.name, "spec": self.path, "question": self.question,
                "description": self.description, "profile": self.profile,
                "experiments": {e.letter: e.manifest() for e in self.experiments},
                # only when set: manifests (and reports) without them stay as they were
                **({"budget_reruns": True} if self.budget_reruns else {}),
                **({"fragile_seeds": self.fragile_seeds} if self.fragile_seeds else {})}


def find_study(name: str) -> Path:
    """A study spec by path, or by name in the built-in ``experiments/`` folder."""
    return find_toml(name, [d for d in BUILTIN_DIRS if d.is_dir()], "study", "study spec")


def load_study(name: str, profile: str, tasks_dir: tuple[str, ...] = ()) -> Study:
    """Parse and validate a study spec for one profile (errors name the file and the key)."""
    path = find_study(name)
    data = read_toml(path)  # also turns a file that is not UTF-8 into a one-line error
    top = {"question", "description", "profile", *EXPLANATIONS}
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
    where = f"{path}: profile.{profile}"
    check_table(profiles[profile], where, _RUN_KEYS | _PROFILE_KEYS)
    defaults = dict(profiles[profile])
    reruns = defaults.pop("budget_reruns", False)
    if not isinstance(reruns, bool):
        raise ToytasksError(f"{where}: 'budget_reruns' must be true or false, got {reruns!r}")
    fragile_seeds = check_int(defaults.pop("fragile_seeds", 0), "fragile_seeds", where,
                              (0, FRAGILE_SEEDS_MAX))
    names = tuple(profiles)
    experiments = []
    for letter in EXPLANATIONS:
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
        letters = list(EXPLANATIONS)
        raise ToytasksError(f"{path}: names no explanation to test (sections "
                            f"[{letters[0]}] .. [{letters[-1]}])")
    # a built-in study is cited by its name, which works from any folder (not the path of
    # this installation, which the report's "Rerun" line would otherwise print)
    cited = name if not (name.endswith(".toml") or "/" in name) else str(path)
    return Study(path.stem, cited, data.get("question", ""), data.get("description", ""),
                 profile, names, tuple(experiments), reruns, fragile_seeds)


def _for_profile(value: Any, profiles: tuple[str, ...], profile: str, where: str) -> Any:
    """A value, or a table keyed by profile name (which must then name every profile)."""
    if isinstance(value, dict) and value and set(value) <= set(profiles):
        missing = [p for p in profiles if p not in value]
        if missing:
            raise ToytasksError(f"{where}: gives no value for profile '{missing[0]}'")
        return value[profile]
    return value


def _experiment(letter: str, values: dict[str, Any], defaults: dict[str, Any], where: str,
                tasks_dir: tuple[str, ...]) -> Experiment:
    explanation = EXPLANATIONS[letter]
    allowed = _COMMON_KEYS | set(explanation.keys) | set(explanation.optional)
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ToytasksError(f"{where}: unknown key '{unknown[0]}' "
                            f"(valid: {', '.join(sorted(allowed))})")
    missing = sorted(k for k in {*explanation.keys, "task"} if k not in values)
    if missing:
        raise ToytasksError(f"{where}: '{missing[0]}' is required")
    try:
        spec = load_spec(values["task"], tasks_dir)
        knobs = values.get("set", {})
        if not isinstance(knobs, dict):
            raise ToytasksError("'set' must be a table of knob = value")
        knobs, arch_knobs = split_knobs(knobs)  # cnn.kernel = 5: an architecture knob
        spec = spec.with_knobs(knobs)
    except ToytasksError as exc:
        raise ToytasksError(f"{where}: {exc}") from None
    run = {**defaults, **{k: v for k, v in values.items() if k in _RUN_KEYS}}
    given: dict[str, Any] = {k: check_int(run[k], k, where) for k in RUN_INT_KEYS if k in run}
    rule = run.get("rule", DEFAULTS["rule"])
    if rule not in RULES:
        raise ToytasksError(f"{where}: 'rule' must be one of {', '.join(RULES)}, got {rule!r}")
    search = run.get("search", DEFAULTS["search"])
    if search not in SEARCHES:
        raise ToytasksError(f"{where}: 'search' must be one of {', '.join(SEARCHES)}, "
                            f"got {search!r}")
    given.update(lr=check_lrs(run.get("lr", [spec.budget.lr]), where), search=search)
    opts = resolve(spec, given)
    check_depth_range(opts, where)
    try:
        get_rule(rule).check_seeds(opts.seeds)
    except ToytasksError as exc:
        raise ToytasksError(f"{where}: {exc}") from None
    params, archs = explanation.parse(values, spec, where)
    note = values.get("note", "")
    if not isinstance(note, str):
        raise ToytasksError(f"{where}: 'note' must be a string")
    triples = arch_knob_triples(arch_knobs, archs, f"{where}: set")
    check_variants(archs, triples, f"{where}: arch")
    opts = replace(opts, archs=archs, arch_knobs=merge_knobs(opts.arch_knobs, triples))
    return Experiment(letter, spec, opts, rule, params, note, explanation=explanation)


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
    for letter, exp in data["experiments"].items():
        if letter not in EXPLANATIONS:
            continue
        if not isinstance(exp, dict):
            raise ToytasksError(f"{path}: experiment '{letter}' is not an object "
                                f"(hand-edited? rerun toytasks study to rewrite it)")
        missing = [k for k in (*MANIFEST_KEYS, *EXPLANATIONS[letter].keys) if k not in exp]
        if missing:
            raise ToytasksError(f"{path}: experiment '{letter}' lacks '{missing[0]}' "
                                f"(hand-edited? rerun toytasks study to rewrite it)")
    return data


# what every experiment of a manifest holds (``Experiment.manifest``), besides its own keys
MANIFEST_KEYS = ("task", "knobs", "rule", "seeds", "search", "min_depth", "max_depth",
                 "width", "steps", "batch_size", "lr", "archs")


__all__ = ["Experiment", "Study", "load_study", "read_manifest", "write_manifest"]
