"""Large-batch training on N processes: the linear scaling rule with warmup (Goyal et al. 2017).

One process trains an MLP on scikit-learn's handwritten digits with batch B and rate LR. On N
processes each one still takes B samples per step, so the global batch is N*B and an epoch has
N times fewer steps. The recipe of "Accurate, Large Minibatch SGD" (Goyal et al., 2017):

* linear scaling: multiply the rate by N (LR * N), and
* gradual warmup: start at the one-process rate LR and rise linearly to LR * N over the first
  epochs (LinearLR with start_factor 1/N), then decay as the one-process run does (cosine).

Run it on one process and on two, and compare the test accuracy:

    python examples/large_batch_digits.py
    genesis run --nproc-per-node 2 examples/large_batch_digits.py

Needs scikit-learn (the data) and MPI for several processes:
pip install -e ".[demo,distributed]".
"""
from __future__ import annotations

import argparse
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import genesis
import genesis.distributed as dist
import genesis.nn as nn
from genesis.nn.parallel import DistributedDataParallel
from genesis.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
from genesis.utils.data import DataLoader, DistributedSampler, TensorDataset


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32, help="samples per process per step")
    parser.add_argument("--lr", type=float, default=0.05, help="the one-process rate (SGD)")
    parser.add_argument("--warmup-epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def digits() -> tuple:
    """Standardised train and test splits of the digits (float32 features, int64 labels)."""
    features, labels = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(features, labels, test_size=0.25,
                                                        random_state=0, stratify=labels)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-8
    return [genesis.tensor(((x - mean) / std).astype(np.float32)) for x in (x_train, x_test)] + [
        genesis.tensor(y_train), genesis.tensor(y_test)]


def main() -> None:
    args = parse_args()
    distributed = "RANK" in os.environ or "OMPI_COMM_WORLD_RANK" in os.environ
    if distributed:
        dist.init_process_group()
    world_size = dist.get_world_size() if distributed else 1
    rank = dist.get_rank() if distributed else 0

    x_train, x_test, y_train, y_test = digits()
    genesis.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    if distributed:
        model = DistributedDataParallel(model)
    dataset = TensorDataset(x_train, y_train)
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=args.seed)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)

    # The recipe: rate x N, warmup from the one-process rate, then the usual decay.
    optimizer = genesis.optim.SGD(model.parameters(), lr=args.lr * world_size, momentum=0.9)
    steps, warmup = args.epochs * len(loader), args.warmup_epochs * len(loader)
    scheduler = SequentialLR(optimizer, [
        LinearLR(optimizer, start_factor=1.0 / world_size, end_factor=1.0, total_iters=warmup),
        CosineAnnealingLR(optimizer, T_max=steps - warmup),
    ], milestones=[warmup])

    criterion = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for inputs, targets in loader:
            optimizer.zero_grad()
            criterion(model(inputs), targets).backward()
            optimizer.step()
            scheduler.step()

    model.eval()
    with genesis.no_grad():
        accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
    if rank == 0:
        print(f"processes: {world_size}, global batch: {world_size * args.batch_size}, "
              f"peak rate: {args.lr * world_size:g}, steps: {steps}, "
              f"test accuracy: {accuracy:.4f}")
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
