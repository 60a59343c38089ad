"""``SWALR``, the scheduler of stochastic weight averaging: anneal each group's rate to its
``swa_lr``, then hold it there.  Its public home is ``genesis.optim.swa_utils`` (PyTorch's
``torch.optim.swa_utils``); it lives here, beside the other schedulers, because it needs only
NumPy."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import schedules
from .base import LRScheduler, check_optimizer, warn_get_lr_outside_step
from .checks import as_number, check_real, format_param

__all__ = ["SWALR"]

_STRATEGIES = ("cos", "linear")


class SWALR(LRScheduler):
    """Anneal the rate of each param group from where it is to ``swa_lr`` over ``anneal_epochs``
    steps (``"cos"`` or ``"linear"``), then keep it at ``swa_lr``: ``schedules.swa_annealing_lr``.

    ``swa_lr`` is one rate for every group or a list, one per group; it is stored in each group
    as ``group["swa_lr"]`` (``"swa_<field>"`` with ``field=``), as PyTorch does.  ``get_lr`` is
    PyTorch's recursion: it recovers the starting rate from the group's current one, so the
    annealing starts from whatever rate another scheduler (the usual ``CosineAnnealingLR`` before
    ``swa_start``) left in the group when this one first steps.

    Example (from 1.0 to 0.2 over 4 steps):
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> s = SWALR(Opt(), swa_lr=0.2, anneal_epochs=4)
        >>> [round(s.get_last_lr()[0], 6)] + [s.step() or round(s.get_last_lr()[0], 6)
        ...                                   for _ in range(5)]
        [1.0, 0.882843, 0.6, 0.317157, 0.2, 0.2]
    """

    # start_lrs: the rates the annealing starts from (Genesis's; PyTorch keeps no such entry,
    # and a state dict without it recovers them from the saved rate, as PyTorch's recursion does).
    _state_keys = ("anneal_epochs", "_anneal_strategy", "start_lrs")
    _optional_state_keys = ("start_lrs",)

    def __init__(self, optimizer: Any, swa_lr: float | list[float], anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1, verbose: bool = False, *,
                 field: str = "lr") -> None:
        groups = check_optimizer(optimizer, field)
        # PyTorch's checks and words, in its order; the values are checked before any group
        # changes, so a refused scheduler leaves the optimizer as it was.
        swa_lrs = format_param("swa_lr", optimizer, swa_lr)
        swa_lrs = [check_real("swa_lr", value, "a finite number >= 0 (or a list of them, one "
                              "per param group)", lambda v: v >= 0) for value in swa_lrs]
        if anneal_strategy not in _STRATEGIES:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', "
                             f"instead got {anneal_strategy}")
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, (int, np.integer)) \
                or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.swa_lr = list(swa_lrs) if isinstance(swa_lr, (list, tuple)) else swa_lrs[0]
        self.anneal_epochs = int(anneal_epochs)
        self._set_anneal_func(anneal_strategy)
        self._set_field(field)
        for group, value in zip(groups, swa_lrs):
            group[self._swa_key()] = value
        super().__init__(optimizer, last_epoch, verbose, field=field)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        """The rate the annealing started from, given the rate ``lr`` at fraction ``alpha``."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def _swa_key(self) -> str:
        return "swa_lr" if self.field == "lr" else f"swa_{self.field}"

    def get_lr(self) -> list[float]:
        """PyTorch's recursion: undo the last step's interpolation on the group's rate to find
        the starting rate, then interpolate to ``swa_lr`` at this step's fraction."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        swa_key = self._swa_key()
        swa_lrs = [group[swa_key] for group in self.optimizer.param_groups]
        prev_lrs = [self._get_initial_lr(as_number(lr), swa_lr, prev_alpha)
                    for lr, swa_lr in zip(self._values(), swa_lrs)]
        if prev_alpha == 0 and self._get_lr_called_within_step:
            self.start_lrs = prev_lrs  # the group's rate itself: where this annealing starts
        alpha = self.anneal_func(max(0, min(1, step / span)))
        return [swa_lr * alpha + lr * (1 - alpha) for swa_lr, lr in zip(swa_lrs, prev_lrs)]

    def _index_offset(self) -> int:
        # The recursion counts its own steps (_step_count), lr_at counts like last_epoch; they
        # differ after step(epoch) or a construction with last_epoch >= 0.
        return self.last_epoch - (self._step_count - 1)

    def _rates(self, epochs: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
        """As the base class's, with ``start_lrs`` (not ``base_lrs``) as the default start."""
        if start is None:
            start = np.asarray(self.start_lrs, dtype=np.float64).reshape(1, -1)
        return super()._rates(epochs, start)

    def _closed_form(self, steps, start):
        swa_lrs = np.asarray([as_number(group[self._swa_key()])
                              for group in self.optimizer.param_groups], dtype=np.float64)
        return schedules.swa_annealing_lr(steps - self._index_offset(), start,
                                          swa_lrs.reshape(1, -1), self.anneal_epochs,
                                          self._anneal_strategy)

    def lr_at(self, steps: Any) -> np.ndarray:
        """The rates of every group at ``steps`` (counted like ``last_epoch``), annealing from
        ``start_lrs`` (the groups' rates when this scheduler first stepped, or was built) to
        the groups' ``swa_lr``: what stepping gives within rel 1e-12.  After loading a PyTorch
        state dict saved once annealing had ended, the starting rates are not known and the
        rates before that step read ``swa_lr``.

        Example (the annealing starts from the rate the group holds at its first step):
            >>> class Opt: param_groups = [{"lr": 1.0}]
            >>> opt = Opt()
            >>> s = SWALR(opt, swa_lr=0.2, anneal_epochs=2, anneal_strategy="linear")
            >>> opt.param_groups[0]["lr"] = 0.6  # e.g. another scheduler's last rate
            >>> s.step()
            >>> s.lr_at([1, 2, 3]).round(6).tolist()
            [[0.4], [0.2], [0.2]]
        """
        return super().lr_at(steps)

    def _definition(self) -> dict[str, Any]:
        return {"swa_lr": self.swa_lr, "anneal_epochs": self.anneal_epochs,
                "anneal_strategy": self._anneal_strategy}

    def _check_state(self, state_dict: Any, ignore: tuple[str, ...] = ()) -> None:
        super()._check_state(state_dict, ignore)
        cls = type(self).__name__
        strategy, epochs = state_dict.get("_anneal_strategy"), state_dict.get("anneal_epochs")
        if strategy not in _STRATEGIES:
            raise ValueError(f"{cls}.load_state_dict: _anneal_strategy must be 'cos' or "
                             f"'linear', got {strategy!r}")
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"{cls}.load_state_dict: anneal_epochs must be an int >= 0, got "
                             f"{epochs!r}")
        starts = state_dict.get("start_lrs")
        if "start_lrs" in state_dict and not (
                isinstance(starts, list) and len(starts) == len(self.optimizer.param_groups)):
            raise ValueError(f"{cls}.load_state_dict: start_lrs must be a list of "
                             f"{len(self.optimizer.param_groups)} rates, got {starts!r:.200}")

    def _load_saved(self, state: dict[str, Any]) -> None:
        super()._load_saved(state)
        self._set_anneal_func(self._anneal_strategy)
        if "start_lrs" not in state:  # PyTorch's: recover the start from the last rate
            step = self._step_count - 1
            if self.anneal_epochs == 0:
                step = max(1, step)
            alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
            swa_key = self._swa_key()
            self.start_lrs = [self._get_initial_lr(as_number(lr), group[swa_key], alpha)
                              for lr, group in zip(self._last_lr, self.optimizer.param_groups)]


# The class reports its public path, as PyTorch's does (torch.optim.swa_utils.SWALR).
SWALR.__module__ = "genesis.optim.swa_utils"
