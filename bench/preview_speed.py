"""Preview a whole schedule: 1,000,000 steps of cosine with warmup, without stepping."""
from __future__ import annotations

import warnings

import numpy as np

from bench.measure import (GENESIS, NUMPY, PYTORCH, Check, Result, Row, Settings, sample,
                           stopwatch)
from bench.sched_step import cosine_warmup

NAME = "preview"
TITLE = "Preview 1,000,000 steps of cosine with warmup"
TARGET = "Genesis < 0.2 s and >= 100x faster than stepping PyTorch's LambdaLR"
BASE_LR = 0.1


def genesis_seconds(steps: int, warmup: int) -> float:
    """``preview`` of ``get_cosine_schedule_with_warmup`` (a fresh scheduler each time)."""
    import genesis
    import genesis.optim

    optimizer = genesis.optim.SGD([genesis.zeros(1, requires_grad=True)], lr=BASE_LR)
    scheduler = genesis.optim.get_cosine_schedule_with_warmup(optimizer, warmup, steps)
    return stopwatch(lambda: genesis.optim.lr_scheduler.preview(scheduler, steps))


def torch_seconds_per_step(steps: int, warmup: int, total: int) -> float:
    """Stepping PyTorch's LambdaLR and collecting each rate: seconds per step."""
    import torch

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_warmup(warmup, total))

        def loop() -> None:
            rates = []
            for _ in range(steps):
                scheduler.step()
                rates.append(scheduler.get_last_lr()[0])

        return stopwatch(loop) / steps


def numpy_seconds(steps: int, warmup: int) -> float:
    """The same curve as one vectorised NumPy expression: the floor."""
    def curve() -> np.ndarray:
        step = np.arange(1, steps + 1, dtype=np.float64)
        progress = (step - warmup) / (steps - warmup)
        cosine = np.maximum(0.0, 0.5 * (1.0 + np.cos(np.pi * progress)))
        return BASE_LR * np.where(step < warmup, step / warmup, cosine)

    return stopwatch(curve)


def run(settings: Settings, progress) -> Result:
    """Genesis and NumPy over the whole length; PyTorch stepped for a sample and extrapolated."""
    total = settings.pick(1_000_000, 1_000_000, 1000)
    torch_steps = settings.pick(20_000, 5_000, 100)
    warmup = total // 20
    progress(f"{GENESIS} preview")
    genesis_stats = sample(lambda: genesis_seconds(total, warmup), settings)
    progress(f"{PYTORCH} stepping {torch_steps} steps")
    torch_stats = sample(lambda: total * torch_seconds_per_step(torch_steps, warmup, total),
                         settings)
    progress(f"{NUMPY} vectorised curve")
    numpy_stats = sample(lambda: numpy_seconds(total, warmup), settings)
    row = Row(f"{total:,} steps", {GENESIS: genesis_stats, PYTORCH: torch_stats,
                                   NUMPY: numpy_stats})
    speedup = row.ratio(GENESIS, PYTORCH)
    return Result(NAME, TITLE, TARGET, [row], [
        Check("Genesis preview time", genesis_stats.median, 0.2, unit="s", strict=True),
        Check("Genesis/PyTorch (>= 100x faster)", speedup, 0.01)],
        notes=[f"PyTorch's time is {torch_steps:,} steps of LambdaLR (step() and get_last_lr()[0] "
               f"collected) scaled to {total:,}; Genesis previews the whole length."])
