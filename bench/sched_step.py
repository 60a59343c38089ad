"""Scheduler overhead: ``step()`` + ``get_last_lr()`` per training step, 1 and 16 param groups."""
from __future__ import annotations

import functools
import math
import warnings

from bench.measure import (GENESIS, PYTORCH, Result, Row, Settings, ratio_check, sample,
                           sample_all, stopwatch)

NAME = "sched_step"
TITLE = "Scheduler step() + get_last_lr()"
TARGET = "Genesis <= 0.5x PyTorch per step, for every scheduler and group count"
WARMUP_FRACTION = 0.1


def cosine_warmup(warmup: int, total: int):
    """The cosine-with-warmup factor as a plain function (the same one for both frameworks)."""
    def factor(step: int) -> float:
        if step < warmup:
            return step / max(1, warmup)
        progress = (step - warmup) / max(1, total - warmup)
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))

    return factor


def build(lib, optimizer, scheduler: str, total: int):
    """``scheduler`` (a name in SCHEDULERS) from ``lib`` (genesis.optim or torch.optim)."""
    sched = lib.lr_scheduler
    warmup = max(1, int(total * WARMUP_FRACTION))
    if scheduler == LAMBDA:
        return sched.LambdaLR(optimizer, cosine_warmup(warmup, total))
    if scheduler == "CosineAnnealingLR":
        return sched.CosineAnnealingLR(optimizer, T_max=total)
    if scheduler == "OneCycleLR":
        return sched.OneCycleLR(optimizer, max_lr=0.1, total_steps=total + 1)
    if scheduler == "SequentialLR (LinearLR, cosine)":
        return sched.SequentialLR(optimizer, [
            sched.LinearLR(optimizer, start_factor=0.1, total_iters=warmup),
            sched.CosineAnnealingLR(optimizer, T_max=total - warmup)], milestones=[warmup])
    raise ValueError(f"scheduler must be one of {SCHEDULERS}, got {scheduler!r}")


LAMBDA = "LambdaLR (cosine warmup)"
SCHEDULERS = (LAMBDA, "CosineAnnealingLR", "OneCycleLR",
              "SequentialLR (LinearLR, cosine)")


def _optimizer(framework: str, groups: int):
    if framework == GENESIS:
        import genesis
        import genesis.optim

        lib, params = genesis.optim, [genesis.zeros(1, requires_grad=True) for _ in range(groups)]
    else:
        import torch

        lib, params = torch.optim, [torch.zeros(1, requires_grad=True) for _ in range(groups)]
    return lib, lib.SGD([{"params": [p]} for p in params], lr=0.1, momentum=0.9)


def per_step_seconds(framework: str, scheduler: str, groups: int, steps: int) -> float:
    """Build a fresh optimizer and scheduler, then time ``steps`` step()+get_last_lr() calls."""
    lib, optimizer = _optimizer(framework, groups)
    with warnings.catch_warnings():
        # PyTorch warns once that scheduler.step() ran before optimizer.step(); not timed here.
        warnings.simplefilter("ignore")
        scheduler_ = build(lib, optimizer, scheduler, steps)

        def loop() -> None:
            for _ in range(steps):
                scheduler_.step()
                scheduler_.get_last_lr()

        return stopwatch(loop) / steps


def lambda_seconds(groups: int, steps: int) -> float:
    """Per step, the cost of the cosine-warmup lambda alone, called once per group (as both
    frameworks' LambdaLR do): the part of the step no scheduler implementation can save."""
    factor = cosine_warmup(max(1, int(steps * WARMUP_FRACTION)), steps)
    group_range = range(groups)

    def loop() -> None:
        for step in range(steps):
            for _ in group_range:
                factor(step)

    return stopwatch(loop) / steps


def floor_seconds(groups: int, steps: int) -> float:
    """Per step, the least a LambdaLR with PyTorch's semantics does, written as tightly as Python
    allows: call the lambda once per group, scale the group's base rate, write it into the group,
    and hand back a new list of the rates (no checks, no step count, no warning logic)."""
    factor = cosine_warmup(max(1, int(steps * WARMUP_FRACTION)), steps)
    param_groups = [{"lr": 0.1, "params": []} for _ in range(groups)]
    base_lrs = [0.1] * groups

    def loop() -> None:
        for step in range(steps):
            rates, index = [], 0
            for group in param_groups:
                rate = base_lrs[index] * factor(step)
                group["lr"] = rate
                rates.append(rate)
                index += 1
            list(rates)

    return stopwatch(loop) / steps


def run(settings: Settings, progress) -> Result:
    """Every scheduler with 1 and 16 groups, both frameworks; the lambda's own cost for LambdaLR."""
    steps = settings.pick(2000, 500, 20)
    rows = []
    notes = [f"Time per step, averaged over {steps} steps of a fresh scheduler on SGD "
             "(momentum 0.9); construction is not timed."]
    for scheduler in SCHEDULERS:
        for groups in (1, 16):
            case = f"{scheduler}, {groups} group{'s' if groups > 1 else ''}"
            progress(case)
            row = Row(case, sample_all({
                framework: functools.partial(per_step_seconds, framework, scheduler, groups, steps)
                for framework in (GENESIS, PYTORCH)}, settings))
            rows.append(row)
            if scheduler == LAMBDA:
                alone = sample(functools.partial(lambda_seconds, groups, steps), settings).median
                floor = sample(functools.partial(floor_seconds, groups, steps), settings).median
                torch_step = row.stats[PYTORCH].median
                notes.append(
                    f"{case}: the lambda alone takes {alone * 1e6:.3g} µs per step ({groups} "
                    f"call{'s' if groups > 1 else ''}) in both frameworks, so a scheduler with no "
                    f"overhead at all would measure {alone / torch_step:.2f}x PyTorch here; the "
                    f"lambda calls plus writing the rates into the groups (`floor_seconds`) take "
                    f"{floor * 1e6:.3g} µs, {floor / torch_step:.2f}x.")
    return Result(NAME, TITLE, TARGET, rows, [ratio_check(row, PYTORCH, 0.5) for row in rows],
                  notes=notes)
