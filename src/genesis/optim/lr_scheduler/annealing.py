"""Cosine schedules: ``CosineAnnealingLR`` (chainable), ``CosineAnnealingWarmRestarts`` (SGDR)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import schedules
from .base import LRScheduler, _Chainable, warn_get_lr_outside_step
from .checks import as_number, check_count, check_int, check_real

__all__ = ["CosineAnnealingLR", "CosineAnnealingWarmRestarts"]


# Bound once: get_lr runs at every training step, where module attribute lookups add up.
_cos, _PI = math.cos, math.pi


def _check_eta_min(eta_min: Any) -> float:
    return check_real("eta_min", eta_min, "a finite number >= 0", lambda v: v >= 0)


class CosineAnnealingLR(_Chainable):
    """Cosine annealing from the base rate to ``eta_min`` over ``T_max`` epochs, then back up
    (period ``2 T_max``): ``schedules.cosine_annealing_lr``.  ``get_lr`` is PyTorch's recursion
    on the current rate, ``lr_t = eta_min + (lr_{t-1} - eta_min) * ratio of consecutive cosines``.

    Example:
        >>> class Opt: param_groups = [{"lr": 0.1}]
        >>> s = CosineAnnealingLR(Opt(), T_max=10)
        >>> for _ in range(5): s.step()
        >>> round(s.get_last_lr()[0], 6)
        0.05
    """

    _state_keys = _arguments = ("T_max", "eta_min")
    _scaling = False  # eta_min and the troughs add to the rate instead of scaling it

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1, verbose: bool = False, *, field: str = "lr") -> None:
        self.T_max = check_int("T_max", T_max, 1)
        self.eta_min = _check_eta_min(eta_min)
        super().__init__(optimizer, last_epoch, verbose, field=field)

    def get_lr(self) -> list[float]:
        """Chainable cosine step (see the class docstring); exact at the cosine's troughs."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        epoch, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._step_count == 1 and (self._is_initial or epoch > 0):  # one test when hot
            if self._is_initial:
                return self._values()
            cos = _cos(epoch * _PI / t_max)
            return [eta_min + (base - eta_min) * (1 + cos) / 2 for base in self.base_lrs]
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            # Leaving a trough, where the ratio below would be 0/0: add the first rise instead.
            rise = (1 - _cos(_PI / t_max)) / 2
            return [lr + (base - eta_min) * rise
                    for base, lr in zip(self.base_lrs, self._values())]
        ratio = (1 + _cos(_PI * epoch / t_max)) / (1 + _cos(_PI * (epoch - 1) / t_max))
        if self._item is not None:
            return [ratio * (lr - eta_min) + eta_min for lr in self._values()]
        key, rates = self._key, []
        for group in self.optimizer.param_groups:  # a loop: cheaper than a comprehension (3.11)
            rates.append(ratio * (group[key] - eta_min) + eta_min)
        return rates

    def _closed_form(self, steps, start):
        return schedules.cosine_annealing_lr(steps, start, self.T_max, self.eta_min)


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

    _arguments = ("T_0", "T_mult", "eta_min")
    _state_keys = ("T_0", "T_i", "T_mult", "eta_min", "T_cur")

    def __init__(self, optimizer: Any, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1, verbose: bool = False, *, field: str = "lr") -> None:
        # PyTorch's messages for what it refuses too; Genesis refuses bools and a negative eta_min.
        check_count("T_0", T_0)
        if isinstance(T_mult, bool) or not isinstance(T_mult, (int, np.integer)) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(as_number(eta_min), (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type "
                             f"{type(eta_min)}")
        self.T_0 = self.T_i = int(T_0)
        self.T_mult = int(T_mult)
        self.eta_min = _check_eta_min(eta_min)
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch, verbose, field=field)

    def get_lr(self) -> list[float]:
        """The SGDR rate at the current ``T_cur`` / ``T_i`` (not chainable)."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        eta_min = self.eta_min
        cos = _cos(_PI * self.T_cur / self.T_i)
        return [eta_min + (base - eta_min) * (1 + cos) / 2 for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or jump to ``epoch`` (may be fractional, e.g. ``3 + 7 / 100``)."""
        if epoch is not None:
            epoch = as_number(epoch)
            if isinstance(epoch, bool) or not isinstance(epoch, (int, float)) \
                    or not 0 <= epoch < math.inf:
                raise ValueError(f"Expected non-negative epoch, but got {epoch!r} (a number >= 0)")
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

    def _seek(self, epoch: int) -> None:
        super()._seek(epoch)
        t_cur, t_i = schedules.warm_restart_position(max(epoch, 0), self.T_0, self.T_mult)
        self.T_cur, self.T_i = int(t_cur), int(t_i)

    def _closed_form(self, steps, start):
        base = np.asarray(self.base_lrs, dtype=np.float64)
        return schedules.cosine_warm_restarts_lr(steps, base, self.T_0, self.T_mult, self.eta_min)
