"""The package's import graph: one way, no cycles, no imports hidden in functions."""

import ast
from pathlib import Path

import keras_gen

ROOT = Path(keras_gen.__file__).resolve().parent
# Optional or heavy packages a function may import when it is called.
LAZY_OK = {"h5py", "matplotlib", "sklearn", "torch", "PIL", "hypothesis"}


def _module_name(path):
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module, node):
    """The keras_gen modules an import statement names."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("keras_gen")]
    package = module.split(".")
    is_package = (ROOT.parent / Path(*package) / "__init__.py").is_file()
    base = package if is_package else package[:-1]
    if node.level:
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not target.startswith("keras_gen"):
        return []
    names = []
    for alias in node.names:
        candidate = f"{target}.{alias.name}"
        path = ROOT.parent / Path(*candidate.split("."))
        if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
            names.append(candidate)
        else:
            names.append(target)
    return names


def _deprecated(func):
    """Whether a function warns that it is deprecated (an alias kept one release)."""
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and node.id == "DeprecationWarning":
            return True
    return False


def _graph():
    graph, lazy = {}, []
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text())
        edges = set()
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges.update(_resolve(module, node))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if func.name == "__getattr__" or _deprecated(func):
                continue  # deprecated aliases resolve their new home when asked
            for node in ast.walk(func):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    top = (
                        node.names[0].name
                        if isinstance(node, ast.Import)
                        else (node.module or "")
                    ).split(".")[0]
                    if getattr(node, "level", 0) or top not in LAZY_OK:
                        lazy.append(f"{module}.{func.name}:{node.lineno}")
        graph[module] = {e for e in edges if e != module}
    return graph, lazy


def _cycles(graph):
    """Every cycle found by depth-first search, as a list of modules."""
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == "keras_gen" or nxt not in graph:
                continue
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state and node != "keras_gen":
            visit(node, [])
    return found


def test_no_import_cycle_inside_keras_gen():
    graph, _ = _graph()
    assert _cycles(graph) == []


def test_cycle_detection_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_imports_inside_functions():
    _, lazy = _graph()
    assert lazy == [], "imports inside functions: " + ", ".join(lazy)


def test_models_import_no_training_evaluation_or_cli():
    graph, _ = _graph()
    upward = {
        "keras_gen.training",
        "keras_gen.evaluation",
        "keras_gen.cli",
        "keras_gen.cards",
        "keras_gen.recipes",
    }
    for module, edges in graph.items():
        if module.startswith("keras_gen.models"):
            reached = {e for e in edges if any(e.startswith(u) for u in upward)}
            assert not reached, (module, reached)


def test_zoo_imports_no_model():
    graph, _ = _graph()
    assert not any(e.startswith("keras_gen.models") for e in graph["keras_gen.zoo"])
