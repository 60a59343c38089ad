"""Checkpoint throughput: save + load ~200 MB of float32 arrays in a temporary directory."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.measure import (GENESIS, NUMPY, PYTORCH, Result, Row, Settings, Stats, ratio_check,
                           collect, stopwatch)

NAME = "checkpoint"
TITLE = "Checkpoint save + load of ~200 MB float32"
TARGET = "Genesis <= 1.5x np.save/np.load (checksum included) and <= 1.0x PyTorch"


def arrays(total_mb: float, count: int = 50, seed: int = 0) -> dict[str, np.ndarray]:
    """``count`` random float32 arrays holding ``total_mb`` MB together, keyed like a state dict."""
    rng = np.random.default_rng(seed)
    per_array = max(1, int(total_mb * 1e6 / 4 / count))
    return {f"layers.{i}.weight": rng.standard_normal(per_array, dtype=np.float32)
            for i in range(count)}


def genesis_io(state: dict, folder: Path) -> tuple[float, float]:
    """``genesis.save_checkpoint`` then ``genesis.load_checkpoint``: (save, load) seconds."""
    import genesis

    tree = {"model_state_dict": {k: genesis.from_numpy(v) for k, v in state.items()}}
    path = folder / "checkpoint.safetensors"
    return (stopwatch(lambda: genesis.save_checkpoint(tree, path)),
            stopwatch(lambda: genesis.load_checkpoint(path)))


def torch_io(state: dict, folder: Path) -> tuple[float, float]:
    """``torch.save`` then ``torch.load(weights_only=True)``: (save, load) seconds."""
    import torch

    tree = {"model_state_dict": {k: torch.from_numpy(v) for k, v in state.items()}}
    path = folder / "checkpoint.pt"
    return (stopwatch(lambda: torch.save(tree, path)),
            stopwatch(lambda: torch.load(path, weights_only=True)))


def numpy_io(state: dict, folder: Path) -> tuple[float, float]:
    """One ``np.save`` file per array, then ``np.load`` of each: (save, load) seconds."""
    def save() -> None:
        for key, value in state.items():
            np.save(folder / f"{key}.npy", value)

    return stopwatch(save), stopwatch(lambda: {k: np.load(folder / f"{k}.npy") for k in state})


def numpy_durable_io(state: dict, folder: Path) -> tuple[float, float]:
    """The arrays as consecutive ``np.save`` records in one file, made durable as Genesis does
    (fsync the file, then the directory); loaded back with ``np.load`` record by record."""
    path = folder / "arrays.npy"

    def save() -> None:
        with open(path, "wb") as file:
            for value in state.values():
                np.save(file, value)
            file.flush()
            os.fsync(file.fileno())
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def load() -> dict:
        with open(path, "rb") as file:
            return {key: np.load(file) for key in state}

    return stopwatch(save), stopwatch(load)


IMPLEMENTATIONS = {GENESIS: genesis_io, PYTORCH: torch_io, NUMPY: numpy_io}
DURABLE_NUMPY = "NumPy + fsync"


def _in_fresh_folder(io, state: dict) -> Callable[[], tuple[float, float]]:
    """A run of ``io`` in a new temporary directory, removed afterwards: (save, load) seconds."""
    def run_once() -> tuple[float, float]:
        folder = Path(tempfile.mkdtemp(prefix="genesis-bench-"))
        try:
            return io(state, folder)
        finally:
            shutil.rmtree(folder)

    return run_once


def run(settings: Settings, progress) -> Result:
    """Save + load per implementation, interleaved, each time into a fresh temporary directory."""
    state = arrays(settings.pick(200, 50, 1))
    size = sum(v.nbytes for v in state.values()) / 1e6
    progress(f"save + load {size:.0f} MB: {', '.join(IMPLEMENTATIONS)}, interleaved")
    runs = {**IMPLEMENTATIONS, DURABLE_NUMPY: numpy_durable_io}
    timed = collect({name: _in_fresh_folder(io, state) for name, io in runs.items()}, settings)
    totals = {name: Stats(tuple(save + load for save, load in pairs))
              for name, pairs in timed.items()}
    saves = {name: Stats(tuple(save for save, _ in timed[name])) for name in IMPLEMENTATIONS}
    loads = {name: Stats(tuple(load for _, load in timed[name])) for name in IMPLEMENTATIONS}
    durable = Row(f"save + load, {size:.0f} MB, against np.save into one file + fsync "
                  "(same durability)",
                  {GENESIS: totals[GENESIS], NUMPY: totals.pop(DURABLE_NUMPY)})
    total = Row(f"save + load, {size:.0f} MB", totals)
    return Result(NAME, TITLE, TARGET,
                  [total, Row("save", saves), Row("load", loads), durable],
                  [ratio_check(total, NUMPY, 1.5), ratio_check(total, PYTORCH, 1.0)],
                  notes=["Genesis writes safetensors with a checksum, atomically and durably "
                         "(temporary file, fsync, rename, directory fsync), as issue 5 requires; "
                         "np.save and torch.save return once the data is in the page cache. The "
                         "last row makes the NumPy floor as durable (one file, fsync, directory "
                         "fsync): what remains is Genesis's own cost, the rest is the disk."])
