"""End to end: an MLP (64-128-10) trained with AdamW on scikit-learn's bundled digits.

The first step is checked against PyTorch from the same initial weights (loss, every gradient
and the updated weights, float32 rel 1e-5); the full run must reach >= 95% test accuracy.
"""
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import genesis
import genesis.nn as nn
import genesis.optim as optim
from genesis.utils.data import DataLoader, TensorDataset

BATCH = 64
EPOCHS = 15


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 1e-8
    standardise = lambda a: ((a - mean) / std).astype(np.float32)  # noqa: E731
    return standardise(X_train), y_train.astype(np.int64), standardise(X_test), y_test


def _mlp():
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def _torch_twin(model):
    twin = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    return twin


def test_first_step_matches_torch(digits):
    X_train, y_train, _, _ = digits
    genesis.manual_seed(0)
    model = _mlp()
    twin = _torch_twin(model)
    opt = optim.AdamW(model.parameters(), lr=1e-3)
    topt = torch.optim.AdamW(twin.parameters(), lr=1e-3, foreach=False)
    xb, yb = X_train[:BATCH], y_train[:BATCH]

    loss = nn.CrossEntropyLoss()(model(genesis.tensor(xb)), genesis.tensor(yb))
    loss.backward()
    tloss = torch.nn.CrossEntropyLoss()(twin(torch.tensor(xb)), torch.tensor(yb))
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    named = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), named[name].grad.numpy(), rtol=1e-5, atol=1e-7)

    opt.step()
    topt.step()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), named[name].detach().numpy(),
                                   rtol=1e-5, atol=1e-7)


def test_adamw_mlp_reaches_95_percent(digits):
    X_train, y_train, X_test, y_test = digits
    genesis.manual_seed(0)
    model = _mlp()
    opt = optim.AdamW(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(genesis.tensor(X_train), genesis.tensor(y_train)),
                        batch_size=BATCH, shuffle=True)
    for _ in range(EPOCHS):
        model.train()
        for data, targets in loader:
            opt.zero_grad()
            loss = criterion(model(data), targets)
            loss.backward()
            opt.step()
    model.eval()
    with genesis.no_grad():
        predicted = model(genesis.tensor(X_test)).argmax(dim=1).numpy()
    accuracy = float(np.mean(predicted == y_test))
    assert accuracy >= 0.95, f"test accuracy {accuracy:.3f}"
