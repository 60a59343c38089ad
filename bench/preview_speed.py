"""A whole schedule without stepping: ``preview`` of 1,000,000 steps of cosine with warmup, and
``lr_at`` of 1,000,000 steps of a warmup-then-cosine SequentialLR."""
from __future__ import annotations

import warnings

import numpy as np

from bench.measure import (GENESIS, NUMPY, PYTORCH, Check, Result, Row, Settings, sample,
                           stopwatch)
from bench.sched_step import cosine_warmup

NAME = "preview"
TITLE = "Preview 1,000,000 steps of cosine with warmup; lr_at of a SequentialLR"
TARGET = ("preview: Genesis < 0.2 s and >= 100x faster than stepping PyTorch's LambdaLR; "
          "lr_at of SequentialLR(LinearLR, CosineAnnealingLR): <= 50 ms")
BASE_LR = 0.1


def genesis_seconds(steps: int, warmup: int) -> float:
    """``preview`` of ``get_cosine_schedule_with_warmup`` (a fresh scheduler each time)."""
    import genesis
    import genesis.optim

    optimizer = genesis.optim.SGD([genesis.zeros(1, requires_grad=True)], lr=BASE_LR)
    scheduler = genesis.optim.get_cosine_schedule_with_warmup(optimizer, warmup, steps)
    return stopwatch(lambda: genesis.optim.lr_scheduler.preview(scheduler, steps))


def sequential(lib, optimizer, steps: int, warmup: int):
    """SequentialLR(LinearLR, CosineAnnealingLR) of ``lib`` (genesis.optim or torch.optim)."""
    sched = lib.lr_scheduler
    warm = sched.LinearLR(optimizer, start_factor=0.1, total_iters=warmup)
    decay = sched.CosineAnnealingLR(optimizer, T_max=steps - warmup)
    return sched.SequentialLR(optimizer, [warm, decay], milestones=[warmup])


def genesis_lr_at_seconds(steps: int, warmup: int) -> float:
    """``scheduler.lr_at(np.arange(steps))`` of the SequentialLR (a fresh scheduler each time)."""
    import genesis.optim

    optimizer = genesis.optim.SGD([genesis.zeros(1, requires_grad=True)], lr=BASE_LR)
    scheduler = sequential(genesis.optim, optimizer, steps, warmup)
    all_steps = np.arange(steps)
    return stopwatch(lambda: scheduler.lr_at(all_steps))


def torch_seconds_per_step(steps: int, warmup: int, total: int, schedule: str = "lambda") -> float:
    """Stepping PyTorch's LambdaLR (cosine warmup) or SequentialLR and collecting each rate:
    seconds per step."""
    import torch

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if schedule == "lambda":
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_warmup(warmup, total))
        else:
            scheduler = sequential(torch.optim, optimizer, total, warmup)

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
    progress(f"{GENESIS} lr_at of SequentialLR")
    lr_at_stats = sample(lambda: genesis_lr_at_seconds(total, warmup), settings)
    progress(f"{PYTORCH} stepping SequentialLR {torch_steps} steps")
    torch_sequential = sample(
        lambda: total * torch_seconds_per_step(torch_steps, warmup, total, "sequential"), settings)
    lr_at_row = Row(f"lr_at, {total:,} steps of SequentialLR(LinearLR, CosineAnnealingLR)",
                    {GENESIS: lr_at_stats, PYTORCH: torch_sequential})
    return Result(NAME, TITLE, TARGET, [row, lr_at_row], [
        Check("Genesis preview time", genesis_stats.median, 0.2, unit="s", strict=True),
        Check("Genesis/PyTorch (>= 100x faster)", speedup, 0.01),
        Check("Genesis lr_at time (SequentialLR)", lr_at_stats.median, 0.05, unit="s")],
        notes=[f"PyTorch's times are {torch_steps:,} steps (step() and get_last_lr()[0] collected) "
               f"scaled to {total:,}; Genesis computes the whole length from the closed forms."])
