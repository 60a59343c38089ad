"""Chainable decay schedulers: step, multi-step, constant, linear, exponential and polynomial.

Each ``get_lr`` is PyTorch's recursive form: it multiplies the group's *current* rate by this
step's ratio, so several schedulers stepped on one optimizer compose.  The closed form is the
matching function of ``schedules``.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import schedules
from .base import _Chainable, warn_get_lr_outside_step
from .checks import as_number, check_int, check_milestones, check_real

__all__ = ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR"]


def _gamma(gamma: Any) -> float:
    return check_real("gamma", gamma, "a finite number > 0", lambda g: g > 0)


class StepLR(_Chainable):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs: ``schedules.step_lr``.

    Example:
        >>> class Opt: param_groups = [{"lr": 0.05}]
        >>> s = StepLR(Opt(), step_size=30, gamma=0.1)
        >>> for _ in range(30): s.step()
        >>> round(s.get_last_lr()[0], 6)
        0.005
    """

    _state_keys = _arguments = ("step_size", "gamma")

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1, verbose: bool = False, *, field: str = "lr") -> None:
        self.step_size = check_int("step_size", step_size, 1)
        self.gamma = _gamma(gamma)
        super().__init__(optimizer, last_epoch, verbose, field=field)

    def get_lr(self) -> list[float]:
        """Chainable: the current rates times ``gamma`` at each non-zero multiple of step_size."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        epoch = self.last_epoch
        if epoch == 0 or epoch % self.step_size:
            return self._values()
        return self._scaled(self.gamma)

    def _closed_form(self, steps, start):
        return schedules.step_lr(steps, start, self.step_size, self.gamma)


class MultiStepLR(_Chainable):
    """Multiply the rate by ``gamma`` at each milestone (twice if it is listed twice).

    Example:
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> s = MultiStepLR(Opt(), milestones=[2, 4], gamma=0.5)
        >>> [s.step() or s.get_last_lr()[0] for _ in range(5)]
        [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    _state_keys = _arguments = ("milestones", "gamma")

    def __init__(self, optimizer: Any, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1, verbose: bool = False, *, field: str = "lr") -> None:
        self.milestones = milestones
        self.gamma = _gamma(gamma)
        super().__init__(optimizer, last_epoch, verbose, field=field)

    @property
    def milestones(self) -> list[int]:
        """The milestones in increasing order, repeated ones listed as often as given."""
        return [m for m, count in sorted(self._counts.items()) for _ in range(count)]

    @milestones.setter
    def milestones(self, value: Iterable[int]) -> None:
        counts: dict[int, int] = {}
        for m in check_milestones("milestones", value):
            counts[m] = counts.get(m, 0) + 1
        self._counts = counts

    def get_lr(self) -> list[float]:
        """Chainable: the current rates times ``gamma ** k`` at an epoch listed ``k`` times."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        count = self._counts.get(self.last_epoch)
        if count is None:
            return self._values()
        return self._scaled(self.gamma ** count)

    def _closed_form(self, steps, start):
        return schedules.multistep_lr(steps, start, self.milestones, self.gamma)


class ConstantLR(_Chainable):
    """Multiply the rate by ``factor`` until epoch ``total_iters``, then restore it.

    Example:
        >>> class Opt: param_groups = [{"lr": 0.05}]
        >>> s = ConstantLR(Opt(), factor=0.5, total_iters=2)
        >>> [round(s.get_last_lr()[0], 6)] + [s.step() or round(s.get_last_lr()[0], 6)
        ...                                   for _ in range(2)]
        [0.025, 0.025, 0.05]
    """

    _state_keys = _arguments = ("factor", "total_iters")

    def __init__(self, optimizer: Any, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1, verbose: bool = False, *, field: str = "lr") -> None:
        factor = as_number(factor)
        if isinstance(factor, (int, float)) and (factor > 1.0 or factor < 0):
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1. "
                             f"Got factor={factor!r}")
        # factor 0 could never be undone at total_iters (PyTorch divides by it there)
        self.factor = check_real("factor", factor, "a number in (0, 1]", lambda f: 0 < f <= 1)
        self.total_iters = check_int("total_iters", total_iters, 1)
        super().__init__(optimizer, last_epoch, verbose, field=field)

    def get_lr(self) -> list[float]:
        """Chainable: times ``factor`` at epoch 0, times ``1 / factor`` at ``total_iters``."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        epoch = self.last_epoch
        if epoch == 0:
            return self._scaled(self.factor)
        if epoch != self.total_iters:
            return self._values()
        return self._scaled(1.0 / self.factor)

    def _closed_form(self, steps, start):
        return schedules.constant_lr(steps, start, self.factor, self.total_iters)


class LinearLR(_Chainable):
    """Move the factor linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` epochs.

    ``lr = base_lr * (start + (end - start) * min(epoch, total_iters) / total_iters)``

    Example:
        >>> class Opt: param_groups = [{"lr": 0.1}]
        >>> s = LinearLR(Opt(), start_factor=0.5, total_iters=4)
        >>> [round(s.get_last_lr()[0], 6)] + [s.step() or round(s.get_last_lr()[0], 6)
        ...                                   for _ in range(4)]
        [0.05, 0.0625, 0.075, 0.0875, 0.1]
    """

    _state_keys = _arguments = ("start_factor", "end_factor", "total_iters")

    def __init__(self, optimizer: Any, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1, verbose: bool = False, *,
                 field: str = "lr") -> None:
        start_factor, end_factor = as_number(start_factor), as_number(end_factor)
        if isinstance(start_factor, (int, float)) and (start_factor > 1.0 or start_factor <= 0):
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and "
                             f"less or equal to 1. Got start_factor={start_factor!r}")
        if isinstance(end_factor, (int, float)) and (end_factor > 1.0 or end_factor < 0):
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1. "
                             f"Got end_factor={end_factor!r}")
        self.start_factor = check_real("start_factor", start_factor, "a number in (0, 1]",
                                       lambda f: 0 < f <= 1)
        self.end_factor = check_real("end_factor", end_factor, "a number in [0, 1]",
                                     lambda f: 0 <= f <= 1)
        self.total_iters = check_int("total_iters", total_iters, 1)
        super().__init__(optimizer, last_epoch, verbose, field=field)

    def get_lr(self) -> list[float]:
        """Chainable: times ``start_factor`` at epoch 0, then the ratio of consecutive factors."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        epoch = self.last_epoch
        if epoch == 0:
            return self._scaled(self.start_factor)
        if self._is_initial or epoch > self.total_iters:
            return self._values()
        # The ratio of consecutive factors, written as PyTorch does so the products match its own.
        slope = self.end_factor - self.start_factor
        return self._scaled(
            1.0 + slope / (self.total_iters * self.start_factor + (epoch - 1) * slope))

    def _closed_form(self, steps, start):
        return schedules.linear_lr(steps, start, self.start_factor, self.end_factor,
                                   self.total_iters)


class ExponentialLR(_Chainable):
    """Multiply the rate by ``gamma`` every epoch: ``base_lr * gamma ** epoch``.

    Example:
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> s = ExponentialLR(Opt(), gamma=0.9)
        >>> s.step(); s.step(); round(s.get_last_lr()[0], 6)
        0.81
    """

    _state_keys = _arguments = ("gamma",)

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1,
                 verbose: bool = False, *, field: str = "lr") -> None:
        self.gamma = _gamma(gamma)
        super().__init__(optimizer, last_epoch, verbose, field=field)

    def get_lr(self) -> list[float]:
        """Chainable: the current rates times ``gamma`` (unchanged by the initial step)."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        if self._is_initial:
            return self._values()
        return self._scaled(self.gamma)

    def _closed_form(self, steps, start):
        return schedules.exponential_lr(steps, start, self.gamma)


class PolynomialLR(_Chainable):
    """Decay to 0 over ``total_iters`` epochs: ``schedules.polynomial_lr``.

    Example:
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> s = PolynomialLR(Opt(), total_iters=4, power=1.0)
        >>> [s.step() or s.get_last_lr()[0] for _ in range(5)]
        [0.75, 0.5, 0.25, 0.0, 0.0]
    """

    _state_keys = _arguments = ("total_iters", "power")

    def __init__(self, optimizer: Any, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1, verbose: bool = False, *, field: str = "lr") -> None:
        self.total_iters = check_int("total_iters", total_iters, 1)
        self.power = check_real("power", power, "a finite number >= 0", lambda p: p >= 0)
        super().__init__(optimizer, last_epoch, verbose, field=field)

    def get_lr(self) -> list[float]:
        """Chainable: the current rates times ``((1 - e/T) / (1 - (e-1)/T)) ** power``."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        epoch, total = self.last_epoch, self.total_iters
        if self._is_initial or epoch > total:
            return self._values()
        return self._scaled(((1.0 - epoch / total) / (1.0 - (epoch - 1) / total)) ** self.power)

    def _closed_form(self, steps, start):
        return schedules.polynomial_lr(steps, start, self.total_iters, self.power)
