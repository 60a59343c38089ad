"""``genesis.ops`` gathers every primitive op of the ``ops_*`` concept modules, so an op added to
its module is reachable as ``ops.<name>`` (and listed in ``ops.__all__``) or this test fails."""
import ast
import pathlib

import genesis.ops as ops

ROOT = pathlib.Path(ops.__file__).resolve().parent


def public_functions(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}


def test_ops_gathers_every_public_function_of_the_concept_modules():
    modules = sorted(ROOT.glob("ops_*.py"))
    assert {m.stem for m in modules} >= {"ops_common", "ops_elementwise", "ops_reduce",
                                         "ops_shape", "ops_linalg"}
    defined = {}
    for module in modules:
        for name in public_functions(module):
            defined[name] = module.stem
    assert sorted(ops.__all__) == sorted(defined)
    for name, module in defined.items():
        assert getattr(ops, name).__module__ == f"genesis.{module}", name


def test_ops_defines_nothing_itself():
    assert public_functions(ROOT / "ops.py") == set()
