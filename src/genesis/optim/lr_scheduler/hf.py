"""The Hugging Face schedule family: ``get_cosine_schedule_with_warmup`` and friends.

Every factory checks its arguments and returns a ``LambdaLR`` whose ``lr_lambda`` is a
``Schedule`` (a registered function of ``schedules`` bound to plain arguments: saved, written
out and evaluated on arrays).  The formulas, names and defaults are ``transformers.optimization``'s;
where we differ, it is to turn a crash or a silent surprise into a clear error:

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

import math
from types import MappingProxyType
from typing import Any, Callable, Mapping

from .checks import check_int, check_real
from .multiplicative import LambdaLR
from .plateau import ReduceLROnPlateau
from .schedules import Schedule

__all__ = [
    "get_constant_schedule", "get_constant_schedule_with_warmup", "get_linear_schedule_with_warmup",
    "get_cosine_schedule_with_warmup", "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup", "get_inverse_sqrt_schedule",
    "get_cosine_with_min_lr_schedule_with_warmup", "get_wsd_schedule", "get_scheduler",
    "SCHEDULER_NAMES",
]

_SHAPES = ("linear", "cosine", "1-sqrt")


def _real(name: str, value: Any, low: float, high: float = math.inf,
          open_low: bool = False) -> float:
    """``value`` as a float in ``[low, high]`` (``(low, high]`` if ``open_low``); else raise."""
    inside = (lambda v: low < v <= high) if open_low else (lambda v: low <= v <= high)
    return float(check_real(name, value, f"in {'(' if open_low else '['}{low}, {high}]", inside))


def _warmup_and_total(num_warmup_steps: Any, num_training_steps: Any) -> tuple[int, int]:
    warmup = check_int("num_warmup_steps", num_warmup_steps, 0)
    total = check_int("num_training_steps", num_training_steps, 1)
    if warmup > total:
        raise ValueError(f"num_warmup_steps ({warmup}) must not exceed num_training_steps "
                         f"({total})")
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
    raise TypeError(f"optimizer must be an optimizer with defaults['lr'] or param_groups (a "
                    f"Genesis or PyTorch optimizer), got {type(optimizer).__name__}")


def _cosine(warmup: int, total: int, cycles: float, min_lr_rate: float) -> Schedule:
    return Schedule("cosine_with_warmup", num_warmup_steps=warmup, num_training_steps=total,
                    num_cycles=cycles, min_lr_rate=min_lr_rate)


def get_constant_schedule(optimizer: Any, last_epoch: int = -1) -> LambdaLR:
    """A constant rate: the optimizer's own."""
    return LambdaLR(optimizer, Schedule("constant"), last_epoch=last_epoch)


def get_constant_schedule_with_warmup(optimizer: Any, num_warmup_steps: int,
                                      last_epoch: int = -1) -> LambdaLR:
    """Linear warmup from 0 to the optimizer's rate over ``num_warmup_steps``, then constant.

    ``factor(step) = step / num_warmup_steps`` while ``step < num_warmup_steps``, else 1.
    """
    warmup = check_int("num_warmup_steps", num_warmup_steps, 0)
    schedule = Schedule("constant_with_warmup", num_warmup_steps=warmup)
    return LambdaLR(optimizer, schedule, last_epoch=last_epoch)


def get_linear_schedule_with_warmup(optimizer: Any, num_warmup_steps: int, num_training_steps: int,
                                    last_epoch: int = -1) -> LambdaLR:
    """Linear warmup from 0 to the optimizer's rate, then linear decay to 0 at step T.

    ``factor = step / W`` for ``step < W``, else ``max(0, (T - step) / (T - W))``.
    """
    warmup, total = _warmup_and_total(num_warmup_steps, num_training_steps)
    schedule = Schedule("linear_with_warmup", num_warmup_steps=warmup, num_training_steps=total)
    return LambdaLR(optimizer, schedule, last_epoch=last_epoch)


def get_cosine_schedule_with_warmup(optimizer: Any, num_warmup_steps: int, num_training_steps: int,
                                    num_cycles: float = 0.5, last_epoch: int = -1) -> LambdaLR:
    """Linear warmup to the optimizer's rate, then a cosine decay to 0 at ``num_training_steps``.

    ``factor = step / W`` for ``step < W``, else ``max(0, 0.5 * (1 + cos(2 pi c p)))`` with
    ``p = (step - W) / (T - W)``; the default ``c = num_cycles = 0.5`` is one half cosine wave.

    Example (base 0.1, warmup 10, total 110: 0 at step 0, 0.1 at 10, 0.05 at 60, 0 at 110):
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = get_cosine_schedule_with_warmup(opt, num_warmup_steps=10, num_training_steps=110)
        >>> s.lr_at([0, 5, 10, 60, 110])[:, 0].round(6).tolist()
        [0.0, 0.05, 0.1, 0.05, 0.0]
    """
    warmup, total = _warmup_and_total(num_warmup_steps, num_training_steps)
    cycles = _real("num_cycles", num_cycles, 0.0, open_low=True)
    return LambdaLR(optimizer, _cosine(warmup, total, cycles, 0.0), last_epoch=last_epoch)


def get_cosine_with_hard_restarts_schedule_with_warmup(
        optimizer: Any, num_warmup_steps: int, num_training_steps: int, num_cycles: int = 1,
        last_epoch: int = -1) -> LambdaLR:
    """Linear warmup, then ``num_cycles`` cosine decays from the rate to 0, each from the top.

    ``factor = 0.5 * (1 + cos(pi * ((c p) mod 1)))`` for ``p = (step - W) / (T - W) < 1``, then 0.
    """
    warmup, total = _warmup_and_total(num_warmup_steps, num_training_steps)
    cycles = _real("num_cycles", num_cycles, 0.0, open_low=True)
    schedule = Schedule("cosine_with_hard_restarts_with_warmup", num_warmup_steps=warmup,
                        num_training_steps=total, num_cycles=cycles)
    return LambdaLR(optimizer, schedule, last_epoch=last_epoch)


def get_polynomial_decay_schedule_with_warmup(
        optimizer: Any, num_warmup_steps: int, num_training_steps: int, lr_end: float = 1e-7,
        power: float = 1.0, last_epoch: int = -1) -> LambdaLR:
    """Linear warmup, then a polynomial decay from the optimizer's rate to ``lr_end``.

    With ``lr_init = optimizer.defaults["lr"]`` and ``p = (step - W) / (T - W)``:
    ``lr = (lr_init - lr_end) * (1 - p) ** power + lr_end``, and ``lr_end`` after step T.

    Example (lr 0.1 to 0.01, power 2, no warmup: halfway is 0.09 * 0.25 + 0.01):
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = get_polynomial_decay_schedule_with_warmup(opt, 0, 10, lr_end=0.01, power=2.0)
        >>> s.lr_at([0, 5, 10, 20])[:, 0].round(6).tolist()
        [0.1, 0.0325, 0.01, 0.01]
    """
    warmup, total = _warmup_and_total(num_warmup_steps, num_training_steps)
    power = _real("power", power, 0.0, open_low=True)
    lr_end = _real("lr_end", lr_end, 0.0)
    lr_init = _optimizer_lr(optimizer)
    if not lr_init > lr_end:
        raise ValueError(f"lr_end ({lr_end}) must be smaller than the optimizer's initial lr "
                         f"({lr_init})")
    schedule = Schedule("polynomial_decay_with_warmup", num_warmup_steps=warmup,
                        num_training_steps=total, lr_end=lr_end, power=power, lr_init=lr_init)
    return LambdaLR(optimizer, schedule, last_epoch=last_epoch)


def get_inverse_sqrt_schedule(optimizer: Any, num_warmup_steps: int, timescale: int | None = None,
                              last_epoch: int = -1) -> LambdaLR:
    """Linear warmup, then ``1 / sqrt((step + timescale - W) / timescale)`` times the rate.

    ``timescale`` defaults to ``num_warmup_steps`` (or 10,000 when there is no warmup).
    """
    warmup = check_int("num_warmup_steps", num_warmup_steps, 0)
    if timescale is None:
        timescale = warmup or 10_000
    timescale = check_int("timescale", timescale, 1)
    schedule = Schedule("inverse_sqrt", num_warmup_steps=warmup, timescale=timescale)
    return LambdaLR(optimizer, schedule, last_epoch=last_epoch)


def get_cosine_with_min_lr_schedule_with_warmup(
        optimizer: Any, num_warmup_steps: int, num_training_steps: int, num_cycles: float = 0.5,
        last_epoch: int = -1, min_lr: float | None = None,
        min_lr_rate: float | None = None) -> LambdaLR:
    """Cosine with warmup that decays to ``min_lr`` (or ``min_lr_rate`` times the rate), not 0.

    Give exactly one of ``min_lr`` (absolute, divided by ``optimizer.defaults["lr"]``) and
    ``min_lr_rate``. ``factor = r + (1 - r) * 0.5 * (1 + cos(2 pi c p))`` after warmup.
    """
    warmup, total = _warmup_and_total(num_warmup_steps, num_training_steps)
    cycles = _real("num_cycles", num_cycles, 0.0, open_low=True)
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError(f"give only one of min_lr and min_lr_rate, got min_lr={min_lr!r} and "
                         f"min_lr_rate={min_lr_rate!r}")
    if min_lr is not None:
        lr_init = _optimizer_lr(optimizer)
        min_lr = _real("min_lr", min_lr, 0.0, lr_init)
        min_lr_rate = min_lr / lr_init
    elif min_lr_rate is None:
        raise ValueError("one of min_lr or min_lr_rate must be given (both are None)")
    rate = _real("min_lr_rate", min_lr_rate, 0.0, 1.0)
    return LambdaLR(optimizer, _cosine(warmup, total, cycles, rate), last_epoch=last_epoch)


def get_wsd_schedule(optimizer: Any, num_warmup_steps: int, num_decay_steps: int,
                     num_training_steps: int | None = None, num_stable_steps: int | None = None,
                     warmup_type: str = "linear", decay_type: str = "cosine",
                     min_lr_ratio: float = 0, num_cycles: float = 0.5,
                     last_epoch: int = -1) -> LambdaLR:
    """Warmup-stable-decay: warm up, hold the rate, decay to ``min_lr_ratio`` times it, then hold.

    Give ``num_training_steps`` (the stable phase is what warmup and decay leave of it) or
    ``num_stable_steps``. ``warmup_type`` and ``decay_type`` are "linear", "cosine" or "1-sqrt";
    see ``schedules.warmup_stable_decay`` for the formulas.

    Example (2 warmup, 2 stable, 2 linear decay steps to 10% of 0.1):
        >>> opt = genesis.optim.SGD(genesis.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = get_wsd_schedule(opt, 2, 2, num_training_steps=6, decay_type="linear",
        ...                      min_lr_ratio=0.1)
        >>> s.lr_at(range(8))[:, 0].round(6).tolist()
        [0.01, 0.055, 0.1, 0.1, 0.1, 0.055, 0.01, 0.01]
    """
    warmup = check_int("num_warmup_steps", num_warmup_steps, 0)
    decay = check_int("num_decay_steps", num_decay_steps, 0)
    if num_training_steps is None and num_stable_steps is None:
        raise ValueError("get_wsd_schedule needs num_training_steps or num_stable_steps (both "
                         "are None)")
    if num_stable_steps is not None:
        stable = check_int("num_stable_steps", num_stable_steps, 0)
    if num_training_steps is not None:
        total = check_int("num_training_steps", num_training_steps, 1)
        if warmup + decay > total:
            raise ValueError(f"num_warmup_steps + num_decay_steps ({warmup} + {decay}) must not "
                             f"exceed num_training_steps ({total})")
        if num_stable_steps is not None and warmup + stable + decay != total:
            raise ValueError(f"num_warmup_steps + num_stable_steps + num_decay_steps ({warmup} + "
                             f"{stable} + {decay}) must equal num_training_steps ({total}) when "
                             "both are given")
        stable = total - warmup - decay
    schedule = Schedule(
        "warmup_stable_decay", num_warmup_steps=warmup, num_stable_steps=stable,
        num_decay_steps=decay, warmup_type=_shape("warmup_type", warmup_type),
        decay_type=_shape("decay_type", decay_type),
        min_lr_ratio=_real("min_lr_ratio", min_lr_ratio, 0.0, 1.0),
        num_cycles=_real("num_cycles", num_cycles, 0.0, open_low=True))
    return LambdaLR(optimizer, schedule, last_epoch=last_epoch)


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


def get_scheduler(name: str, optimizer: Any, num_warmup_steps: int | None = None,
                  num_training_steps: int | None = None,
                  scheduler_specific_kwargs: dict[str, Any] | None = None,
                  **kwargs: Any) -> LambdaLR | ReduceLROnPlateau:
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
        raise ValueError(f"unknown scheduler name {name!r}; valid names are: "
                         f"{', '.join(SCHEDULER_NAMES)}")
    options = dict(scheduler_specific_kwargs or {})
    clash = sorted(options.keys() & kwargs.keys())
    if clash:
        raise TypeError(f"get_scheduler got {clash} both in scheduler_specific_kwargs and as "
                        "keywords")
    options.update(kwargs)
    factory = _FACTORIES[name]
    if name in _NEEDS_NOTHING:
        return factory(optimizer, **options)
    if num_warmup_steps is None:
        raise ValueError(f"{name} requires `num_warmup_steps`, please provide that argument.")
    if name == "warmup_stable_decay":
        if "num_decay_steps" not in options:
            raise ValueError("warmup_stable_decay requires `num_decay_steps`, please provide it in "
                             "scheduler_specific_kwargs (or as a keyword argument).")
        return factory(optimizer, num_warmup_steps, num_training_steps=num_training_steps,
                       **options)
    if name in _NEEDS_WARMUP_ONLY:
        return factory(optimizer, num_warmup_steps, **options)
    if num_training_steps is None:
        raise ValueError(f"{name} requires `num_training_steps`, please provide that argument.")
    return factory(optimizer, num_warmup_steps, num_training_steps, **options)
