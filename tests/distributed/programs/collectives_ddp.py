"""Run on 2 processes by tests/distributed/test_two_processes.py (``genesis run``); each rank
writes what it measured to OUT/rank<R>.json for the test to check.

1. Collectives: each Genesis collective next to torch.distributed's (gloo) on the same values;
   both process groups come from the launcher's torchrun environment.
2. Exactness: DistributedDataParallel, 2 ranks with batch B each, against one process with
   batch 2B (computed here on every rank), 20 AdamW steps, float64 and float32; every step the
   ranks' parameters are gathered and compared bit for bit.
3. Semantics against PyTorch's DDP: no_sync accumulation, find_unused_parameters (a parameter
   unused on one rank, one unused everywhere), weight tying, buffers broadcast from rank 0.
"""
import copy
import json
import os
import sys

import numpy as np
import torch
import torch.distributed as tdist

import genesis
import genesis.distributed as dist
import genesis.nn as nn
from genesis.nn.parallel import DistributedDataParallel as DDP

out_dir = sys.argv[1]
dist.init_process_group("mpi")
tdist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
report = {"rank": rank, "world": world, "is_initialized": dist.is_initialized(),
          "env": {k: os.environ.get(k) for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE",
                                                 "LOCAL_WORLD_SIZE", "MASTER_ADDR",
                                                 "MASTER_PORT")}}


# ---- 1. collectives, Genesis next to torch (gloo) ------------------------------------------
def pair(values, dtype="float64"):
    array = np.array(values, dtype=dtype)
    return genesis.tensor(array), torch.tensor(array)


collectives = {}
mine = [1.5 + rank, -2.0 * rank, 0.25]
for name in ("SUM", "MAX", "MIN", "PRODUCT", "AVG"):
    ours, theirs = pair(mine)
    dist.all_reduce(ours, op=getattr(dist.ReduceOp, name))
    tdist.all_reduce(theirs, op=getattr(tdist.ReduceOp, name))
    collectives[f"all_reduce {name}"] = [ours.tolist(), theirs.tolist()]
ours, theirs = pair([3 + rank, -7 * rank], "int64")
dist.all_reduce(ours)
tdist.all_reduce(theirs)
collectives["all_reduce SUM int64"] = [ours.tolist(), theirs.tolist()]
ours, theirs = pair(mine, "float32")
work, torch_work = dist.all_reduce(ours, async_op=True), tdist.all_reduce(theirs, async_op=True)
collectives["async returns Work, None when sync"] = [
    [type(work).__name__, dist.all_reduce(genesis.zeros(1))],
    [type(torch_work).__name__, tdist.all_reduce(torch.zeros(1))]]
work.wait()
torch_work.wait()
collectives["async all_reduce"] = [ours.tolist(), theirs.tolist()]
# broadcast into a non-contiguous tensor (a transpose): the values land in its storage
base = np.arange(6.0).reshape(2, 3) * (rank + 1)
ours, theirs = genesis.tensor(base).T, torch.tensor(base).T
dist.broadcast(ours, src=1)
tdist.broadcast(theirs, src=1)
collectives["broadcast src=1"] = [ours.tolist(), theirs.tolist()]
ours_list = [genesis.zeros(2, dtype=genesis.float64) for _ in range(world)]
theirs_list = [torch.zeros(2, dtype=torch.float64) for _ in range(world)]
dist.all_gather(ours_list, genesis.tensor([rank, rank + 0.5], dtype=genesis.float64))
tdist.all_gather(theirs_list, torch.tensor([rank, rank + 0.5], dtype=torch.float64))
collectives["all_gather"] = [[t.tolist() for t in ours_list], [t.tolist() for t in theirs_list]]
ours, theirs = pair(mine)
dist.reduce(ours, dst=1, op=dist.ReduceOp.SUM)
tdist.reduce(theirs, dst=1, op=tdist.ReduceOp.SUM)
if rank == 1:
    collectives["reduce dst=1"] = [ours.tolist(), theirs.tolist()]
else:
    collectives["reduce leaves the other ranks' tensors"] = [ours.tolist(), mine]
objects, torch_objects = [None] * world, [None] * world
dist.all_gather_object(objects, {"rank": rank, "name": f"r{rank}"})
tdist.all_gather_object(torch_objects, {"rank": rank, "name": f"r{rank}"})
collectives["all_gather_object"] = [objects, torch_objects]
listed = [f"from {rank}", rank] if rank == 0 else [None, None]
torch_listed = list(listed)
dist.broadcast_object_list(listed, src=0)
tdist.broadcast_object_list(torch_listed, src=0)
collectives["broadcast_object_list"] = [listed, torch_listed]
dist.barrier()
report["collectives"] = collectives


# ---- 2. exactness: 2 x batch B == 1 x batch 2B ------------------------------------------------
def mlp(dtype):
    genesis.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(),
                          nn.Linear(16, 3))
    return model.to(dtype)


def flat_parameters(model):
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


B, STEPS = 8, 20
data = np.random.default_rng(7)
exactness = {}
for dtype in (genesis.float64, genesis.float32):
    X = genesis.tensor(data.standard_normal((STEPS * 2 * B, 6))).to(dtype)
    y = genesis.tensor(data.integers(0, 3, STEPS * 2 * B))
    single = mlp(dtype)
    replica = copy.deepcopy(single)
    if rank == 1:  # DDP must replace this with rank 0's weights
        for p in replica.parameters():
            p.data.add_(1.0)
    ddp = DDP(replica, bucket_cap_mb=0.0005)  # ~500 bytes: several buckets
    opt_single = genesis.optim.AdamW(single.parameters(), lr=0.01)
    opt_ddp = genesis.optim.AdamW(ddp.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    identical = []
    for step in range(STEPS):
        lo = step * 2 * B
        opt_single.zero_grad()
        criterion(single(X[lo:lo + 2 * B]), y[lo:lo + 2 * B]).backward()
        opt_single.step()
        opt_ddp.zero_grad()
        mine_lo = lo + rank * B
        criterion(ddp(X[mine_lo:mine_lo + B]), y[mine_lo:mine_lo + B]).backward()
        opt_ddp.step()
        local = genesis.from_numpy(flat_parameters(replica))
        everyone = [genesis.zeros_like(local) for _ in range(world)]
        dist.all_gather(everyone, local)
        identical.append(all(np.array_equal(e.numpy(), everyone[0].numpy()) for e in everyone))
    reference, trained = flat_parameters(single), flat_parameters(replica)
    exactness[str(dtype)] = {
        "rel_error": float(np.max(np.abs(trained - reference)) / np.max(np.abs(reference))),
        "identical_every_step": identical,
        "buckets": ddp._bucket_indices,
        "state_dict_keys": list(ddp.state_dict()),
    }
report["exactness"] = exactness


# ---- 3. semantics against PyTorch's DDP ---------------------------------------------------------
class Branchy:
    """The same model in both frameworks: a tied embedding, a buffer, a branch used on rank 1
    only, and a layer no rank uses."""

    @staticmethod
    def build(lib):
        base = lib.nn.Module

        class Net(base):
            def __init__(self):
                super().__init__()
                self.embed = lib.nn.Embedding(5, 4)
                self.hidden = lib.nn.Linear(4, 4)
                self.extra = lib.nn.Linear(4, 4)
                self.never = lib.nn.Linear(4, 4)
                self.head = lib.nn.Linear(4, 5, bias=False)
                self.head.weight = self.embed.weight  # weight tying, as nanoGPT
                self.register_buffer("scale", lib.ones(4, dtype=lib.float64) * (1 + rank))

            def forward(self, tokens, use_extra):
                h = self.hidden(self.embed(tokens)).tanh() * self.scale
                if use_extra:
                    h = h + self.extra(h)
                return self.head(h)

        return Net().double()


genesis.manual_seed(3)
ours_net = Branchy.build(genesis)
theirs_net = Branchy.build(torch)
theirs_net.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours_net.state_dict().items()})
ours_ddp = DDP(ours_net, find_unused_parameters=True)
theirs_ddp = torch.nn.parallel.DistributedDataParallel(theirs_net, find_unused_parameters=True)
semantics = {"buffer after construction": [ours_net.scale.tolist(), theirs_net.scale.tolist()]}
tokens = np.array([[rank, 2, 4], [1, 3, rank + 1]])
targets = np.array([[2, 4, 0], [3, 1, 1]])
for ddp, lib in ((ours_ddp, genesis), (theirs_ddp, torch)):
    loss_fn = lib.nn.functional.cross_entropy
    with ddp.no_sync():
        out = ddp(lib.tensor(tokens), use_extra=(rank == 1))
        loss_fn(out.reshape(-1, 5), lib.tensor(targets).reshape(-1)).backward()
    out = ddp(lib.tensor(tokens[::-1].copy()), use_extra=(rank == 1))
    loss_fn(out.reshape(-1, 5), lib.tensor(targets).reshape(-1)).backward()
ours_named, theirs_named = dict(ours_net.named_parameters()), dict(theirs_net.named_parameters())
for name, param in ours_named.items():
    other = theirs_named[name]
    semantics[f"grad {name}"] = [None if param.grad is None else param.grad.tolist(),
                                 None if other.grad is None else other.grad.tolist()]
report["semantics"] = semantics

with open(os.path.join(out_dir, f"rank{rank}.json"), "w", encoding="utf-8") as file:
    json.dump(report, file)
tdist.destroy_process_group()
dist.destroy_process_group()
# Leave without C++ exit destructors: gloo's sometimes destroy a still-joinable thread at exit
# ("terminate called without an active exception", SIGABRT) after all the work is done. MPI is
# finalised first, since mpiexec counts a rank that exits without it as failed.
from mpi4py import MPI  # noqa: E402

if not MPI.Is_finalized():
    MPI.Finalize()
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
