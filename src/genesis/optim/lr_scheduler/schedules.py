"""Pure learning-rate schedules: the closed form of every schedule, vectorised over steps.

Every function maps a step (an int or a NumPy array) to a float64 rate or factor with NumPy
array operations only (optax style).  The PyTorch family takes the base rate (a number, or a row
per param group against a column of steps); the Hugging Face family returns the factor of the
base rate, and a registered one bound to its arguments is a ``Schedule`` (a describable
``lr_lambda``); ``range_test_lr`` is the LR finder's ramp.

    >>> cosine_annealing_lr(np.arange(5), base_lr=0.1, T_max=4).round(5).tolist()
    [0.1, 0.08536, 0.05, 0.01464, 0.0]
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "step_lr", "multistep_lr", "constant_lr", "linear_lr", "exponential_lr", "polynomial_lr",
    "cosine_annealing_lr", "warm_restart_position", "cosine_warm_restarts_lr", "cyclic_lr",
    "one_cycle_phases", "one_cycle", "multiplicative_lr", "swa_annealing_lr",
    "range_test_lr",
    "constant", "constant_with_warmup", "linear_with_warmup", "cosine_with_warmup",
    "cosine_with_hard_restarts_with_warmup", "polynomial_decay_with_warmup", "inverse_sqrt",
    "warmup_stable_decay", "SCHEDULES", "register_schedule", "Schedule", "call_vectorised",
]


def _f64(x):
    return np.asarray(x, dtype=np.float64)


# --- the PyTorch family: rates from the base rate ------------------------------------------------


def step_lr(step, base_lr, step_size: int, gamma: float = 0.1):
    """``base_lr * gamma ** (step // step_size)``: decay by ``gamma`` every ``step_size`` steps."""
    return _f64(base_lr) * gamma ** (np.asarray(step) // step_size)


def multistep_lr(step, base_lr, milestones: Sequence[int], gamma: float = 0.1):
    """``base_lr * gamma ** (number of milestones <= step)`` (repeated milestones count twice)."""
    passed = np.searchsorted(np.sort(np.asarray(milestones, dtype=np.int64)), step, side="right")
    return _f64(base_lr) * gamma ** passed


def constant_lr(step, base_lr, factor: float = 1.0 / 3, total_iters: int = 5):
    """``base_lr * factor`` before ``total_iters``, ``base_lr`` from then on."""
    return _f64(base_lr) * (factor + (np.asarray(step) >= total_iters) * (1.0 - factor))


def linear_lr(step, base_lr, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
              total_iters: int = 5):
    """``base_lr * (start + (end - start) * min(step, total_iters) / total_iters)``."""
    progress = np.minimum(total_iters, np.asarray(step)) / total_iters
    return _f64(base_lr) * (start_factor + (end_factor - start_factor) * progress)


def exponential_lr(step, base_lr, gamma: float):
    """``base_lr * gamma ** step``."""
    return _f64(base_lr) * gamma ** _f64(step)


def polynomial_lr(step, base_lr, total_iters: int = 5, power: float = 1.0):
    """``base_lr * (1 - min(step, total_iters) / total_iters) ** power`` (0 from total_iters)."""
    remaining = 1.0 - np.minimum(total_iters, np.asarray(step)) / total_iters
    return _f64(base_lr) * remaining ** power


def cosine_annealing_lr(step, base_lr, T_max: int, eta_min: float = 0.0):
    """``eta_min + (base_lr - eta_min) * (1 + cos(pi * step / T_max)) / 2`` (period ``2 T_max``)."""
    # In place (the formula's operations in its order), so that 10**6 steps stay fast.
    wave = np.multiply(np.pi, _f64(step))
    wave /= T_max
    np.cos(wave, out=wave)
    wave += 1
    rates = np.multiply(_f64(base_lr) - eta_min, wave)
    rates /= 2
    rates += eta_min
    return rates


def warm_restart_position(step, T_0: int, T_mult: int = 1):
    """``(T_cur, T_i)`` of SGDR at ``step``: steps since the last restart and the cycle length,
    found by exact search (no logarithms) over the cycles' starts.

    >>> [a.tolist() for a in warm_restart_position(np.array([0, 9, 10, 29, 30, 70]), 10, 2)]
    [[0.0, 9.0, 0.0, 19.0, 0.0, 0.0], [10, 10, 20, 20, 40, 80]]
    """
    step = _f64(step)
    if T_mult == 1:
        return np.mod(step, T_0), np.full(step.shape, T_0, dtype=np.int64)
    top = float(np.max(step)) if step.size else 0.0
    lengths, starts = [T_0], [0]
    while starts[-1] + lengths[-1] <= top:
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * T_mult)
    cycle = np.searchsorted(np.asarray(starts, dtype=np.float64), step, side="right") - 1
    starts, lengths = np.asarray(starts, dtype=np.float64), np.asarray(lengths, dtype=np.int64)
    return step - starts[cycle], lengths[cycle]


def cosine_warm_restarts_lr(step, base_lr, T_0: int, T_mult: int = 1, eta_min: float = 0.0):
    """SGDR: ``eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``."""
    t_cur, t_i = warm_restart_position(step, T_0, T_mult)
    return eta_min + (_f64(base_lr) - eta_min) * (1 + np.cos(np.pi * t_cur / t_i)) / 2


def cyclic_lr(step, base_lr, max_lr, step_size_up: float = 2000, step_size_down=None,
              scale_fn: Callable | None = None, scale_mode: str = "cycle"):
    """CyclicLR: ``base_lr + (max_lr - base_lr) * height * scale_fn(cycle or step)``.

    ``height`` rises 0 to 1 over ``step_size_up`` steps and falls back over ``step_size_down``;
    ``scale_fn`` (default: 1, the triangular policy) is called once, on an array.

    >>> cyclic_lr(np.array([0, 2, 4, 6, 8]), 0.1, 1.0, step_size_up=4).round(6).tolist()
    [0.1, 0.55, 1.0, 0.55, 0.1]
    """
    up = float(step_size_up)
    total = up + (float(step_size_down) if step_size_down is not None else up)
    ratio = up / total
    step = _f64(step)
    cycle = np.floor(1 + step / total)
    x = 1.0 + step / total - cycle
    height = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
    scale = 1.0 if scale_fn is None else _f64(scale_fn(cycle if scale_mode == "cycle" else step))
    return _f64(base_lr) + (_f64(max_lr) - base_lr) * height * scale


def one_cycle_phases(total_steps: int, pct_start: float = 0.3, three_phase: bool = False):
    """OneCycleLR's phases, ``(end_step, start, end, start_momentum, end_momentum)`` each, naming
    ``initial_lr``, ``max_lr``, ``min_lr`` and ``max_momentum``/``base_momentum``."""
    up, down = ("max_momentum", "base_momentum"), ("base_momentum", "max_momentum")
    phases = [(float(pct_start * total_steps) - 1, "initial_lr", "max_lr", *up)]
    if not three_phase:
        return phases + [(total_steps - 1, "max_lr", "min_lr", *down)]
    return phases + [(float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", *down),
                     (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]


def one_cycle(step, values: dict, phases: list, strategy: str = "cos"):
    """OneCycleLR's rate at ``step`` from the named endpoints ``values`` (numbers or group rows).

    >>> v = {"initial_lr": 0.04, "max_lr": 1.0, "min_lr": 4e-6}
    >>> one_cycle(np.array([0, 2, 9]), v, one_cycle_phases(10, 0.3)).round(6).tolist()
    [0.04, 1.0, 4e-06]
    """
    step = _f64(step)
    out, start_step, lower = 0.0, 0.0, -np.inf
    for index, (end_step, first, last, *_) in enumerate(phases):
        upper = np.inf if index == len(phases) - 1 else end_step
        with np.errstate(divide="ignore", invalid="ignore"):  # an empty phase is masked out
            pct = (step - start_step) / (end_step - start_step)
        start, end = _f64(values[first]), _f64(values[last])  # half a cosine, or a straight line
        value = (end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1) if strategy == "cos"
                 else (end - start) * pct + start)
        out = np.where((step > lower) & (step <= upper), value, out)
        start_step, lower = end_step, max(lower, upper)
    return out


def multiplicative_lr(step, base_lr, factors: Callable[[np.ndarray], np.ndarray]):
    """MultiplicativeLR: ``base_lr * f(1) * ... * f(step)``; ``factors`` gives ``f`` on arrays."""
    step = np.asarray(step, dtype=np.int64)
    top = int(step.max()) if step.size else 0
    running = np.cumprod(np.concatenate([[1.0], _f64(factors(np.arange(1, top + 1)))]))
    return _f64(base_lr) * running[step]


def swa_annealing_lr(step, start_lr, swa_lr, anneal_epochs: int = 10,
                     anneal_strategy: str = "cos"):
    """SWALR: from ``start_lr`` to ``swa_lr`` over ``anneal_epochs`` steps, then ``swa_lr``.

    ``swa_lr * alpha + start_lr * (1 - alpha)`` with ``alpha = anneal(t)``, ``t = step /
    max(1, anneal_epochs)`` clipped to [0, 1], ``anneal`` ``(1 - cos(pi t)) / 2`` (``"cos"``) or
    ``t`` (``"linear"``); ``anneal_epochs=0`` is ``swa_lr`` from step 0 on.  ``step`` counts from
    the step at which annealing started (0: the rate is still ``start_lr``).

    >>> swa_annealing_lr(np.arange(6), 1.0, 0.2, anneal_epochs=4).round(6).tolist()
    [1.0, 0.882843, 0.6, 0.317157, 0.2, 0.2]
    >>> swa_annealing_lr(np.arange(3), 1.0, 0.2, 2, "linear").tolist()
    [1.0, 0.6, 0.2]
    """
    step = np.asarray(step)
    if anneal_epochs == 0:
        step = np.maximum(step, 1)
    t = np.clip(step / max(1, anneal_epochs), 0.0, 1.0)
    if anneal_strategy == "cos":
        # Near the end of a long anneal 1 - alpha keeps few digits, so alpha must be the value
        # the stepping scheduler computes: Python's cosine of each distinct t (at most
        # anneal_epochs + 1), not NumPy's SIMD one (which may round one ulp differently).
        distinct, where = np.unique(t, return_inverse=True)
        alphas = np.array([(1 - math.cos(math.pi * v)) / 2 for v in distinct.tolist()])
        t = alphas[where].reshape(t.shape)
    return _f64(swa_lr) * t + _f64(start_lr) * (1 - t)


def range_test_lr(step, start_lr: float, end_lr: float, num_iter: int, step_mode: str = "exp"):
    """The LR range test's ramp: ``start_lr`` at step 0 to ``end_lr`` at ``num_iter - 1``.

    ``"exp"``: ``start_lr * (end_lr / start_lr) ** (step / (num_iter - 1))`` (geometric);
    ``"linear"``: ``start_lr + (end_lr - start_lr) * step / (num_iter - 1)``.

    >>> range_test_lr(np.arange(3), 1e-3, 1e-1, 3).round(12).tolist()
    [0.001, 0.01, 0.1]
    >>> range_test_lr(np.arange(3), 0.1, 0.3, 3, "linear").round(12).tolist()
    [0.1, 0.2, 0.3]
    """
    fraction = _f64(step) / (num_iter - 1)
    if step_mode == "exp":
        return start_lr * (end_lr / start_lr) ** fraction
    return start_lr + (end_lr - start_lr) * fraction


# --- the Hugging Face family: factors of the base rate -------------------------------------

SCHEDULES: dict[str, Callable] = {}
"""The registered schedule functions, by name (what a ``Schedule`` and a config refer to)."""


def register_schedule(function: Callable | None = None, *, name: str | None = None):
    """Register ``f(step, **arguments) -> factor`` (vectorised) under ``name`` (default: its
    own), for ``Schedule(name, **arguments)``: ``@register_schedule`` or
    ``@register_schedule(name=...)``.  A name taken by another function raises ``ValueError``."""
    def register(fn: Callable) -> Callable:
        key = name or fn.__name__
        known = SCHEDULES.get(key)
        if known is not None and known is not fn and (known.__module__, known.__qualname__) != (
                fn.__module__, fn.__qualname__):
            raise ValueError(f"a schedule named {key!r} is already registered "
                             f"({known.__module__}.{known.__qualname__}); choose another name")
        SCHEDULES[key] = fn
        return fn

    return register(function) if function is not None else register


def _ramp(steps, num_warmup_steps: int):
    """Linear warmup ``step / max(1, num_warmup_steps)``."""
    return steps / max(1, num_warmup_steps)


@register_schedule
def constant(step):
    """Always 1: the optimizer's rate, unchanged."""
    return np.ones_like(_f64(step))


@register_schedule
def constant_with_warmup(step, num_warmup_steps: int):
    """``step / warmup`` during warmup, then 1."""
    step = _f64(step)
    return np.where(step < num_warmup_steps, _ramp(step, num_warmup_steps), 1.0)


@register_schedule
def linear_with_warmup(step, num_warmup_steps: int, num_training_steps: int):
    """Warmup, then ``max(0, (T - step) / max(1, T - warmup))``: linear from 1 to 0 at step T."""
    step = _f64(step)
    span = max(1, num_training_steps - num_warmup_steps)
    decay = np.maximum(0.0, (num_training_steps - step) / span)
    return np.where(step < num_warmup_steps, _ramp(step, num_warmup_steps), decay)


@register_schedule
def cosine_with_warmup(step, num_warmup_steps: int, num_training_steps: int,
                       num_cycles: float = 0.5, min_lr_rate: float = 0.0):
    """Warmup, then ``r + (1 - r) * 0.5 * (1 + cos(2 pi c p))``, floored at 0.

    ``p = (step - warmup) / max(1, T - warmup)`` is the decay progress, ``c`` = ``num_cycles``,
    ``r`` = ``min_lr_rate`` (0 for the plain cosine schedule).
    """
    steps = _f64(step)
    # In place (one buffer) so that a 10**6-step preview stays fast; every operation, and its
    # order, is that of the formula above.
    out = np.subtract(steps, num_warmup_steps, out=np.empty_like(steps))
    out /= max(1, num_training_steps - num_warmup_steps)
    out *= np.pi * num_cycles * 2.0
    np.cos(out, out=out)
    out += 1.0
    out *= 0.5
    if min_lr_rate:
        out *= 1.0 - min_lr_rate
        out += min_lr_rate
    np.maximum(out, 0.0, out=out)
    if num_warmup_steps:
        np.divide(steps, num_warmup_steps, out=out, where=steps < num_warmup_steps)
    return out


@register_schedule
def cosine_with_hard_restarts_with_warmup(step, num_warmup_steps: int, num_training_steps: int,
                                          num_cycles: float = 1):
    """Warmup, then ``0.5 * (1 + cos(pi * ((c p) mod 1)))`` for ``p < 1`` (c restarts), then 0."""
    step = _f64(step)
    progress = (step - num_warmup_steps) / max(1, num_training_steps - num_warmup_steps)
    wave = np.maximum(0.0, 0.5 * (1.0 + np.cos(np.pi * np.mod(num_cycles * progress, 1.0))))
    return np.where(step < num_warmup_steps, _ramp(step, num_warmup_steps),
                    np.where(progress >= 1.0, 0.0, wave))


@register_schedule
def polynomial_decay_with_warmup(step, num_warmup_steps: int, num_training_steps: int,
                                 lr_end: float, power: float, lr_init: float):
    """Warmup, then ``((lr_init - lr_end) * (1 - p) ** power + lr_end) / lr_init``; past T,
    ``lr_end / lr_init``."""
    step = _f64(step)
    # Clipped so that the branches np.where discards never take a negative base to a power.
    span = max(1, num_training_steps - num_warmup_steps)
    remaining = np.clip(1.0 - (step - num_warmup_steps) / span, 0.0, 1.0)
    decay = ((lr_init - lr_end) * remaining**power + lr_end) / lr_init
    decay = np.where(step > num_training_steps, lr_end / lr_init, decay)
    return np.where(step < num_warmup_steps, _ramp(step, num_warmup_steps), decay)


@register_schedule
def inverse_sqrt(step, num_warmup_steps: int, timescale: int):
    """Warmup, then ``1 / sqrt((step + timescale - warmup) / timescale)`` (1 when warm)."""
    step = _f64(step)
    shifted = np.maximum(step, num_warmup_steps) + timescale - num_warmup_steps
    decay = 1.0 / np.sqrt(shifted / timescale)
    return np.where(step < num_warmup_steps, _ramp(step, num_warmup_steps), decay)


_WARMUP_SHAPES = {"linear": lambda q: q, "cosine": lambda q: 0.5 * (1.0 - np.cos(np.pi * q)),
                  "1-sqrt": lambda q: 1.0 - np.sqrt(1.0 - q)}


@register_schedule
def warmup_stable_decay(step, num_warmup_steps: int, num_stable_steps: int, num_decay_steps: int,
                        warmup_type: str = "linear", decay_type: str = "cosine",
                        min_lr_ratio: float = 0.0, num_cycles: float = 0.5):
    """Warmup (linear, cosine or 1-sqrt) from ``min_lr_ratio`` to 1, hold 1, decay back, then hold.

    With ``q`` the progress through a phase and ``m`` = ``min_lr_ratio``, a phase's shape ``s(q)``
    maps to ``m + (1 - m) * s(q)``: warmup shapes ``q``, ``0.5 * (1 - cos(pi q))``,
    ``1 - sqrt(1 - q)``; decay shapes ``1 - q``, ``0.5 * (1 + cos(2 pi c q))``, ``1 - sqrt(q)``.
    """
    step = _f64(step)
    decay_start = num_warmup_steps + num_stable_steps
    # Progress clipped to [0, 1] so that discarded branches stay finite (no sqrt of negatives).
    warm_q = np.clip(step / max(1, num_warmup_steps), 0.0, 1.0)
    decay_q = np.clip((step - decay_start) / max(1, num_decay_steps), 0.0, 1.0)
    if decay_type == "linear":
        decay_shape = 1.0 - decay_q
    elif decay_type == "cosine":
        decay_shape = 0.5 * (1.0 + np.cos(np.pi * num_cycles * 2.0 * decay_q))
    else:
        decay_shape = 1.0 - np.sqrt(decay_q)
    warm_shape = _WARMUP_SHAPES[warmup_type](warm_q)
    warm = np.maximum(0.0, warm_shape * (1.0 - min_lr_ratio) + min_lr_ratio)
    decay = np.maximum(0.0, decay_shape * (1.0 - min_lr_ratio) + min_lr_ratio)
    phases = [step < num_warmup_steps, step < decay_start, step < decay_start + num_decay_steps]
    return np.select(phases, [warm, 1.0, decay], min_lr_ratio)


class Schedule:
    """A registered schedule function bound to its arguments: a vectorised, describable
    ``lr_lambda`` (a float for a step, an array for an array of steps).  Its attributes are plain
    data, which ``LambdaLR.state_dict`` stores as PyTorch stores a callable's ``__dict__``.

        >>> import numpy as np
        >>> s = Schedule("cosine_with_warmup", num_warmup_steps=10, num_training_steps=110)
        >>> s(60), s(np.array([0, 5, 10])).tolist()
        (0.5, [0.0, 0.5, 1.0])
    """

    def __init__(self, schedule: str, **arguments: Any) -> None:
        function = SCHEDULES.get(schedule)
        if function is None:
            raise ValueError(f"no schedule named {schedule!r} is registered; registered: "
                             f"{', '.join(sorted(SCHEDULES))} (add one with @register_schedule)")
        try:
            inspect.signature(function).bind(0, **arguments)
        except TypeError as error:
            raise TypeError(f"Schedule({schedule!r}): {error}") from None
        self.schedule = schedule
        self.__dict__.update(arguments)

    def arguments(self) -> dict[str, Any]:
        """The arguments the schedule function is called with (every attribute but the name)."""
        return {key: value for key, value in vars(self).items() if key != "schedule"}

    def __call__(self, step: Any) -> Any:
        values = SCHEDULES[self.schedule](_f64(step), **self.arguments())
        return values if isinstance(step, np.ndarray) else float(values)

    def __repr__(self) -> str:
        fields = ", ".join(f"{key}={value!r}" for key, value in self.arguments().items())
        return f"Schedule({self.schedule!r}{', ' if fields else ''}{fields})"


def call_vectorised(fn: Callable, values: np.ndarray) -> np.ndarray:
    """``fn`` at every entry of ``values`` as float64: one call on the whole array when ``fn``
    accepts arrays (a ``Schedule`` does), else a Python loop over the entries."""
    try:
        # NaN from an invalid power or division is reported by the caller's check, by epoch.
        with np.errstate(all="ignore"):
            out = fn(values)
        if isinstance(out, np.ndarray) and out.shape == values.shape:
            return out.astype(np.float64)
    except Exception:  # plain Python lambdas (math.cos, if/else) reject arrays: loop instead
        pass
    looped = np.array([fn(v.item()) for v in values.reshape(-1)], dtype=np.float64)
    return looped.reshape(values.shape)
