"""The 2-process side of ``bench/distributed.py``: run by ``genesis run --nproc-per-node 2``,
once for Genesis (with raw mpi4py beside it) and once for PyTorch (gloo), in separate jobs so
that neither's communication threads or polling disturb the other's timings.

Every measurement is taken on rank 0 and written, as seconds per repeat, to the JSON file named
on the command line. The measurements of a job run interleaved, one of each per round. Rows that
compare with one process run that process as rank 0 alone, while rank 1 sleeps (it polls a
non-blocking barrier with pauses, so it takes no core away): both sides then use one thread
per process, and the ratio is the scaling from adding a process.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not installed

from bench import mlp  # noqa: E402
from bench.measure import stopwatch  # noqa: E402

HIDDEN = 256


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--framework", choices=("Genesis", "PyTorch"), required=True)
    parser.add_argument("--floats", type=int, required=True, help="all-reduce size")
    parser.add_argument("--samples", type=int, required=True, help="epoch size (all ranks)")
    parser.add_argument("--steps", type=int, required=True, help="steps per step timing")
    parser.add_argument("--repeats", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    return parser.parse_args()


class Job:
    """The job's process group (Genesis over MPI, which also paces the measurements; for
    PyTorch, torch.distributed over gloo beside it) and the timers."""

    def __init__(self, framework: str) -> None:
        import genesis.distributed as dist

        dist.init_process_group()
        self.dist = dist
        self.world = dist.process_group.world()
        self.rank = dist.get_rank()
        if framework == "PyTorch":
            import torch
            import torch.distributed as tdist

            tdist.init_process_group("gloo")
            torch.set_num_threads(1)
            self.torch, self.tdist = torch, tdist

    def idle_barrier(self) -> None:
        """A barrier that sleeps while it waits (a blocking MPI wait spins on a core)."""
        request = self.world.comm.Ibarrier()
        while not request.Test():
            time.sleep(0.0005)

    def together(self, fn) -> float:
        """Seconds ``fn`` takes on rank 0 when every rank runs it at once."""
        self.world.comm.Barrier()
        return stopwatch(fn)

    def alone(self, fn) -> float:
        """Seconds ``fn`` takes on rank 0 while the other ranks sleep (one process)."""
        seconds = stopwatch(fn) if self.rank == 0 else 0.0
        self.idle_barrier()
        return seconds


def genesis_trainer(inputs, labels, distributed: bool, steps: int | None):
    """A Genesis epoch (or ``steps`` steps) of the 784-256-10 MLP with AdamW, batch 64 per
    process; with ``distributed``, DDP and a DistributedSampler (each rank half the data)."""
    import genesis
    import genesis.nn as nn
    from genesis.nn.parallel import DistributedDataParallel
    from genesis.utils.data import DataLoader, DistributedSampler, TensorDataset

    genesis.manual_seed(0)
    model = nn.Sequential(nn.Linear(inputs.shape[1], HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))
    if distributed:
        model = DistributedDataParallel(model)
    dataset = TensorDataset(genesis.tensor(inputs), genesis.tensor(labels))
    sampler = DistributedSampler(dataset) if distributed else None
    loader = DataLoader(dataset, batch_size=mlp.BATCH, shuffle=sampler is None, sampler=sampler)
    return _trainer(model, genesis.optim.AdamW(model.parameters(), lr=mlp.LR),
                    nn.CrossEntropyLoss(), loader, steps)


def torch_trainer(inputs, labels, distributed: bool, steps: int | None):
    """The same in PyTorch, with its DDP over gloo."""
    import torch
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(inputs.shape[1], HIDDEN), torch.nn.ReLU(),
                                torch.nn.Linear(HIDDEN, 10))
    if distributed:
        model = torch.nn.parallel.DistributedDataParallel(model)
    dataset = TensorDataset(torch.from_numpy(inputs), torch.from_numpy(labels))
    sampler = DistributedSampler(dataset) if distributed else None
    loader = DataLoader(dataset, batch_size=mlp.BATCH, shuffle=sampler is None, sampler=sampler)
    return _trainer(model, torch.optim.AdamW(model.parameters(), lr=mlp.LR),
                    torch.nn.CrossEntropyLoss(), loader, steps)


def _trainer(model, optimizer, criterion, loader, steps):
    """A call that trains one epoch, or ``steps`` steps on the first batch, and returns None."""
    first = next(iter(loader))

    def train() -> None:
        batches = loader if steps is None else [first] * steps
        for data, targets in batches:
            optimizer.zero_grad()
            criterion(model(data), targets).backward()
            optimizer.step()

    return train


def main() -> None:
    args = parse_args()
    job = Job(args.framework)
    array = np.ones(args.floats, dtype=np.float32)
    if args.framework == "Genesis":
        import genesis

        comm, MPI = job.world.comm, job.world.mpi
        ours, raw = genesis.from_numpy(array.copy()), array.copy()
        runs = {"all_reduce Genesis": lambda: job.together(lambda: job.dist.all_reduce(ours)),
                "all_reduce mpi4py": lambda: job.together(
                    lambda: comm.Allreduce(MPI.IN_PLACE, raw, MPI.SUM))}
        trainer = genesis_trainer
    else:
        theirs = job.torch.from_numpy(array.copy())
        runs = {"all_reduce PyTorch": lambda: job.together(lambda: job.tdist.all_reduce(theirs))}
        trainer = torch_trainer
    inputs, labels = mlp.synthetic(args.samples)
    one_epoch = trainer(inputs, labels, False, None) if job.rank == 0 else None
    two_epoch = trainer(inputs, labels, True, None)
    one_step = trainer(inputs, labels, False, args.steps) if job.rank == 0 else None
    two_step = trainer(inputs, labels, True, args.steps)
    name = args.framework
    runs[f"epoch 1 {name}"] = lambda: job.alone(one_epoch)
    runs[f"epoch 2 {name}"] = lambda: job.together(two_epoch)
    runs[f"step 1 {name}"] = lambda: job.alone(one_step) / args.steps
    runs[f"step 2 {name}"] = lambda: job.together(two_step) / args.steps
    for _ in range(args.warmup):
        for run in runs.values():
            run()
    results = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, run in runs.items():
            results[name].append(run())
    if job.rank == 0:
        Path(args.out).write_text(json.dumps(results))
    if args.framework == "PyTorch":
        job.tdist.destroy_process_group()
    job.dist.destroy_process_group()


if __name__ == "__main__":
    main()
    # Everything is written and both process groups are shut down. Finalise MPI (mpiexec
    # counts a rank that exits without it as failed), then leave without running C++ static
    # destructors: gloo's sometimes destroy a still-joinable thread at exit ("terminate called
    # without an active exception", SIGABRT), failing a finished job.
    from mpi4py import MPI

    if not MPI.Is_finalized():
        MPI.Finalize()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
