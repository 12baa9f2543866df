"""Plugins: architectures and task generators that live outside toytasks.

A plugin is named either by an import path, ``package.module:Class``, or by the name a
distribution registers in an entry-point group (``toytasks.architectures``,
``toytasks.tasks``). Both resolve to a class here; the registries (``toytasks.models``,
``toytasks.tasks``) check it against their protocol. Every failure is one line that names
the plugin. ``origin`` gives what goes into a trial's identity: the class's qualified name,
its distribution's version and, for code that can change without a new version (a module
found on the path, an editable install), a hash of its source: editing the code means
retraining, and stored results stay addressed by what produced them.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
import warnings
from collections.abc import Collection
from functools import lru_cache
from importlib import metadata
from pathlib import Path

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


def _distribution(cls: type) -> metadata.Distribution | None:
    """The installed distribution that provides ``cls``'s module, if any."""
    top = cls.__module__.split(".")[0]
    for name in metadata.packages_distributions().get(top, []):
        try:
            return metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
    for dist in metadata.distributions():  # editable installs: known by their entry points
        if any(ep.group in NOUNS and ep.value.split(".")[0].split(":")[0] == top
               for ep in dist.entry_points):
            return dist
    return None


def distribution_version(cls: type) -> str:
    """'dist==version' of the installed distribution that provides ``cls``'s module, or
    'unpackaged' for a module found on the path without one."""
    dist = _distribution(cls)
    return f"{dist.metadata['Name']}=={dist.version}" if dist is not None else "unpackaged"


def _editable(dist: metadata.Distribution) -> bool:
    try:
        info = json.loads(dist.read_text("direct_url.json") or "{}")
    except (ValueError, OSError):
        return False
    return bool(info.get("dir_info", {}).get("editable"))


def source_files(cls: type) -> list[Path]:
    """The files whose edits change what ``cls`` computes without a new version: its
    module (found on the path), or every module of its package (an editable install).
    Empty for a regular install, which the version identifies."""
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    if not path:
        return []
    dist = _distribution(cls)
    if dist is None:
        return [Path(path)]
    if not _editable(dist):
        return []
    top = sys.modules.get(cls.__module__.split(".")[0])
    top_file = getattr(top, "__file__", None)
    if not top_file or Path(top_file).name != "__init__.py":
        return [Path(path)]
    return sorted(Path(top_file).parent.rglob("*.py"))


def source_hash(cls: type) -> str:
    """'src=<12 hex>' of ``source_files`` (names and bytes), or '' when there are none."""
    files = source_files(cls)
    if not files:
        return ""
    root = files[0].parent if len(files) == 1 else Path(sys.modules[
        cls.__module__.split(".")[0]].__file__).parent
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes() + b"\0")
    return f"src={digest.hexdigest()[:12]}"


def origin(cls: type) -> str:
    """What identifies a plugin class in a trial: 'module:Class dist==version', plus
    'src=<hash>' for a module on the path or an editable install."""
    return " ".join(filter(None, [qualified_name(cls), distribution_version(cls),
                                  source_hash(cls)]))


def warn_shadowed(group: str, builtins: Collection[str]) -> None:
    """One warning per entry point that a built-in of the same name hides (the built-in
    wins, so the plugin would never run under that name)."""
    for name, entry in sorted(registered(group).items()):
        if name in builtins and (group, name) not in _WARNED:
            _WARNED.add((group, name))
            warnings.warn(f"{NOUNS[group]} plugin '{name}' ({entry.value}) is named like a "
                          f"built-in {NOUNS[group]} and is ignored: register it under another "
                          "name", stacklevel=2)


_WARNED: set[tuple[str, str]] = set()


def is_builtin(cls: type) -> bool:
    return cls.__module__.split(".")[0] == "toytasks"


def forget() -> None:
    """Drop cached entry points (tests that install or remove a plugin)."""
    registered.cache_clear()
