"""The shape of the code (docs/architecture.md): imports run one way, modules stay small.

Read from the source with ``ast``: every ``import`` of a toytasks module, at the top or
inside a function, is an edge; imports under ``if TYPE_CHECKING:`` are not (they never
run). The graph must have no cycle, so each layer can be read, tested and replaced
without the ones that use it.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "toytasks"
MAX_LINES = 400
# docs/architecture.md, "Modules by layer": a module imports only from its own layer and
# the layers before it (the command-line entry point ``__main__`` may import anything).
LAYERS = (
    ("errors", "stats", "trial", "plugins"),
    ("tasks",),
    ("models", "matching", "honesty", "preflight", "audit"),
    ("objective", "diagnostics", "train"),
    ("spec", "options", "solve"),
    ("store", "records", "summary", "table", "baselines"),
    ("search", "runner", "devices", "executor", "cluster", "progress", "plan"),
    ("sweep", "suite", "api", "calibrate", "estimate", "dryrun"),
    ("plotting", "figures", "diagnostic_figures"),
    ("explanations",),
    ("study", "report"),
    ("cli", "__main__"),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """Imports that are not edges: under ``if TYPE_CHECKING:`` (never run), and in a
    module-level ``__getattr__`` (PEP 562: the package's lazy re-export of the Python API,
    run on attribute access once every module is loaded, so it cannot form a cycle)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
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
    assert "toytasks.runner" in GRAPH["toytasks.plan"]
    assert "toytasks.plan" in GRAPH["toytasks.explanations.base"]
    assert "toytasks.objective" in GRAPH["toytasks.train"]
    assert "toytasks.study" not in GRAPH["toytasks.explanations.base"]  # TYPE_CHECKING only
    assert "toytasks.train" in GRAPH["toytasks.store"]  # a function-level import counts


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
    top = name.split(".")[1] if "." in name else "toytasks"
    return next(i for i, layer in enumerate(LAYERS) if top in layer or top == "toytasks")


def test_every_module_has_a_layer_and_imports_only_upwards():
    upward = []
    for name, deps in GRAPH.items():
        if name == "toytasks":
            continue
        upward += [f"{name} -> {dep}" for dep in deps
                   if dep != "toytasks" and layer_of(dep) > layer_of(name)]
    assert not upward, "imports against the layer order (docs/architecture.md): " + \
        ", ".join(sorted(upward))
