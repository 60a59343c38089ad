"""Where a training epoch's time goes: seconds per batch of each phase, Genesis and the floor.

The same epoch as ``bench.mlp`` / ``bench.numpy_mlp`` with a clock read between the phases
(the reads cost both sides alike), so a MISS on the training targets shows which phase loses.
"""
from __future__ import annotations

import time

import numpy as np

from bench.measure import GENESIS, NUMPY, Row, Settings, Stats, collect
from bench.mlp import BATCH, genesis_setup
from bench.numpy_mlp import MLP

PHASES = ("data", "forward + loss", "backward", "optimizer step")


def genesis_phases(inputs: np.ndarray, labels: np.ndarray, hidden: int) -> dict[str, float]:
    """One Genesis epoch on a fresh model: mean seconds per batch of each phase."""
    model, optimizer, criterion, loader = genesis_setup(inputs, labels, hidden)
    totals = dict.fromkeys(PHASES, 0.0)
    clock = time.perf_counter
    start = clock()
    for data, targets in loader:
        fetched = clock()
        optimizer.zero_grad()
        loss = criterion(model(data), targets)
        forward = clock()
        loss.backward()
        backward = clock()
        optimizer.step()
        stepped = clock()
        _add(totals, (fetched - start, forward - fetched, backward - forward, stepped - backward))
        start = clock()
    return {phase: total / len(loader) for phase, total in totals.items()}


def numpy_phases(inputs: np.ndarray, labels: np.ndarray, hidden: int) -> dict[str, float]:
    """The same for the hand-written NumPy floor."""
    model = MLP(inputs.shape[1], hidden, int(labels.max()) + 1)
    order = np.random.default_rng(0).permutation(len(inputs))
    totals = dict.fromkeys(PHASES, 0.0)
    clock = time.perf_counter
    batches = range(0, len(inputs), BATCH)
    for first in batches:
        start = clock()
        batch = order[first:first + BATCH]
        x, y = inputs[batch], labels[batch]
        fetched = clock()
        _, cache = model.forward_loss(x, y)
        forward = clock()
        grads = model.backward(cache)
        backward = clock()
        model.optimizer.step(grads)
        stepped = clock()
        _add(totals, (fetched - start, forward - fetched, backward - forward, stepped - backward))
    return {phase: total / len(batches) for phase, total in totals.items()}


def _add(totals: dict[str, float], seconds: tuple[float, ...]) -> None:
    for phase, value in zip(PHASES, seconds):
        totals[phase] += value


def phase_rows(inputs: np.ndarray, labels: np.ndarray, hidden: int,
               settings: Settings) -> list[Row]:
    """One row per phase (seconds per batch), Genesis and NumPy epochs interleaved."""
    epochs = collect({GENESIS: lambda: genesis_phases(inputs, labels, hidden),
                      NUMPY: lambda: numpy_phases(inputs, labels, hidden)}, settings)
    return [Row(f"per batch: {phase}", {name: Stats(tuple(epoch[phase] for epoch in runs))
                                       for name, runs in epochs.items()})
            for phase in PHASES]
