"""The training workload: data sets and one epoch of an MLP with AdamW in Genesis and PyTorch.

Both frameworks run the loop a user writes (the spec page's): a shuffling ``DataLoader`` over a
``TensorDataset``, ``zero_grad``, forward, ``CrossEntropyLoss``, ``backward``, ``AdamW.step``.
The hand-written NumPy floor of the same computation is in ``bench.numpy_mlp``.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bench.measure import stopwatch

BATCH = 64
LR = 1e-3


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled handwritten digits (1797 x 64), standardised, float32 / int64."""
    from sklearn.datasets import load_digits

    features, labels = load_digits(return_X_y=True)
    features = (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-8)
    return features.astype(np.float32), labels.astype(np.int64)


def synthetic(samples: int, features: int = 784, classes: int = 10,
              seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian inputs labelled by a random linear teacher (float32 / int64)."""
    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal((samples, features), dtype=np.float32)
    teacher = rng.standard_normal((features, classes), dtype=np.float32)
    return inputs, np.argmax(inputs @ teacher, axis=1).astype(np.int64)


def genesis_setup(inputs: np.ndarray, labels: np.ndarray, hidden: int, seed: int = 0) -> tuple:
    """A fresh Genesis ``(model, optimizer, criterion, loader)`` for the workload."""
    import genesis
    import genesis.nn as nn
    import genesis.optim
    from genesis.utils.data import DataLoader, TensorDataset

    genesis.manual_seed(seed)
    classes = int(labels.max()) + 1
    model = nn.Sequential(nn.Linear(inputs.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, classes))
    optimizer = genesis.optim.AdamW(model.parameters(), lr=LR)
    loader = DataLoader(TensorDataset(genesis.tensor(inputs), genesis.tensor(labels)),
                        batch_size=BATCH, shuffle=True)
    return model, optimizer, nn.CrossEntropyLoss(), loader


def timed_epoch(model, optimizer, criterion, loader) -> Callable[[], float]:
    """A call that trains one epoch with the user's loop and returns its seconds. The two
    frameworks share the API, so one loop serves both."""
    def epoch() -> None:
        for data, targets in loader:
            optimizer.zero_grad()
            loss = criterion(model(data), targets)
            loss.backward()
            optimizer.step()

    return lambda: stopwatch(epoch)


def genesis_epoch(inputs: np.ndarray, labels: np.ndarray, hidden: int,
                  seed: int = 0) -> Callable[[], float]:
    """A fresh Genesis model, optimizer and loader; the returned call trains one epoch (seconds)."""
    return timed_epoch(*genesis_setup(inputs, labels, hidden, seed))


def torch_epoch(inputs: np.ndarray, labels: np.ndarray, hidden: int,
                seed: int = 0) -> Callable[[], float]:
    """The same as :func:`genesis_epoch` in PyTorch (CPU)."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(seed)
    classes = int(labels.max()) + 1
    model = torch.nn.Sequential(torch.nn.Linear(inputs.shape[1], hidden), torch.nn.ReLU(),
                                torch.nn.Linear(hidden, classes))
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR)
    criterion = torch.nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(torch.from_numpy(inputs), torch.from_numpy(labels)),
                        batch_size=BATCH, shuffle=True)
    return timed_epoch(model, optimizer, criterion, loader)
