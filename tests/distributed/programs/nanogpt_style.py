"""A torchrun-style training script: nanoGPT's DDP set-up (train.py) on a tiny character model.

Run by tests/distributed/test_two_processes.py twice: as ``python nanogpt_style.py OUT`` (one
process) and under ``genesis run --nproc-per-node 2`` (DDP). As in nanoGPT, the batch per
process stays and the gradient accumulation steps are divided by the world size, so both runs
see the same samples per optimizer step and must end with the same weights (float32, up to the
order of sums). The master process saves a checkpoint of the raw model.
"""
import math
import os
import sys

import numpy as np

import genesis
import genesis.nn as nn
import genesis.nn.functional as F
from genesis.distributed import destroy_process_group, init_process_group
from genesis.nn.parallel import DistributedDataParallel as DDP
from genesis.utils.data import DataLoader, DistributedSampler, TensorDataset

out_dir = sys.argv[1]
batch_size, block_size, vocab_size, n_embd = 4, 8, 11, 16
gradient_accumulation_steps = 4
max_iters, learning_rate, warmup_iters = 12, 3e-3, 4

# --- nanoGPT's set-up, line for line where it applies ----------------------------------------
ddp = int(os.environ.get("RANK", -1)) != -1  # is this a ddp run?
if ddp:
    init_process_group(backend="nccl")
    ddp_rank = int(os.environ["RANK"])
    ddp_local_rank = int(os.environ["LOCAL_RANK"])
    ddp_world_size = int(os.environ["WORLD_SIZE"])
    device = "cpu"  # nanoGPT: f'cuda:{ddp_local_rank}'
    master_process = ddp_rank == 0  # this process will do logging, checkpointing etc.
    seed_offset = ddp_rank  # each process gets a different seed
    assert gradient_accumulation_steps % ddp_world_size == 0
    gradient_accumulation_steps //= ddp_world_size
else:
    master_process, seed_offset, ddp_world_size, ddp_rank = True, 0, 1, 0
genesis.manual_seed(1337 + seed_offset)


class TinyLM(nn.Module):
    """Embedding, one MLP block with LayerNorm, and a head tied to the embedding (as GPT-2)."""

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.ln = nn.LayerNorm(n_embd)
        self.fc = nn.Linear(n_embd, 4 * n_embd)
        self.proj = nn.Linear(4 * n_embd, n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight  # https://paperswithcode.com/method/weight-tying

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(genesis.arange(idx.shape[1]))
        x = x + self.proj(F.gelu(self.fc(self.ln(x))))
        return self.lm_head(x)


model = TinyLM()
optimizer = genesis.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.1,
                                betas=(0.9, 0.95))
if ddp:
    model = DDP(model)  # nanoGPT: DDP(model, device_ids=[ddp_local_rank]) on a GPU
raw_model = model.module if ddp else model


def get_lr(it):  # nanoGPT's warmup then cosine
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    ratio = (it - warmup_iters) / (max_iters - warmup_iters)
    return 0.1 * learning_rate + 0.5 * (1.0 + math.cos(math.pi * ratio)) * 0.9 * learning_rate


# --- data: the same tokens everywhere; DistributedSampler gives each rank its share ----------
tokens = np.random.default_rng(0).integers(0, vocab_size, (256, block_size + 1))
dataset = TensorDataset(genesis.tensor(tokens[:, :-1]), genesis.tensor(tokens[:, 1:]))
sampler = DistributedSampler(dataset, num_replicas=ddp_world_size, rank=ddp_rank, shuffle=True,
                             seed=1337)
loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)


def batches():
    epoch = 0
    while True:
        sampler.set_epoch(epoch)
        yield from loader
        epoch += 1


stream = batches()
losses = []
for it in range(max_iters):
    for group in optimizer.param_groups:
        group["lr"] = get_lr(it)
    for micro_step in range(gradient_accumulation_steps):
        if ddp:
            # nanoGPT syncs gradients only at the last micro step (the no_sync idiom)
            model.require_backward_grad_sync = micro_step == gradient_accumulation_steps - 1
        X, Y = next(stream)
        logits = model(X)
        loss = F.cross_entropy(logits.view(-1, vocab_size), Y.view(-1))
        loss = loss / gradient_accumulation_steps
        loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    losses.append(loss.item() * gradient_accumulation_steps)

if master_process:
    checkpoint = {"model": raw_model.state_dict(), "optimizer": optimizer.state_dict(),
                  "iter_num": max_iters, "losses": losses,
                  "ddp_keys": list(model.state_dict()) if ddp else []}
    genesis.save_checkpoint(checkpoint, os.path.join(out_dir, f"ckpt-{ddp_world_size}.gck"))
if ddp:
    destroy_process_group()
