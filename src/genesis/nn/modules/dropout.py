"""``Dropout``, ``Dropout1d``, ``Dropout2d`` and their functional forms (one fused node each:
the mask is drawn from Genesis's generator). The channel-wise forms zero whole channels."""
from __future__ import annotations

import warnings

from genesis import random as _random
from genesis.autograd import record
from genesis.backend import quiet, xp
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
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _masked(input, p, input._array.shape)


def _check_p(p: float) -> None:
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


@quiet
def _masked(input: Tensor, p: float, mask_shape: tuple) -> Tensor:
    """``input`` times a keep-mask of ``mask_shape`` (broadcast) scaled by 1 / (1 - p)."""
    x = input._array
    if p == 1.0:
        mask = xp.zeros(mask_shape, dtype=x.dtype)
    else:
        keep = _random.generator_for(None).random(mask_shape) >= p
        mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return record(_wrap(x * mask), lambda g: (g * mask,), (input,), "MulBackward0")


def _feature_dropout(input: Tensor, p: float, training: bool) -> Tensor:
    """Zero whole channels: one draw per (sample, channel) of (N, C, *) ``input``."""
    if not training or p == 0.0:
        return input
    shape = input._array.shape
    return _masked(input, p, shape[:2] + (1,) * (len(shape) - 2))


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) ``input`` with probability ``p`` each and
    scale the rest by 1/(1-p); identity when not ``training``.

    Example:
        >>> F.dropout1d(genesis.ones(2, 3), 0.5, training=False)
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    if input.ndim == 2:
        return _feature_dropout(input.unsqueeze(0), p, training).squeeze(0)
    return _feature_dropout(input, p, training)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) ``input`` with probability ``p`` each and scale the
    rest by 1/(1-p); identity when not ``training``. As in PyTorch, a 3-d input is taken as
    (N, C, L) (with PyTorch's warning).

    Example:
        >>> F.dropout2d(genesis.ones(1, 2, 1, 1), 0.5, training=False).shape
        genesis.Size([1, 2, 1, 1])
    """
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _feature_dropout(input, p, training)


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
        _check_p(p)
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """During training zero whole channels of (N, C, L) or (C, L) inputs with probability
    ``p`` and scale the rest by 1/(1-p); the identity in ``eval()`` mode.

    Example:
        >>> nn.Dropout1d(0.2)
        Dropout1d(p=0.2, inplace=False)
    """

    def forward(self, input: Tensor) -> Tensor:
        return dropout1d(input, self.p, self.training)


class Dropout2d(Dropout):
    """During training zero whole channels of (N, C, H, W) inputs with probability ``p`` and
    scale the rest by 1/(1-p); the identity in ``eval()`` mode.

    Example:
        >>> drop = nn.Dropout2d(0.5)
        >>> y = drop(genesis.ones(4, 8, 3, 3))
        >>> sorted(set(y.sum(dim=(2, 3)).flatten().tolist()))
        [0.0, 18.0]
    """

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training)


__all__ = ["Dropout", "Dropout1d", "Dropout2d", "dropout", "dropout1d", "dropout2d"]
