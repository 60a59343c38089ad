"""Pooling: ``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveAvgPool1d/2d``,
``AdaptiveMaxPool1d/2d`` and their functional forms (each one fused graph node).

Fixed windows are strided slices of the padded input, one per kernel offset: the forward
folds them with ``maximum``/``add`` (kh * kw vectorised passes over the output, no copy of the
windows), the backward adds the gradient back through the same slices. Adaptive windows vary
in size: average pooling is a product with two small averaging matrices, max pooling gathers
index windows. 1-d pooling runs as 2-d pooling with a height of 1.
"""
from __future__ import annotations

from typing import Any, Sequence

from genesis.autograd import record
from genesis.backend import quiet, xp
from genesis.nn.modules.module import Module
from genesis.nn.modules.utils import _check_tensor, _int_tuple, _is_int, _pair, _single
from genesis.tensor import Tensor

_wrap = Tensor._wrap


# ------------------------------------------------------------------ shared geometry

def _output_size(size: int, kernel: int, stride: int, pad: int, dilation: int,
                 ceil_mode: bool) -> int:
    """PyTorch's ``pooling_output_shape``: a window may start in the padding but not past it."""
    span = dilation * (kernel - 1) + 1
    out = (size + 2 * pad - span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _pool_args(name: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
               nd: int) -> tuple:
    """Kernel, stride (``None`` or empty: the kernel), padding and dilation as ``nd``-tuples."""
    try:
        kernel = _int_tuple("kernel_size", kernel_size, nd)
        stride = kernel if stride is None or stride == [] or stride == () else \
            _int_tuple("stride", stride, nd)
        padding, dilation = _int_tuple("padding", padding, nd), _int_tuple("dilation", dilation, nd)
    except ValueError:
        raise RuntimeError(f"{name}: kernel_size, stride, padding and dilation must each be a "
                           f"single int or a tuple of {nd} ints") from None
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got {list(kernel)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(padding)}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
    if any(p > k // 2 for k, p in zip(kernel, padding)):  # PyTorch's second, stricter check
        if nd == 1:
            raise RuntimeError(f"{name}() padding should be at most half of kernel size, but got "
                               f"padding={padding[0]} and kernel_size={kernel[0]}")
        (kh, kw), (ph, pw) = kernel, padding
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")
    return kernel, stride, padding, dilation


def _as_4d(name: str, input: Tensor, nd: int) -> tuple:
    """``input`` as an NCHW array (views), and whether it was unbatched."""
    _check_tensor("input", input)
    x = input._array
    if x.ndim not in (nd + 1, nd + 2) or (x.ndim == nd + 2 and 0 in x.shape[1:]) or \
            (x.ndim == nd + 1 and 0 in x.shape):
        raise RuntimeError(
            f"{name + ': ' if nd == 1 else ''}Expected {nd + 1}D or {nd + 2}D (batch mode) "
            f"tensor with optional 0 dim batch size for input, but got:{list(x.shape)}")
    unbatched = x.ndim == nd + 1
    x = x[None] if unbatched else x
    return (x[:, :, None, :] if nd == 1 else x), unbatched


def _from_4d(out: Any, nd: int, unbatched: bool) -> Any:
    out = out[:, :, 0, :] if nd == 1 else out
    return out[0] if unbatched else out


def _geometry(name: str, x: Any, kernel: tuple, stride: tuple, padding: tuple,
              dilation: tuple, ceil_mode: bool) -> tuple:
    """Output (Ho, Wo) and the (top, bottom, left, right) padding that makes every window fit."""
    out = tuple(_output_size(size, k, s, p, d, ceil_mode) for size, k, s, p, d in
                zip(x.shape[2:], kernel, stride, padding, dilation))
    if any(o <= 0 for o in out):
        n, c, h, w = x.shape
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")
    after = tuple(max((o - 1) * s + d * (k - 1) + 1 - size - p, 0) for o, s, d, k, size, p in
                  zip(out, stride, dilation, kernel, x.shape[2:], padding))
    return out, (padding[0], after[0], padding[1], after[1])


def _padded(x: Any, pads: tuple, fill: Any) -> Any:
    top, bottom, left, right = pads
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    # full_like keeps x's memory order: a channel-major conv output stays channel-major.
    out = xp.full_like(x, fill, shape=(n, c, h + top + bottom, w + left + right))
    out[:, :, top:top + h, left:left + w] = x
    return out


def _offsets(kernel: tuple, stride: tuple, dilation: tuple, out: tuple):
    """For each kernel offset, the strided slice of the padded input its windows read."""
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            yield (slice(None), slice(None),
                   slice(i * dilation[0], i * dilation[0] + stride[0] * (out[0] - 1) + 1,
                         stride[0]),
                   slice(j * dilation[1], j * dilation[1] + stride[1] * (out[1] - 1) + 1,
                         stride[1]))


def _crop(grad: Any, pads: tuple, shape: tuple) -> Any:
    return grad[:, :, pads[0]:pads[0] + shape[2], pads[2]:pads[2] + shape[3]]


# ------------------------------------------------------------------ max pooling

def _first_hits(xpad: Any, slices: list, best: Any):
    """For each kernel offset, where its element is the window's argmax in PyTorch's sense:
    the first maximum, or in a window holding NaN the last NaN. Bitwise mask arithmetic
    (``np.where``/masked copies are ten times slower here)."""
    nan_hits = None
    if best.dtype.kind == "f" and xp.isnan(best).any():
        nan_hits, unclaimed = [], xp.ones(best.shape, dtype=bool)
        for where in reversed(slices):
            hit = xp.isnan(xpad[where]) & unclaimed
            unclaimed ^= hit
            nan_hits.append(hit)
        nan_hits.reverse()
    unclaimed = xp.ones(best.shape, dtype=bool)
    for k, where in enumerate(slices):
        hit = xpad[where] == best
        hit &= unclaimed
        unclaimed ^= hit
        yield hit if nan_hits is None else hit | nan_hits[k]


def _max_pool(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
              ceil_mode: bool, return_indices: bool, nd: int) -> Any:
    name = f"max_pool{nd}d"
    kernel, stride, padding, dilation = _pool_args(name, kernel_size, stride, padding,
                                                   dilation, nd)
    x, unbatched = _as_4d(name, input, nd)
    kernel, stride = (1,) * (2 - nd) + kernel, (1,) * (2 - nd) + stride
    padding, dilation = (0,) * (2 - nd) + padding, (1,) * (2 - nd) + dilation
    out, pads = _geometry(name, x, kernel, stride, padding, dilation, ceil_mode)
    lowest = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
    xpad = _padded(x, pads, lowest)
    slices = list(_offsets(kernel, stride, dilation, out))
    best = xpad[slices[0]].copy(order="K")
    for where in slices[1:]:
        xp.maximum(best, xpad[where], out=best)  # NaN propagates, as in PyTorch
    y = _wrap(_from_4d(best, nd, unbatched))
    overlap = any(s < d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel))

    def backward(g):
        g = g.reshape(best.shape)
        grad = xp.zeros_like(xpad)
        for where, hit in zip(slices, _first_hits(xpad, slices, best)):
            if overlap:
                grad[where] += g * hit
            else:
                xp.multiply(g, hit, out=grad[where])
        return (_crop(grad, pads, x.shape).reshape(input._array.shape),)
    record(y, backward, (input,), f"MaxPool{nd}DWithIndicesBackward0")
    if not return_indices:
        return y
    arg = xp.zeros(best.shape, dtype=xp.int64)
    for k, hit in enumerate(_first_hits(xpad, slices, best)):
        arg += hit * k
    rows = (arg // kernel[1]) * dilation[0] + (xp.arange(out[0]) * stride[0] - pads[0])[:, None]
    cols = (arg % kernel[1]) * dilation[1] + xp.arange(out[1]) * stride[1] - pads[2]
    indices = rows * x.shape[3] + cols
    return y, _wrap(_from_4d(indices, nd, unbatched))


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Maximum over sliding windows of the last dimension of (N, C, L) or (C, L) ``input``;
    with ``return_indices`` also the argmax positions along L.

    Example:
        >>> F.max_pool1d(genesis.tensor([[1.0, 5.0, 2.0, 0.0]]), 2)
        tensor([[5., 2.]])
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Maximum over sliding windows of (N, C, H, W) or (C, H, W) ``input`` (``stride``
    defaults to ``kernel_size``; padding counts as -inf); with ``return_indices`` also the
    argmax positions as flat indices into each H * W plane.

    Example:
        >>> x = genesis.tensor([[[[1.0, 2.0], [4.0, 3.0]]]])
        >>> F.max_pool2d(x, 2, return_indices=True)
        (tensor([[[[4.]]]]), tensor([[[[2]]]]))
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple:
    """``max_pool1d(..., return_indices=True)``: the maxima and their positions."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 1)


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple:
    """``max_pool2d(..., return_indices=True)``: the maxima and their flat H * W positions."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 2)


# ------------------------------------------------------------------ average pooling

def _divisors(size: int, kernel: int, stride: int, pad: int, out: int, count_pad: bool) -> Any:
    """Per output position along one dim: the window length PyTorch divides by."""
    start = xp.arange(out) * stride - pad
    end = xp.minimum(start + kernel, size + pad)
    if count_pad:
        return end - start
    return xp.minimum(end, size) - xp.maximum(start, 0)


@quiet
def _avg_pool(input: Tensor, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,
              count_include_pad: bool, divisor_override: int | None, nd: int) -> Tensor:
    name = f"avg_pool{nd}d"
    kernel, stride, padding, _ = _pool_args(name, kernel_size, stride, padding, 1, nd)
    if divisor_override is not None and (not _is_int(divisor_override) or
                                         divisor_override == 0):
        raise RuntimeError(f"divisor must be not zero, got divisor_override={divisor_override!r}")
    x, unbatched = _as_4d(name, input, nd)
    kernel, stride = (1,) * (2 - nd) + kernel, (1,) * (2 - nd) + stride
    padding = (0,) * (2 - nd) + padding
    out, pads = _geometry(name, x, kernel, stride, padding, (1, 1), ceil_mode)
    if divisor_override is not None:
        scale = x.dtype.type(1.0 / divisor_override)
    else:
        rows, cols = (_divisors(size, k, s, p, o, count_include_pad) for size, k, s, p, o in
                      zip(x.shape[2:], kernel, stride, padding, out))
        scale = (1.0 / (rows[:, None] * cols[None, :])).astype(x.dtype)
    xpad = _padded(x, pads, 0)
    slices = list(_offsets(kernel, stride, (1, 1), out))
    total = xpad[slices[0]].copy(order="K")
    for where in slices[1:]:
        total += xpad[where]
    total *= scale
    y = _wrap(_from_4d(total, nd, unbatched))

    def backward(g):
        g = g.reshape(total.shape) * scale
        grad = xp.zeros_like(xpad)
        for where in slices:
            grad[where] += g
        return (_crop(grad, pads, x.shape).reshape(input._array.shape),)
    return record(y, backward, (input,), f"AvgPool{nd}DBackward0")


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over sliding windows of the last dimension of (N, C, L) or (C, L) ``input``.

    Example:
        >>> F.avg_pool1d(genesis.tensor([[1.0, 3.0, 2.0, 6.0]]), 2)
        tensor([[2., 4.]])
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over sliding windows of (N, C, H, W) or (C, H, W) ``input``; padded zeros count
    when ``count_include_pad``; ``divisor_override`` replaces the window size as divisor.

    Example:
        >>> F.avg_pool2d(genesis.arange(16.0).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2)


# ------------------------------------------------------------------ adaptive pooling

def _adaptive_args(name: str, input: Tensor, output_size: Any, nd: int) -> tuple:
    _check_tensor("input", input)
    if input.ndim not in (nd + 1, nd + 2):
        if nd == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional "
                               f"tensor for argument #1 'self' (while checking arguments for "
                               f"{name})")
        colon = ":" if "max" in name else ""
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got{colon} "
                           f"{list(input.shape)}")
    sizes = _single(output_size) if nd == 1 else _pair(output_size)
    if len(sizes) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd}")
    spatial = tuple(input.shape[-nd:])
    sizes = tuple(s if v is None else v for v, s in zip(sizes, spatial))
    if not all(_is_int(v) for v in sizes):
        raise TypeError(f"{name}: output_size must be ints (or None), got {output_size!r}")
    if any(v < 0 for v in sizes):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 "
                           f"but received {output_size!r}")
    x, unbatched = _as_4d(name, input, nd)
    return x, unbatched, (1,) * (2 - nd) + sizes


def _bounds(size: int, out: int) -> tuple:
    """PyTorch's adaptive windows along one dim: [floor(i*size/out), ceil((i+1)*size/out))."""
    i = xp.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _averaging(size: int, out: int, dtype: Any) -> Any:
    """The (out, size) matrix whose rows average each adaptive window."""
    start, end = _bounds(size, out)
    inside = (xp.arange(size) >= start[:, None]) & (xp.arange(size) < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


@quiet
def _adaptive_avg_pool(input: Tensor, output_size: Any, nd: int) -> Tensor:
    name = f"adaptive_avg_pool{nd}d"
    x, unbatched, out = _adaptive_args(name, input, output_size, nd)
    rows, cols = _averaging(x.shape[2], out[0], x.dtype), _averaging(x.shape[3], out[1], x.dtype)
    y = xp.einsum("ih,nchw,jw->ncij", rows, x, cols, optimize=True)
    shape = input._array.shape

    def backward(g):
        g = g.reshape(x.shape[:2] + out)
        return (xp.einsum("ih,ncij,jw->nchw", rows, g, cols, optimize=True).reshape(shape),)
    return record(_wrap(_from_4d(y, nd, unbatched)), backward, (input,),
                  f"AdaptiveAvgPool{nd}DBackward0")


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Mean over ``output_size`` windows spread evenly over the last dimension (PyTorch's
    window bounds: floor(i * L / out) to ceil((i + 1) * L / out)).

    Example:
        >>> F.adaptive_avg_pool1d(genesis.tensor([[1.0, 2.0, 3.0]]), 2)
        tensor([[1.5000, 2.5000]])
    """
    return _adaptive_avg_pool(input, output_size, 1)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Mean over an ``output_size`` grid of windows spread evenly over H and W (``None`` keeps
    that size); ``output_size=1`` is global average pooling.

    Example:
        >>> F.adaptive_avg_pool2d(genesis.arange(4.0).reshape(1, 1, 2, 2), 1)
        tensor([[[[1.5000]]]])
    """
    return _adaptive_avg_pool(input, output_size, 2)


def _windows(size: int, out: int) -> Any:
    """(out, longest window) input positions per adaptive window; short windows repeat their
    last position, which changes neither the maximum nor which position comes first."""
    start, end = _bounds(size, out)
    longest = int((end - start).max()) if out else 1
    return xp.minimum(start[:, None] + xp.arange(longest), end[:, None] - 1)


def _adaptive_max_pool(input: Tensor, output_size: Any, return_indices: bool, nd: int) -> Any:
    name = f"adaptive_max_pool{nd}d"
    x, unbatched, out = _adaptive_args(name, input, output_size, nd)
    n, c, h, w = x.shape
    rows, cols = _windows(h, out[0]), _windows(w, out[1])
    # (N, C, Ho, kh, Wo, kw) -> (N, C, Ho, Wo, kh * kw)
    gathered = x[:, :, rows[:, :, None, None], cols[None, None, :, :]]
    flat = gathered.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, out[0], out[1], -1)
    arg = xp.argmax(flat, axis=-1)[..., None]
    best = xp.take_along_axis(flat, arg, axis=-1)[..., 0]
    arg = arg[..., 0]
    picked_rows = xp.take_along_axis(rows[None, None, :, None, :],
                                     (arg // cols.shape[1])[:, :, :, :, None], axis=4)[..., 0]
    picked_cols = xp.take_along_axis(cols[None, None, None, :, :],
                                     (arg % cols.shape[1])[:, :, :, :, None], axis=4)[..., 0]
    indices = picked_rows * w + picked_cols
    y = _wrap(_from_4d(best, nd, unbatched))
    shape = input._array.shape

    def backward(g):
        planes = (xp.arange(n * c) * (h * w)).reshape(n, c, 1, 1)
        summed = xp.bincount((indices + planes).ravel(), weights=g.reshape(best.shape).ravel(),
                             minlength=n * c * h * w)
        return (summed.astype(g.dtype).reshape(shape),)
    record(y, backward, (input,), f"AdaptiveMaxPool{nd}DBackward0")
    if not return_indices:
        return y
    return y, _wrap(_from_4d(indices.astype(xp.int64), nd, unbatched))


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maximum over ``output_size`` windows spread evenly over the last dimension.

    Example:
        >>> F.adaptive_max_pool1d(genesis.tensor([[1.0, 4.0, 2.0]]), 2)
        tensor([[4., 4.]])
    """
    return _adaptive_max_pool(input, output_size, return_indices, 1)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maximum over an ``output_size`` grid of windows spread evenly over H and W; with
    ``return_indices`` also the flat H * W positions of the maxima.

    Example:
        >>> F.adaptive_max_pool2d(genesis.arange(4.0).reshape(1, 1, 2, 2), 1)
        tensor([[[[3.]]]])
    """
    return _adaptive_max_pool(input, output_size, return_indices, 2)


# ------------------------------------------------------------------ layers

class _MaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        _pool_args(f"max_pool{self._nd}d", kernel_size, stride, padding, dilation, self._nd)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:
        return _max_pool(input, self.kernel_size, self.stride, self.padding, self.dilation,
                         self.ceil_mode, self.return_indices, self._nd)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max pooling over the last dimension of (N, C, L) or (C, L) inputs (``stride`` defaults
    to ``kernel_size``).

    Example:
        >>> nn.MaxPool1d(2)(genesis.tensor([[1.0, 5.0, 2.0, 0.0]]))
        tensor([[5., 2.]])
    """

    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """Max pooling over (N, C, H, W) or (C, H, W) inputs: ``stride`` (defaults to
    ``kernel_size``), ``padding`` (-inf), ``dilation``, ``ceil_mode``, ``return_indices``.

    Example:
        >>> nn.MaxPool2d(2)
        MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        >>> nn.MaxPool2d(2)(genesis.zeros(64, 6, 24, 24)).shape
        genesis.Size([64, 6, 12, 12])
    """


class AvgPool1d(Module):
    """Average pooling over the last dimension of (N, C, L) or (C, L) inputs.

    Example:
        >>> nn.AvgPool1d(2)(genesis.tensor([[1.0, 3.0, 2.0, 6.0]]))
        tensor([[2., 4.]])
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        _pool_args("avg_pool1d", kernel_size, stride, padding, 1, 1)
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Average pooling over (N, C, H, W) or (C, H, W) inputs: ``stride`` (defaults to
    ``kernel_size``), zero ``padding``, ``ceil_mode``, ``count_include_pad``,
    ``divisor_override``.

    Example:
        >>> nn.AvgPool2d(2)(genesis.ones(1, 4, 4)).shape
        genesis.Size([1, 2, 2])
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        _pool_args("avg_pool2d", kernel_size, stride, padding, 1, 2)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePoolNd(Module):
    def __init__(self, output_size: int | None | Sequence[int | None]) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Average pooling to ``output_size`` positions along the last dimension.

    Example:
        >>> nn.AdaptiveAvgPool1d(2)(genesis.tensor([[1.0, 2.0, 3.0]]))
        tensor([[1.5000, 2.5000]])
    """

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Average pooling to an ``output_size`` grid (an int, or a pair whose ``None`` entries
    keep the input's size); ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Example:
        >>> nn.AdaptiveAvgPool2d((1, 1))(genesis.zeros(8, 64, 7, 7)).shape
        genesis.Size([8, 64, 1, 1])
    """

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    def __init__(self, output_size: int | None | Sequence[int | None],
                 return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling to ``output_size`` positions along the last dimension.

    Example:
        >>> nn.AdaptiveMaxPool1d(1)(genesis.tensor([[1.0, 4.0, 2.0]]))
        tensor([[4.]])
    """

    def forward(self, input: Tensor) -> Any:
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling to an ``output_size`` grid; ``return_indices`` also gives the flat H * W
    positions of the maxima.

    Example:
        >>> nn.AdaptiveMaxPool2d(2)(genesis.zeros(1, 3, 5, 5)).shape
        genesis.Size([1, 3, 2, 2])
    """

    def forward(self, input: Tensor) -> Any:
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)


__all__ = [
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "max_pool1d", "max_pool2d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
]
