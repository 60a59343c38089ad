"""Schedulers driven by user functions of the epoch: ``LambdaLR`` and ``MultiplicativeLR``."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from . import schedules
from .base import LRScheduler, check_optimizer, warn_get_lr_outside_step

__all__ = ["LambdaLR", "MultiplicativeLR"]

_MAX_FACTOR = sys.float_info.max


def _as_lambdas(optimizer: Any, lr_lambda: Any) -> list[Callable]:
    """One callable per param group (a single one is shared), checked for count and callability."""
    count = len(check_optimizer(optimizer))
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != count:
            raise ValueError(f"Expected {count} lr_lambdas, but got {len(lr_lambda)} (lr_lambda is "
                             "one function, or a list of one function per param group)")
        lambdas = list(lr_lambda)
    else:
        lambdas = [lr_lambda] * count
    for index, fn in enumerate(lambdas):
        if not callable(fn):
            raise TypeError(
                f"lr_lambda should be a function, but got {type(fn).__name__} (lr_lambda[{index}]: "
                "a function of the epoch returning a factor)"
            )
    return lambdas


def _bad_factor(fn: Callable, epoch: Any, factor: Any) -> ValueError:
    name = getattr(fn, "__name__", type(fn).__name__)
    return ValueError(
        f"lr_lambda {name} returned {factor!r} at epoch {epoch}: the factor must be a finite "
        "number >= 0"
    )


def _scaled(lambdas: list[Callable], values: list[float], epoch: int) -> list[float]:
    """``values[i] * lambdas[i](epoch)`` for each group, every factor checked (every step runs
    this: one loop filling a copy, an index instead of zip(), the bound in a local)."""
    rates, index, top = values[:], 0, _MAX_FACTOR
    for fn in lambdas:
        factor = fn(epoch)
        # One chained comparison rejects negatives, NaN and infinities; complex numbers (a
        # negative base to a fractional power), None and strings do not compare at all.
        try:
            valid = 0.0 <= factor <= top
        except TypeError:
            valid = False
        if not valid:
            raise _bad_factor(fn, epoch, factor)
        rates[index] = values[index] * factor
        index += 1
    return rates


def _factors(fn: Callable, epochs: np.ndarray) -> np.ndarray:
    """``fn`` at every epoch as float64 (one vectorised call when it accepts arrays), checked."""
    values = schedules.call_vectorised(fn, epochs)
    bad = ~((values >= 0.0) & np.isfinite(values))
    if bad.any():
        first = np.argwhere(bad)[0]
        raise _bad_factor(fn, int(epochs[tuple(first)]), float(values[tuple(first)]))
    return values


def _lambda_config(owner: str, lambdas: list[Callable]) -> Any:
    """``lr_lambda`` for ``to_config``: one ``Schedule`` description, or one per group."""
    for index, fn in enumerate(lambdas):
        if not isinstance(fn, schedules.Schedule):
            kind = (f"the function {fn.__name__}" if hasattr(fn, "__name__")
                    else f"a {type(fn).__name__} object")
            raise TypeError(
                f"{owner}.to_config: lr_lambda[{index}] is {kind}, which a config cannot hold (it "
                "is code, not data); register the function with @register_schedule and pass "
                "Schedule('name', **arguments) instead (genesis.optim.lr_scheduler)"
            )
    configs = [vars(fn) for fn in lambdas]
    return configs[0] if all(fn is lambdas[0] for fn in lambdas) else configs


class _LambdaScheduler(LRScheduler):
    """State handling shared by the two lambda schedulers (lambdas saved as PyTorch does)."""

    _state_keys = _callable_keys = ("lr_lambdas",)

    def __init__(self, optimizer: Any, lr_lambda: Callable | list[Callable], last_epoch: int = -1,
                 verbose: bool = False, *, field: str = "lr") -> None:
        self.lr_lambdas = _as_lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch, verbose, field=field)

    def _definition(self) -> dict[str, Any]:
        return {"lr_lambda": _lambda_config(type(self).__name__, self.lr_lambdas)}


class LambdaLR(_LambdaScheduler):
    """Each group's rate is its base rate times ``lr_lambda(epoch)``: ``lr = base_lr * f(epoch)``.

    ``lr_lambda`` returns a factor ``>= 0`` for an int epoch (one function, or one per group);
    a ``Schedule`` is also vectorised and describable.

    Example:
        >>> class Opt: param_groups = [{"lr": 0.1}]
        >>> s = LambdaLR(Opt(), lr_lambda=lambda epoch: 0.5 ** epoch)
        >>> s.step(); s.step(); f"{s.get_last_lr():.4f}"
        '0.0250'
    """

    def get_lr(self) -> list[float]:
        """``base_lr * lr_lambda(last_epoch)`` for every group (not chainable, as in PyTorch)."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        return _scaled(self.lr_lambdas, self.base_lrs, self.last_epoch)

    def _closed_form(self, steps, start):
        return np.stack([base * _factors(fn, steps[:, 0])
                         for fn, base in zip(self.lr_lambdas, self.base_lrs)], axis=1)


class MultiplicativeLR(_LambdaScheduler):
    """Multiply each group's current rate by ``lr_lambda(epoch)`` at every step (chainable).

    ``lr_t = lr_{t-1} * f(t)``, so standing alone ``lr_t = base_lr * f(1) * ... * f(t)``.

    Example:
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> s = MultiplicativeLR(Opt(), lr_lambda=lambda epoch: 0.9)
        >>> s.step(); s.step(); round(s.get_last_lr()[0], 6)
        0.81
    """

    _scaling = True

    def get_lr(self) -> list[float]:
        """Chainable: the group's current rate times ``lr_lambda(last_epoch)``."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        if self._is_initial:
            return self._values()
        return _scaled(self.lr_lambdas, self._values(), self.last_epoch)

    def _closed_form(self, steps, start):
        columns = [schedules.multiplicative_lr(steps[:, 0], first, lambda e, fn=fn: _factors(fn, e))
                   for fn, first in zip(self.lr_lambdas, start[0])]
        return np.stack(columns, axis=1)
