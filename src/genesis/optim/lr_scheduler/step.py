"""Chainable decay schedulers: step, multi-step, constant, linear, exponential and polynomial.

Each ``get_lr`` is PyTorch's recursive form: it multiplies the group's *current* rate by this
step's ratio, so several schedulers stepped on one optimizer compose.  The closed form used by
``step(epoch)`` and previews is the matching function of ``genesis.optim.schedules``.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import schedules
from .base import LRScheduler, as_number, check_int, check_real, warn_get_lr_outside_step

__all__ = ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR"]


class _ClosedFormScheduler(LRScheduler):
    """A chainable scheduler whose closed form is ``_curve(epoch_column, base_row)``."""

    def _curve(self, epochs: np.ndarray, base: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _get_closed_form_lr(self) -> list[float]:
        """The rates at ``last_epoch`` from ``base_lrs`` (used by ``step(epoch)``)."""
        epochs, base = self._grid([self.last_epoch])
        return [float(v) for v in self._curve(epochs, base)[0]]

    def _lr_curve(self, epochs: Any) -> np.ndarray:
        column, base = self._grid(epochs)
        return np.broadcast_to(self._curve(column, base), (len(column), base.shape[1])).copy()

    def _scaled(self, factor: float) -> list[float]:
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _unchanged(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(_ClosedFormScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs: ``base_lr * gamma ** (epoch // step_size)``.

    Example:
        >>> class Opt: param_groups = [{"lr": 0.05}]
        >>> s = StepLR(Opt(), step_size=30, gamma=0.1)
        >>> for _ in range(30): s.step()
        >>> round(s.get_last_lr()[0], 6)
        0.005
    """

    _state_keys = ("step_size", "gamma")

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1, verbose: bool = False) -> None:
        check_int("step_size", step_size, 1)
        gamma = check_real("gamma", gamma, "a finite number > 0", lambda g: g > 0)
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self) -> list[float]:
        """Chainable: the current rates times ``gamma`` at every non-zero multiple of ``step_size``."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        epoch = self.last_epoch
        if epoch == 0 or epoch % self.step_size:
            return self._unchanged()
        return self._scaled(self.gamma)

    def _curve(self, epochs, base):
        return schedules.step_lr(epochs, base, self.step_size, self.gamma)

    def _step_map(self, epochs):
        return self._ratio_map(
            epochs, lambda e: np.where((e == 0) | (e % self.step_size != 0), 1.0, self.gamma)
        )


class MultiStepLR(_ClosedFormScheduler):
    """Multiply the rate by ``gamma`` at each milestone (twice if it is listed twice).

    Example:
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> s = MultiStepLR(Opt(), milestones=[2, 4], gamma=0.5)
        >>> [s.step() or s.get_last_lr()[0] for _ in range(5)]
        [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    _state_keys = ("milestones", "gamma")

    def __init__(self, optimizer: Any, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1, verbose: bool = False) -> None:
        milestones = _check_milestones("milestones", milestones)
        gamma = check_real("gamma", gamma, "a finite number > 0", lambda g: g > 0)
        self.milestones = milestones
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    @property
    def milestones(self) -> list[int]:
        """The milestones in increasing order, repeated ones listed as often as given."""
        return [m for m, count in sorted(self._counts.items()) for _ in range(count)]

    @milestones.setter
    def milestones(self, value: Iterable[int]) -> None:
        counts: dict[int, int] = {}
        for m in _check_milestones("milestones", value):
            counts[m] = counts.get(m, 0) + 1
        self._counts = counts

    def get_lr(self) -> list[float]:
        """Chainable: the current rates times ``gamma ** k`` at an epoch listed ``k`` times."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        count = self._counts.get(self.last_epoch)
        if count is None:
            return self._unchanged()
        return self._scaled(self.gamma ** count)

    def _curve(self, epochs, base):
        return schedules.multistep_lr(epochs, base, self.milestones, self.gamma)

    def _step_map(self, epochs):
        counts = self._counts
        return self._ratio_map(
            epochs, lambda e: self.gamma ** np.vectorize(lambda x: counts.get(int(x), 0))(e)
        )


class ConstantLR(_ClosedFormScheduler):
    """Multiply the rate by ``factor`` until epoch ``total_iters``, then restore it.

    Example:
        >>> class Opt: param_groups = [{"lr": 0.05}]
        >>> s = ConstantLR(Opt(), factor=0.5, total_iters=2)
        >>> [round(s.get_last_lr()[0], 6)] + [s.step() or round(s.get_last_lr()[0], 6) for _ in range(2)]
        [0.025, 0.025, 0.05]
    """

    _state_keys = ("factor", "total_iters")

    def __init__(self, optimizer: Any, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1, verbose: bool = False) -> None:
        factor = as_number(factor)
        if isinstance(factor, (int, float)) and (factor > 1.0 or factor < 0):
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1. "
                             f"Got factor={factor!r}")
        # factor 0 could never be undone at total_iters (PyTorch divides by it there)
        factor = check_real("factor", factor, "a number in (0, 1]", lambda f: 0 < f <= 1)
        check_int("total_iters", total_iters, 1)
        self.factor = factor
        self.total_iters = int(total_iters)
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self) -> list[float]:
        """Chainable: times ``factor`` at epoch 0, times ``1 / factor`` at ``total_iters``."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        epoch = self.last_epoch
        if epoch == 0:
            return self._scaled(self.factor)
        if epoch != self.total_iters:
            return self._unchanged()
        return self._scaled(1.0 / self.factor)

    def _curve(self, epochs, base):
        return schedules.constant_lr(epochs, base, self.factor, self.total_iters)

    def _step_map(self, epochs):
        def ratio(e):
            restore = 1.0 / self.factor
            return np.where(e == 0, self.factor, np.where(e == self.total_iters, restore, 1.0))

        return self._ratio_map(epochs, ratio)


class LinearLR(_ClosedFormScheduler):
    """Move the factor linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` epochs.

    ``lr = base_lr * (start + (end - start) * min(epoch, total_iters) / total_iters)``

    Example:
        >>> class Opt: param_groups = [{"lr": 0.1}]
        >>> s = LinearLR(Opt(), start_factor=0.5, total_iters=4)
        >>> [round(s.get_last_lr()[0], 6)] + [s.step() or round(s.get_last_lr()[0], 6) for _ in range(4)]
        [0.05, 0.0625, 0.075, 0.0875, 0.1]
    """

    _state_keys = ("start_factor", "end_factor", "total_iters")

    def __init__(self, optimizer: Any, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1, verbose: bool = False) -> None:
        start_factor, end_factor = as_number(start_factor), as_number(end_factor)
        if isinstance(start_factor, (int, float)) and (start_factor > 1.0 or start_factor <= 0):
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less "
                             f"or equal to 1. Got start_factor={start_factor!r}")
        if isinstance(end_factor, (int, float)) and (end_factor > 1.0 or end_factor < 0):
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1. "
                             f"Got end_factor={end_factor!r}")
        start_factor = check_real("start_factor", start_factor, "a number in (0, 1]", lambda f: 0 < f <= 1)
        end_factor = check_real("end_factor", end_factor, "a number in [0, 1]", lambda f: 0 <= f <= 1)
        check_int("total_iters", total_iters, 1)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = int(total_iters)
        super().__init__(optimizer, last_epoch, verbose)

    def _ratio(self, epoch):
        # Ratio of consecutive factors, written as PyTorch does so the products match its own.
        slope = self.end_factor - self.start_factor
        return 1.0 + slope / (self.total_iters * self.start_factor + (epoch - 1) * slope)

    def get_lr(self) -> list[float]:
        """Chainable: times ``start_factor`` at epoch 0, then the ratio of consecutive factors."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        epoch = self.last_epoch
        if epoch == 0:
            return self._scaled(self.start_factor)
        if self._is_initial or epoch > self.total_iters:
            return self._unchanged()
        return self._scaled(self._ratio(epoch))

    def _curve(self, epochs, base):
        return schedules.linear_lr(epochs, base, self.start_factor, self.end_factor, self.total_iters)

    def _step_map(self, epochs):
        def ratio(e):
            inside = self._ratio(np.where((e >= 1) & (e <= self.total_iters), e, 1))
            return np.where(e == 0, self.start_factor, np.where(e > self.total_iters, 1.0, inside))

        return self._ratio_map(epochs, ratio)


class ExponentialLR(_ClosedFormScheduler):
    """Multiply the rate by ``gamma`` every epoch: ``base_lr * gamma ** epoch``.

    Example:
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> s = ExponentialLR(Opt(), gamma=0.9)
        >>> s.step(); s.step(); round(s.get_last_lr()[0], 6)
        0.81
    """

    _state_keys = ("gamma",)

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1,
                 verbose: bool = False) -> None:
        gamma = check_real("gamma", gamma, "a finite number > 0", lambda g: g > 0)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self) -> list[float]:
        """Chainable: the current rates times ``gamma`` (unchanged by the initial step)."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        if self._is_initial:
            return self._unchanged()
        return self._scaled(self.gamma)

    def _curve(self, epochs, base):
        return schedules.exponential_lr(epochs, base, self.gamma)

    def _step_map(self, epochs):
        return self._ratio_map(epochs, lambda e: np.where(e == 0, 1.0, self.gamma))


class PolynomialLR(_ClosedFormScheduler):
    """Decay to 0 over ``total_iters`` epochs: ``base_lr * (1 - min(epoch, total_iters) / total_iters) ** power``.

    Example:
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> s = PolynomialLR(Opt(), total_iters=4, power=1.0)
        >>> [s.step() or s.get_last_lr()[0] for _ in range(5)]
        [0.75, 0.5, 0.25, 0.0, 0.0]
    """

    _state_keys = ("total_iters", "power")

    def __init__(self, optimizer: Any, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1, verbose: bool = False) -> None:
        check_int("total_iters", total_iters, 1)
        power = check_real("power", power, "a finite number >= 0", lambda p: p >= 0)
        self.total_iters = int(total_iters)
        self.power = power
        super().__init__(optimizer, last_epoch, verbose)

    def _ratio(self, epoch):
        total = self.total_iters
        return ((1.0 - epoch / total) / (1.0 - (epoch - 1) / total)) ** self.power

    def get_lr(self) -> list[float]:
        """Chainable: the current rates times ``((1 - e/T) / (1 - (e-1)/T)) ** power``."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        epoch = self.last_epoch
        if self._is_initial or epoch > self.total_iters:
            return self._unchanged()
        return self._scaled(self._ratio(epoch))

    def _curve(self, epochs, base):
        return schedules.polynomial_lr(epochs, base, self.total_iters, self.power)

    def _step_map(self, epochs):
        def ratio(e):
            inside = self._ratio(np.where((e >= 1) & (e <= self.total_iters), e, 1))
            return np.where((e == 0) | (e > self.total_iters), 1.0, inside)

        return self._ratio_map(epochs, ratio)


def _check_milestones(name: str, milestones: Any) -> list[int]:
    """Milestones: non-negative ints in non-decreasing order (repeats allowed, as PyTorch)."""
    try:
        values = list(milestones)
    except TypeError:
        raise TypeError(f"{name} must be a list of ints, got {type(milestones).__name__}") from None
    for m in values:
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 0:
            raise ValueError(f"{name} must hold ints >= 0, got {m!r} in {values!r}")
    if any(b < a for a, b in zip(values, values[1:])):
        raise ValueError(f"{name} must be sorted in increasing order, got {values!r}")
    return [int(m) for m in values]
