"""``nn.Parameter``: a Tensor that a Module registers as a learnable weight."""
from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is registered by ``nn.Module``.

    Example::

        >>> genesis.nn.Parameter(genesis.ones(2))
        Parameter containing:
        tensor([1., 1.], requires_grad=True)
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            array = xp.empty((0,), dtype=xp.float32)
        elif isinstance(data, Tensor):
            array = data._array
        else:
            array = xp.asarray(data)
        self._array = array
        self._grad = None
        self._node = None
        self._rg = False
        self._view = self._views = None
        if requires_grad:
            self.requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (Parameter, (self._array, self._rg))
