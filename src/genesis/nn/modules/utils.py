"""Argument checks and helpers the layers share (PyTorch keeps ``_pair`` and friends here too)."""
from __future__ import annotations

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
