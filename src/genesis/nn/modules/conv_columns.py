"""The im2col path of the convolutions: array kernels on 4-d (N, C, H, W) arrays.

``_im2col`` copies a strided view of the zero-padded input, (C, kh, kw, N, Ho, Wo), once into
a (groups, C / groups * kh * kw, N * Ho * Wo) matrix that one ``matmul`` with the weight turns
into every output; ``_col2im`` is its adjoint, one vectorised slice-add per kernel offset.
Arrays stay channel-major in memory, (C, N, H, W), seen as (N, C, H, W) transposed views, so
that the rows a convolution, its gradients and batch norm read are contiguous. Stride-1
convolutions with large columns take the grid path instead (``conv_grid``).
"""
from __future__ import annotations

from typing import Any

from genesis.backend import scratch as _scratch
from genesis.backend import xp

_as_strided = xp.lib.stride_tricks.as_strided


def _pad_zeros(x: Any, pads: tuple, scratch: bool = False) -> Any:
    """``x`` (N, C, H, W) with (top, bottom, left, right) rows/columns of zeros around it, in
    x's memory order (channel-major stays channel-major); from the scratch pool when the
    result never leaves the op (only the border is then zeroed)."""
    top, bottom, left, right = pads
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    shape = (n, c, h + top + bottom, w + left + right)
    if not scratch:
        out = xp.zeros_like(x, shape=shape)
    else:
        if x.strides[1] > x.strides[0]:  # channel-major: keep it (one pooled array, transposed)
            out = _scratch.empty((c, n) + shape[2:], x.dtype, axes=(1, 0, 2, 3))
        else:
            out = _scratch.empty(shape, x.dtype)
        for border in (out[:, :, :top], out[:, :, top + h:], out[:, :, top:top + h, :left],
                       out[:, :, top:top + h, left + w:]):
            border.fill(0)
    out[:, :, top:top + h, left:left + w] = x
    return out


def _im2col(x: Any, kernel: tuple, stride: tuple, dilation: tuple, out: tuple,
            groups: int) -> Any:
    """The (groups, C/groups * kh * kw, N * Ho * Wo) columns of a padded (N, C, H, W) array
    (scratch memory: they never leave the op)."""
    n, c = x.shape[:2]
    sn, sc, sh, sw = x.strides
    (kh, kw), (ho, wo) = kernel, out
    view = _as_strided(x, (c, kh, kw, n, ho, wo),
                       (sc, sh * dilation[0], sw * dilation[1], sn, sh * stride[0],
                        sw * stride[1]), writeable=False)
    cols = _scratch.empty((groups, c // groups * kh * kw, n * ho * wo), x.dtype)
    xp.copyto(cols.reshape(view.shape), view)
    return cols


def _col2im(cols: Any, shape: tuple, kernel: tuple, stride: tuple, dilation: tuple) -> Any:
    """Sum columns (C, kh, kw, N, Ho, Wo) back into a zero channel-major (C, N, H, W) array:
    the adjoint of :func:`_im2col`, one vectorised slice-add per kernel offset."""
    out = xp.zeros(shape, dtype=cols.dtype)
    kh, kw, _, ho, wo = cols.shape[1:]
    (sh, sw), (dh, dw) = stride, dilation
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh,
                j * dw:j * dw + sw * (wo - 1) + 1:sw] += cols[:, i, j]
    return out


def _channel_major(g: Any, groups: int) -> Any:
    """(N, C, H, W) -> (groups, C/groups, N * H * W): free for our own channel-major layout."""
    c = g.shape[1]
    return g.transpose(1, 0, 2, 3).reshape(groups, c // groups, -1)
