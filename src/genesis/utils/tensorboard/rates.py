"""``log_lr``: every param group's learning rate (and cycled momentum) in one call, stable tags."""
from __future__ import annotations

from typing import Any

__all__ = ["log_lr"]


def _optimizer_and_schedulers(source: Any) -> tuple[Any, list]:
    """The optimizer behind ``source`` and the schedulers it names (itself and its children)."""
    if hasattr(source, "param_groups"):
        return source, []
    optimizer = getattr(source, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "param_groups"):
        raise TypeError(f"log_lr needs a learning-rate scheduler or an optimizer (an object "
                        f"with param_groups), got {source!r}")
    schedulers, pending = [], [source]
    while pending:  # SequentialLR and ChainedScheduler drive their children's cycles
        scheduler = pending.pop()
        schedulers.append(scheduler)
        pending.extend(getattr(scheduler, "_schedulers", None) or [])
    return optimizer, schedulers


def log_lr(writer: Any, scheduler_or_optimizer: Any, global_step: int | None = None,
           walltime: float | None = None) -> dict[str, float]:
    """Log the learning rate of every param group, as ``lr/group0``, ``lr/group1``, ...

    ``scheduler_or_optimizer`` is a scheduler or an optimizer, from Genesis or PyTorch; the
    rates are those its param groups hold now, so call it after ``optimizer.step()`` and before
    ``scheduler.step()`` to log, at each step, the rate that step used.  When the scheduler
    cycles momentum (``OneCycleLR``, ``CyclicLR`` with ``cycle_momentum=True``, also inside
    ``SequentialLR`` or ``ChainedScheduler``), each group's ``momentum/group<i>`` is logged too,
    or ``beta1/group<i>`` for Adam-style optimizers (the cycled first beta).  ``writer`` is
    anything with PyTorch's ``add_scalar(tag, value, global_step, walltime)``.  Returns the
    logged ``{tag: value}``.

    Example (``writer`` collects the calls; a SummaryWriter writes them to its event file):
        >>> import genesis
        >>> class Writer:
        ...     def add_scalar(self, tag, value, step=None, walltime=None):
        ...         print(tag, value, step)
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
        >>> sched = genesis.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1)
        >>> log_lr(Writer(), sched, global_step=0)
        lr/group0 0.01 0
        momentum/group0 0.9 0
        {'lr/group0': 0.01, 'momentum/group0': 0.9}
    """
    optimizer, schedulers = _optimizer_and_schedulers(scheduler_or_optimizer)
    cycling = [s for s in schedulers if getattr(s, "cycle_momentum", False)]
    logged: dict[str, float] = {}
    for index, group in enumerate(optimizer.param_groups):
        logged[f"lr/group{index}"] = float(group["lr"])
        if cycling:
            if getattr(cycling[0], "use_beta1", "betas" in group):
                logged[f"beta1/group{index}"] = float(group["betas"][0])
            else:
                logged[f"momentum/group{index}"] = float(group["momentum"])
    for tag, value in logged.items():
        writer.add_scalar(tag, value, global_step, walltime)
    return logged
