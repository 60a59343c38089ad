"""Data-parallel training on 2 processes: all-reduce, epoch scaling, DDP's per-step overhead.

The measuring runs in 2-process jobs (``genesis run --nproc-per-node 2
bench/distributed_worker.py``): one for Genesis, with raw mpi4py beside it, one for PyTorch
(torch.distributed over gloo); see the worker for how one-process rows are taken inside a job.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.machine import REPO_ROOT
from bench.measure import GENESIS, PYTORCH, Check, Result, Row, Settings, Stats

NAME = "distributed"
TITLE = "Data-parallel training on 2 processes (MPI)"
TARGET = ("all-reduce of 10M floats via genesis.distributed >= 0.9x the speed of raw mpi4py; "
          "2 processes train an epoch faster than 1; DDP's per-step overhead <= PyTorch DDP's")
MPI4PY = "mpi4py"
ONE, TWO = "1 process", "2 processes (DDP)"
WORKER = REPO_ROOT / "bench" / "distributed_worker.py"


def _job(framework: str, settings: Settings, out: Path) -> dict[str, tuple[float, ...]]:
    sizes = settings.pick(
        {"floats": 10_000_000, "samples": 10_000, "steps": 100},
        {"floats": 10_000_000, "samples": 4_000, "steps": 50},
        {"floats": 1_000, "samples": 256, "steps": 2})
    with socket.socket() as probe:  # a free port for gloo's rendezvous: no clash with others
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "genesis", "run", "--nproc-per-node", "2",
               "--master-port", str(port), str(WORKER), str(out), "--framework", framework,
               "--repeats", str(settings.repeats),
               "--warmup", str(settings.warmup)]
    command += [f"--{key}={value}" for key, value in sizes.items()]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"the 2-process {framework} job failed:\n{done.stdout}{done.stderr}")
    return {name: tuple(values) for name, values in json.loads(out.read_text()).items()}


def run(settings: Settings, progress) -> Result:
    """Start the 2-process job and turn its timings into rows."""
    times = {}
    with tempfile.TemporaryDirectory() as folder:
        for framework in (GENESIS, PYTORCH):
            progress(f"2-process {framework} job: all-reduce, epochs, steps")
            times.update(_job(framework, settings, Path(folder) / f"{framework}.json"))
    floats = settings.pick("10M", "10M", "1,000")
    reduce_row = Row(f"all_reduce of {floats} float32, 2 processes",
                     {GENESIS: Stats(times["all_reduce Genesis"]),
                      MPI4PY: Stats(times["all_reduce mpi4py"]),
                      PYTORCH: Stats(times["all_reduce PyTorch"])})
    rows = [reduce_row]
    for what in ("epoch", "step"):
        for label, key in ((ONE, "1"), (TWO, "2")):
            case = ("epoch of the 784-256-10 MLP (AdamW, batch 64 per process)"
                    if what == "epoch" else "one training step, batch 64 per process")
            rows.append(Row(f"{case}: {label}", {GENESIS: Stats(times[f"{what} {key} Genesis"]),
                                                 PYTORCH: Stats(times[f"{what} {key} PyTorch"])}))
    epoch_one, epoch_two, step_one, step_two = rows[1:]
    epoch_ratio = {name: epoch_two.stats[name].median / epoch_one.stats[name].median
                   for name in (GENESIS, PYTORCH)}
    ours = step_two.stats[GENESIS].median / step_one.stats[GENESIS].median
    theirs = step_two.stats[PYTORCH].median / step_one.stats[PYTORCH].median
    checks = [
        Check("all_reduce: Genesis time / raw mpi4py time (speed >= 0.9x)",
              reduce_row.ratio(GENESIS, MPI4PY), 1 / 0.9),
        Check("epoch: Genesis 2 processes / 1 process", epoch_ratio[GENESIS], 1.0, strict=True),
        Check("step: Genesis DDP overhead (2-process step / 1-process step) over PyTorch's",
              ours / theirs, 1.0),
    ]
    notes = [
        "One thread per process throughout (OMP_NUM_THREADS=1, torch.set_num_threads(1)). The "
        "1-process rows run on rank 0 while rank 1 sleeps, in the same job; the 2-process rows "
        "run DDP on both ranks, each with half the epoch's samples (DistributedSampler).",
        f"Epoch scaling: Genesis {1 / epoch_ratio[GENESIS]:.2f}x, "
        f"PyTorch {1 / epoch_ratio[PYTORCH]:.2f}x faster "
        f"on 2 processes (2x is the ideal; with 2 cores shared with other work expect less).",
        f"DDP's per-step overhead: Genesis x{ours:.2f}, PyTorch x{theirs:.2f} the 1-process step.",
        "PyTorch's collectives here run on gloo (TCP over loopback), Genesis's on MPI (shared "
        "memory).",
    ]
    return Result(NAME, TITLE, TARGET, rows, checks, notes)
