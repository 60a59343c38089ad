"""The Hugging Face schedule family: ``get_cosine_schedule_with_warmup`` and friends.

Every factory checks its arguments and returns a ``LambdaLR`` whose ``lr_lambda`` is a small
callable object (a ``*Factor`` class below).  Its attributes are plain numbers and strings, so
``scheduler.state_dict()`` stores the schedule itself as plain data and ``load_state_dict``
restores it.  A factor is vectorised: a Python int gives a Python float, an integer array gives a
float64 array of the same shape (this is what ``lr_scheduler.preview`` uses; the two agree
within the exactness contract, rel 1e-12).

The formulas are those of ``transformers.optimization`` (same names, defaults and numbers).
Where we differ, it is to turn a crash or a silent surprise into a clear error:

* warmup longer than training, negative counts, ``num_cycles <= 0``, ``power <= 0`` ... raise
  ``ValueError`` at construction (transformers accepts them);
* ``get_polynomial_decay_schedule_with_warmup`` with ``num_warmup_steps == num_training_steps``
  holds the base rate at the last step (transformers divides by zero there);
* ``get_wsd_schedule`` given both ``num_training_steps`` and ``num_stable_steps`` that disagree
  raises (transformers warns and uses ``num_stable_steps``);
* ``get_scheduler`` forwards ``scheduler_specific_kwargs`` to every schedule (transformers drops
  them for "constant", "constant_with_warmup" and "inverse_sqrt").
"""
from __future__ import annotations

import numbers
from types import MappingProxyType
from typing import Any, Callable, Mapping

import numpy as np

from .lr_scheduler import LambdaLR, ReduceLROnPlateau

__all__ = [
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_linear_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_inverse_sqrt_schedule",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_wsd_schedule",
    "get_scheduler",
    "SCHEDULER_NAMES",
]

_SHAPES = ("linear", "cosine", "1-sqrt")


# --- argument checks ------------------------------------------------------------------------------


def _count(name: str, value: Any, minimum: int = 0) -> int:
    """``value`` as an int ``>= minimum`` (a step count), or a ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        expected = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return int(value)


def _real(name: str, value: Any, low: float, high: float = float("inf"), open_low: bool = False) -> float:
    """``value`` as a float in ``[low, high]`` (``(low, high]`` if ``open_low``), else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    above = value > low if open_low else value >= low
    if not (above and value <= high):
        bracket = "(" if open_low else "["
        raise ValueError(f"{name} must be in {bracket}{low}, {high}], got {value!r}")
    return value


def _warmup_and_total(num_warmup_steps: Any, num_training_steps: Any) -> tuple[int, int]:
    warmup = _count("num_warmup_steps", num_warmup_steps)
    total = _count("num_training_steps", num_training_steps, minimum=1)
    if warmup > total:
        raise ValueError(
            f"num_warmup_steps ({warmup}) must not exceed num_training_steps ({total})"
        )
    return warmup, total


def _shape(name: str, value: Any) -> str:
    if value not in _SHAPES:
        raise ValueError(f"{name} must be one of {list(_SHAPES)}, got {value!r}")
    return value


def _optimizer_lr(optimizer: Any) -> float:
    """The optimizer's default rate (``defaults["lr"]``, as transformers), else group 0's rate."""
    defaults = getattr(optimizer, "defaults", None)
    if isinstance(defaults, dict) and "lr" in defaults:
        return float(defaults["lr"])
    groups = getattr(optimizer, "param_groups", None)
    if isinstance(groups, list) and groups and isinstance(groups[0], dict) and "lr" in groups[0]:
        return float(groups[0]["lr"])
    raise TypeError(
        "optimizer must be an optimizer with defaults['lr'] or param_groups "
        f"(a Genesis or PyTorch optimizer), got {type(optimizer).__name__}"
    )


# --- the schedules as callable objects --------------------------------------------------------------


class _Factor:
    """A multiplicative factor of the step, vectorised; subclasses implement ``_curve``.

    Attributes are plain ints, floats and strings only: ``LambdaLR.state_dict`` saves them.
    """

    def __call__(self, step: Any) -> Any:
        steps = np.asarray(step, dtype=np.float64)
        values = self._curve(steps)
        # One formula for a step and for an array of steps; NumPy's SIMD loops may round an
        # array's last bit differently from a scalar, so the two agree within rel 1e-12.
        return values if isinstance(step, np.ndarray) else float(values)

    def _curve(self, steps: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({fields})"


def _ramp(steps: np.ndarray, num_warmup_steps: int) -> np.ndarray:
    """Linear warmup ``step / max(1, num_warmup_steps)``."""
    return steps / max(1, num_warmup_steps)


def _half_cosine(progress: np.ndarray, num_cycles: float) -> np.ndarray:
    """``0.5 * (1 + cos(2 pi num_cycles progress))`` in transformers' operation order."""
    return 0.5 * (1.0 + np.cos(np.pi * num_cycles * 2.0 * progress))


class ConstantFactor(_Factor):
    """Always 1: the optimizer's rate, unchanged."""

    def _curve(self, steps: np.ndarray) -> np.ndarray:
        return np.ones_like(steps)


class WarmupConstantFactor(_Factor):
    """``step / warmup`` during warmup, then 1."""

    def __init__(self, num_warmup_steps: int) -> None:
        self.num_warmup_steps = num_warmup_steps

    def _curve(self, steps: np.ndarray) -> np.ndarray:
        return np.where(steps < self.num_warmup_steps, _ramp(steps, self.num_warmup_steps), 1.0)


class WarmupLinearFactor(_Factor):
    """Warmup, then ``max(0, (T - step) / max(1, T - warmup))``: linear from 1 to 0 at step T."""

    def __init__(self, num_warmup_steps: int, num_training_steps: int) -> None:
        self.num_warmup_steps = num_warmup_steps
        self.num_training_steps = num_training_steps

    def _curve(self, steps: np.ndarray) -> np.ndarray:
        warmup, total = self.num_warmup_steps, self.num_training_steps
        decay = np.maximum(0.0, (total - steps) / max(1, total - warmup))
        return np.where(steps < warmup, _ramp(steps, warmup), decay)


class WarmupCosineFactor(_Factor):
    """Warmup, then ``r + (1 - r) * 0.5 * (1 + cos(2 pi c p))``, floored at 0.

    ``p = (step - warmup) / max(1, T - warmup)`` is the decay progress, ``c`` = ``num_cycles``,
    ``r`` = ``min_lr_rate`` (0 for the plain cosine schedule).
    """

    def __init__(
        self, num_warmup_steps: int, num_training_steps: int, num_cycles: float, min_lr_rate: float = 0.0
    ) -> None:
        self.num_warmup_steps = num_warmup_steps
        self.num_training_steps = num_training_steps
        self.num_cycles = num_cycles
        self.min_lr_rate = min_lr_rate

    def _curve(self, steps: np.ndarray) -> np.ndarray:
        warmup, rate = self.num_warmup_steps, self.min_lr_rate
        # The headline schedule works in place (one buffer) so that a 10**6-step preview stays
        # fast; every operation, and its order, is that of the formula above.
        out = np.subtract(steps, warmup, out=np.empty_like(steps))
        out /= max(1, self.num_training_steps - warmup)
        out *= np.pi * self.num_cycles * 2.0
        np.cos(out, out=out)
        out += 1.0
        out *= 0.5
        if rate:
            out *= 1.0 - rate
            out += rate
        np.maximum(out, 0.0, out=out)
        if warmup:
            np.divide(steps, warmup, out=out, where=steps < warmup)
        return out


class WarmupCosineRestartsFactor(_Factor):
    """Warmup, then ``0.5 * (1 + cos(pi * ((c p) mod 1)))`` for ``p < 1`` (c hard restarts), then 0."""

    def __init__(self, num_warmup_steps: int, num_training_steps: int, num_cycles: float) -> None:
        self.num_warmup_steps = num_warmup_steps
        self.num_training_steps = num_training_steps
        self.num_cycles = num_cycles

    def _curve(self, steps: np.ndarray) -> np.ndarray:
        warmup = self.num_warmup_steps
        progress = (steps - warmup) / max(1, self.num_training_steps - warmup)
        wave = np.maximum(0.0, 0.5 * (1.0 + np.cos(np.pi * np.mod(self.num_cycles * progress, 1.0))))
        decay = np.where(progress >= 1.0, 0.0, wave)
        return np.where(steps < warmup, _ramp(steps, warmup), decay)


class WarmupPolynomialFactor(_Factor):
    """Warmup, then ``(lr_init - lr_end) * (1 - p) ** power + lr_end``, over ``lr_init``; past T, ``lr_end / lr_init``."""

    def __init__(
        self, num_warmup_steps: int, num_training_steps: int, lr_end: float, power: float, lr_init: float
    ) -> None:
        self.num_warmup_steps = num_warmup_steps
        self.num_training_steps = num_training_steps
        self.lr_end = lr_end
        self.power = power
        self.lr_init = lr_init

    def _curve(self, steps: np.ndarray) -> np.ndarray:
        warmup, total = self.num_warmup_steps, self.num_training_steps
        # Clipped so that the branches np.where discards never take a negative base to a power.
        remaining = np.clip(1.0 - (steps - warmup) / max(1, total - warmup), 0.0, 1.0)
        decay = ((self.lr_init - self.lr_end) * remaining**self.power + self.lr_end) / self.lr_init
        decay = np.where(steps > total, self.lr_end / self.lr_init, decay)
        return np.where(steps < warmup, _ramp(steps, warmup), decay)


class WarmupInverseSqrtFactor(_Factor):
    """Warmup, then ``1 / sqrt((step + timescale - warmup) / timescale)`` (1 at the end of warmup)."""

    def __init__(self, num_warmup_steps: int, timescale: int) -> None:
        self.num_warmup_steps = num_warmup_steps
        self.timescale = timescale

    def _curve(self, steps: np.ndarray) -> np.ndarray:
        warmup, timescale = self.num_warmup_steps, self.timescale
        shift = timescale - warmup
        decay = 1.0 / np.sqrt((np.maximum(steps, warmup) + shift) / timescale)
        return np.where(steps < warmup, _ramp(steps, warmup), decay)


class WarmupStableDecayFactor(_Factor):
    """Warmup (linear, cosine or 1-sqrt) from ``min_lr_ratio`` to 1, hold 1, decay back, then hold.

    With ``q`` the progress through a phase and ``m`` = ``min_lr_ratio``, a phase's shape ``s(q)`` is
    mapped to ``m + (1 - m) * s(q)``: warmup shapes ``q``, ``0.5 * (1 - cos(pi q))``,
    ``1 - sqrt(1 - q)``; decay shapes ``1 - q``, ``0.5 * (1 + cos(2 pi c q))``, ``1 - sqrt(q)``.
    After the decay phase the factor stays at ``m``.
    """

    def __init__(
        self,
        num_warmup_steps: int,
        num_stable_steps: int,
        num_decay_steps: int,
        warmup_type: str,
        decay_type: str,
        min_lr_ratio: float,
        num_cycles: float,
    ) -> None:
        self.num_warmup_steps = num_warmup_steps
        self.num_stable_steps = num_stable_steps
        self.num_decay_steps = num_decay_steps
        self.warmup_type = warmup_type
        self.decay_type = decay_type
        self.min_lr_ratio = min_lr_ratio
        self.num_cycles = num_cycles

    def _warmup_shape(self, progress: np.ndarray) -> np.ndarray:
        if self.warmup_type == "linear":
            return progress
        if self.warmup_type == "cosine":
            return 0.5 * (1.0 - np.cos(np.pi * progress))
        return 1.0 - np.sqrt(1.0 - progress)

    def _decay_shape(self, progress: np.ndarray) -> np.ndarray:
        if self.decay_type == "linear":
            return 1.0 - progress
        if self.decay_type == "cosine":
            return _half_cosine(progress, self.num_cycles)
        return 1.0 - np.sqrt(progress)

    def _curve(self, steps: np.ndarray) -> np.ndarray:
        warmup, ratio = self.num_warmup_steps, self.min_lr_ratio
        decay_start = warmup + self.num_stable_steps
        decay_end = decay_start + self.num_decay_steps
        # Progress clipped to [0, 1] so that discarded branches stay finite (no sqrt of negatives).
        warm_q = np.clip(steps / max(1, warmup), 0.0, 1.0)
        decay_q = np.clip((steps - decay_start) / max(1, self.num_decay_steps), 0.0, 1.0)
        warm = np.maximum(0.0, self._warmup_shape(warm_q) * (1.0 - ratio) + ratio)
        decay = np.maximum(0.0, self._decay_shape(decay_q) * (1.0 - ratio) + ratio)
        return np.select(
            [steps < warmup, steps < decay_start, steps < decay_end], [warm, 1.0, decay], ratio
        )


# --- factories ---------------------------------------------------------------------------------------


def get_constant_schedule(optimizer: Any, last_epoch: int = -1) -> LambdaLR:
    """A constant rate: the optimizer's own.

    Example:
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> get_constant_schedule(opt).get_last_lr()
        [0.1]
    """
    return LambdaLR(optimizer, ConstantFactor(), last_epoch=last_epoch)


def get_constant_schedule_with_warmup(optimizer: Any, num_warmup_steps: int, last_epoch: int = -1) -> LambdaLR:
    """Linear warmup from 0 to the optimizer's rate over ``num_warmup_steps``, then constant.

    ``factor(step) = step / num_warmup_steps`` while ``step < num_warmup_steps``, else 1.

    Example:
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = get_constant_schedule_with_warmup(opt, num_warmup_steps=4)
        >>> s.step(); s.get_last_lr()
        [0.025]
    """
    warmup = _count("num_warmup_steps", num_warmup_steps)
    return LambdaLR(optimizer, WarmupConstantFactor(warmup), last_epoch=last_epoch)


def get_linear_schedule_with_warmup(
    optimizer: Any, num_warmup_steps: int, num_training_steps: int, last_epoch: int = -1
) -> LambdaLR:
    """Linear warmup from 0 to the optimizer's rate, then linear decay to 0 at ``num_training_steps``.

    ``factor = step / W`` for ``step < W``, else ``max(0, (T - step) / (T - W))``.

    Example:
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = get_linear_schedule_with_warmup(opt, num_warmup_steps=2, num_training_steps=6)
        >>> [round(s.step() or s.get_last_lr()[0], 6) for _ in range(6)]
        [0.05, 0.1, 0.075, 0.05, 0.025, 0.0]
    """
    warmup, total = _warmup_and_total(num_warmup_steps, num_training_steps)
    return LambdaLR(optimizer, WarmupLinearFactor(warmup, total), last_epoch=last_epoch)


def get_cosine_schedule_with_warmup(
    optimizer: Any,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
) -> LambdaLR:
    """Linear warmup to the optimizer's rate, then a cosine decay to 0 at ``num_training_steps``.

    ``factor = step / W`` for ``step < W``, else ``max(0, 0.5 * (1 + cos(2 pi c p)))`` with
    ``p = (step - W) / (T - W)``; the default ``c = num_cycles = 0.5`` is one half cosine wave.

    Example (base 0.1, warmup 10, total 110: 0 at step 0, 0.1 at 10, 0.05 at 60, 0 at 110):
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = get_cosine_schedule_with_warmup(opt, num_warmup_steps=10, num_training_steps=110)
        >>> [round(0.1 * s.lr_lambdas[0](step), 6) for step in (0, 5, 10, 60, 110)]
        [0.0, 0.05, 0.1, 0.05, 0.0]
    """
    warmup, total = _warmup_and_total(num_warmup_steps, num_training_steps)
    cycles = _real("num_cycles", num_cycles, 0.0, open_low=True)
    return LambdaLR(optimizer, WarmupCosineFactor(warmup, total, cycles), last_epoch=last_epoch)


def get_cosine_with_hard_restarts_schedule_with_warmup(
    optimizer: Any,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: int = 1,
    last_epoch: int = -1,
) -> LambdaLR:
    """Linear warmup, then ``num_cycles`` cosine decays from the rate to 0, each restarting at the top.

    ``factor = 0.5 * (1 + cos(pi * ((c p) mod 1)))`` for ``p = (step - W) / (T - W) < 1``, then 0.

    Example (2 cycles over 100 steps: back at the top at step 50):
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = get_cosine_with_hard_restarts_schedule_with_warmup(opt, 0, 100, num_cycles=2)
        >>> [round(0.1 * s.lr_lambdas[0](step), 6) for step in (0, 25, 50, 75, 100)]
        [0.1, 0.05, 0.1, 0.05, 0.0]
    """
    warmup, total = _warmup_and_total(num_warmup_steps, num_training_steps)
    cycles = _real("num_cycles", num_cycles, 0.0, open_low=True)
    return LambdaLR(optimizer, WarmupCosineRestartsFactor(warmup, total, cycles), last_epoch=last_epoch)


def get_polynomial_decay_schedule_with_warmup(
    optimizer: Any,
    num_warmup_steps: int,
    num_training_steps: int,
    lr_end: float = 1e-7,
    power: float = 1.0,
    last_epoch: int = -1,
) -> LambdaLR:
    """Linear warmup, then a polynomial decay from the optimizer's rate to ``lr_end``.

    With ``lr_init = optimizer.defaults["lr"]`` and ``p = (step - W) / (T - W)``:
    ``lr = (lr_init - lr_end) * (1 - p) ** power + lr_end``, and ``lr_end`` after step T.

    Example (lr 0.1 to 0.01, power 2, no warmup: halfway is 0.09 * 0.25 + 0.01):
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = get_polynomial_decay_schedule_with_warmup(opt, 0, 10, lr_end=0.01, power=2.0)
        >>> [round(0.1 * s.lr_lambdas[0](step), 6) for step in (0, 5, 10, 20)]
        [0.1, 0.0325, 0.01, 0.01]
    """
    warmup, total = _warmup_and_total(num_warmup_steps, num_training_steps)
    power = _real("power", power, 0.0, open_low=True)
    lr_end = _real("lr_end", lr_end, 0.0)
    lr_init = _optimizer_lr(optimizer)
    if not lr_init > lr_end:
        raise ValueError(f"lr_end ({lr_end}) must be smaller than the optimizer's initial lr ({lr_init})")
    factor = WarmupPolynomialFactor(warmup, total, lr_end, power, lr_init)
    return LambdaLR(optimizer, factor, last_epoch=last_epoch)


def get_inverse_sqrt_schedule(
    optimizer: Any, num_warmup_steps: int, timescale: int | None = None, last_epoch: int = -1
) -> LambdaLR:
    """Linear warmup, then ``1 / sqrt((step + timescale - W) / timescale)`` times the rate.

    ``timescale`` defaults to ``num_warmup_steps`` (or 10,000 when there is no warmup).

    Example (warmup 4: the rate is 0.1 at step 4 and 0.05 at step 16):
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = get_inverse_sqrt_schedule(opt, num_warmup_steps=4)
        >>> [round(0.1 * s.lr_lambdas[0](step), 6) for step in (0, 2, 4, 16)]
        [0.0, 0.05, 0.1, 0.05]
    """
    warmup = _count("num_warmup_steps", num_warmup_steps)
    if timescale is None:
        timescale = warmup or 10_000
    timescale = _count("timescale", timescale, minimum=1)
    return LambdaLR(optimizer, WarmupInverseSqrtFactor(warmup, timescale), last_epoch=last_epoch)


def get_cosine_with_min_lr_schedule_with_warmup(
    optimizer: Any,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
) -> LambdaLR:
    """Cosine with warmup that decays to ``min_lr`` (or ``min_lr_rate`` times the rate) instead of 0.

    Give exactly one of ``min_lr`` (absolute, divided by ``optimizer.defaults["lr"]``) and
    ``min_lr_rate``. ``factor = r + (1 - r) * 0.5 * (1 + cos(2 pi c p))`` after warmup.

    Example (rate 0.1 decaying to 0.01):
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = get_cosine_with_min_lr_schedule_with_warmup(opt, 0, 100, min_lr=0.01)
        >>> [round(0.1 * s.lr_lambdas[0](step), 6) for step in (0, 50, 100)]
        [0.1, 0.055, 0.01]
    """
    warmup, total = _warmup_and_total(num_warmup_steps, num_training_steps)
    cycles = _real("num_cycles", num_cycles, 0.0, open_low=True)
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError(
            f"give only one of min_lr and min_lr_rate, got min_lr={min_lr!r} and min_lr_rate={min_lr_rate!r}"
        )
    if min_lr is not None:
        lr_init = _optimizer_lr(optimizer)
        min_lr = _real("min_lr", min_lr, 0.0, lr_init)
        min_lr_rate = min_lr / lr_init
    elif min_lr_rate is None:
        raise ValueError("one of min_lr or min_lr_rate must be given (both are None)")
    rate = _real("min_lr_rate", min_lr_rate, 0.0, 1.0)
    return LambdaLR(optimizer, WarmupCosineFactor(warmup, total, cycles, rate), last_epoch=last_epoch)


def get_wsd_schedule(
    optimizer: Any,
    num_warmup_steps: int,
    num_decay_steps: int,
    num_training_steps: int | None = None,
    num_stable_steps: int | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
) -> LambdaLR:
    """Warmup-stable-decay: warm up, hold the rate, decay to ``min_lr_ratio`` times it, then hold.

    Give ``num_training_steps`` (the stable phase is what warmup and decay leave of it) or
    ``num_stable_steps``. ``warmup_type`` and ``decay_type`` are "linear", "cosine" or "1-sqrt";
    see ``WarmupStableDecayFactor`` for the formulas.

    Example (2 warmup, 2 stable, 2 linear decay steps to 10% of 0.1):
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = get_wsd_schedule(opt, 2, 2, num_training_steps=6, decay_type="linear", min_lr_ratio=0.1)
        >>> [round(0.1 * s.lr_lambdas[0](step), 6) for step in range(8)]
        [0.01, 0.055, 0.1, 0.1, 0.1, 0.055, 0.01, 0.01]
    """
    warmup = _count("num_warmup_steps", num_warmup_steps)
    decay = _count("num_decay_steps", num_decay_steps)
    if num_training_steps is None and num_stable_steps is None:
        raise ValueError("get_wsd_schedule needs num_training_steps or num_stable_steps (both are None)")
    if num_stable_steps is not None:
        stable = _count("num_stable_steps", num_stable_steps)
    if num_training_steps is not None:
        total = _count("num_training_steps", num_training_steps, minimum=1)
        if warmup + decay > total:
            raise ValueError(
                f"num_warmup_steps + num_decay_steps ({warmup} + {decay}) must not exceed "
                f"num_training_steps ({total})"
            )
        if num_stable_steps is not None and warmup + stable + decay != total:
            raise ValueError(
                f"num_warmup_steps + num_stable_steps + num_decay_steps ({warmup} + {stable} + "
                f"{decay}) must equal num_training_steps ({total}) when both are given"
            )
        stable = total - warmup - decay
    factor = WarmupStableDecayFactor(
        warmup,
        stable,
        decay,
        _shape("warmup_type", warmup_type),
        _shape("decay_type", decay_type),
        _real("min_lr_ratio", min_lr_ratio, 0.0, 1.0),
        _real("num_cycles", num_cycles, 0.0, open_low=True),
    )
    return LambdaLR(optimizer, factor, last_epoch=last_epoch)


# --- by name -----------------------------------------------------------------------------------------


_FACTORIES = {
    "linear": get_linear_schedule_with_warmup,
    "cosine": get_cosine_schedule_with_warmup,
    "cosine_with_restarts": get_cosine_with_hard_restarts_schedule_with_warmup,
    "polynomial": get_polynomial_decay_schedule_with_warmup,
    "constant": get_constant_schedule,
    "constant_with_warmup": get_constant_schedule_with_warmup,
    "inverse_sqrt": get_inverse_sqrt_schedule,
    "reduce_lr_on_plateau": ReduceLROnPlateau,
    "cosine_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup,
    "warmup_stable_decay": get_wsd_schedule,
}
SCHEDULER_NAMES: tuple[str, ...] = tuple(_FACTORIES)
"""The names ``get_scheduler`` accepts (transformers' ``SchedulerType`` values)."""
SCHEDULER_FACTORIES: Mapping[str, Callable[..., Any]] = MappingProxyType(_FACTORIES)
"""Read-only map from each ``get_scheduler`` name to the factory (or class) it calls."""

# What each name needs besides the optimizer (as transformers): nothing, only the warmup, or
# both counts; "warmup_stable_decay" needs the warmup and num_decay_steps.
_NEEDS_NOTHING = ("constant", "reduce_lr_on_plateau")
_NEEDS_WARMUP_ONLY = ("constant_with_warmup", "inverse_sqrt")


def get_scheduler(
    name: str,
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    scheduler_specific_kwargs: dict[str, Any] | None = None,
    **kwargs: Any,
) -> LambdaLR | ReduceLROnPlateau:
    """Build a schedule by its transformers name ("linear", "cosine", "warmup_stable_decay", ...).

    ``num_warmup_steps``/``num_training_steps`` are passed to the schedules that take them (a
    schedule that needs one and does not get it raises); ``scheduler_specific_kwargs`` and any
    extra keyword arguments (``num_cycles=2``, ``lr_end=1e-5``, ``num_decay_steps=100``, ...) go
    to the schedule itself. "reduce_lr_on_plateau" builds ``ReduceLROnPlateau`` from them.

    Example:
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = get_scheduler("cosine", opt, num_warmup_steps=10, num_training_steps=110)
        >>> type(s).__name__, s.get_last_lr()
        ('LambdaLR', [0.0])
    """
    name = getattr(name, "value", name)  # accepts an enum whose values are the names
    if not isinstance(name, str) or name not in _FACTORIES:
        raise ValueError(f"unknown scheduler name {name!r}; valid names are: {', '.join(SCHEDULER_NAMES)}")
    options = dict(scheduler_specific_kwargs or {})
    clash = sorted(options.keys() & kwargs.keys())
    if clash:
        raise TypeError(f"get_scheduler got {clash} both in scheduler_specific_kwargs and as keywords")
    options.update(kwargs)
    factory = _FACTORIES[name]
    if name in _NEEDS_NOTHING:
        return factory(optimizer, **options)
    if num_warmup_steps is None:
        raise ValueError(f"{name} requires `num_warmup_steps`, please provide that argument.")
    if name == "warmup_stable_decay":
        if "num_decay_steps" not in options:
            raise ValueError(
                "warmup_stable_decay requires `num_decay_steps`, please provide it in "
                "scheduler_specific_kwargs (or as a keyword argument)."
            )
        return factory(optimizer, num_warmup_steps, num_training_steps=num_training_steps, **options)
    if name in _NEEDS_WARMUP_ONLY:
        return factory(optimizer, num_warmup_steps, **options)
    if num_training_steps is None:
        raise ValueError(f"{name} requires `num_training_steps`, please provide that argument.")
    return factory(optimizer, num_warmup_steps, num_training_steps, **options)
