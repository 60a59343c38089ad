"""``Dropout`` and ``F.dropout`` (one fused node: the mask is drawn from the global generator)."""
from __future__ import annotations


from genesis import random as _random
from genesis.autograd import record
from genesis.backend import xp
from genesis.nn.modules.module import Module
from genesis.tensor import Tensor

_wrap = Tensor._wrap


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale survivors by 1/(1-p); identity when
    not ``training``. Draws from Genesis's generator (``genesis.manual_seed`` makes it repeatable).

    Example:
        >>> F.dropout(genesis.ones(4), p=0.5, training=False)
        tensor([1., 1., 1., 1.])
    """
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    x = input._array
    if p == 1.0:
        mask = xp.zeros(x.shape, dtype=x.dtype)
    else:
        keep = _random.generator_for(None).random(x.shape) >= p
        mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return record(_wrap(x * mask), lambda g: (g * mask,), (input,), "MulBackward0")


class Dropout(Module):
    """During training zero each element with probability ``p`` and scale the rest by 1/(1-p);
    the identity in ``eval()`` mode.

    Example:
        >>> drop = nn.Dropout(0.5).eval()
        >>> drop(genesis.ones(3))
        tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


__all__ = ["Dropout", "dropout"]
