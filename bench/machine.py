"""The machine and software a run measured: CPU, cores, versions, git revision, thread counts."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux, else ``platform.processor()``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_revision() -> str:
    """The repository's short commit, with "+changes" when the work tree differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        rev = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "genesis", "bench")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + ("+changes" if dirty else "")


def blas_threads() -> str:
    """NumPy's BLAS library, thread count and kernel family as threadpoolctl reports them, else
    the env var; plus ``OPENBLAS_CORETYPE`` when set.

    The kernel family matters: ``OPENBLAS_CORETYPE=Haswell`` makes OpenBLAS use its AVX2
    kernels on an AVX-512 CPU, which halves float32 matmul throughput there.
    """
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    forced = f"; OPENBLAS_CORETYPE={coretype}" if coretype else ""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}{forced}"
    pools = [f"{p.get('internal_api')} {p.get('version')}: {p.get('num_threads')} threads"
             + (f", {p['architecture']} kernels" if p.get("architecture") else "")
             for p in threadpool_info() if "numpy" in p.get("filepath", "") or
             "openblas" in p.get("filepath", "")]
    return ("; ".join(pools) or "no BLAS pool found") + forced


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (runnable processes), or "unknown"."""
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


def describe(threads: int, load_at_start: str) -> dict[str, str]:
    """Everything the report prints about where and with what it ran."""
    import numpy
    import torch

    import genesis

    return {
        "CPU": cpu_model(),
        "cores": str(os.cpu_count()),
        "OS": platform.platform(),
        "Python": sys.version.split()[0],
        "NumPy": numpy.__version__,
        "PyTorch": torch.__version__,
        "Genesis": f"{genesis.version.genesis_version} (git {git_revision()})",
        "threads": (f"requested {threads}; torch.get_num_threads()={torch.get_num_threads()}; "
                    f"NumPy BLAS: {blas_threads()}; "
                    f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}"),
        "load average (1, 5, 15 min)": (f"{load_at_start} at the start, {load_average()} at the "
                                        f"end (above 0 means other work shared the cores)"),
    }
