"""Normalisation layers: ``LayerNorm`` and ``F.layer_norm`` (one fused node)."""
from __future__ import annotations

from typing import Any, Sequence

import genesis
from genesis.autograd import record
from genesis.backend import xp
from genesis.nn import init
from genesis.nn.modules.module import Module
from genesis.nn.modules.utils import _check_positive_int
from genesis.nn.parameter import Parameter
from genesis.tensor import Tensor

_wrap = Tensor._wrap


def layer_norm(
    input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
    bias: Tensor | None = None, eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims: (x - mean) / sqrt(var + eps) * w + b
    (biased variance).

    Example:
        >>> F.layer_norm(genesis.tensor([[1.0, 3.0]]), (2,))
        tensor([[-1.0000,  1.0000]])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    x_shape = tuple(input._array.shape)
    if not shape or x_shape[len(x_shape) - len(shape):] != shape or len(x_shape) < len(shape):
        raise ValueError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(x_shape)}"
        )
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(value._array.shape) != shape:
            raise ValueError(
                f"layer_norm: {name} must have shape {shape}, got {tuple(value._array.shape)}"
            )
    axes = tuple(range(len(x_shape) - len(shape), len(x_shape)))
    lead = tuple(range(len(x_shape) - len(shape)))
    x = input._array
    centered = x - x.mean(axis=axes, keepdims=True)
    rstd = 1.0 / xp.sqrt((centered * centered).mean(axis=axes, keepdims=True) + eps)
    xhat = centered * rstd
    out = xhat * weight._array if weight is not None else xhat.copy()
    if bias is not None:
        out += bias._array
    inputs = tuple(t for t in (input, weight, bias) if t is not None)
    flags = [t.requires_grad for t in inputs]

    def backward(g):
        grads = []
        if flags[0]:
            gxhat = g * weight._array if weight is not None else g
            grads.append(rstd * (gxhat - gxhat.mean(axis=axes, keepdims=True)
                                 - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True)))
        else:
            grads.append(None)
        if weight is not None:
            grads.append((g * xhat).sum(axis=lead) if flags[1] else None)
        if bias is not None:
            grads.append(g.sum(axis=lead) if flags[-1] else None)
        return tuple(grads)
    return record(_wrap(out), backward, inputs, "NativeLayerNormBackward0")


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dims, then scale by ``weight`` (ones) and
    shift by ``bias`` (zeros): y = (x - mean) / sqrt(var + eps) * weight + bias.

    Example:
        >>> nn.LayerNorm(2)(genesis.tensor([[1.0, 3.0]]))
        tensor([[-1.0000,  1.0000]], grad_fn=<NativeLayerNormBackward0>)
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        shape = tuple(normalized_shape)
        for size in shape:
            _check_positive_int("normalized_shape entries", size, allow_zero=False)
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(genesis.ones(*shape, dtype=dtype))
            if bias:
                self.bias = Parameter(genesis.zeros(*shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Set weight to ones and bias to zeros."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


__all__ = ["LayerNorm", "layer_norm"]
