"""The CNN workloads: synthetic images, a LeNet-5 and a small ResNet, one epoch in Genesis and
in PyTorch with the same loop (``bench.mlp.timed_epoch``) and AdamW.

Each model is written once against the ``nn`` namespace it is given, so Genesis and PyTorch
train the same architecture, layer for layer.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bench.mlp import LR, timed_epoch

# model name -> (input channels, image size, batch size)
SHAPES = {"lenet": (1, 28, 64), "resnet": (3, 32, 32)}


def images(samples: int, channels: int, size: int, classes: int = 10,
           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian images labelled by a random linear teacher (float32 NCHW / int64)."""
    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal((samples, channels, size, size), dtype=np.float32)
    teacher = rng.standard_normal((channels * size * size, classes), dtype=np.float32)
    labels = np.argmax(inputs.reshape(samples, -1) @ teacher, axis=1).astype(np.int64)
    return inputs, labels


def lenet(nn):
    """LeNet-5 for 1x28x28 inputs: two 5x5 convolutions with max pooling, three linear layers."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 4 * 4, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def resnet(nn):
    """A small ResNet for 3x32x32 inputs: a 3x3 stem, two basic blocks at 16 channels, one
    strided block to 32 channels (1x1 projection shortcut), global average pooling, a linear
    head. Every convolution is followed by BatchNorm."""
    class BasicBlock(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.bn1(self.conv1(x)).relu()
            return (self.bn2(self.conv2(out)) + self.shortcut(x)).relu()

    return nn.Sequential(
        nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        BasicBlock(16, 16), BasicBlock(16, 16), BasicBlock(16, 32, stride=2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


MODELS = {"lenet": lenet, "resnet": resnet}


def data(model: str, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """The synthetic images ``model`` trains on."""
    channels, size, _ = SHAPES[model]
    return images(samples, channels, size)


def genesis_epoch(model: str, inputs: np.ndarray, labels: np.ndarray,
                  seed: int = 0) -> Callable[[], float]:
    """A fresh Genesis model, AdamW and shuffling loader; the call trains one epoch (seconds)."""
    import genesis
    import genesis.nn as nn
    import genesis.optim
    from genesis.utils.data import DataLoader, TensorDataset

    genesis.manual_seed(seed)
    net = MODELS[model](nn)
    loader = DataLoader(TensorDataset(genesis.tensor(inputs), genesis.tensor(labels)),
                        batch_size=SHAPES[model][2], shuffle=True)
    return timed_epoch(net, genesis.optim.AdamW(net.parameters(), lr=LR),
                       nn.CrossEntropyLoss(), loader)


def torch_epoch(model: str, inputs: np.ndarray, labels: np.ndarray,
                seed: int = 0) -> Callable[[], float]:
    """The same as :func:`genesis_epoch` in PyTorch (CPU)."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(seed)
    net = MODELS[model](torch.nn)
    loader = DataLoader(TensorDataset(torch.from_numpy(inputs), torch.from_numpy(labels)),
                        batch_size=SHAPES[model][2], shuffle=True)
    return timed_epoch(net, torch.optim.AdamW(net.parameters(), lr=LR),
                       torch.nn.CrossEntropyLoss(), loader)
