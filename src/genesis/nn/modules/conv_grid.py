"""Stride-1 convolutions on the padded grid, without im2col's columns.

For a stride-1 convolution, kernel offset (i, j) reads the zero-padded input shifted by i rows
and j columns. With each channel of the padded input flattened, (C, N * Hp * Wp), that shift
is a plain offset into the flat rows (i * Hp + j), so the input an offset sees is a contiguous
slice of them. The output is computed on the whole padded grid (every (n, y, x) with y < Hp,
x < Wp); only its (Ho, Wo) corner is kept, the rest is discarded.

The kw column shifts are copied once, stacked, into a (kw * C, L) matrix: kw times the padded
input, where im2col's columns are kh * kw times the output. One matmul of the weight, its
kernel rows stacked as (kh * O, kw * C), with that matrix gives every kernel row's
contribution on the grid; row i's block, shifted by i grid rows, is summed into the output
(a fixed loop over the kernel rows, never over the batch or the channels). The weight
gradient is kh matmuls against the same stacked matrix, kept from the forward; the input
gradient is this convolution of the zero-padded output gradient with the weight flipped in
space, its in and out channels swapped.

It moves less memory than im2col when the columns are large (16 channels at 32x32, batch 32:
a 7 MB stacked matrix against 19 MB of columns) and wastes little on the discarded border
when the padding is small against the image: ``usable`` says when.
"""
from __future__ import annotations

from typing import Any

from genesis.backend import scratch as _scratch
from genesis.backend import xp

# The grid path computes (Hp * Wp) / (Ho * Wo) times the needed outputs, and each matmul
# contracts kw * C values. Measured against im2col (forward and backward, float32, batch 32,
# one OpenBLAS thread): 3x3 with padding 1 at 32x32 (ratio 1.13) took 0.71-0.78x im2col's time
# with 8 and 16 channels; at 16x16 (ratio 1.27) 0.9x-1.04x from 16 to 64 channels; at 8x8 (1.56)
# 1.26x; and with 3, 4 or 6 input channels (kw * C = 9-18) 1.3x-2x.
MAX_GRID_RATIO = 1.3
MIN_CONTRACTION = 24


def usable(x_shape: tuple, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple,
           groups: int, out_hw: tuple) -> bool:
    """Whether the grid path suits this convolution (else: im2col)."""
    (top, bottom), (left, right) = pads
    spans = [d * (k - 1) for d, k in zip(dilation, kernel)]
    if stride != (1, 1) or groups != 1 or max(top, bottom) > spans[0] \
            or max(left, right) > spans[1]:
        return False  # the input gradient below needs padding <= dilation * (k - 1)
    grid = (x_shape[2] + top + bottom) * (x_shape[3] + left + right)
    return (x_shape[1] * kernel[1] >= MIN_CONTRACTION
            and grid <= MAX_GRID_RATIO * out_hw[0] * out_hw[1])


def _stacked_shifts(x: Any, pads: tuple, kernel: tuple, dilation: tuple) -> tuple:
    """The zero-padded (N, C, H, W) ``x`` as channel rows on the grid, its kw column shifts
    stacked: a (kw * C, L + (kh - 1) * dh * Wp) scratch matrix, row (j, c) = channel c's flat
    padded rows from offset j * dw (zeros past the end). Returns it and the grid (Hp, Wp)."""
    n, c, h, w = x.shape
    (top, bottom), (left, right) = pads
    (kh, kw), (dh, dw) = kernel, dilation
    hp, wp = h + top + bottom, w + left + right
    size = n * hp * wp
    tail = (kh - 1) * dh * wp
    padded = _scratch.empty((c, size + tail + (kw - 1) * dw), x.dtype)
    grid = padded[:, :size].reshape(c, n, hp, wp)
    for border in (grid[:, :, :top], grid[:, :, top + h:], grid[:, :, top:top + h, :left],
                   grid[:, :, top:top + h, left + w:], padded[:, size:]):
        border.fill(0)
    grid[:, :, top:top + h, left:left + w] = x.transpose(1, 0, 2, 3)
    # the array the pool hands out is the one returned (kept by the backward): a reshaped view
    # of it would not keep the pool from recycling the memory
    stacked = _scratch.empty((kw * c, size + tail), x.dtype)
    shifts = stacked.reshape(kw, c, size + tail)
    for j in range(kw):
        shifts[j] = padded[:, j * dw:j * dw + size + tail]
    return stacked, (hp, wp)


def _grid_conv(w: Any, stacked: Any, batch: int, grid: tuple, row_step: int,
               out_hw: tuple) -> Any:
    """The (O, N, Ho, Wo) output: one matmul of the weight, its kernel rows stacked as
    (kh * O, kw * C), with the stacked shifts gives every kernel row's contribution on the
    whole grid (one matmul with kh * O rows ran faster than kh with O rows each); kernel row
    i's block, shifted by i * row_step, is added onto row 0's in place (contiguous adds, faster
    than summing strided corners), and the valid corner is copied out."""
    o, c, kh, kw = w.shape
    rows = xp.ascontiguousarray(w.transpose(2, 0, 3, 1)).reshape(kh * o, kw * c)
    full = _scratch.empty((kh * o, stacked.shape[1]), stacked.dtype)
    xp.matmul(rows, stacked, out=full)
    size = batch * grid[0] * grid[1]
    first = full[:o, :size]
    for i in range(1, kh):
        first += full[i * o:(i + 1) * o, i * row_step:i * row_step + size]
    valid = first.reshape(o, batch, *grid)[:, :, :out_hw[0], :out_hw[1]]
    return xp.ascontiguousarray(valid)


def forward(x: Any, w: Any, pads: tuple, dilation: tuple, out_hw: tuple) -> tuple:
    """The convolution of (N, C, H, W) ``x`` with (O, C, kh, kw) ``w``: the channel-major
    (O, N, Ho, Wo) output, and what ``backward`` needs."""
    stacked, grid = _stacked_shifts(x, pads, w.shape[2:], dilation)
    out = _grid_conv(w, stacked, x.shape[0], grid, dilation[0] * grid[1], out_hw)
    return out, (stacked, grid)


def weight_grad(g: Any, saved: tuple, w_shape: tuple, dilation: tuple) -> Any:
    """dL/dw (O, C, kh, kw) from the (N, O, Ho, Wo) output gradient ``g``: the gradient set on
    the grid (zeros elsewhere), one matmul per kernel row against the stacked shifts."""
    stacked, (hp, wp) = saved
    n, o, ho, wo = g.shape
    c, kh, kw = w_shape[1:]
    on_grid = _scratch.empty((o, n, hp, wp), g.dtype)
    on_grid[:, :, ho:].fill(0)
    on_grid[:, :, :ho, wo:].fill(0)
    on_grid[:, :, :ho, :wo] = g.transpose(1, 0, 2, 3)
    flat = on_grid.reshape(o, -1)
    size, step = flat.shape[1], dilation[0] * wp
    grad = xp.empty((kh, kw * c, o), dtype=g.dtype)
    for i in range(kh):  # (kw * C, L) @ (L, O): faster in OpenBLAS than (O, L) @ (L, kw * C)
        xp.matmul(stacked[:, i * step:i * step + size], flat.T, out=grad[i])
    return xp.ascontiguousarray(grad.reshape(kh, kw, c, o).transpose(3, 2, 0, 1))


def input_grad(g: Any, w: Any, x_hw: tuple, pads: tuple, dilation: tuple) -> Any:
    """dL/dx (N, C, H, W), a channel-major view: the convolution of ``g`` zero-padded by
    dilation * (k - 1) - padding (never negative: see ``usable``) with ``w`` flipped in
    space, in/out channels swapped."""
    kh, kw = w.shape[2:]
    (top, bottom), (left, right) = pads
    span = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
    flip_pads = ((span[0] - top, span[0] - bottom), (span[1] - left, span[1] - right))
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    out, _ = forward(g, flipped, flip_pads, dilation, x_hw)
    return out.transpose(1, 0, 2, 3)


__all__ = ["usable", "forward", "weight_grad", "input_grad"]
