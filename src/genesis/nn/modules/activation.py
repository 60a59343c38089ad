"""Activations: ``ReLU``, ``SiLU``, ``Tanh``, ``Sigmoid``, ``GELU``, ``Softmax``, ``LogSoftmax``,
and their functional forms (``F.gelu`` is one fused node; the others reuse core primitives)."""
from __future__ import annotations

import math
import warnings

from genesis.autograd import record
from genesis.backend import xp
from genesis.nn.modules.module import Module
from genesis.special import erf as _erf
from genesis.tensor import Tensor

_wrap = Tensor._wrap
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise.

    Example: ``F.relu(genesis.tensor([-1.0, 2.0]))`` is ``tensor([0., 2.])``.
    """
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) elementwise.

    Example: ``F.sigmoid(genesis.tensor([0.0]))`` is ``tensor([0.5000])``.
    """
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent elementwise.

    Example: ``F.tanh(genesis.tensor([0.0]))`` is ``tensor([0.])``.
    """
    return input.tanh()


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (a.k.a. swish).

    Example: ``F.silu(genesis.tensor([1.0]))`` is ``tensor([0.7311])``.
    """
    return input * input.sigmoid()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x); ``approximate='tanh'`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Example:
        >>> F.gelu(genesis.tensor([1.0]))
        tensor([0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    x = input._array
    if approximate == "tanh":
        t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
        out = 0.5 * x * (1.0 + t)

        def backward(g):
            d_inner = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)
            return (g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_inner),)
    else:
        cdf = 0.5 * (1.0 + _erf(x * _SQRT_HALF))
        out = x * cdf

        def backward(g):
            # d/dx x Phi(x) = Phi(x) + x phi(x)
            return (g * (cdf + x * _INV_SQRT_2PI * xp.exp(-0.5 * x * x)),)
    return record(_wrap(out), backward, (input,), "GeluBackward0")


def _implicit_dim(name: str, ndim: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (numerically stable).

    Example:
        >>> F.softmax(genesis.tensor([0.0, 0.0]), dim=0)
        tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x_i - logsumexp(x) along ``dim`` (numerically stable).

    Example:
        >>> F.log_softmax(genesis.tensor([0.0, 0.0]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return input.log_softmax(dim)


class _InplaceActivation(Module):
    """An activation with PyTorch's ``inplace`` flag (accepted; the result is always new)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU(_InplaceActivation):
    """max(x, 0). Example: ``nn.ReLU()(genesis.tensor([-1.0, 2.0]))`` is ``tensor([0., 2.])``."""

    def forward(self, input: Tensor) -> Tensor:
        return input.relu()


class SiLU(_InplaceActivation):
    """x * sigmoid(x). Example: ``nn.SiLU()(genesis.tensor([0.0]))`` is ``tensor([0.])``."""

    def forward(self, input: Tensor) -> Tensor:
        return silu(input)


class Tanh(Module):
    """tanh(x). Example: ``nn.Tanh()(genesis.tensor([0.0]))`` is ``tensor([0.])``."""

    def forward(self, input: Tensor) -> Tensor:
        return input.tanh()


class Sigmoid(Module):
    """1 / (1 + exp(-x)).

    Example: ``nn.Sigmoid()(genesis.tensor([0.0]))`` is ``tensor([0.5000])``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return input.sigmoid()


class GELU(Module):
    """x * Phi(x) (``approximate='none'``) or its tanh approximation (``'tanh'``).

    Example:
        >>> nn.GELU()(genesis.tensor([1.0]))
        tensor([0.8413])
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """Softmax along ``dim``.

    Example: ``nn.Softmax(dim=0)(genesis.tensor([0.0, 0.0]))`` is ``tensor([0.5000, 0.5000])``.
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """Log-softmax along ``dim`` (numerically stable); pair with ``NLLLoss``."""

    def forward(self, input: Tensor) -> Tensor:
        return log_softmax(input, self.dim)


__all__ = ["ReLU", "SiLU", "Tanh", "Sigmoid", "GELU", "Softmax", "LogSoftmax", "relu", "sigmoid", "tanh", "silu", "gelu", "softmax", "log_softmax"]
