"""``ReduceLROnPlateau``: cut the rate when a monitored metric stops improving."""
from __future__ import annotations

import math
import warnings
from typing import Any

from .base import EPOCH_DEPRECATION_WARNING, LRScheduler, check_optimizer, write_values
from .checks import as_number, check_int, check_real

__all__ = ["ReduceLROnPlateau"]


def _check_min_lr(value: Any) -> float:
    return check_real("min_lr", value, "a finite number >= 0 (or a list of them)", lambda v: v >= 0)


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rates by ``factor`` after ``patience`` epochs without improvement (call
    ``step(metric)`` once per epoch).  An epoch improves when the metric beats the best by
    ``threshold`` (relative or absolute); ``cooldown`` epochs follow a cut; rates never go below
    ``min_lr``; cuts smaller than ``eps`` are skipped.

    Example:
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> s = ReduceLROnPlateau(Opt(), factor=0.5, patience=1)
        >>> for loss in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9]: s.step(loss)
        >>> s.get_last_lr()
        [0.25]
    """

    _base_state_keys = ("last_epoch", "_last_lr", "verbose")
    _state_keys = (
        "mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lrs",
        "default_min_lr", "eps", "best", "mode_worse", "num_bad_epochs", "cooldown_counter",
    )

    def __init__(self, optimizer: Any, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: list[float] | float = 0, eps: float = 1e-8, verbose: bool = False, *,
                 field: str = "lr") -> None:
        number = as_number(factor)
        if isinstance(number, (int, float)) and number >= 1.0:
            raise ValueError(f"Factor should be < 1.0. (got factor={factor!r})")
        factor = check_real("factor", factor, "a number in [0, 1)", lambda f: 0 <= f < 1)
        groups = check_optimizer(optimizer, field)
        check_int("patience", patience, 0)
        check_int("cooldown", cooldown, 0)
        eps = check_real("eps", eps, "a finite number >= 0", lambda v: v >= 0)
        self._check_modes(mode, threshold, threshold_mode)
        self._set_field(field, optimizer, verbose)
        self.factor = factor
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(groups):
                raise ValueError(f"expected {len(groups)} min_lrs, got {len(min_lr)} (min_lr is "
                                 "one number, or a list of one per param group)")
            self.min_lrs = [_check_min_lr(value) for value in min_lr]
            self.default_min_lr = None
        else:
            self.default_min_lr = _check_min_lr(min_lr)
            self.min_lrs = [self.default_min_lr] * len(groups)
        self.patience = int(patience)
        self.cooldown = int(cooldown)
        self.eps = eps
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = [as_number(value) for value in self._values()]
        self._reset()

    @staticmethod
    def _check_modes(mode: Any, threshold: Any, threshold_mode: Any) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode} is unknown! (mode must be 'min' or 'max', got {mode!r})")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode} is unknown! (threshold_mode must be "
                             f"'rel' or 'abs', got {threshold_mode!r})")
        check_real("threshold", threshold, "a finite number >= 0", lambda v: v >= 0)

    def _reset(self) -> None:
        """Forget the best value and the bad-epoch and cooldown counters."""
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        """Whether bad epochs are being ignored after a recent cut."""
        return self.cooldown_counter > 0

    def is_better(self, current: float, best: float) -> bool:
        """Whether ``current`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return current < best * (1.0 - self.threshold)
            return current < best - self.threshold
        if self.threshold_mode == "rel":
            return current > best * (self.threshold + 1.0)
        return current > best + self.threshold

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's metric (a number or a 0-d tensor) and cut the rates if it stalls."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [as_number(value) for value in self._values()]

    def _reduce_lr(self, epoch: int) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:  # PyTorch 2.13's behaviour and words
                raise RuntimeError(
                    "The number of param groups in the `optimizer` "
                    f"({len(groups)}) differs from when `ReduceLROnPlateau` was initialized "
                    f"({len(self.min_lrs)}), usually due to a new param group being added to the "
                    "optimizer. Please modify the `min_lrs` field to match the length of the "
                    "`optimizer` param groups."
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for index, (group, value) in enumerate(zip(groups, self._values())):
            old = float(value)
            new = max(old * self.factor, self.min_lrs[index])
            if old - new > self.eps:
                write_values([group], self._key, [new], self._item)
                if self.verbose:
                    print(f"Epoch {epoch}: reducing learning rate of group {index} to {new:.4e}.")

    def _check_state(self, state_dict: Any) -> None:
        super()._check_state(state_dict)
        self._check_modes(state_dict["mode"], state_dict["threshold"], state_dict["threshold_mode"])

    def _definition(self) -> dict[str, Any]:
        return {"mode": self.mode, "factor": self.factor, "patience": self.patience,
                "threshold": self.threshold, "threshold_mode": self.threshold_mode,
                "cooldown": self.cooldown, "eps": self.eps,
                "min_lr": self.min_lrs if self.default_min_lr is None else self.default_min_lr}

    def _rates(self, epochs, start=None):
        raise NotImplementedError(
            "ReduceLROnPlateau has no closed form: its rates depend on the metrics passed to "
            "step(metrics), which are not known in advance"
        )
