"""See a schedule before training: ``preview`` (the next rates as an array) and ``plot_schedule``.

``preview`` takes the closed form (``lr_at``) when it continues the rates the optimizer holds,
else steps a deep copy attached to a stand-in optimizer holding copies of the param-group dicts
(never of the parameters).  Either way the scheduler and its optimizer do not change.
"""
from __future__ import annotations

import copy
import numbers
import warnings
from typing import Any

import numpy as np

from genesis.utils.extras import install_hint

from .base import read_values
from .checks import check_field
from .plateau import ReduceLROnPlateau

__all__ = ["preview", "plot_schedule"]

# How closely the closed form must reproduce the optimizer's current rates to continue them
# (the exactness contract between closed forms and stepping).
_AGREEMENT = 1e-12


class _StandInOptimizer:
    """Just enough of an optimizer for a scheduler copy to step: copied group dicts, no tensors."""

    _opt_called = True  # PyTorch schedulers warn on their first step unless this is set

    def __init__(self, optimizer: Any) -> None:
        # Shallow copies: "params" keeps pointing at the real parameters (nothing touches them).
        self.param_groups = [dict(group) for group in optimizer.param_groups]
        self.defaults = dict(getattr(optimizer, "defaults", {}))
        self.state: dict = {}

    def step(self, closure: Any = None) -> None:
        """Does nothing: a preview never updates parameters."""


def _stepped(scheduler: Any, num_steps: int) -> np.ndarray:
    """Step a deep copy whose optimizer is a stand-in; record the group rates after each step."""
    optimizer = scheduler.optimizer
    stand_in = _StandInOptimizer(optimizer)
    # Every path from the scheduler to the real optimizer or its groups lands on the stand-in,
    # so the copy neither shares state with the original nor copies any parameter.
    memo: dict[int, Any] = {id(optimizer): stand_in}
    for real, copied in zip([optimizer.param_groups, *optimizer.param_groups],
                            [stand_in.param_groups, *stand_in.param_groups]):
        memo[id(real)] = copied
    clone = copy.deepcopy(scheduler, memo)
    pending = [clone]
    while pending:  # silence the copy and its children
        pending[-1].verbose = False
        pending.extend(getattr(pending.pop(), "_schedulers", None) or [])
    key, item = check_field(getattr(scheduler, "field", "lr"))
    rates = np.empty((num_steps, len(stand_in.param_groups)), dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "scheduler.step() before optimizer.step()"
        for row in range(num_steps):
            clone.step()
            rates[row] = [float(value) for value in read_values(stand_in.param_groups, key, item)]
    return rates


def _current_rates(scheduler: Any) -> np.ndarray:
    groups = getattr(getattr(scheduler, "optimizer", None), "param_groups", None)
    if not callable(getattr(scheduler, "step", None)) or not isinstance(groups, list):
        raise TypeError("scheduler must be a learning-rate scheduler (with "
                        f".optimizer.param_groups and .step()), got {type(scheduler).__name__}")
    key, item = check_field(getattr(scheduler, "field", "lr"))
    return np.array([float(value) for value in read_values(groups, key, item)], dtype=np.float64)


def _closed_form(scheduler: Any, num_steps: int, current: np.ndarray) -> np.ndarray | None:
    """The next ``num_steps`` rates from the closed form, or None when it does not continue the
    current rates (no closed form, a fractional epoch, rates changed by hand or by another
    scheduler on the same optimizer)."""
    last_epoch = getattr(scheduler, "last_epoch", None)
    rates_of = getattr(scheduler, "_rates", None)
    if rates_of is None or isinstance(last_epoch, bool) \
            or not isinstance(last_epoch, numbers.Integral) or last_epoch < 0:
        return None
    epochs = np.arange(last_epoch, last_epoch + num_steps + 1, dtype=np.int64).reshape(-1, 1)
    try:
        now = rates_of(epochs[:1])
    except NotImplementedError:
        return None
    if now.shape != (1, current.size) \
            or not np.all(np.abs(now[0] - current) <= _AGREEMENT * np.abs(current)):
        return None
    try:  # a later SequentialLR child may have no closed form where it starts
        return rates_of(epochs)[1:]
    except NotImplementedError:
        return None


def preview(scheduler: Any, num_steps: int) -> np.ndarray:
    """The rates the next ``num_steps`` calls of ``scheduler.step()`` would set, without stepping.

    A float64 array ``(num_steps, num_groups)``: row ``i`` holds every group's rate after
    ``i + 1`` further steps, from the closed form (``lr_at``) where it continues the current
    rates, else from stepping a copy.  ``ReduceLROnPlateau`` raises ``TypeError``.

    Example (cosine with warmup, base 0.1, 10 warmup steps out of 110):
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = genesis.optim.get_cosine_schedule_with_warmup(opt, 10, 110)
        >>> rates = preview(s, 110)
        >>> rates.shape, [round(float(rates[i - 1, 0]), 6) for i in (5, 10, 60, 110)]
        ((110, 1), [0.05, 0.1, 0.05, 0.0])
    """
    current = _current_rates(scheduler)
    if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral) or num_steps < 0:
        raise ValueError(f"num_steps must be an int >= 0, got {num_steps!r}")
    if isinstance(scheduler, ReduceLROnPlateau):
        raise TypeError("ReduceLROnPlateau cannot be previewed or plotted: its rates depend on the "
                        "metrics passed to step(metrics) during training, which are not known in "
                        "advance")
    curve = _closed_form(scheduler, int(num_steps), current)
    return curve if curve is not None else _stepped(scheduler, int(num_steps))


def plot_schedule(scheduler: Any, num_steps: int, ax: Any = None) -> Any:
    """Plot the current rate and the next ``num_steps`` rates, one labelled line per param group.

    x: the step count (``last_epoch`` on), y: the rate.  Draws on ``ax`` (a matplotlib Axes) or a
    new figure and returns the axes; needs matplotlib (``pip install -e ".[plot]"``).

    Example:
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> ax = plot_schedule(genesis.optim.get_cosine_schedule_with_warmup(opt, 10, 110), 110)
        >>> ax.get_xlabel(), ax.get_ylabel(), len(ax.get_lines())
        ('step', 'learning rate', 1)
    """
    rates = np.vstack([_current_rates(scheduler), preview(scheduler, num_steps)])
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"plot_schedule needs matplotlib, an optional dependency: {install_hint('plot')}"
        ) from error
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    first = getattr(scheduler, "last_epoch", 0)
    first = first if isinstance(first, numbers.Integral) else 0
    steps = np.arange(first, first + num_steps + 1)
    for index in range(rates.shape[1]):
        ax.plot(steps, rates[:, index], label=f"group {index}")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate" if getattr(scheduler, "field", "lr") == "lr" else scheduler.field)
    schedule = getattr((getattr(scheduler, "lr_lambdas", None) or [None])[0], "schedule", None)
    name = type(scheduler).__name__ + (f" ({schedule})" if isinstance(schedule, str) else "")
    ax.set_title(f"{name}: {num_steps} steps")
    if rates.shape[1] > 1:
        ax.legend()
    ax.grid(True, alpha=0.3)
    return ax
