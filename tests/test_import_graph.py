"""The package's import graph, read from the source with ``ast``: no import cycles anywhere
(function-local imports included, since they are how cycles hide), and the core never imports
the layers above it (``nn``, ``optim``, ``cli``)."""
import ast
import pathlib

import genesis

ROOT = pathlib.Path(genesis.__file__).resolve().parent
CORE = {"genesis.autograd", "genesis.backend", "genesis.devices", "genesis.dtypes",
        "genesis.factories", "genesis.functions", "genesis.mixed_precision", "genesis.ops",
        "genesis.ops_common", "genesis.ops_elementwise", "genesis.ops_linalg", "genesis.ops_reduce",
        "genesis.ops_shape", "genesis.operands",
        "genesis.random", "genesis.special", "genesis.tensor", "genesis.tensor_base",
        "genesis.tensor_format", "genesis.tensor_inplace", "genesis.tensor_math",
        "genesis.tensor_sampling", "genesis.tensor_shape", "genesis.tensor_types",
        "genesis.version", "genesis.views"}


def modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = ("genesis",) + path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    graph = {name: set() for name in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
                submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in mods]
                targets = submodules if len(submodules) == len(node.names) else submodules + [base]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t in mods and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_the_package_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_core_imports_nothing_above_it():
    graph = import_graph()
    above = ("genesis.nn", "genesis.optim", "genesis.cli", "genesis.utils", "genesis.demo")
    leaks = {name: sorted(t for t in graph[name] if t.startswith(above)) for name in CORE}
    assert {name: targets for name, targets in leaks.items() if targets} == {}
