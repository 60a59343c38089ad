"""Convolutions: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d`` and their
functional forms (each one fused graph node).

How it is computed (NumPy only, no Python loop over the batch or the channels):
- *im2col*: a strided view of the zero-padded input, shaped (C, kh, kw, N, Ho, Wo), is copied
  once into a (groups, C/groups * kh * kw, N * Ho * Wo) matrix; one ``matmul`` with the weight
  gives every output. The result is laid out channel-major in memory, (C, N, H, W), and handed on
  as the (N, C, H, W) transposed view: the next layer's strided view, the bias gradient and the
  weight gradient then read contiguous rows, and no transpose is ever copied.
- the gradients are one ``matmul`` each: the weight gradient against the saved columns, the
  input gradient as columns that *col2im* adds back into the padded input, one vectorised
  slice-add per kernel offset (kh * kw of them).
- a transposed convolution is the same two halves swapped: its forward is a conv's input
  gradient (matmul, then col2im) and its input gradient is a conv's forward (im2col, matmul).
A 1-d convolution runs as a 2-d one with a height of 1.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import genesis
from genesis.autograd import record
from genesis.backend import scratch as _scratch
from genesis.backend import quiet, xp
from genesis.mixed_precision import autocast_inputs
from genesis.nn import init
from genesis.nn.modules import conv_grid
from genesis.nn.modules.conv_columns import _channel_major, _col2im, _im2col, _pad_zeros
from genesis.nn.modules.module import Module
from genesis.nn.modules.padding import pad
from genesis.nn.modules.utils import (
    _check_tensor, _int_tuple, _is_int, _pair, _reverse_repeat_tuple, _single,
)
from genesis.nn.parameter import Parameter
from genesis.tensor import Tensor

_wrap = Tensor._wrap
_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}
_TORCH_NAMES = {"genesis.float32": "Float", "genesis.float64": "Double", "genesis.float16": "Half"}


# ------------------------------------------------------------------ argument handling

def _conv_padding(padding: Any, kernel: tuple, stride: tuple, dilation: tuple,
                  nd: int) -> tuple:
    """``padding`` (int, tuple, "same", "valid") as (lo, hi) pairs, one per spatial dim."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise ValueError(
                f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in totals)
    try:
        values = _int_tuple("padding", padding, nd)
    except (TypeError, ValueError):
        raise TypeError(f"padding must be an int, a tuple of {nd} ints, 'same' or 'valid', "
                        f"got {padding!r}") from None
    if any(p < 0 for p in values):
        raise RuntimeError("negative padding is not supported")
    return tuple((p, p) for p in values)


def _conv_args(name: str, stride: Any, dilation: Any, nd: int) -> tuple:
    try:
        stride, dilation = _int_tuple("stride", stride, nd), _int_tuple("dilation", dilation, nd)
    except ValueError as exc:
        raise RuntimeError(f"{name}: {exc}") from None
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    return stride, dilation


def _check_conv_input(name: str, input: Tensor, weight: Tensor, bias: Tensor | None,
                      groups: int, nd: int, transposed: bool) -> bool:
    """PyTorch's checks and messages; returns whether the input is unbatched."""
    _check_tensor("input", input)
    _check_tensor("weight", weight)
    x_shape, w_shape = tuple(input.shape), tuple(weight.shape)
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
            f"input of size: {list(x_shape)}")
    if weight.ndim != nd + 2:
        raise RuntimeError(f"{name}: weight must be {nd + 2}-D (out_channels, in_channels / "
                           f"groups, *kernel_size), got weight of size {list(w_shape)}")
    if not _is_int(groups) or groups <= 0:
        raise RuntimeError(f"non-positive groups is not supported, got groups={groups!r}")
    channels = x_shape[-nd - 1]
    expected = w_shape[0] if transposed else w_shape[1] * groups
    if channels != expected:
        kind = "transposed=1, " if transposed else f"groups={groups}, "
        raise RuntimeError(
            f"Given {kind}weight of size {list(w_shape)}, expected input{list(x_shape)} to have "
            f"{expected} channels, but got {channels} channels instead")
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"expected scalar type {_TORCH_NAMES.get(str(input.dtype), input.dtype)} but found "
            f"{_TORCH_NAMES.get(str(weight.dtype), weight.dtype)}; convert the input (x.float()) or the model "
            f"(model.double()) so that both have one dtype")
    out_channels = w_shape[1] * groups if transposed else w_shape[0]
    if transposed and w_shape[0] % groups:
        raise RuntimeError(f"{name}: weight of size {list(w_shape)} cannot be split into "
                           f"groups={groups} groups of input channels")
    if not transposed and w_shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(w_shape)} instead")
    if bias is not None:
        _check_tensor("bias", bias)
        if tuple(bias.shape) != (out_channels,):
            raise RuntimeError(
                f"Given weight of size {list(w_shape)}, expected bias to be 1-dimensional with "
                f"{out_channels} elements, but got bias of size {list(bias.shape)} instead")
    return input.ndim == nd + 1


def _as_2d(input: Tensor, weight: Tensor, nd: int, unbatched: bool) -> tuple:
    """The input and weight arrays as 4-d NCHW / (O, I, kh, kw) (views, no copies)."""
    x, w = input._array, weight._array
    if unbatched:
        x = x[None]
    if nd == 1:
        x, w = x[:, :, None, :], w[:, :, None, :]
    return x, w


def _spatial_2d(values: tuple, nd: int, fill: Any) -> tuple:
    return values if nd == 2 else (fill,) + values


def _output(out: Any, bias: Tensor | None, unbatched: bool, nd: int) -> Tensor:
    """The channel-major (C_out, N, H, W) result, plus the bias, as the caller's (N, C_out, ...)
    tensor: a transposed view, unbatched and 1-d as the input was."""
    if bias is not None:
        out += bias._array[:, None, None, None]
    y = out.transpose(1, 0, 2, 3)
    y = y[0] if unbatched else y
    return _wrap(y[..., 0, :] if nd == 1 else y)


def _graph_inputs(input: Tensor, weight: Tensor, bias: Tensor | None) -> tuple:
    """The node's inputs and which of input, weight, bias need a gradient."""
    inputs = (input, weight) if bias is None else (input, weight, bias)
    return (inputs, input.requires_grad, weight.requires_grad,
            bias is not None and bias.requires_grad)


def _grads_back(grads: tuple, input: Tensor, weight: Tensor, bias: Tensor | None) -> tuple:
    """Reshape the 4-d kernel gradients to the caller's tensors (1-d, unbatched)."""
    gx, gw, gb = grads
    gx = None if gx is None else gx.reshape(input._array.shape)
    gw = None if gw is None else gw.reshape(weight._array.shape)
    return (gx, gw) if bias is None else (gx, gw, gb)


# ------------------------------------------------------------------ convolution

def _conv_input_grad(g: Any, g3: Any, w3: Any, x_shape: tuple, pads: tuple, kernel: tuple,
                     stride: tuple, dilation: tuple, groups: int) -> Any:
    """dL/dx of a convolution, (N, C, H, W) as a channel-major view.

    With stride 1 it is itself a convolution: the output gradient, zero-padded by
    dilation * (k - 1) - padding, against the weight flipped in space with its in/out channels
    swapped. That needs one im2col of the gradient instead of a matmul to full columns plus
    kh * kw slice-adds, and wins when the gradient's columns are not much larger than the
    input's (the same channel count in and out, as in a ResNet block). Otherwise the columns
    are summed back by col2im.
    """
    n, c, h, w = x_shape
    o, ho, wo = g.shape[1:]
    (top, bottom), (left, right) = pads
    kh, kw = kernel
    span = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
    flip_pads = (span[0] - top, span[0] - bottom, span[1] - left, span[1] - right)
    if stride == (1, 1) and min(flip_pads) >= 0 and o * h * w <= 2 * c * ho * wo:
        flipped = w3.reshape(groups, o // groups, c // groups, kh, kw)[..., ::-1, ::-1]
        flipped = flipped.transpose(0, 2, 1, 3, 4).reshape(groups, c // groups, -1)
        gcols = _im2col(_pad_zeros(g, flip_pads, scratch=True), kernel, stride, dilation,
                        (h, w), groups)
        return xp.matmul(flipped, gcols).reshape(c, n, h, w).transpose(1, 0, 2, 3)
    gcols = _scratch.empty((groups, w3.shape[2], g3.shape[2]), g.dtype)
    xp.matmul(w3.transpose(0, 2, 1), g3, out=gcols)
    gpad = _col2im(gcols.reshape((c,) + kernel + (n, ho, wo)),
                   (c, n, h + top + bottom, w + left + right), kernel, stride, dilation)
    return gpad[:, :, top:top + h, left:left + w].transpose(1, 0, 2, 3)


@quiet
def _convnd(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
            dilation: Any, groups: int, nd: int) -> Tensor:
    input, weight, bias = autocast_inputs("lower", input, weight, bias)  # matmul-like
    name = f"conv{nd}d"
    unbatched = _check_conv_input(name, input, weight, bias, groups, nd, transposed=False)
    stride, dilation = _conv_args(name, stride, dilation, nd)
    kernel = tuple(weight.shape[2:])
    pads = _conv_padding(padding, kernel, stride, dilation, nd)
    x, w = _as_2d(input, weight, nd, unbatched)
    kernel, stride = _spatial_2d(kernel, nd, 1), _spatial_2d(stride, nd, 1)
    dilation, pads = _spatial_2d(dilation, nd, 1), _spatial_2d(pads, nd, (0, 0))
    padded = (x.shape[2] + sum(pads[0]), x.shape[3] + sum(pads[1]))
    spans = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    if any(s > p for s, p in zip(spans, padded)):
        show = tuple(padded[2 - nd:]), tuple(spans[2 - nd:])
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, show[0]))}). "
            f"Kernel size: ({' x '.join(map(str, show[1]))}). Kernel size can't be greater "
            f"than actual input size")
    out_hw = tuple((p - s) // st + 1 for p, s, st in zip(padded, spans, stride))
    n, out_channels = x.shape[0], w.shape[0]
    w3 = w.reshape(groups, out_channels // groups, -1)
    on_grid = conv_grid.usable(x.shape, kernel, stride, dilation, pads, groups, out_hw)
    if on_grid:
        out, saved = conv_grid.forward(x, w, pads, dilation, out_hw)
    else:
        cols = _im2col(_pad_zeros(x, pads[0] + pads[1], scratch=True), kernel, stride,
                       dilation, out_hw, groups)
        out = xp.matmul(w3, cols).reshape(out_channels, n, *out_hw)
    y = _output(out, bias, unbatched, nd)
    inputs, need_x, need_w, need_b = _graph_inputs(input, weight, bias)

    def backward(g):
        g = g.reshape((n, out_channels) + out_hw)
        g3 = _channel_major(g, groups) if need_b or not on_grid else None
        gb = g3.sum(axis=2).reshape(-1) if need_b else None
        if on_grid:
            gw = conv_grid.weight_grad(g, saved, w.shape, dilation) if need_w else None
            gx = conv_grid.input_grad(g, w, x.shape[2:], pads, dilation) if need_x else None
            return _grads_back((gx, gw, gb), input, weight, bias)
        gw = xp.matmul(g3, cols.transpose(0, 2, 1)) if need_w else None
        gx = None
        if need_x:
            gx = _conv_input_grad(g, g3, w3, x.shape, pads, kernel, stride, dilation, groups)
        return _grads_back((gx, gw, gb), input, weight, bias)
    return record(y, backward, inputs, "ConvolutionBackward0")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-d convolution (cross-correlation) of (N, C_in, L) or (C_in, L) ``input`` with
    ``weight`` (C_out, C_in / groups, k); ``padding`` may be an int, a tuple, "same" or "valid".

    Example:
        >>> F.conv1d(genesis.tensor([[[1.0, 2.0, 3.0]]]), genesis.tensor([[[1.0, -1.0]]]))
        tensor([[[-1., -1.]]])
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d convolution (cross-correlation) of (N, C_in, H, W) or (C_in, H, W) ``input`` with
    ``weight`` (C_out, C_in / groups, kh, kw); ``padding`` may be an int, a pair, "same" or
    "valid"; ``groups`` splits the channels (``groups == C_in``: depthwise).

    Example:
        >>> x = genesis.arange(9.0).reshape(1, 1, 3, 3)
        >>> F.conv2d(x, genesis.ones(1, 1, 2, 2))
        tensor([[[[ 8., 12.],
                  [20., 24.]]]])
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2)


# ------------------------------------------------------------------ transposed convolution

@quiet
def _conv_transposend(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
                      padding: Any, output_padding: Any, groups: int, dilation: Any,
                      nd: int) -> Tensor:
    input, weight, bias = autocast_inputs("lower", input, weight, bias)  # matmul-like
    name = f"conv_transpose{nd}d"
    unbatched = _check_conv_input(name, input, weight, bias, groups, nd, transposed=True)
    stride, dilation = _conv_args(name, stride, dilation, nd)
    if isinstance(padding, str):
        raise TypeError(f"{name}: padding must be an int or a tuple of {nd} ints, "
                        f"got {padding!r} (strings are for convolutions only)")
    pads = _conv_padding(padding, (1,) * nd, stride, dilation, nd)
    extra = _int_tuple("output_padding", output_padding, nd)
    if any(op < 0 for op in extra):
        raise RuntimeError("negative output_padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(extra, stride, dilation)):
        dims = ("height", "width") if nd == 2 else ("width",)
        parts = [f"output_padding_{k}: {v}" for k, v in zip(dims, extra)]
        parts += [f"stride_{k}: {v}" for k, v in zip(dims, stride)]
        parts += [f"dilation_{k}: {v}" for k, v in zip(dims, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           f"got {' '.join(parts)}")
    x, w = _as_2d(input, weight, nd, unbatched)
    kernel = _spatial_2d(tuple(weight.shape[2:]), nd, 1)
    stride, dilation = _spatial_2d(stride, nd, 1), _spatial_2d(dilation, nd, 1)
    pads, extra = _spatial_2d(tuple(p for p, _ in pads), nd, 0), _spatial_2d(extra, nd, 0)
    n, in_channels, h, wid = x.shape
    out_channels = w.shape[1] * groups
    full = tuple((size - 1) * s + d * (k - 1) + 1
                 for size, s, d, k in zip((h, wid), stride, dilation, kernel))
    out_hw = tuple(f - 2 * p + e for f, p, e in zip(full, pads, extra))
    if any(size <= 0 for size in out_hw):
        raise RuntimeError(f"{name}: the output size {list(out_hw[2 - nd:])} is not positive "
                           f"(input {list(input.shape)}, padding {list(pads[2 - nd:])})")
    w3 = w.reshape(groups, in_channels // groups, -1)
    x3 = _channel_major(x, groups)
    cols = _scratch.empty((groups, w3.shape[2], x3.shape[2]), x.dtype)
    xp.matmul(w3.transpose(0, 2, 1), x3, out=cols)
    buffer = (out_channels, n) + tuple(f + e for f, e in zip(full, extra))
    out = _col2im(cols.reshape((out_channels,) + kernel + (n, h, wid)), buffer, kernel, stride,
                  dilation)
    out = out[:, :, pads[0]:pads[0] + out_hw[0], pads[1]:pads[1] + out_hw[1]]
    y = _output(out, bias, unbatched, nd)
    inputs, need_x, need_w, need_b = _graph_inputs(input, weight, bias)

    def backward(g):
        g = g.reshape((n, out_channels) + out_hw)
        gb = g.sum(axis=(0, 2, 3)) if need_b else None
        gx = gw = None
        if need_x or need_w:
            gpad = _pad_zeros(g, (pads[0], pads[0], pads[1], pads[1]), scratch=True)
            gcols = _im2col(gpad, kernel, stride, dilation, (h, wid), groups)
            if need_w:
                gw = xp.matmul(x3, gcols.transpose(0, 2, 1))
            if need_x:
                gx = xp.matmul(w3, gcols).reshape(in_channels, n, h, wid).transpose(1, 0, 2, 3)
        return _grads_back((gx, gw, gb), input, weight, bias)
    return record(y, backward, inputs, "ConvolutionBackward0")


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """1-d transposed convolution (the gradient of ``conv1d`` with respect to its input) of
    (N, C_in, L) ``input`` with ``weight`` (C_in, C_out / groups, k).

    Example:
        >>> F.conv_transpose1d(genesis.tensor([[[1.0, 2.0]]]), genesis.tensor([[[1.0, 1.0]]]))
        tensor([[[1., 3., 2.]]])
    """
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 1)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """2-d transposed convolution (the gradient of ``conv2d`` with respect to its input) of
    (N, C_in, H, W) ``input`` with ``weight`` (C_in, C_out / groups, kh, kw); the output is
    (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1 high.

    Example:
        >>> F.conv_transpose2d(genesis.ones(1, 1, 2, 2), genesis.ones(1, 1, 2, 2), stride=2)
        tensor([[[[1., 1., 1., 1.],
                  [1., 1., 1., 1.],
                  [1., 1., 1., 1.],
                  [1., 1., 1., 1.]]]])
    """
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 2)


# ------------------------------------------------------------------ layers

class _ConvNd(Module):
    """What every convolution layer shares: arguments, parameters, initialisation, repr."""

    _nd = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, groups: int, bias: bool, padding_mode: str,
                 output_padding: Any = 0, dtype: Any = None) -> None:
        super().__init__()
        nd, name = self._nd, type(self).__name__
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not _is_int(value) or value <= 0:
                raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}")
        if not _is_int(groups) or groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        kernel_size = _int_tuple("kernel_size", kernel_size, nd, minimum=1)
        stride = _int_tuple("stride", stride, nd, minimum=1)
        dilation = _int_tuple("dilation", dilation, nd, minimum=1)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            pairs = _conv_padding(padding, kernel_size, stride, dilation, nd)
            self._reversed_padding_repeated_twice = [p for pair in reversed(pairs) for p in pair]
        else:
            padding = _int_tuple("padding", padding, nd, minimum=0)
            self._reversed_padding_repeated_twice = list(_reverse_repeat_tuple(padding, 2))
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode='{padding_mode}'")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}')
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.transposed = dilation, self._transposed
        self.output_padding = _int_tuple("output_padding", output_padding, nd, minimum=0)
        self.groups, self.padding_mode = groups, padding_mode
        shape = ((in_channels, out_channels // groups) if self._transposed
                 else (out_channels, in_channels // groups))
        self.weight = Parameter(genesis.empty(*shape, *kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(genesis.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's defaults: weight ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in),
        1/sqrt(fan_in)) with fan_in = weight.shape[1] * prod(kernel_size); bias from the same
        range."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        nd = self._nd
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * nd:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        if self.padding_mode != "zeros":
            input = pad(input, self._reversed_padding_repeated_twice, self.padding_mode)
            return _convnd(input, weight, bias, self.stride, 0, self.dilation, self.groups,
                           self._nd)
        return _convnd(input, weight, bias, self.stride, self.padding, self.dilation,
                       self.groups, self._nd)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class _Conv(_ConvNd):
    """PyTorch's constructor signature of ``Conv1d`` and ``Conv2d``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: str | int | Sequence[int] = 0,
                 dilation: int | Sequence[int] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype=dtype)


class Conv1d(_Conv):
    """1-d convolution over (N, C_in, L) or (C_in, L) inputs; PyTorch's arguments, defaults,
    parameters (``weight`` (C_out, C_in / groups, k), ``bias``) and initialisation.

    Example:
        >>> conv = nn.Conv1d(4, 8, kernel_size=3, padding="same")
        >>> conv(genesis.zeros(2, 4, 10)).shape
        genesis.Size([2, 8, 10])
    """

    _nd = 1


class Conv2d(_Conv):
    """2-d convolution over (N, C_in, H, W) or (C_in, H, W) inputs; PyTorch's arguments,
    defaults, parameters (``weight`` (C_out, C_in / groups, kh, kw), ``bias``) and
    initialisation. ``padding`` may be "same" or "valid"; ``padding_mode`` is "zeros",
    "reflect", "replicate" or "circular".

    Example:
        >>> conv = nn.Conv2d(1, 6, 5)
        >>> conv
        Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
        >>> conv(genesis.zeros(64, 1, 28, 28)).shape
        genesis.Size([64, 6, 24, 24])
    """


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        if isinstance(padding, str):
            raise TypeError(f"{type(self).__name__}: padding must be an int or a tuple of ints, "
                            f"got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, dtype=dtype)

    def _output_padding(self, input: Tensor, output_size: Sequence[int] | None) -> tuple:
        """The output_padding that gives ``output_size`` (PyTorch's rule), or the layer's own."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        sizes = list(output_size)[-nd:] if len(output_size) in (nd + 1, nd + 2) \
            else list(output_size)
        if len(sizes) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input.ndim}D input, output_size must "
                             f"have {nd} or {input.ndim} elements (got {len(output_size)})")
        extra = []
        for i, wanted in enumerate(sizes):
            size = input.shape[input.ndim - nd + i]
            smallest = ((size - 1) * self.stride[i] - 2 * self.padding[i]
                        + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            largest = smallest + self.stride[i] - 1
            if not smallest <= wanted <= largest:
                raise ValueError(
                    f"requested an output size of {sizes}, but valid sizes range from "
                    f"{[smallest]} to {[largest]} (for an input of {list(input.shape[2:])})")
            extra.append(wanted - smallest)
        return tuple(extra)

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        return _conv_transposend(input, self.weight, self.bias, self.stride, self.padding,
                                 self._output_padding(input, output_size), self.groups,
                                 self.dilation, self._nd)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution over (N, C_in, L) inputs; ``weight`` is
    (C_in, C_out / groups, k), as in PyTorch.

    Example:
        >>> nn.ConvTranspose1d(4, 2, 3, stride=2)(genesis.zeros(1, 4, 5)).shape
        genesis.Size([1, 2, 11])
    """

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution over (N, C_in, H, W) inputs; ``weight`` is
    (C_in, C_out / groups, kh, kw), as in PyTorch. ``forward(input, output_size)`` picks the
    ``output_padding`` that gives ``output_size``.

    Example:
        >>> up = nn.ConvTranspose2d(16, 8, kernel_size=2, stride=2)
        >>> up(genesis.zeros(1, 16, 7, 7)).shape
        genesis.Size([1, 8, 14, 14])
    """


__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "conv1d", "conv2d",
           "conv_transpose1d", "conv_transpose2d"]
