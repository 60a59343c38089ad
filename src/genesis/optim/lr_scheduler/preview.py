"""See a schedule before training: ``preview`` (the next rates as an array) and ``plot_schedule``.

``preview`` reads a built-in scheduler's closed form (``_lr_curve``) when it can trust it, and
otherwise steps a throw-away copy of the scheduler attached to a stand-in optimizer that holds
copies of the param-group dicts (never copies of the parameters).  Either way the scheduler and
its optimizer are left exactly as they were.
"""
from __future__ import annotations

import copy
import numbers
import sys
import types
import warnings
from typing import Any

import numpy as np

from genesis.utils.extras import install_hint

__all__ = ["preview", "plot_schedule"]

# How closely the closed form must reproduce the optimizer's current rates to be trusted.
_AGREEMENT = 1e-12

# Classes defined here (genesis.optim and below) keep their closed form in step with get_lr.
_BUILTIN_PREFIX = __name__.rsplit(".", 2)[0] + "."


class _StandInOptimizer:
    """Just enough of an optimizer for a scheduler copy to step: copied group dicts, no tensors."""

    _opt_called = True  # PyTorch schedulers warn on their first step unless this is set

    def __init__(self, optimizer: Any) -> None:
        # Shallow copies: "params" keeps pointing at the real parameters, which nothing here touches.
        self.param_groups = [dict(group) for group in optimizer.param_groups]
        self.defaults = dict(getattr(optimizer, "defaults", {}))
        self.state: dict = {}

    def step(self, closure: Any = None) -> None:
        """Does nothing: a preview never updates parameters."""


def _children(scheduler: Any) -> list:
    """The schedulers a composite (SequentialLR, ChainedScheduler) drives; empty for the others."""
    return list(getattr(scheduler, "_schedulers", None) or [])


def _check_previewable(scheduler: Any) -> None:
    # Looked up on the package at call time rather than imported, so this module does not depend
    # on the plateau module's layout.
    plateau = getattr(sys.modules[__package__], "ReduceLROnPlateau", None)
    if plateau is not None and isinstance(scheduler, plateau):
        raise TypeError(
            "ReduceLROnPlateau cannot be previewed or plotted: its rates depend on the metrics "
            "passed to step(metrics) during training, which are not known in advance"
        )
    for child in _children(scheduler):
        _check_previewable(child)


def _overrides_methods(klass: type) -> bool:
    """True when a class defines a method other than ``__init__`` (data-only subclasses are fine)."""
    return any(
        name != "__init__" and (callable(value) or isinstance(value, (staticmethod, classmethod, property)))
        for name, value in vars(klass).items()
    )


def _trusts_closed_form(scheduler: Any) -> bool:
    """True when no user class between the scheduler and ``object`` overrides a method.

    A user subclass that changes ``get_lr`` (or anything else) may no longer follow the built-in
    ``_lr_curve`` it inherits, so it is stepped instead; one that only sets arguments in
    ``__init__`` keeps the closed form.  Composites need every child to qualify too.
    """
    for klass in type(scheduler).__mro__:
        if klass is object or klass.__module__.startswith(_BUILTIN_PREFIX):
            continue
        if _overrides_methods(klass):
            return False
    return all(_trusts_closed_form(child) for child in _children(scheduler))


def _closed_form(scheduler: Any, num_steps: int, current: np.ndarray) -> np.ndarray | None:
    """The next ``num_steps`` rates from ``_lr_curve``, or None when it cannot be trusted here."""
    if not _trusts_closed_form(scheduler):
        return None
    last_epoch = scheduler.last_epoch
    if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral) or last_epoch < 0:
        return None
    try:
        now = scheduler._lr_curve(np.array([last_epoch], dtype=np.int64))
    except NotImplementedError:
        return None
    # Another scheduler or the user changed the rates since the last step: the closed form,
    # which assumes this scheduler alone drove them from base_lrs, would not continue from here.
    if np.shape(now) != (1, current.size):
        return None
    if not np.all(np.abs(np.asarray(now[0], dtype=np.float64) - current) <= _AGREEMENT * np.abs(current)):
        return None
    epochs = np.arange(last_epoch + 1, last_epoch + num_steps + 1, dtype=np.int64)
    curve = np.asarray(scheduler._lr_curve(epochs), dtype=np.float64)
    return curve if curve.shape == (num_steps, current.size) else None


def _silence(scheduler: Any) -> None:
    if hasattr(scheduler, "verbose"):
        scheduler.verbose = False
    for child in _children(scheduler):
        _silence(child)


def _stepped(scheduler: Any, num_steps: int) -> np.ndarray:
    """Step a deep copy whose optimizer is a stand-in; record the group rates after each step."""
    optimizer = scheduler.optimizer
    stand_in = _StandInOptimizer(optimizer)
    # Every path from the scheduler to the real optimizer or its groups lands on the stand-in,
    # so the copy neither shares state with the original nor copies any parameter.
    memo: dict[int, Any] = {id(optimizer): stand_in, id(optimizer.param_groups): stand_in.param_groups}
    for group, copied in zip(optimizer.param_groups, stand_in.param_groups):
        memo[id(group)] = copied
    clone = copy.deepcopy(scheduler, memo)
    _silence(clone)
    rates = np.empty((num_steps, len(stand_in.param_groups)), dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "scheduler.step() before optimizer.step()"
        for row in range(num_steps):
            clone.step()
            rates[row] = [float(group["lr"]) for group in stand_in.param_groups]
    return rates


def _current_rates(scheduler: Any) -> np.ndarray:
    optimizer = getattr(scheduler, "optimizer", None)
    groups = getattr(optimizer, "param_groups", None)
    if not callable(getattr(scheduler, "step", None)) or not isinstance(groups, list):
        raise TypeError(
            "scheduler must be a learning-rate scheduler (with .optimizer.param_groups and "
            f".step()), got {type(scheduler).__name__}"
        )
    return np.array([float(group["lr"]) for group in groups], dtype=np.float64)


def preview(scheduler: Any, num_steps: int) -> np.ndarray:
    """The rates the next ``num_steps`` calls of ``scheduler.step()`` would set, without stepping.

    Returns a float64 array of shape ``(num_steps, num_groups)``: row ``i`` holds every group's
    rate after ``i + 1`` further steps.  Neither the scheduler nor its optimizer changes.
    Built-in schedulers (and their Sequential/Chained compositions, and the Hugging Face family)
    are computed from their closed form; user subclasses, lambdas that do not accept arrays, and
    rates changed by hand since the last step fall back to stepping a copy.  ``ReduceLROnPlateau``
    raises ``TypeError``: its rates depend on metrics.

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
    num_steps = int(num_steps)
    _check_previewable(scheduler)
    curve = _closed_form(scheduler, num_steps, current)
    return curve if curve is not None else _stepped(scheduler, num_steps)


def _describe(scheduler: Any) -> str:
    """The class name, plus the schedule object's for a LambdaLR built by a factory (HF family)."""
    name = type(scheduler).__name__
    lambdas = getattr(scheduler, "lr_lambdas", None)
    if lambdas and not isinstance(lambdas[0], (types.FunctionType, types.MethodType)):
        name += f" ({type(lambdas[0]).__name__})"
    return name


def plot_schedule(scheduler: Any, num_steps: int, ax: Any = None) -> Any:
    """Plot the current rate and the next ``num_steps`` rates, one labelled line per param group.

    The x axis is the scheduler's step count (``last_epoch``, starting at its current value), the
    y axis the learning rate.  Draws on ``ax`` (a matplotlib Axes) or on a new figure; returns the
    axes.  Needs matplotlib (``pip install -e ".[plot]"`` in the source checkout).

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
    ax.set_ylabel("learning rate")
    ax.set_title(f"{_describe(scheduler)}: {num_steps} steps")
    if rates.shape[1] > 1:
        ax.legend()
    ax.grid(True, alpha=0.3)
    return ax
