"""The examples in examples/ run, and do what their docstrings claim."""
import os
import pathlib
import re
import subprocess
import sys

import genesis

ROOT = pathlib.Path(__file__).resolve().parents[1]
SRC = str(pathlib.Path(genesis.__file__).resolve().parents[1])
LARGE_BATCH = str(ROOT / "examples" / "large_batch_digits.py")


def _accuracy(command: list[str]) -> float:
    # a waiting rank yields its core (see tests/distributed/test_two_processes.py)
    env = dict(os.environ, PYTHONPATH=SRC, OMPI_MCA_mpi_yield_when_idle="1")
    env.pop("RANK", None)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return float(re.search(r"test accuracy: ([0-9.]+)", done.stdout).group(1))


def test_two_processes_with_the_linear_scaling_rule_reach_the_one_process_accuracy():
    one = _accuracy([sys.executable, LARGE_BATCH])
    two = _accuracy([sys.executable, "-m", "genesis", "run", "--nproc-per-node", "2", LARGE_BATCH])
    assert one >= 0.95 and two >= 0.95
    assert two >= one - 0.02, (one, two)
