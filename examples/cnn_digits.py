"""A small CNN learns scikit-learn's 8x8 handwritten digits, with the 1cycle schedule.

Two blocks of 3x3 convolution, batch norm, ReLU and 2x2 max pooling (8x8 -> 4x4 -> 2x2), then
a linear layer to the ten classes; AdamW, and OneCycleLR stepped after every batch (the rate
rises from lr/25 to lr over the first 30% of the steps, then anneals to almost 0, while the
first beta cycles the other way). The split is ``genesis demo``'s (450 digits held out), the
images standardised per pixel. A checkpoint is saved after every epoch::

    python examples/cnn_digits.py                       # about 20 s; test accuracy ~98%
    python examples/cnn_digits.py --stop-after 5        # ...interrupted after epoch 5
    python examples/cnn_digits.py --resume              # ...finishes exactly as above

Needs scikit-learn (the data); matplotlib draws the curves, tensorboard serves --logdir.
"""
from __future__ import annotations

import argparse
import itertools

import numpy as np

import genesis
import genesis.nn as nn
from genesis.demo import load_data
from genesis.optim.lr_scheduler import OneCycleLR
from genesis.utils.data import DataLoader, TensorDataset

from _common import Experiment, make_parser, steps_per_epoch, train


def cnn(channels: int) -> nn.Module:
    """Conv-BN-ReLU-pool twice (``channels``, then twice as many), then Linear to 10 classes."""
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.BatchNorm2d(2 * channels), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2 * channels * 2 * 2, 10))


def build(args: argparse.Namespace) -> Experiment:
    x_train, y_train, x_test, y_test = load_data()
    images = [genesis.tensor(x.reshape(-1, 1, 8, 8)) for x in (x_train, x_test)]
    genesis.manual_seed(args.seed)
    model = cnn(args.channels)
    optimizer = genesis.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    loader = DataLoader(TensorDataset(images[0], genesis.tensor(y_train)),
                        batch_size=args.batch_size, shuffle=True, drop_last=True)
    steps = steps_per_epoch(args, len(loader))
    scheduler = OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * steps)
    criterion = nn.CrossEntropyLoss()

    def batches(epoch: int):
        # the loader draws its order from the Genesis generator when the pass starts
        return itertools.islice(loader, steps)

    def loss(batch):
        inputs, targets = batch
        return criterion(model(inputs), targets)

    def evaluate() -> dict:
        logits = model(images[1])
        predicted = logits.argmax(dim=1).numpy()
        return {"test_loss": criterion(logits, genesis.tensor(y_test)).item(),
                "test_accuracy": float(np.mean(predicted == y_test))}

    return Experiment(
        "cnn", f"CNN ({args.channels}-{2 * args.channels} channels) on 8x8 digits, AdamW, "
               f"OneCycleLR to {args.lr:g}", model, optimizer, scheduler, batches, loss, evaluate,
        steps)


def main(argv: list[str] | None = None) -> dict:
    parser = make_parser(__doc__, name="cnn", epochs=15, lr=0.01, batch_size=32)
    parser.add_argument("--channels", type=int, default=16,
                        help="channels of the first convolution (the second has twice as many)")
    args = parser.parse_args(argv)
    return train(build(args), args)


if __name__ == "__main__":
    main()
