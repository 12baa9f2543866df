"""The shape of the code (docs/architecture.md): imports run one way, modules stay small.

Read from the source with ``ast``: every ``import`` of a toytasks module, at the top, inside
a function or under ``if TYPE_CHECKING:``, is an edge. The graph must have no cycle, so
each layer can be read, tested and replaced without the ones that use it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "toytasks"
MAX_LINES = 400
# docs/architecture.md, "Modules by layer": a module imports only from its own layer and
# the layers before it (the command-line entry point ``__main__`` may import anything).
LAYERS = (
    ("errors", "plugins"),
    ("tasks",),
    ("models",),
    ("training",),
    ("specs",),
    ("reading",),
    ("running",),
    ("cost",),
    ("study",),
    ("api",),
    ("cli", "__main__"),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """Imports that are not edges: only those in a module-level ``__getattr__`` (PEP 562:
    the package's lazy re-export of the Python API, run on attribute access once every
    module is loaded). Imports under ``if TYPE_CHECKING:`` *are* edges: a type-only cycle
    is still two modules that cannot be read without each other."""
    skipped: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            skipped.update(id(child) for child in ast.walk(node))
    return skipped


def imports_of(name: str) -> set[str]:
    """The toytasks modules that ``name`` imports when it runs."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in MODULES:
                    found.add(target)
                elif base in MODULES:
                    found.add(base)
    found.discard(name)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


GRAPH = {name: imports_of(name) for name in MODULES}


def test_the_import_graph_is_read_from_the_source():
    """Guard the guard: known edges are found, TYPE_CHECKING imports are not edges."""
    assert "toytasks.running.runner" in GRAPH["toytasks.running.plan"]
    assert "toytasks.running.plan" in GRAPH["toytasks.study.explanations.base"]
    assert "toytasks.training.objective" in GRAPH["toytasks.training.train"]
    assert "toytasks.training.train" in GRAPH["toytasks.reading.store"]  # function-level
    assert "toytasks.api" not in GRAPH["toytasks"]  # the lazy __getattr__ re-export


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_toytasks():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_module_is_over_the_size_limit():
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines())
             for name, path in MODULES.items()}
    too_big = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not too_big, f"split these modules (over {MAX_LINES} lines): {too_big}"


def layer_of(name: str) -> int:
    """The layer of a module: that of its top-level module or subpackage."""
    if name == "toytasks":
        return len(LAYERS)
    top = name.split(".")[1]
    for i, layer in enumerate(LAYERS):
        if top in layer:
            return i
    raise AssertionError(f"'{top}' (module {name}) has no layer: add it to LAYERS in "
                         "tests/test_architecture.py and to docs/architecture.md")


def test_a_module_without_a_layer_is_named():
    with pytest.raises(AssertionError, match=r"'nowhere' .* has no layer"):
        layer_of("toytasks.nowhere.x")


def test_the_top_level_holds_only_the_public_face():
    """At most a dozen top-level modules; everything else lives in its layer's folder."""
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert len(top) <= 12, top
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert set(folders) <= {name for layer in LAYERS for name in layer}, folders


def test_every_module_has_a_layer_and_imports_only_upwards():
    upward = []
    for name, deps in GRAPH.items():
        if name == "toytasks":
            continue
        upward += [f"{name} -> {dep}" for dep in deps
                   if dep != "toytasks" and layer_of(dep) > layer_of(name)]
    assert not upward, "imports against the layer order (docs/architecture.md): " + \
        ", ".join(sorted(upward))


def test_committed_stores_have_one_home_outside_the_wheel():
    """Stores that docs render from live in stores/; the wheel ships specs, not results."""
    root = SRC.parent
    skip = {"stores", "tests", "results", ".venv", ".git", "node_modules"}
    stray = [str(p.relative_to(root)) for top in root.iterdir()
             if top.is_dir() and top.name not in skip for p in top.glob("**/trials.jsonl")]
    assert not stray, f"committed stores outside stores/: {stray}"
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert '"stores"' not in pyproject

