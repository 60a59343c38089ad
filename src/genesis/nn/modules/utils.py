"""Argument checks and helpers the layers share (PyTorch keeps ``_pair`` and friends here too)."""
from __future__ import annotations

import collections.abc
import numbers
from typing import Any

from genesis.backend import xp
from genesis.tensor import Tensor


def _check_tensor(name: str, value: object) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a genesis.Tensor, got {type(value).__name__}")


def _check_positive_int(name: str, value: Any, allow_zero: bool = True) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < (0 if allow_zero else 1):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {kind} int, got {value!r}")


def _ntuple(n: int, name: str = "parse"):
    """A parser that repeats a single value ``n`` times and turns an iterable into a tuple."""
    def parse(x: Any) -> tuple:
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            return tuple(x)
        return (x,) * n

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")


def _reverse_repeat_tuple(t: tuple, n: int) -> tuple:
    """Reverse ``t`` and repeat each entry ``n`` times: a conv's padding as ``F.pad`` wants it."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _int_tuple(name: str, value: Any, n: int, minimum: int | None = None) -> tuple[int, ...]:
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` Python ints, each ``>= minimum``.

    Raises a TypeError for non-integers (PyTorch refuses ``kernel_size=2.0`` too) and a
    ValueError naming ``name`` for the wrong count or a value below ``minimum``.
    """
    items = _ntuple(n)(value)
    if not all(_is_int(v) for v in items):
        raise TypeError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    if len(items) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    if minimum is not None and any(v < minimum for v in items):
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in items)


def _scatter_add_axis(values: Any, index: Any, size: int, axis: int) -> Any:
    """The gradient of ``take(x, index, axis)``: ``values`` summed into ``size`` slots along
    ``axis`` by ``index`` (repeats add up).

    Vectorised (a stable sort, then ``add.reduceat`` over runs of equal indices) instead of
    ``add.at``, which is unbuffered and far slower on whole slices.
    """
    order = xp.argsort(index, kind="stable")
    sorted_index = index[order]
    slots, starts = xp.unique(sorted_index, return_index=True)
    taken = values if (order == xp.arange(order.size)).all() else xp.take(values, order, axis)
    shape = list(values.shape)
    shape[axis] = size
    out = xp.zeros(shape, dtype=values.dtype)
    where = [slice(None)] * values.ndim
    where[axis] = slots
    out[tuple(where)] = xp.add.reduceat(taken, starts, axis=axis)
    return out
