"""Padding: ``F.pad`` (one fused node; constant, reflect, replicate, circular) and the padding
layers (``ZeroPad2d``, ``ReflectionPad2d``, ...).

A non-constant mode is an index map per padded dimension (output position -> input position),
applied with ``take``; its gradient sums the output gradient back through the same map.
Negative padding crops, in every mode, as in PyTorch.
"""
from __future__ import annotations

from typing import Sequence

from genesis.autograd import record
from genesis.backend import xp
from genesis.mixed_precision import autocast_inputs
from genesis.nn.modules.module import Module
from genesis.nn.modules.utils import _check_tensor, _int_tuple, _is_int, _scatter_add_axis
from genesis.tensor import Tensor

_wrap = Tensor._wrap
_MODES = ("constant", "reflect", "replicate", "circular")
_SUPPORTED = ("Supported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _source_index(size: int, before: int, after: int, mode: str):
    """Where each output position along one dimension reads from, for a non-constant mode."""
    position = xp.arange(-before, size + after)
    if mode == "replicate":
        return xp.clip(position, 0, size - 1)
    if mode == "circular":
        # PyTorch crops first, then wraps around what is left.
        start, kept = max(-before, 0), size - max(-before, 0) - max(-after, 0)
        return xp.arange(-max(before, 0), kept + max(after, 0)) % kept + start
    period = 2 * (size - 1)
    position = xp.abs(position) % period if period else xp.zeros_like(position)
    return xp.where(position >= size, period - position, position)


def _check_pad(shape: tuple, pad: tuple, mode: str) -> None:
    ndim, dims = len(shape), len(pad) // 2
    if mode == "constant":
        return
    if not (dims <= 3 and dims + 1 <= ndim <= dims + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {ndim}D input tensor.\n{_SUPPORTED}")
    for i in range(dims):
        axis, before, after = ndim - 1 - i, pad[2 * i], pad[2 * i + 1]
        size = shape[axis]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({before}, {after}) at dimension {axis} of input "
                f"{list(shape)}")
        kept = size - max(-before, 0) - max(-after, 0)
        if mode == "circular" and (before > kept or after > kept):
            # PyTorch checks against the uncropped size and then reads uninitialised memory.
            raise RuntimeError(f"Padding value causes wrapping around more than once. (padding "
                               f"({before}, {after}) at dimension {axis}, {kept} of {size} "
                               f"elements left after cropping)")
        if mode == "replicate" and size == 0 and (before > 0 or after > 0):
            raise RuntimeError(f"padding: cannot replicate the border of an empty dimension "
                               f"{axis} of input {list(shape)}")


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dimensions: ``pad`` is (left, right, top, bottom, ...),
    last dimension first; negative entries crop. ``mode`` is ``"constant"`` (fill ``value``,
    default 0), ``"reflect"`` (mirror without repeating the edge), ``"replicate"`` (repeat the
    edge) or ``"circular"`` (wrap around).

    Example:
        >>> F.pad(genesis.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
        tensor([[3., 2., 1., 2., 3., 2.]])
    """
    _check_tensor("input", input)
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not "
                        f"{type(pad).__name__}")
    for i, item in enumerate(pad):
        if not _is_int(item):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but "
                            f"found element of type {type(item).__name__} at pos {i}")
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pads = tuple(int(p) for p in pad)
    x = input._array
    shape = x.shape
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pads) > 2 * x.ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pads)} and input of dimension {x.ndim}")
    if mode != "constant" and value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    _check_pad(shape, pads, mode)
    if mode == "replicate" or (mode == "reflect" and len(pads) < 6):
        # float32 ops of PyTorch's CPU autocast: replication_pad1d/2d/3d, reflection_pad1d/2d
        input = autocast_inputs("fp32", input)[0]
        x = input._array
    axes = [x.ndim - 1 - i for i in range(len(pads) // 2)]
    if mode == "constant":
        out_shape, src, dst = list(shape), [slice(None)] * x.ndim, [slice(None)] * x.ndim
        for i, axis in enumerate(axes):
            before, after = pads[2 * i], pads[2 * i + 1]
            out_shape[axis] = shape[axis] + before + after
            if out_shape[axis] < 0:
                raise RuntimeError(
                    f"The input size {shape[axis]}, plus negative padding {before} and {after} "
                    f"resulted in a negative output size, which is invalid. Check dimension "
                    f"{axis} of your input.")
            src[axis] = slice(max(-before, 0), shape[axis] - max(-after, 0))
            dst[axis] = slice(max(before, 0), out_shape[axis] - max(after, 0))
        src, dst = tuple(src), tuple(dst)
        out = xp.full(out_shape, 0 if value is None else value, dtype=x.dtype)
        out[dst] = x[src]

        def backward(g):
            grad = xp.zeros(shape, dtype=g.dtype)
            grad[src] = g[dst]
            return (grad,)
        return record(_wrap(out), backward, (input,), "ConstantPadNdBackward0")

    maps = [(axis, _source_index(shape[axis], pads[2 * i], pads[2 * i + 1], mode))
            for i, axis in enumerate(axes)]
    out = x
    for axis, index in maps:
        out = xp.take(out, index, axis=axis)

    def backward(g):
        for axis, index in reversed(maps):
            g = _scatter_add_axis(g, index, shape[axis], axis)
        return (g,)
    names = {"reflect": f"ReflectionPad{len(maps)}DBackward0",
             "replicate": f"ReplicationPad{len(maps)}DBackward0", "circular": "CopySlices"}
    return record(_wrap(out), backward, (input,), names[mode])


class _PadNd(Module):
    """Shared by the padding layers: ``padding`` is an int or ``2 * dims`` ints."""

    mode = "constant"
    dims = 1

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        self.padding = _int_tuple("padding", padding, 2 * self.dims)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``; ``padding`` is an int or (left, right).

    Example:
        >>> nn.ConstantPad1d((1, 2), 9.0)(genesis.tensor([[1.0, 2.0]]))
        tensor([[9., 1., 2., 9., 9.]])
    """


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with ``value``; ``padding`` is (left, right, top, bottom)."""

    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with ``value``; ``padding`` is 6 ints, last dim first."""

    dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dimension with zeros; ``padding`` is an int or (left, right)."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dimensions with zeros; ``padding`` is (left, right, top, bottom).

    Example:
        >>> nn.ZeroPad2d((1, 0, 0, 1))(genesis.ones(1, 1, 1))
        tensor([[[0., 1.],
                 [0., 0.]]])
    """

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    extra_repr = ZeroPad1d.extra_repr


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dimensions with zeros; ``padding`` is 6 ints, last dim first."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    extra_repr = ZeroPad1d.extra_repr


class ReflectionPad1d(_PadNd):
    """Pad the last dimension with its mirror image (the edge is not repeated).

    Example:
        >>> nn.ReflectionPad1d(2)(genesis.tensor([[0.0, 1.0, 2.0]]))
        tensor([[2., 1., 0., 1., 2., 1., 0.]])
    """

    mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Pad the last two dimensions with their mirror image; (left, right, top, bottom)."""

    dims = 2


class ReflectionPad3d(ReflectionPad1d):
    """Pad the last three dimensions with their mirror image; 6 ints, last dim first."""

    dims = 3


class ReplicationPad1d(_PadNd):
    """Pad the last dimension by repeating its edge values.

    Example:
        >>> nn.ReplicationPad1d((1, 2))(genesis.tensor([[0.0, 1.0]]))
        tensor([[0., 0., 1., 1., 1.]])
    """

    mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Pad the last two dimensions by repeating their edges; (left, right, top, bottom)."""

    dims = 2


class ReplicationPad3d(ReplicationPad1d):
    """Pad the last three dimensions by repeating their edges; 6 ints, last dim first."""

    dims = 3


class _CircularPadNd(_PadNd):
    mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"expected {self.dims + 1}D or {self.dims + 2}D input "
                             f"(got {input.ndim}D input)")
        return pad(input, self.padding, self.mode)


class CircularPad1d(_CircularPadNd):
    """Pad the last dimension by wrapping around (the end pads the start and vice versa).

    Example:
        >>> nn.CircularPad1d(1)(genesis.tensor([[0.0, 1.0, 2.0]]))
        tensor([[2., 0., 1., 2., 0.]])
    """


class CircularPad2d(_CircularPadNd):
    """Pad the last two dimensions by wrapping around; (left, right, top, bottom)."""

    dims = 2


class CircularPad3d(_CircularPadNd):
    """Pad the last three dimensions by wrapping around; 6 ints, last dim first."""

    dims = 3


__all__ = [
    "pad", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d",
    "ZeroPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
]
