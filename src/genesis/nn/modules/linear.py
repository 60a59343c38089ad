"""Linear layers: ``Linear`` and ``Identity``, and ``F.linear`` (one fused graph node)."""
from __future__ import annotations

import math
from typing import Any

import genesis
from genesis.autograd import record
from genesis.backend import quiet
from genesis.mixed_precision import autocast_inputs
from genesis.nn import init
from genesis.nn.modules.module import Module
from genesis.nn.modules.utils import _check_positive_int, _check_tensor
from genesis.nn.parameter import Parameter
from genesis.tensor import Tensor

_wrap = Tensor._wrap


def _matrix(a):
    """``a`` as rows of its last dimension; the row count spelled out, since -1 is ambiguous
    when the last dimension is 0 (in_features=0)."""
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


@quiet
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Affine map ``input @ weight.T + bias``; ``weight`` is ``(out_features, in_features)``.

    Example:
        >>> x, w = genesis.tensor([[1.0, 2.0]]), genesis.tensor([[3.0, 4.0]])
        >>> F.linear(x, w, genesis.tensor([0.5]))
        tensor([[11.5000]])
    """
    _check_tensor("input", input)
    _check_tensor("weight", weight)
    input, weight, bias = autocast_inputs("lower", input, weight, bias)  # matmul-like: fp16
    w_shape, x_shape = weight._array.shape, input._array.shape
    if len(w_shape) != 2 or not x_shape or x_shape[-1] != w_shape[1]:
        raise ValueError(
            f"linear: input of shape {tuple(x_shape)} cannot be multiplied by weight.T; weight "
            f"has shape {tuple(w_shape)} = (out_features, in_features), so input must be "
            f"(*, {w_shape[-1]})"
        )
    if input._array.dtype != weight._array.dtype:
        # PyTorch refuses too; silently promoting would train a float32 model in float64.
        raise TypeError(
            f"linear: input dtype {input.dtype} does not match weight dtype {weight.dtype}; "
            f"convert the input (e.g. x.float()) or the model (e.g. model.double())"
        )
    if bias is not None:
        _check_tensor("bias", bias)
        if tuple(bias._array.shape) != (w_shape[0],) or bias._array.dtype != weight._array.dtype:
            raise ValueError(f"linear: bias must have shape ({w_shape[0]},) and dtype "
                             f"{weight.dtype}, got {tuple(bias._array.shape)} and {bias.dtype}")
    x, w = input._array, weight._array
    out = x @ w.T
    if bias is not None:
        out += bias._array
    inputs = (input, weight) if bias is None else (input, weight, bias)
    need_x, need_w = input.requires_grad, weight.requires_grad
    need_b = bias is not None and bias.requires_grad

    def backward(g):
        # Flatten leading dims so one 2-D matmul gives the weight grad for any batch shape.
        g2 = g if g.ndim == 2 else _matrix(g)
        gx = g @ w if need_x else None
        gw = g2.T @ (x if x.ndim == 2 else _matrix(x)) if need_w else None
        if bias is None:
            return gx, gw
        return gx, gw, g2.sum(axis=0) if need_b else None
    return record(_wrap(out), backward, inputs, "AddmmBackward0")


class Linear(Module):
    """Affine layer y = x @ W.T + b with W of shape (out_features, in_features).

    Initialised as PyTorch does: W ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)),
    and b ~ U(-1/sqrt(in), 1/sqrt(in)).

    Example:
        >>> layer = nn.Linear(784, 256)
        >>> layer(genesis.zeros(32, 784)).shape
        genesis.Size([32, 256])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_positive_int("in_features", in_features)
        _check_positive_int("out_features", out_features)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(genesis.empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(genesis.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw weight and bias from PyTorch's default distributions."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """A ``Linear`` under PyTorch's name for ``MultiheadAttention.out_proj`` (the name shows in
    the attention layer's repr; the layer is an ordinary ``Linear``)."""


class Identity(Module):
    """Return the input unchanged (a placeholder layer); ignores constructor arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


__all__ = ["Linear", "NonDynamicallyQuantizableLinear", "Identity", "linear"]
