"""Argument checks and helpers the layers share (PyTorch keeps ``_pair`` and friends here too)."""
from __future__ import annotations

import collections.abc
import numbers
from typing import Any

from genesis.autograd import attach
from genesis.backend import xp
from genesis.tensor import Tensor

_wrap = Tensor._wrap


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
class SideOutputs:
    """Second outputs of a fused op whose graph node has one output, ``main``.

    The graph engine gives a node one output gradient, so each side output gets its own small
    node with a single edge, to ``main``: its backward parks its gradient here, under its key,
    for the main node's backward (which the engine runs after every consumer of ``main``, these
    included), and passes ``main`` a zero-strided zero array, so that the main node runs even
    when only a side output was used, at no cost. The main backward calls :meth:`take` for the
    parked gradients and :meth:`placeholder` to tell that zero array from a real gradient.
    """

    def __init__(self, main: Tensor) -> None:
        self.main = main
        self.parked: dict[str, Any] = {}
        self._zeros = xp.broadcast_to(xp.zeros((), dtype=main._array.dtype), main._array.shape)

    def add(self, key: str, array: Any, name: str) -> Tensor:
        """A graph tensor for ``array``, whose gradient arrives in ``take()[key]``."""
        def backward(g):
            self.parked[key] = g
            return (self._zeros,)
        return attach(_wrap(array), backward, (self.main,), name)

    def take(self) -> dict[str, Any]:
        """The parked gradients (absent keys got none), cleared for a next backward."""
        parked, self.parked = self.parked, {}
        return parked

    def placeholder(self, g: Any) -> bool:
        """Whether ``g``, the main node's gradient, is only the side outputs' zero array."""
        return g is self._zeros
