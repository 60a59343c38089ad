"""The package surface: ``import genesis`` gives PyTorch's layout (``genesis.nn``,
``genesis.optim``, ``genesis.utils.data``) and never pulls in torch or the optional extras."""
import subprocess
import sys

PROBE = """
import sys
import genesis
eager = sorted(m for m in ("torch", "matplotlib", "sklearn", "tqdm", "tensorboard", "genesis.nn",
                           "genesis.optim") if m in sys.modules)
model = genesis.nn.Sequential(genesis.nn.Linear(2, 1))
opt = genesis.optim.AdamW(model.parameters())
sched = genesis.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0)
loader = genesis.utils.data.DataLoader(genesis.utils.data.TensorDataset(genesis.ones(4, 2)), 2)
assert len(loader) == 2 and genesis.nn.functional.relu(genesis.ones(1)).item() == 1.0
try:
    genesis.no_such_name
except AttributeError as error:
    print("AttributeError:", error)
late = sorted(m for m in ("torch", "matplotlib", "sklearn", "tensorboard") if m in sys.modules)
print("eager:", eager, "late:", late)
"""


def test_subpackages_are_reachable_from_import_genesis_without_torch_or_extras():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "AttributeError: module 'genesis' has no attribute 'no_such_name'" in done.stdout
    assert "eager: [] late: []" in done.stdout


def test_tensorboard_is_imported_only_by_the_writers():
    # genesis.utils.tensorboard's helpers, the demo and the CLI work without tensorboard; only
    # the writers (and --logdir) load it. PROBE above checks that import genesis does not.
    probe = """
import sys
import genesis.utils.tensorboard, genesis.demo, genesis.cli
from genesis.utils.tensorboard import TrainingLog, add_logdir_argument, log_lr
TrainingLog(None)(0, loss=1.0)
print("before:", "tensorboard" in sys.modules)
from genesis.utils.tensorboard import SummaryWriter
print("after:", "tensorboard" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["before:", "False", "after:", "True"]


def test_a_clone_named_genesis_in_the_working_directory_does_not_shadow_the_package(tmp_path):
    # `cd ..` from a clone called genesis: the clone is a folder named genesis without an
    # __init__.py, which Python would import as an empty namespace package if the installed
    # package came later on the path (the src layout puts it there as a plain path entry).
    (tmp_path / "genesis" / "src" / "genesis").mkdir(parents=True)
    (tmp_path / "genesis" / "README.md").write_text("a clone\n")
    done = subprocess.run([sys.executable, "-c", "import genesis; print(genesis.zeros(2).tolist())"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[0.0, 0.0]"


def test_every_runtime_dependency_is_imported_by_genesis():
    # A runtime dependency Genesis never imports only costs users an install (safetensors
    # was one: Genesis reads and writes the format itself; the tests use the library).
    import ast
    import pathlib
    import re
    import tomllib

    root = pathlib.Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    required = {re.match(r"[A-Za-z0-9_.-]+", dep).group(0).lower().replace("-", "_")
                for dep in project["project"]["dependencies"]}
    imported = set()
    for path in (root / "src" / "genesis").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    assert required <= imported
