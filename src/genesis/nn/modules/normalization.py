"""Normalisation layers: ``LayerNorm``, ``GroupNorm`` and ``F.layer_norm``, ``F.group_norm``
(one fused node each), and the per-channel normalisation node that ``batch_norm``,
``instance_norm`` and ``group_norm`` share.

Every form normalises with the biased variance, x_hat = (x - mean) / sqrt(var + eps), and its
input gradient is the one formula of :func:`_normalized_grad`. A float16 input is computed in
float32 and its output rounded back to float16, with float32 or float16 weights (PyTorch's
mixed-dtype CPU kernels: a convolution's float16 output under autocast meets a float32
``BatchNorm2d``).
"""
from __future__ import annotations

from typing import Any, Sequence

import genesis
from genesis.autograd import record
from genesis.backend import quiet, xp
from genesis.dtypes import opmath_dtype
from genesis.nn import init
from genesis.nn.modules.module import Module
from genesis.nn.modules.utils import _check_positive_int, _check_tensor, _is_int
from genesis.nn.parameter import Parameter
from genesis.tensor import Tensor

_wrap = Tensor._wrap


def _opmath(x: Any) -> Any:
    """``x`` in the dtype the statistics are computed in: float32 for float16."""
    return x.astype(opmath_dtype(x.dtype), copy=False)


def _rounded(out: Any, input: Tensor) -> Any:
    """The output in the input's dtype where that is float16 (else as computed)."""
    dtype = input._array.dtype
    return out.astype(dtype) if opmath_dtype(dtype) != dtype else out


def _grads_in_input_dtypes(inputs: tuple, compute: Any):
    """Wrap a backward: the incoming gradient in ``compute``'s dtype, each gradient out in
    its input's dtype."""
    def wrap(backward):
        def run(g):
            grads = backward(g.astype(compute, copy=False))
            return tuple(None if grad is None else grad.astype(t._array.dtype, copy=False)
                         for grad, t in zip(grads, inputs))
        return run
    return wrap


def _standardize(x: Any, axes: tuple, eps: float) -> tuple:
    """``(x_hat, rstd, mean, var)`` with the statistics over ``axes`` (kept as size-1 dims)."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    rstd = 1.0 / xp.sqrt(var + eps)
    centered *= rstd
    return centered, rstd, mean, var


def _normalized_grad(gxhat: Any, xhat: Any, rstd: Any, axes: tuple) -> Any:
    """The input gradient of x_hat = (x - mean(x)) * rstd(x) over ``axes``, given dL/dx_hat."""
    return rstd * (gxhat - gxhat.mean(axis=axes, keepdims=True)
                   - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True))


@quiet
def _channel_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, eps: float,
                  groups: int | None, name: str, stats: tuple | None = None) -> tuple:
    """One fused node: normalise ``input`` (N, C, *), then scale and shift each channel by
    ``weight`` and ``bias``. ``groups=None`` (batch norm): statistics per channel over the batch
    and positions, computed on (C, N * positions) rows, which cost no copy for a convolution's
    channel-major output; an int: per sample over each of ``groups`` groups of channels
    (instance norm: ``groups == C``). ``stats``: per-channel (mean, var) to use instead
    (evaluation). Returns the output and the batch's (mean, var) as (rows, 1) arrays (None with
    given stats), for the caller's running statistics."""
    x = _opmath(input._array)
    shape, channels = x.shape, x.shape[1]
    per_channel = groups is None or stats is not None
    if per_channel:
        def to_rows(a):
            return a.swapaxes(0, 1).reshape(channels, -1)

        def from_rows(a):
            return a.reshape((channels, shape[0]) + shape[2:]).swapaxes(0, 1)
        affine, sums = (channels, 1), (1,)
    else:
        def to_rows(a):
            return a.reshape(shape[0] * groups, -1)

        def from_rows(a):
            return a.reshape(shape)
        affine, sums = (1, channels) + (1,) * (x.ndim - 2), (0,) + tuple(range(2, x.ndim))
    rows = to_rows(x)
    if stats is None:
        xhat, rstd, mean, var = _standardize(rows, (1,), eps)
    else:
        mean, var = (s.reshape(channels, 1) for s in stats)
        rstd = (1.0 / xp.sqrt(var + eps)).astype(x.dtype)
        xhat = (rows - mean.astype(x.dtype)) * rstd
    # the affine step runs per channel: on the rows, or on the NCHW shape for groups
    xhat_affine = xhat if per_channel else xhat.reshape(shape)
    out = (xhat_affine * weight._array.reshape(affine) if weight is not None
           else xhat_affine.copy())
    if bias is not None:
        out += bias._array.reshape(affine)
    out = from_rows(out) if per_channel else out
    inputs = tuple(t for t in (input, weight, bias) if t is not None)
    flags = [t.requires_grad for t in inputs]

    @_grads_in_input_dtypes(inputs, x.dtype)
    def backward(g):
        g_affine = to_rows(g) if per_channel else g
        grads = [None] * len(inputs)
        if flags[0]:
            gxhat = g_affine * weight._array.reshape(affine) if weight is not None else g_affine
            gxhat = gxhat if per_channel else to_rows(gxhat)
            gx = gxhat * rstd if stats is not None else _normalized_grad(gxhat, xhat, rstd, (1,))
            grads[0] = from_rows(gx)
        if weight is not None and flags[1]:
            grads[1] = (g_affine * xhat_affine).sum(axis=sums)
        if bias is not None and flags[-1]:
            grads[-1] = g_affine.sum(axis=sums)
        return tuple(grads)
    out = record(_wrap(_rounded(out, input)), backward, inputs, name)
    return out, (None if stats is not None else (mean, var))


def _check_channels(what: str, value: Tensor | None, channels: int, shape: tuple) -> None:
    if value is not None and tuple(value.shape) != (channels,):
        raise RuntimeError(
            f"Expected {what} to be a vector of size equal to the number of channels in input, "
            f"but got {what} of shape {list(value.shape)} and input of shape {list(shape)}")


@quiet
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
    x = _opmath(input._array)
    xhat, rstd, _, _ = _standardize(x, axes, eps)
    out = xhat * weight._array if weight is not None else xhat.copy()
    if bias is not None:
        out += bias._array
    inputs = tuple(t for t in (input, weight, bias) if t is not None)
    flags = [t.requires_grad for t in inputs]

    @_grads_in_input_dtypes(inputs, x.dtype)
    def backward(g):
        grads = []
        if flags[0]:
            gxhat = g * weight._array if weight is not None else g
            grads.append(_normalized_grad(gxhat, xhat, rstd, axes))
        else:
            grads.append(None)
        if weight is not None:
            grads.append((g * xhat).sum(axis=lead) if flags[1] else None)
        if bias is not None:
            grads.append(g.sum(axis=lead) if flags[-1] else None)
        return tuple(grads)
    return record(_wrap(_rounded(out, input)), backward, inputs, "NativeLayerNormBackward0")


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
        _affine_parameters(self, shape, elementwise_affine, bias, dtype)

    def reset_parameters(self) -> None:
        """Set weight to ones and bias to zeros."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise (N, C, *) ``input`` over each group of C / num_groups channels (and all
    positions), then scale and shift each channel by ``weight`` and ``bias``.

    Example:
        >>> F.group_norm(genesis.tensor([[1.0, 3.0, 5.0, 9.0]]), 2)
        tensor([[-1.0000,  1.0000, -1.0000,  1.0000]])
    """
    _check_tensor("input", input)
    shape = tuple(input.shape)
    if not _is_int(num_groups) or num_groups <= 0 or input.ndim < 2 or shape[1] % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(shape)} and num_groups={num_groups}")
    _check_channels("weight", weight, shape[1], shape)
    _check_channels("bias", bias, shape[1], shape)
    return _channel_norm(input, weight, bias, eps, num_groups, "NativeGroupNormBackward0")[0]


class GroupNorm(Module):
    """Group normalisation: split the C channels into ``num_groups`` groups and normalise each
    over its channels and positions; per-channel ``weight`` (ones) and ``bias`` (zeros) when
    ``affine``. The same in training and evaluation (no running statistics).

    Example:
        >>> nn.GroupNorm(2, 4)
        GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        _check_positive_int("num_groups", num_groups, allow_zero=False)
        _check_positive_int("num_channels", num_channels, allow_zero=False)
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        _affine_parameters(self, (num_channels,), affine, bias, dtype)

    def reset_parameters(self) -> None:
        """Set weight to ones and bias to zeros."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


def _affine_parameters(module: Module, size: tuple, affine: bool, bias: bool, dtype: Any) -> None:
    """Register per-channel ``weight`` (ones) and ``bias`` (zeros), or None, as PyTorch does."""
    if affine:
        module.weight = Parameter(genesis.ones(*size, dtype=dtype))
        if bias:
            module.bias = Parameter(genesis.zeros(*size, dtype=dtype))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def _reset_affine(module: Module) -> None:
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


__all__ = ["LayerNorm", "GroupNorm", "layer_norm", "group_norm"]
