"""Schedulers driven by user functions of the epoch: ``LambdaLR`` and ``MultiplicativeLR``."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .base import LRScheduler, _copy_plain, call_vectorised, check_optimizer, lambda_state, warn_get_lr_outside_step

__all__ = ["LambdaLR", "MultiplicativeLR"]

_MAX_FACTOR = sys.float_info.max


def _as_lambdas(optimizer: Any, lr_lambda: Any) -> list[Callable]:
    """One callable per param group (a single one is shared), checked for count and callability."""
    count = len(check_optimizer(optimizer))
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != count:
            raise ValueError(
                f"Expected {count} lr_lambdas, but got {len(lr_lambda)} (lr_lambda is one function, "
                "or a list of one function per param group)"
            )
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
    """``value * lr_lambda(epoch)`` for each pair, every factor checked (one loop: every step
    runs it)."""
    rates = []
    for fn, value in zip(lambdas, values):
        factor = fn(epoch)
        # One chained comparison rejects negatives, NaN and infinities; complex numbers (a
        # negative base to a fractional power), None and strings do not compare at all.
        try:
            valid = 0.0 <= factor <= _MAX_FACTOR
        except TypeError:
            valid = False
        if not valid:
            raise _bad_factor(fn, epoch, factor)
        rates.append(value * factor)
    return rates


def _factor_curve(fn: Callable, epochs: np.ndarray) -> np.ndarray:
    """``fn`` at every epoch as float64 (one vectorised call when it accepts arrays), checked."""
    values = call_vectorised(fn, epochs)
    bad = ~((values >= 0.0) & np.isfinite(values))
    if bad.any():
        first = int(np.argmax(bad))
        raise _bad_factor(fn, int(epochs[first]), float(values[first]))
    return values


def _check_epochs(epochs: Any) -> np.ndarray:
    epochs = np.asarray(epochs, dtype=np.int64).reshape(-1)
    if epochs.size and epochs.min() < 0:
        raise ValueError(f"epochs must be >= 0, got {int(epochs.min())}")
    return epochs


class _LambdaScheduler(LRScheduler):
    """State handling shared by the two lambda schedulers (lambdas saved as PyTorch does)."""

    _state_keys = ("lr_lambdas",)

    def _save_value(self, name: str) -> Any:
        if name == "lr_lambdas":  # functions are not data: None, callable objects by attributes
            return [lambda_state(fn) for fn in self.lr_lambdas]
        return super()._save_value(name)

    def _load_value(self, name: str, value: Any) -> None:
        if name != "lr_lambdas":
            return super()._load_value(name, value)
        if not isinstance(value, list) or len(value) != len(self.lr_lambdas):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: lr_lambdas must be a list of "
                f"{len(self.lr_lambdas)} entries (None or a dict of attributes), got {value!r}"
            )
        for fn, attributes in zip(self.lr_lambdas, value):
            if attributes is not None:
                fn.__dict__.update(_copy_plain(attributes))


class LambdaLR(_LambdaScheduler):
    """Each group's rate is its base rate times ``lr_lambda(epoch)``: ``lr = base_lr * f(epoch)``.

    Args:
        optimizer: the optimizer whose ``param_groups`` are driven.
        lr_lambda: a function of the (int) epoch returning a factor ``>= 0``, or a list with one
            function per param group.
        last_epoch: index of the last epoch (-1 to start afresh).
        verbose: print a line whenever a group's rate changes.

    Example:
        >>> class Opt: param_groups = [{"lr": 0.1}]
        >>> s = LambdaLR(Opt(), lr_lambda=lambda epoch: 0.5 ** epoch)
        >>> s.step(); s.step(); f"{s.get_last_lr():.4f}"
        '0.0250'
    """

    def __init__(
        self,
        optimizer: Any,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        self.lr_lambdas = _as_lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self) -> list[float]:
        """``base_lr * lr_lambda(last_epoch)`` for every group (not chainable, as in PyTorch)."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        return _scaled(self.lr_lambdas, self.base_lrs, self.last_epoch)

    def _lr_curve(self, epochs: np.ndarray) -> np.ndarray:
        epochs = _check_epochs(epochs)
        columns = [base * _factor_curve(fn, epochs) for fn, base in zip(self.lr_lambdas, self.base_lrs)]
        return np.stack(columns, axis=1) if columns else np.zeros((len(epochs), 0))

    def _step_map(self, epochs):
        return self._value_map(epochs)


class MultiplicativeLR(_LambdaScheduler):
    """Multiply each group's current rate by ``lr_lambda(epoch)`` at every step (chainable).

    ``lr_t = lr_{t-1} * f(t)``, so standing alone ``lr_t = base_lr * f(1) * ... * f(t)``.

    Example:
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> s = MultiplicativeLR(Opt(), lr_lambda=lambda epoch: 0.9)
        >>> s.step(); s.step(); round(s.get_last_lr()[0], 6)
        0.81
    """

    def __init__(
        self,
        optimizer: Any,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        self.lr_lambdas = _as_lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self) -> list[float]:
        """Chainable: the group's current ``lr`` times ``lr_lambda(last_epoch)``."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        return _scaled(self.lr_lambdas, [group["lr"] for group in groups], self.last_epoch)

    def _step_factors(self, epochs: np.ndarray) -> np.ndarray:
        """``lr_lambda(e)`` per group at each epoch: the ratio a step to ``e`` applies."""
        return np.stack([_factor_curve(fn, epochs) for fn in self.lr_lambdas], axis=1)

    def _step_map(self, epochs):
        epochs = _check_epochs(epochs)
        a = self._step_factors(np.maximum(epochs, 1))
        a[epochs == 0] = 1.0  # the initial step leaves the rates alone
        return a, np.zeros_like(a)

    def _entry_curve(self, offsets, previous):
        # SequentialLR enters with _update_lr(0): the running rate times lr_lambda(0), then on.
        offsets = _check_epochs(offsets)
        steps = np.arange(0, int(offsets.max()) + 1 if offsets.size else 1, dtype=np.int64)
        products = np.cumprod(self._step_factors(steps), axis=0)
        return np.asarray(previous, dtype=np.float64) * products[offsets]

    def _lr_curve(self, epochs: np.ndarray) -> np.ndarray:
        epochs = _check_epochs(epochs)
        last = int(epochs.max()) if epochs.size else 0
        steps = np.arange(1, last + 1, dtype=np.int64)
        ratios = self._step_factors(steps) if last else np.ones((0, len(self.base_lrs)))
        products = np.concatenate([np.ones((1, len(self.base_lrs))), np.cumprod(ratios, axis=0)])
        return np.asarray(self.base_lrs, dtype=np.float64) * products[epochs]
