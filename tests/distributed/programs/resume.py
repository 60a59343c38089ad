"""Checkpoint and resume a 2-process run, bit for bit (tests/distributed/test_two_processes.py).

``resume.py OUT full``: train STEPS steps; at step SAVE_AT (mid-epoch) rank 0 saves the
checkpoint a stopped run would have left (model, optimizer, scheduler, every rank's RNG state,
the position in the data), behind a barrier; at the end each rank saves its final weights and
losses. ``resume.py OUT resume``: start from that checkpoint in fresh processes and train to
STEPS. Dropout draws from each rank's own RNG stream (seeded by rank), so the resumed run only
matches if every rank gets its own state back and reads its data from the same place.
"""
import os
import sys

import numpy as np

import genesis
import genesis.distributed as dist
import genesis.nn as nn
from genesis.nn.parallel import DistributedDataParallel as DDP
from genesis.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
from genesis.utils.data import DataLoader, DistributedSampler, TensorDataset

out_dir, mode = sys.argv[1], sys.argv[2]
STEPS, SAVE_AT, BATCH = 14, 9, 4
checkpoint_path = os.path.join(out_dir, "checkpoint.gck")

dist.init_process_group()
rank = dist.get_rank()
genesis.manual_seed(0)
model = DDP(nn.Sequential(nn.Linear(5, 12), nn.ReLU(), nn.Dropout(0.3), nn.Linear(12, 3)))
genesis.manual_seed(100 + rank)  # each rank its own dropout stream
optimizer = genesis.optim.AdamW(model.parameters(), lr=0.02)
scheduler = SequentialLR(optimizer, [LinearLR(optimizer, 0.1, total_iters=3),
                                     CosineAnnealingLR(optimizer, T_max=STEPS - 3)], [3])
data = np.random.default_rng(1)
dataset = TensorDataset(genesis.tensor(data.standard_normal((40, 5)).astype(np.float32)),
                        genesis.tensor(data.integers(0, 3, 40)))
sampler = DistributedSampler(dataset, shuffle=True, seed=5)
loader = DataLoader(dataset, batch_size=BATCH, sampler=sampler)
steps_per_epoch = len(loader)

step = 0
if mode == "resume":
    checkpoint = genesis.load_checkpoint(checkpoint_path)
    model.module.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    genesis.set_rng_state(checkpoint["rng_states"][rank])
    step = checkpoint["step"]

losses = []
while step < STEPS:
    epoch, skip = divmod(step, steps_per_epoch)
    sampler.set_epoch(epoch)
    for index, (x, y) in enumerate(loader):
        if index < skip:
            continue  # already trained before the checkpoint
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        step += 1
        if mode == "full" and step == SAVE_AT:
            rng_states = [None] * dist.get_world_size()
            dist.all_gather_object(rng_states, genesis.get_rng_state())
            if rank == 0:
                genesis.save_checkpoint({"model": model.module.state_dict(),
                                         "optimizer": optimizer.state_dict(),
                                         "scheduler": scheduler.state_dict(),
                                         "rng_states": rng_states, "step": step},
                                        checkpoint_path)
            dist.barrier()  # nobody moves on (or stops) before the checkpoint is on disk
        if step == STEPS:
            break

genesis.save_checkpoint({"model": model.module.state_dict(), "losses": losses[-(STEPS - SAVE_AT):]},
                        os.path.join(out_dir, f"{mode}-rank{rank}.gck"))
dist.destroy_process_group()
