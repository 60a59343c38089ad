"""Checkpoint throughput: save + load ~200 MB of float32 arrays in a temporary directory."""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.measure import (GENESIS, NUMPY, PYTORCH, Result, Row, Settings, Stats, ratio_check,
                           sample_all, stopwatch)

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


IMPLEMENTATIONS = {GENESIS: genesis_io, PYTORCH: torch_io, NUMPY: numpy_io}


def _timed_in_fresh_folder(io, state: dict, record: list) -> Callable[[], float]:
    """A run that calls ``io`` in a new temporary directory (then removed), records (save, load)
    in ``record`` and returns save + load seconds."""
    def run_once() -> float:
        folder = Path(tempfile.mkdtemp(prefix="genesis-bench-"))
        try:
            save, load = io(state, folder)
        finally:
            shutil.rmtree(folder)
        record.append((save, load))
        return save + load

    return run_once


def run(settings: Settings, progress) -> Result:
    """Save + load per implementation, interleaved, each time into a fresh temporary directory."""
    state = arrays(settings.pick(200, 50, 1))
    size = sum(v.nbytes for v in state.values()) / 1e6
    progress(f"save + load {size:.0f} MB: {', '.join(IMPLEMENTATIONS)}, interleaved")
    records: dict[str, list] = {name: [] for name in IMPLEMENTATIONS}
    totals = sample_all({name: _timed_in_fresh_folder(io, state, records[name])
                         for name, io in IMPLEMENTATIONS.items()}, settings)
    timed = {name: record[settings.warmup:] for name, record in records.items()}
    saves = {name: Stats(tuple(save for save, _ in record)) for name, record in timed.items()}
    loads = {name: Stats(tuple(load for _, load in record)) for name, record in timed.items()}
    total = Row(f"save + load, {size:.0f} MB", totals)
    return Result(NAME, TITLE, TARGET,
                  [total, Row("save", saves), Row("load", loads)],
                  [ratio_check(total, NUMPY, 1.5), ratio_check(total, PYTORCH, 1.0)],
                  notes=["Genesis writes safetensors with a checksum, atomically (temporary file, "
                         "fsync, rename, directory fsync); np.save and torch.save do not fsync."])
