"""Plugins: architectures and task generators that live outside toytasks.

A plugin is named either by an import path, ``package.module:Class``, or by the name a
distribution registers in an entry-point group (``toytasks.architectures``,
``toytasks.tasks``). Both resolve to a class here; the registries (``toytasks.models``,
``toytasks.tasks``) check it against their protocol. Every failure is one line that names
the plugin. ``origin`` gives what goes into a trial's identity: the class's qualified name
and its distribution's version, so stored results stay addressed by what produced them.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from importlib import metadata

from toytasks.errors import ToytasksError, one_line

ARCH_GROUP = "toytasks.architectures"
TASK_GROUP = "toytasks.tasks"
NOUNS = {ARCH_GROUP: "architecture", TASK_GROUP: "task"}


def is_import_path(name: str) -> bool:
    return ":" in name


@lru_cache(maxsize=8)
def registered(group: str) -> dict[str, metadata.EntryPoint]:
    """Entry points of ``group`` declared by installed distributions, by name."""
    return {ep.name: ep for ep in metadata.entry_points(group=group)}


def load(group: str, name: str) -> type:
    """The class an import path or a registered entry-point name points to."""
    noun = NOUNS[group]
    if is_import_path(name):
        module_name, _, attr = name.partition(":")
        if not module_name or not attr:
            raise ToytasksError(f"{noun} plugin '{name}': an import path is "
                                "package.module:Class")
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # a plugin's own import error, reported in one line
            raise ToytasksError(f"{noun} plugin '{name}': cannot import '{module_name}' "
                                f"({one_line(f'{type(exc).__name__}: {exc}')})") from None
        obj = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise ToytasksError(f"{noun} plugin '{name}': module '{module_name}' has no "
                                    f"attribute '{attr}'")
            obj = getattr(obj, part)
    else:
        entry = registered(group).get(name)
        if entry is None:
            raise KeyError(name)
        try:
            obj = entry.load()
        except Exception as exc:
            raise ToytasksError(f"{noun} plugin '{name}' ({entry.value}): cannot load "
                                f"({one_line(f'{type(exc).__name__}: {exc}')})") from None
    if not isinstance(obj, type):
        raise ToytasksError(f"{noun} plugin '{name}': {obj!r} is not a class")
    return obj


def qualified_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def distribution_version(cls: type) -> str:
    """'dist==version' of the installed distribution that provides ``cls``'s module, or
    'unpackaged' for a module found on the path without one."""
    top = cls.__module__.split(".")[0]
    for dist in metadata.packages_distributions().get(top, []):
        try:
            return f"{dist}=={metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            continue
    for dist in metadata.distributions():  # editable installs: known by their entry points
        if any(ep.group in NOUNS and ep.value.split(".")[0].split(":")[0] == top
               for ep in dist.entry_points):
            return f"{dist.metadata['Name']}=={dist.version}"
    return "unpackaged"


def origin(cls: type) -> str:
    """What identifies a plugin class in a trial: 'module:Class dist==version'."""
    return f"{qualified_name(cls)} {distribution_version(cls)}"


def is_builtin(cls: type) -> bool:
    return cls.__module__.split(".")[0] == "toytasks"


def forget() -> None:
    """Drop cached entry points (tests that install or remove a plugin)."""
    registered.cache_clear()
