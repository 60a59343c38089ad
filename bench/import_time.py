"""``import genesis`` in a fresh interpreter, against ``import torch`` (and ``import numpy``)."""
from __future__ import annotations

import functools
import subprocess
import sys

from bench.machine import REPO_ROOT
from bench.measure import GENESIS, NUMPY, PYTORCH, Check, Result, Row, Settings, sample_all

NAME = "import_time"
TITLE = "Import in a fresh process"
TARGET = "`import genesis` <= 0.25 s and <= 1/5 of `import torch`"
# genesis imports its names on first use: touching genesis.Tensor loads the tensor core, which is
# what `import torch` gives (torch.Tensor is there at once), so the comparison stays fair.
MODULES = {GENESIS: "genesis; genesis.Tensor", PYTORCH: "torch", NUMPY: "numpy"}

_PROBE = ("import time; start = time.perf_counter(); import {module}; "
          "print(time.perf_counter() - start)")


def import_seconds(module: str) -> float:
    """Seconds the ``import`` statement takes in a new Python process (startup excluded)."""
    done = subprocess.run([sys.executable, "-c", _PROBE.format(module=module)], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def run(settings: Settings, progress) -> Result:
    """One fresh process per repeat and module; NumPy is the floor (Genesis imports it)."""
    progress(f"import {', '.join(MODULES.values())}, interleaved")
    stats = sample_all({name: functools.partial(import_seconds, module)
                        for name, module in MODULES.items()}, settings)
    row = Row("import", stats)
    return Result(NAME, TITLE, TARGET, [row], [
        Check("import genesis", stats[GENESIS].median, 0.25, unit="s"),
        Check("import genesis / import torch", row.ratio(GENESIS, PYTORCH), 0.2)],
        notes=["Measured inside the new process around the import statement (interpreter "
               "start-up excluded); the files are in the page cache after the warm-up run."])
