"""Cosine schedules: ``CosineAnnealingLR`` (chainable) and ``CosineAnnealingWarmRestarts`` (SGDR)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import schedules
from .base import LRScheduler, as_number, check_int, check_real, warn_get_lr_outside_step

__all__ = ["CosineAnnealingLR", "CosineAnnealingWarmRestarts"]


def _check_eta_min(eta_min: Any) -> float:
    return check_real("eta_min", eta_min, "a finite number >= 0", lambda v: v >= 0)


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the base rate to ``eta_min`` over ``T_max`` epochs (no restarts).

    Closed form: ``eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``; past
    ``T_max`` the cosine keeps going (period ``2 T_max``).  ``get_lr`` is PyTorch's recursion on
    the current rate, ``lr_t = eta_min + (lr_{t-1} - eta_min) * (1 + cos(pi t/T)) / (1 + cos(pi (t-1)/T))``,
    so it composes with other schedulers on the same optimizer.

    Example:
        >>> class Opt: param_groups = [{"lr": 0.1}]
        >>> s = CosineAnnealingLR(Opt(), T_max=10)
        >>> for _ in range(5): s.step()
        >>> round(s.get_last_lr()[0], 6)
        0.05
    """

    _state_keys = ("T_max", "eta_min")

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1, verbose: bool = False) -> None:
        check_int("T_max", T_max, 1)
        self.T_max = int(T_max)
        self.eta_min = _check_eta_min(eta_min)
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self) -> list[float]:
        """Chainable cosine step (see the class docstring); exact at the cosine's troughs."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        groups = self.optimizer.param_groups
        epoch, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and epoch > 0:
            cos = math.cos(epoch * math.pi / t_max)
            return [eta_min + (base - eta_min) * (1 + cos) / 2 for base in self.base_lrs]
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            # Leaving a trough, where the ratio below would be 0/0: add the first rise instead.
            rise = (1 - math.cos(math.pi / t_max)) / 2
            return [group["lr"] + (base - eta_min) * rise for base, group in zip(self.base_lrs, groups)]
        ratio = (1 + math.cos(math.pi * epoch / t_max)) / (1 + math.cos(math.pi * (epoch - 1) / t_max))
        if len(groups) == 1:  # the common case, without the comprehension's extra call
            return [ratio * (groups[0]["lr"] - eta_min) + eta_min]
        return [ratio * (group["lr"] - eta_min) + eta_min for group in groups]

    def _get_closed_form_lr(self) -> list[float]:
        """The closed form at ``last_epoch`` from ``base_lrs`` (used by ``step(epoch)``)."""
        return [float(v) for v in self._lr_curve([self.last_epoch])[0]]

    def _lr_curve(self, epochs: Any) -> np.ndarray:
        column, base = self._grid(epochs)
        return schedules.cosine_annealing_lr(column, base, self.T_max, self.eta_min)

    def _step_map(self, epochs):
        column, base = self._grid(epochs)
        t_max, eta_min = self.T_max, self.eta_min
        trough = (column - 1 - t_max) % (2 * t_max) == 0
        initial = column == 0
        with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 at the troughs, masked below
            ratio = (1 + np.cos(np.pi * column / t_max)) / (1 + np.cos(np.pi * (column - 1) / t_max))
            ratio = np.where(initial | trough, 1.0, ratio)
        rise = (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        b = np.where(initial, 0.0, np.where(trough, rise, eta_min - ratio * eta_min))
        return ratio * np.ones_like(base), b * np.ones_like(base)


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: cosine annealing restarted every ``T_i`` epochs, ``T_i`` growing by ``T_mult``.

    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2`` where ``T_cur``
    counts epochs since the last restart.  ``step(epoch)`` accepts fractional epochs (call it
    per batch with ``epoch + i / iters``).

    Example:
        >>> class Opt: param_groups = [{"lr": 0.1}]
        >>> s = CosineAnnealingWarmRestarts(Opt(), T_0=4)
        >>> [s.step() or round(s.get_last_lr()[0], 6) for _ in range(5)]
        [0.085355, 0.05, 0.014645, 0.1, 0.085355]
    """

    _state_keys = ("T_0", "T_i", "T_mult", "eta_min", "T_cur")

    def __init__(self, optimizer: Any, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1, verbose: bool = False) -> None:
        # PyTorch's messages for what it refuses too; Genesis refuses bools and a negative eta_min.
        if isinstance(T_0, bool) or not isinstance(T_0, (int, np.integer)) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if isinstance(T_mult, bool) or not isinstance(T_mult, (int, np.integer)) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(as_number(eta_min), (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}")
        self.T_0 = int(T_0)
        self.T_i = int(T_0)
        self.T_mult = int(T_mult)
        self.eta_min = _check_eta_min(eta_min)
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self) -> list[float]:
        """The SGDR rate at the current ``T_cur`` / ``T_i`` (not chainable)."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        eta_min = self.eta_min
        cos = math.cos(math.pi * self.T_cur / self.T_i)
        return [eta_min + (base - eta_min) * (1 + cos) / 2 for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or jump to ``epoch`` (may be fractional, e.g. ``3 + 7 / 100``)."""
        if epoch is not None:
            number = as_number(epoch)
            if isinstance(number, bool) or not isinstance(number, (int, float, np.integer, np.floating)):
                raise ValueError(f"Expected non-negative epoch, but got {epoch!r}: a number >= 0")
            if not number >= 0 or not math.isfinite(number):
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            epoch = number
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur %= self.T_i
                self.T_i *= self.T_mult
        else:
            self._jump(epoch)
        self.last_epoch = math.floor(epoch)
        self._write_lrs(self._computed_lr())

    def _jump(self, epoch: float) -> None:
        # PyTorch's arithmetic (a logarithm for T_mult > 1), kept so fractional jumps match it.
        t_0, t_mult = self.T_0, self.T_mult
        if epoch < t_0:
            self.T_i, self.T_cur = t_0, epoch
        elif t_mult == 1:
            self.T_cur = epoch % t_0
        else:
            n = int(math.log(epoch / t_0 * (t_mult - 1) + 1, t_mult))
            self.T_cur = epoch - t_0 * (t_mult**n - 1) / (t_mult - 1)
            self.T_i = t_0 * t_mult**n

    def _lr_curve(self, epochs: Any) -> np.ndarray:
        column, base = self._grid(epochs)
        return schedules.cosine_warm_restarts_lr(column, base, self.T_0, self.T_mult, self.eta_min)

    def _step_map(self, epochs):
        return self._value_map(epochs)
