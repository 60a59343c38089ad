"""Pure learning-rate schedules: closed forms of PyTorch's schedulers on step arrays.

Every function maps a step (an int, a float or a NumPy array of them) and a base rate (a number
or an array that broadcasts against the steps, e.g. one column per param group) to the rate at
that step, in float64, with the same arithmetic as PyTorch's closed forms.  The scheduler classes
in ``genesis.optim.lr_scheduler`` use them for ``step(epoch)`` and for previews; plots and the
CLI call them on ``np.arange(n)``.

    >>> cosine_annealing_lr(np.arange(5), base_lr=0.1, T_max=4).round(5).tolist()
    [0.1, 0.08536, 0.05, 0.01464, 0.0]
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "step_lr",
    "multistep_lr",
    "constant_lr",
    "linear_lr",
    "exponential_lr",
    "polynomial_lr",
    "cosine_annealing_lr",
    "warm_restart_position",
    "cosine_warm_restarts_lr",
    "cyclic_position",
    "cyclic_scale",
    "cyclic_lr",
    "cyclic_momentum",
    "one_cycle_phases",
    "anneal",
    "one_cycle",
]


def _f64(x):
    return np.asarray(x, dtype=np.float64)


def step_lr(step, base_lr, step_size: int, gamma: float = 0.1):
    """``base_lr * gamma ** (step // step_size)``: decay by ``gamma`` every ``step_size`` steps.

    >>> step_lr(np.array([0, 2, 3, 6]), 1.0, step_size=3, gamma=0.5).tolist()
    [1.0, 1.0, 0.5, 0.25]
    """
    return _f64(base_lr) * gamma ** (np.asarray(step) // step_size)


def multistep_lr(step, base_lr, milestones: Sequence[int], gamma: float = 0.1):
    """``base_lr * gamma ** (number of milestones <= step)`` (repeated milestones count twice).

    >>> multistep_lr(np.array([0, 2, 5, 9]), 1.0, milestones=[2, 5], gamma=0.1).round(6).tolist()
    [1.0, 0.1, 0.01, 0.01]
    """
    passed = np.searchsorted(np.sort(np.asarray(milestones, dtype=np.int64)), step, side="right")
    return _f64(base_lr) * gamma ** passed


def constant_lr(step, base_lr, factor: float = 1.0 / 3, total_iters: int = 5):
    """``base_lr * factor`` before ``total_iters``, ``base_lr`` from then on.

    >>> constant_lr(np.array([0, 4, 5]), 0.3, factor=0.5, total_iters=5).tolist()
    [0.15, 0.15, 0.3]
    """
    return _f64(base_lr) * (factor + (np.asarray(step) >= total_iters) * (1.0 - factor))


def linear_lr(step, base_lr, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
              total_iters: int = 5):
    """Factor moving linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` steps.

    ``base_lr * (start + (end - start) * min(step, total_iters) / total_iters)``

    >>> linear_lr(np.array([0, 2, 4, 9]), 1.0, start_factor=0.5, end_factor=1.0, total_iters=4).tolist()
    [0.5, 0.75, 1.0, 1.0]
    """
    progress = np.minimum(total_iters, np.asarray(step)) / total_iters
    return _f64(base_lr) * (start_factor + (end_factor - start_factor) * progress)


def exponential_lr(step, base_lr, gamma: float):
    """``base_lr * gamma ** step``.

    >>> exponential_lr(np.array([0, 1, 3]), 2.0, gamma=0.5).tolist()
    [2.0, 1.0, 0.25]
    """
    return _f64(base_lr) * gamma ** _f64(step)


def polynomial_lr(step, base_lr, total_iters: int = 5, power: float = 1.0):
    """``base_lr * (1 - min(step, total_iters) / total_iters) ** power``; 0 from ``total_iters`` on.

    >>> polynomial_lr(np.array([0, 2, 4, 6]), 1.0, total_iters=4, power=2.0).tolist()
    [1.0, 0.25, 0.0, 0.0]
    """
    remaining = 1.0 - np.minimum(total_iters, np.asarray(step)) / total_iters
    return _f64(base_lr) * remaining ** power


def cosine_annealing_lr(step, base_lr, T_max: int, eta_min: float = 0.0):
    """``eta_min + (base_lr - eta_min) * (1 + cos(pi * step / T_max)) / 2`` (period ``2 T_max``).

    >>> cosine_annealing_lr(np.array([0, 5, 10]), 1.0, T_max=10, eta_min=0.1).round(6).tolist()
    [1.0, 0.55, 0.1]
    """
    cos = np.cos(np.pi * _f64(step) / T_max)
    return eta_min + (_f64(base_lr) - eta_min) * (1 + cos) / 2


def warm_restart_position(step, T_0: int, T_mult: int = 1):
    """``(T_cur, T_i)`` of SGDR at ``step``: steps since the last restart and the cycle length.

    Cycle ``n`` starts at ``T_0 * (T_mult**n - 1) / (T_mult - 1)`` and lasts ``T_0 * T_mult**n``;
    found by exact integer search (no logarithms), fractional steps allowed.

    >>> [a.tolist() for a in warm_restart_position(np.array([0, 9, 10, 29, 30, 70]), 10, 2)]
    [[0.0, 9.0, 0.0, 19.0, 0.0, 0.0], [10, 10, 20, 20, 40, 80]]
    """
    step = _f64(step)
    if T_mult == 1:
        return np.mod(step, T_0), np.full(step.shape, T_0, dtype=np.int64)
    top = float(np.max(step)) if step.size else 0.0
    lengths = [T_0]
    starts = [0]
    while starts[-1] + lengths[-1] <= top:
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * T_mult)
    cycle = np.searchsorted(np.asarray(starts, dtype=np.float64), step, side="right") - 1
    return step - np.asarray(starts, dtype=np.float64)[cycle], np.asarray(lengths, dtype=np.int64)[cycle]


def cosine_warm_restarts_lr(step, base_lr, T_0: int, T_mult: int = 1, eta_min: float = 0.0):
    """SGDR: ``eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``.

    >>> cosine_warm_restarts_lr(np.array([0, 5, 10, 20]), 1.0, T_0=10, T_mult=2).round(6).tolist()
    [1.0, 0.5, 1.0, 0.5]
    """
    t_cur, t_i = warm_restart_position(step, T_0, T_mult)
    cos = np.cos(np.pi * t_cur / t_i)
    return eta_min + (_f64(base_lr) - eta_min) * (1 + cos) / 2


def cyclic_position(step, step_size_up: float, step_size_down: float | None = None):
    """``(cycle, height)`` of CyclicLR: the 1-based cycle number and the 0..1..0 triangle height.

    >>> [a.round(6).tolist() for a in cyclic_position(np.array([0, 2, 4, 6]), 4, 2)]
    [[1.0, 1.0, 1.0, 2.0], [0.0, 0.5, 1.0, 0.0]]
    """
    up = float(step_size_up)
    total = up + (float(step_size_down) if step_size_down is not None else up)
    ratio = up / total
    step = _f64(step)
    cycle = np.floor(1 + step / total)
    x = 1.0 + step / total - cycle
    height = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
    return cycle, height


def cyclic_scale(mode: str, gamma: float = 1.0) -> tuple[Callable, str]:
    """The built-in ``(scale_fn, scale_mode)`` of a CyclicLR ``mode``.

    ``triangular``: 1; ``triangular2``: halves every cycle; ``exp_range``: ``gamma**step``.
    """
    # Plain operators only, so the same functions serve Python numbers (the scheduler's step)
    # and arrays (previews).
    if mode == "triangular":
        return (lambda x: 0.0 * x + 1.0), "cycle"
    if mode == "triangular2":
        return (lambda x: 1 / (2.0 ** (x - 1))), "cycle"
    if mode == "exp_range":
        return (lambda x: gamma**x), "iterations"
    raise ValueError(f"mode must be 'triangular', 'triangular2' or 'exp_range', got {mode!r}")


def _cyclic_scaled_height(step, step_size_up, step_size_down, scale_fn, scale_mode):
    cycle, height = cyclic_position(step, step_size_up, step_size_down)
    argument = cycle if scale_mode == "cycle" else _f64(step)
    return height, _f64(scale_fn(argument))


def cyclic_lr(step, base_lr, max_lr, step_size_up: float = 2000, step_size_down=None,
              scale_fn: Callable | None = None, scale_mode: str = "cycle"):
    """CyclicLR: ``base_lr + (max_lr - base_lr) * height * scale_fn(cycle or step)``.

    ``scale_fn`` must accept arrays (see ``cyclic_scale``); ``None`` is the triangular policy.

    >>> cyclic_lr(np.array([0, 2, 4, 6, 8]), 0.1, 1.0, step_size_up=4).round(6).tolist()
    [0.1, 0.55, 1.0, 0.55, 0.1]
    """
    if scale_fn is None:
        scale_fn, scale_mode = cyclic_scale("triangular")
    height, scale = _cyclic_scaled_height(step, step_size_up, step_size_down, scale_fn, scale_mode)
    return _f64(base_lr) + (_f64(max_lr) - base_lr) * height * scale


def cyclic_momentum(step, base_momentum, max_momentum, step_size_up: float = 2000,
                    step_size_down=None, scale_fn: Callable | None = None,
                    scale_mode: str = "cycle"):
    """CyclicLR's momentum, cycled inversely: ``max_m - (max_m - base_m) * height * scale``."""
    if scale_fn is None:
        scale_fn, scale_mode = cyclic_scale("triangular")
    height, scale = _cyclic_scaled_height(step, step_size_up, step_size_down, scale_fn, scale_mode)
    return _f64(max_momentum) - (_f64(max_momentum) - base_momentum) * height * scale


def one_cycle_phases(total_steps: int, pct_start: float = 0.3, three_phase: bool = False):
    """OneCycleLR's phases: ``(end_step, start, end, start_momentum, end_momentum)`` each.

    The names refer to ``initial_lr = max_lr / div_factor``, ``max_lr``,
    ``min_lr = initial_lr / final_div_factor`` and ``max_momentum``/``base_momentum``.
    """
    rise = float(pct_start * total_steps) - 1
    if three_phase:
        return [
            (rise, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
            (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
        ]
    return [
        (rise, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
        (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
    ]


def anneal(start, end, pct, strategy: str = "cos", cos: Callable = np.cos):
    """From ``start`` (pct 0) to ``end`` (pct 1): half a cosine, or a straight line.

    ``cos`` lets the scheduler's per-step path pass ``math.cos`` for plain floats.
    """
    if strategy == "cos":
        return end + (start - end) / 2.0 * (cos(np.pi * pct) + 1)
    return (end - start) * pct + start


def one_cycle(step, values: dict, phases: list, strategy: str = "cos", momentum: bool = False):
    """OneCycleLR's rate (or momentum) at ``step`` from the named endpoint ``values``.

    ``values`` maps the names in ``one_cycle_phases`` to numbers or per-group arrays (pass the
    steps as a column, ``steps[:, None]``, to get one column per group).

    >>> v = {"initial_lr": 0.04, "max_lr": 1.0, "min_lr": 4e-6}
    >>> one_cycle(np.array([0, 2, 9]), v, one_cycle_phases(10, 0.3)).round(6).tolist()
    [0.04, 1.0, 4e-06]
    """
    step = _f64(step)
    out = None
    start_step = 0.0
    lower = -np.inf
    for index, phase in enumerate(phases):
        end_step = phase[0]
        first, last = (phase[3], phase[4]) if momentum else (phase[1], phase[2])
        upper = np.inf if index == len(phases) - 1 else end_step
        inside = (step > lower) & (step <= upper)
        with np.errstate(divide="ignore", invalid="ignore"):  # an empty phase is masked out
            pct = (step - start_step) / (end_step - start_step)
        value = anneal(_f64(values[first]), _f64(values[last]), pct, strategy)
        out = np.where(inside, value, 0.0 if out is None else out)
        start_step, lower = end_step, max(lower, upper)
    return out
