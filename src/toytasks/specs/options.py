"""Run options: one table of bounds and defaults, one resolver, one default results folder.

Every way to ask for a run (the command line, suite profiles, study specs, a task spec's
``[search]`` and ``[budget]`` tables) names its options with the keys of ``BOUNDS`` and
resolves them here, against the task spec's defaults. click's ``IntRange`` options, the
TOML readers and the spec schema all read the same bounds, so a limit is written once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toytasks.errors import ToytasksError
from toytasks.specs.bounds import BOUNDS

if TYPE_CHECKING:
    from toytasks.specs.spec import TaskSpec

LR_MAX = 10.0  # a learning rate is in (0, LR_MAX]
# What a run does about the choices no spec sets (the spec sets archs, depths, budget).
DEFAULTS: dict[str, Any] = {"rule": "majority", "search": "adaptive", "device": "cpu",
                            "train_size": 0, "diagnostics": False, "match_params": 0}
# The integer keys a suite entry or a study section may set (``workers`` etc. are CLI-only).
RUN_INT_KEYS = ("seeds", "min_depth", "max_depth", "width", "steps", "batch_size", "pack")


@dataclass(frozen=True)
class RunOptions:
    """Everything about a run that is not the task: which trials, at what budget, where."""

    archs: tuple[str, ...]
    seeds: int
    min_depth: int
    max_depth: int
    width: int
    lrs: tuple[float, ...]
    max_steps: int
    batch_size: int
    device: str = DEFAULTS["device"]
    train_size: int = DEFAULTS["train_size"]
    diagnostics: bool = DEFAULTS["diagnostics"]
    search: str = DEFAULTS["search"]  # adaptive | linear | exhaustive (see search.py)
    match_params: int = DEFAULTS["match_params"]  # 0: fixed width; P: width closest to P params
    # Architecture knobs as (arch, knob, value), e.g. ("cnn", "kernel", 7): `--set cnn.kernel=7`.
    arch_knobs: tuple[tuple[str, str, Any], ...] = ()
    # Length generalisation: solved trials are also scored at these multiples of the trained
    # length (``--test-lengths 2,4``; ``Task.longer``).
    test_lengths: tuple[int, ...] = ()
    # Evaluations without held-out improvement before a trial stops (``--patience``); 0:
    # early stopping off; None: the task spec's ``budget.patience``.
    patience: int | None = None
    # Seeds trained as one model (``--pack K``, ``toytasks.training.packed``) where the
    # architecture packs (``models.packing.PACKINGS``); 1: each seed alone.
    pack: int = 1

    def knobs_for(self, arch: str) -> dict[str, Any]:
        """The knobs of ``arch``, an architecture or a variant (``cnn@kernel=7``): those
        set for every variant of the architecture (``--set cnn.K=V``), then its own."""
        from toytasks.models import base_arch, variant_knobs

        base = base_arch(arch)
        return {**{knob: value for name, knob, value in self.arch_knobs if name == base},
                **variant_knobs(arch)}


def default_options(spec: TaskSpec) -> RunOptions:
    """What `toytasks run --task NAME` trains when the user gives no option."""
    return RunOptions(
        archs=spec.defaults.architectures, seeds=spec.defaults.seeds,
        min_depth=spec.defaults.min_depth, max_depth=spec.defaults.max_depth,
        width=spec.defaults.width, lrs=(spec.budget.lr,), max_steps=spec.budget.max_steps,
        batch_size=spec.budget.batch_size, arch_knobs=spec.arch_knobs,
        patience=spec.budget.patience,
        pack=spec.budget.pack,
    )


def resolve(spec: TaskSpec, values: dict[str, Any]) -> RunOptions:
    """The spec's defaults overridden by ``values`` (keys of ``BOUNDS``, ``patience``
    included, plus ``arch``,
    ``lr``, ``device``, ``search``, ``diagnostics``); ``None`` or absent means "the
    default". Values are assumed checked (``check_int``, click's ranges)."""
    opts = default_options(spec)
    given = {k: v for k, v in values.items() if v is not None}
    return replace(
        opts, archs=tuple(given.get("arch") or opts.archs),
        seeds=given.get("seeds", opts.seeds),
        min_depth=given.get("min_depth", opts.min_depth),
        max_depth=given.get("max_depth", opts.max_depth),
        width=given.get("width", opts.width), lrs=tuple(given.get("lr") or opts.lrs),
        max_steps=given.get("steps", opts.max_steps),
        batch_size=given.get("batch_size", opts.batch_size),
        patience=given.get("patience", opts.patience),
        device=given.get("device", opts.device), search=given.get("search", opts.search),
        train_size=given.get("train_size", opts.train_size),
        diagnostics=given.get("diagnostics", opts.diagnostics),
        match_params=given.get("match_params", opts.match_params),
        pack=given.get("pack", opts.pack),
        arch_knobs=merge_knobs(opts.arch_knobs, given.get("arch_knobs", ())),
    )


def merge_knobs(base: Sequence[tuple[str, str, Any]], over: Sequence[tuple[str, str, Any]]
                ) -> tuple[tuple[str, str, Any], ...]:
    """(arch, knob, value) triples: ``over`` replaces ``base`` where both set a knob (a
    run's --set over the task spec's [arch.ARCH] tables)."""
    merged = {(a, k): v for a, k, v in base} | {(a, k): v for a, k, v in over}
    return tuple(sorted((a, k, v) for (a, k), v in merged.items()))


def split_knobs(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Task knobs and architecture knobs of one knob table. An architecture knob is written
    ``ARCH.KNOB`` (``--set cnn.kernel=7``; in TOML ``cnn.kernel = 7``, which TOML reads
    as a nested table, also accepted): returns ({knob: v}, {"arch.knob": v})."""
    task: dict[str, Any] = {}
    arch: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            arch.update({f"{key}.{k}": v for k, v in value.items()})
        elif "." in key:
            arch[key] = value
        else:
            task[key] = value
    return task, arch


def arch_knob_triples(values: dict[str, Any], archs: Sequence[str],
                      where: str = "--set") -> tuple[tuple[str, str, Any], ...]:
    """``{'cnn.kernel': '7'}`` -> (('cnn', 'kernel', 7),), validated by the knob schema.
    The architecture must be one the run trains: a knob for another would do nothing."""
    from toytasks.models import base_arch, check_arch_knobs

    out = []
    bases = list(dict.fromkeys(base_arch(a) for a in archs))
    for key, value in values.items():
        arch, _, knob = key.rpartition(".")
        if arch not in bases:
            raise ToytasksError(f"{where} {key}: architecture '{arch}' is not in this run "
                                f"(archs: {', '.join(archs)})")
        out.append((arch, knob, check_arch_knobs(arch, {knob: value}, f"{where} {key}")[knob]))
    return tuple(sorted(out, key=lambda t: (t[0], t[1])))


def check_variants(archs: Sequence[str], triples: tuple[tuple[str, str, Any], ...] = (),
                   where: str = "--arch") -> None:
    """Every variant well formed and its knobs valid; none that fixes a knob ``--set``
    also fixes (which value would win is not obvious); no two that train the same trials."""
    from toytasks.models import base_arch, get_architecture, variant_knobs

    seen: dict[tuple, str] = {}
    for name in archs:
        cls = get_architecture(name)  # a built-in, or a plugin that loads
        own = variant_knobs(name, where)
        clash = [k for a, k, _ in triples if a == base_arch(name) and k in own]
        if clash:
            raise ToytasksError(f"{where} {name}: knob '{clash[0]}' is also fixed by --set "
                                f"{base_arch(name)}.{clash[0]}")
        defaults = {k.name: k.default for k in cls.knobs}
        merged = {**{k: v for a, k, v in triples if a == base_arch(name)}, **own}
        same = (base_arch(name), tuple(sorted((k, v) for k, v in merged.items()
                                              if v != defaults.get(k))))
        if same in seen:
            raise ToytasksError(f"{where}: '{seen[same]}' and '{name}' train the same trials "
                                "(a knob at its default is no variant)")
        seen[same] = name


TEST_LENGTHS = (2, 64)  # a longer test is 2x to 64x the trained length


def check_test_lengths(spec: TaskSpec, factors: Sequence[Any], where: str = "--"
                       ) -> tuple[int, ...]:
    """Distinct integer multiples of the trained length, each one the task's prefix knob
    can reach (checked before anything trains), in ascending order."""
    low, high = TEST_LENGTHS
    for value in factors:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ToytasksError(f"{where}test-lengths: each is a multiple of the trained "
                                f"length, an integer in [{low}, {high}]; got {value!r}")
    task = spec.make_generator()
    for factor in factors:
        task.longer(factor)  # a task without a prefix knob, or one out of its range: refused
    return tuple(sorted(set(factors)))


def check_int(value: Any, key: str, where: str, bounds: tuple[int, int] | None = None) -> int:
    """An integer from a TOML file, within ``BOUNDS[key]`` (or ``bounds``)."""
    low, high = bounds or BOUNDS[key]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ToytasksError(f"{where}: '{key}' must be an integer in [{low}, {high}], "
                            f"got {value!r}")
    return value


def check_lrs(value: Any, where: str) -> tuple[float, ...]:
    """A learning rate or a list of them, from a profile or study file."""
    lrs = value if isinstance(value, list) else [value]
    if not lrs or not all(isinstance(lr, (int, float)) and not isinstance(lr, bool)
                          and 0 < lr <= LR_MAX for lr in lrs):
        raise ToytasksError(f"{where}: 'lr' must be a number in (0, {LR_MAX:g}] or a list "
                            "of them")
    return tuple(float(lr) for lr in lrs)


def check_depth_range(opts: RunOptions, where: str, flag: str | None = None) -> None:
    """The one check of resolved depths: a file's ``where: min_depth ...`` or, with the
    command line's ``flag`` ("--", or "" from Python), ``--min-depth ...``."""
    if opts.min_depth <= opts.max_depth:
        return
    if flag is None:
        raise ToytasksError(f"{where}: min_depth {opts.min_depth} is larger than max_depth "
                            f"{opts.max_depth}")
    raise ToytasksError(f"{flag}min-depth {opts.min_depth} is larger than {flag}max-depth "
                        f"{opts.max_depth}")


def check_table(value: Any, where: str, allowed: set[str]) -> None:
    """A TOML table whose keys are all in ``allowed`` (profile and study entries)."""
    if not isinstance(value, dict):
        raise ToytasksError(f"{where} must be a table")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ToytasksError(f"{where}: unknown key '{unknown[0]}' "
                            f"(valid: {', '.join(sorted(allowed))})")


def default_out(*parts: str, stamp: bool = True) -> Path:
    """The results folder a command uses without --out: results/PARTS-YYYYmmdd-HHMMSS
    (a study folder has no time stamp: rerunning the study resumes it)."""
    if stamp:
        parts = (*parts, dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
    # a plugin task's name is an import path: keep the folder name free of ':' and '/'
    return Path("results") / "-".join(parts).replace(":", "-").replace("/", "-")
