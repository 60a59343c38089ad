"""Resampling: ``F.interpolate`` (one fused node), ``Upsample``, ``UpsamplingNearest2d`` and
``UpsamplingBilinear2d``.

Every mode is separable: each spatial axis maps output positions to input positions (nearest:
one index; linear: two indices and their weights), applied with ``take`` one axis at a time,
last axis first, so the arithmetic is PyTorch's own
(``h0 * (w0 * x00 + w1 * x01) + h1 * (w0 * x10 + w1 * x11)``). The source positions are computed
in PyTorch's precision (float32 for ``nearest``; the input's dtype for the linear modes), so the
same pixels are picked. The gradient sums back through the same maps.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

from genesis.autograd import record
from genesis.backend import quiet, xp
from genesis.nn.modules.module import Module
from genesis.nn.modules.pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
from genesis.nn.modules.utils import _check_tensor, _is_int, _scatter_add_axis
from genesis.tensor import Tensor

_wrap = Tensor._wrap
_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5}
_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


def _nearest_index(size: int, out: int, scale: float | None, exact: bool) -> Any:
    """PyTorch's ``nearest_idx`` (float32 arithmetic) for every output position."""
    position = xp.arange(out)
    if out == size:
        return position
    if out == 2 * size and not exact:
        return position >> 1
    ratio = xp.float32(1.0 / scale) if scale else xp.float32(size) / xp.float32(out)
    source = position.astype(xp.float32) + (xp.float32(0.5) if exact else 0)
    return xp.minimum(xp.floor(source * ratio).astype(xp.int64), size - 1)


def _linear_taps(size: int, out: int, scale: float | None, align_corners: bool,
                 dtype: Any) -> tuple:
    """PyTorch's ``compute_source_index_and_lambda``: two input indices and their weights per
    output position, in the input's precision."""
    position = xp.arange(out)
    if out == size:
        return position, position, xp.ones(out, dtype), xp.zeros(out, dtype)
    if align_corners:
        ratio = dtype.type(size - 1) / dtype.type(out - 1) if out > 1 else dtype.type(0)
        source = ratio * position.astype(dtype)
    else:
        ratio = dtype.type(1.0 / scale) if scale else dtype.type(size) / dtype.type(out)
        source = xp.maximum(ratio * (position.astype(dtype) + dtype.type(0.5)) - dtype.type(0.5),
                            dtype.type(0))
    first = xp.minimum(xp.floor(source).astype(xp.int64), size - 1)
    weight1 = xp.clip(source - first.astype(dtype), 0, 1).astype(dtype)
    second = first + (first < size - 1)
    return first, second, (dtype.type(1) - weight1), weight1


def _output_size(input: Tensor, size: Any, scale_factor: Any,
                 recompute_scale_factor: bool | None, dims: int) -> tuple:
    """The output's spatial size and the scales PyTorch passes to its kernels (or Nones)."""
    spatial = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,) * dims
        if len(sizes) != dims:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(spatial)} and output size of {size}. "
                f"Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size "
                f"in (o1, o2, ...,oK) format.")
        if not all(_is_int(s) for s in sizes):
            raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                            f"Tuple[int, int, int], but got size with types "
                            f"{[type(s) for s in sizes]}")
        scales = (None,) * dims
    elif scale_factor is not None:
        scales = tuple(scale_factor) if isinstance(scale_factor, (list, tuple)) else \
            (scale_factor,) * dims
        if len(scales) != dims:
            raise ValueError(
                f"Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {list(spatial)} and scale_factor of "
                f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                f"format and scale_factor in (s1, s2, ...,sK) format.")
        if not all(isinstance(s, numbers.Real) and not isinstance(s, bool) for s in scales):
            raise TypeError(f"scale_factor must be a float or a tuple of floats, got "
                            f"{scale_factor!r}")
        sizes = tuple(math.floor(n * float(s)) for n, s in zip(spatial, scales))
        if recompute_scale_factor:
            scales = (None,) * dims
    else:
        raise ValueError("either size or scale_factor should be defined")
    if any(n <= 0 for n in spatial + sizes):
        names = "DHW"[3 - dims:]
        show = lambda values: ", ".join(f"{k}: {v}" for k, v in zip(names, values))  # noqa: E731
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({show(spatial)}) output ({show(sizes)})")
    return sizes, scales


@quiet
def interpolate(input: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resample (N, C, *spatial) ``input`` to ``size`` or by ``scale_factor``: ``mode`` is
    "nearest", "nearest-exact", "linear" (3-d input), "bilinear" (4-d), "trilinear" (5-d) or
    "area" (adaptive average pooling); ``align_corners`` (linear modes) maps the corner pixels
    onto each other.

    Example:
        >>> x = genesis.tensor([[[1.0, 2.0]]])
        >>> F.interpolate(x, scale_factor=2)
        tensor([[[1., 1., 2., 2.]]])
        >>> F.interpolate(x, size=3, mode="linear", align_corners=True)
        tensor([[[1.0000, 1.5000, 2.0000]]])
    """
    _check_tensor("input", input)
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    else:
        align_corners = bool(align_corners)
    known = mode in ("nearest", "nearest-exact", "area") or mode in _LINEAR
    if not known or input.ndim not in (3, 4, 5):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: {_MODES} (got {mode})")
    if mode in _LINEAR and input.ndim != _LINEAR[mode]:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR[mode]}D input")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported in Genesis")
    dims = input.ndim - 2
    sizes, scales = _output_size(input, size, scale_factor, recompute_scale_factor, dims)
    if mode == "area":
        if dims == 3:
            raise NotImplementedError("interpolate: mode='area' supports 3-d and 4-d inputs")
        return (adaptive_avg_pool1d if dims == 1 else adaptive_avg_pool2d)(input, sizes)
    x = input._array
    steps = []  # (axis, [(index, weight or None), ...]) per spatial axis
    for i, (n, out, scale) in enumerate(zip(x.shape[2:], sizes, scales)):
        if mode in _LINEAR:
            first, second, w0, w1 = _linear_taps(n, out, scale, align_corners, x.dtype)
            shape = (out,) + (1,) * (dims - 1 - i)
            steps.append((2 + i, [(first, w0.reshape(shape)), (second, w1.reshape(shape))]))
        else:
            steps.append((2 + i, [(_nearest_index(n, out, scale, mode == "nearest-exact"),
                                   None)]))
    out = x
    for axis, taps in reversed(steps):
        parts = [xp.take(out, index, axis=axis) for index, _ in taps]
        if taps[0][1] is None:
            out = parts[0]
        else:
            out = taps[0][1] * parts[0] + taps[1][1] * parts[1]

    def backward(g):
        for axis, taps in steps:
            size = x.shape[axis]
            total = None
            for index, weight in taps:
                part = _scatter_add_axis(g if weight is None else g * weight, index, size, axis)
                total = part if total is None else total + part
            g = total
        return (g,)
    kind = "Nearest" if mode == "nearest" else \
        ("NearestExact" if mode == "nearest-exact" else mode.capitalize())
    return record(_wrap(out), backward, (input,), f"Upsample{kind}{dims}DBackward0")


class Upsample(Module):
    """Resample to ``size`` or by ``scale_factor`` with ``F.interpolate``'s modes.

    Example:
        >>> up = nn.Upsample(scale_factor=2, mode="bilinear")
        >>> up
        Upsample(scale_factor=2.0, mode='bilinear')
        >>> up(genesis.zeros(1, 3, 4, 4)).shape
        genesis.Size([1, 3, 8, 8])
    """

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = (f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None
                else f"size={self.size!r}")
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode="nearest")`` for 4-d inputs."""

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode="bilinear", align_corners=True)`` for 4-d inputs."""

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "interpolate"]
