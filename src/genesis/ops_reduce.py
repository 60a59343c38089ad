"""Reduction primitive ops (sum, mean, extremes, var/std, norm, cumsum, the softmax family):
each forward with its backward right below it; those that do arithmetic run ``backend.quiet``
(inf and NaN as PyTorch gives them, without NumPy's warnings)."""
from __future__ import annotations

import builtins
import math
import warnings

from .backend import quiet, xp
from .dtypes import opmath_dtype
from .ops_common import _unary
from .ops_elementwise import _sign
from .tensor_base import _wrap


def _expand_back(g, shape, axis, keepdim):
    """Broadcast a reduced gradient back over the reduced ``axis`` of ``shape``."""
    if axis is not None and not keepdim:
        g = xp.expand_dims(g, axis)
    return xp.broadcast_to(g, shape)


@quiet
def sum(a, axis=None, keepdim=False):  # noqa: A001 - PyTorch's name
    x = a._array
    z = x.sum(axis=axis, keepdims=keepdim)
    shape = x.shape
    if x.dtype.kind in "biu":
        z = z.astype(xp.int64, copy=False)
    return _unary(a, z, lambda g: (_expand_back(g, shape, axis, keepdim),),
                  "SumBackward0" if axis is None else "SumBackward1")


@quiet
def mean(a, axis=None, keepdim=False):
    x = a._array
    z = x.mean(axis=axis, keepdims=keepdim, dtype=x.dtype)
    shape = x.shape
    count = z.size and x.size // z.size
    return _unary(a, z, lambda g: (_expand_back(g / count, shape, axis, keepdim),),
                  "MeanBackward0" if axis is None else "MeanBackward1")


def amax(a, axis=None, keepdim=False, _fn=xp.amax, _name="AmaxBackward0"):
    """Max (or with ``_fn=amin`` min) over ``axis``; ties share the gradient evenly (and, as in
    PyTorch, a NaN result passes NaN back)."""
    x = a._array
    z = _fn(x, axis=axis, keepdims=True)

    def backward(g):
        hit = x == z
        count = hit.sum(axis=axis, keepdims=True)
        gk = g if keepdim or axis is None else xp.expand_dims(g, axis)
        return ((gk / count * hit).astype(x.dtype, copy=False),)
    return _unary(a, z if keepdim else (z.reshape(()) if axis is None else z.squeeze(axis)),
                  backward, _name)


def amin(a, axis=None, keepdim=False):
    return amax(a, axis, keepdim, _fn=xp.amin, _name="AminBackward0")


def extreme(a, largest):
    """``max()``/``min()`` of all elements: the gradient is shared by the elements equal to the
    result, or by the NaNs when the result is NaN (PyTorch's evenly_distribute_backward)."""
    x = a._array
    z = xp.asarray((xp.amax if largest else xp.amin)(x))

    def backward(g):
        hit = xp.isnan(x) if xp.isnan(z) else x == z
        return (xp.where(hit, g / hit.sum(), 0).astype(x.dtype, copy=False),)
    return _unary(a, z, backward, "MaxBackward1" if largest else "MinBackward1")


def max_dim(a, axis, keepdim=False, _largest=True):
    """Max (or min) along one ``axis``: (values, indices); the gradient goes to the index."""
    x = a._array
    idx = (xp.argmax if _largest else xp.argmin)(x, axis=axis, keepdims=True)
    z = xp.take_along_axis(x, idx, axis=axis)
    if not keepdim:
        z, idx = z.squeeze(axis), idx.squeeze(axis)

    def backward(g):
        full = xp.zeros_like(x)
        gi = g if keepdim else xp.expand_dims(g, axis)
        ii = idx if keepdim else xp.expand_dims(idx, axis)
        xp.put_along_axis(full, ii, gi, axis=axis)
        return (full,)
    values = _unary(a, z, backward, "MaxBackward0" if _largest else "MinBackward0")
    return values, _wrap(idx.astype(xp.int64, copy=False))


def _count(shape, axis):
    """How many elements a reduction over ``axis`` (None: all) takes each result from."""
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[i] for i in (axis if isinstance(axis, tuple) else (axis,)))


@quiet
def var(a, axis, correction, keepdim, _std=False):
    """Variance over ``axis`` dividing by ``max(0, N - correction)``; with ``_std`` its square
    root. The backward is PyTorch's: ``2 / (N - correction) * (x - mean)`` (so inf or NaN where
    PyTorch has them), and for std 0 where the std is 0 (a constant row), not NaN."""
    x = a._array
    wide = x.astype(xp.float64, copy=False)  # PyTorch accumulates in double: no early overflow
    n = _count(x.shape, axis)
    if n - correction <= 0:
        warnings.warn(f"{'std' if _std else 'var'}(): degrees of freedom is <= 0. Correction "
                      f"should be strictly less than the reduction factor (input numel divided "
                      f"by output numel).", UserWarning, stacklevel=6)
    centered = wide - wide.mean(axis=axis, keepdims=True) if n else wide  # none: NaN below
    z = (centered * centered).sum(axis=axis, keepdims=keepdim) / builtins.max(0, n - correction)
    if _std:
        z = xp.sqrt(z)
    z = xp.asarray(z).astype(x.dtype, copy=False)
    centered = centered.astype(x.dtype, copy=False)

    def backward(g):
        if _std:
            g = xp.where(z == 0, 0, g / (2 * z)).astype(z.dtype, copy=False)
        scale = 2.0 / (n - correction) if n != correction else math.inf
        return (_expand_back(g * scale, x.shape, axis, keepdim) * centered,)
    return _unary(a, z, backward, "StdBackward0" if _std else "VarBackward0")


@quiet
def norm(a, p, axis, keepdim):
    """The vector ``p``-norm over ``axis`` with PyTorch's gradient: 0 (not NaN) where the norm
    is 0, ``sign(x)`` for p = 1, the maximum entries sharing the gradient for p = inf."""
    x = a._array
    mag = xp.abs(x)
    if p == math.inf or p == -math.inf:
        z = (xp.amax if p > 0 else xp.amin)(mag, axis=axis, keepdims=True)
    elif p == 0:
        z = (x != 0).sum(axis=axis, keepdims=True).astype(x.dtype)
    elif p == 1:
        z = mag.sum(axis=axis, keepdims=True)
    elif p == 2:
        z = xp.sqrt((x * x).sum(axis=axis, keepdims=True))
    else:
        z = (mag ** p).sum(axis=axis, keepdims=True) ** (1.0 / p)

    def backward(g):
        gk = xp.reshape(g, z.shape)
        if p == 0:
            return (xp.zeros_like(x),)
        if p == 1:
            return (_sign(x) * gk,)
        if p == 2:
            return (gk * xp.where(z == 0, 0, x / z),)
        if p == math.inf or p == -math.inf:
            hit = (mag == z) | xp.isnan(mag)
            return (_sign(x) * (gk / hit.sum(axis=axis, keepdims=True) * hit),)
        if p < 1:
            scaled = _sign(x) * xp.where(x == 0, 0, mag ** (p - 1))
            return (scaled * gk * z ** (1 - p),)
        scaled = _sign(x) * mag ** (p - 1)
        return (scaled * xp.where(z == 0, 0, gk / z ** (p - 1)),)
    out = z if keepdim else (z.reshape(()) if axis is None else z.squeeze(axis))
    return _unary(a, out.astype(x.dtype, copy=False), backward, "LinalgVectorNormBackward0")


@quiet
def cumsum(a, axis, np_dtype=None):
    """Running sums along ``axis``, in ``np_dtype`` if given (else int64 for integers and bools,
    as in PyTorch); the gradient is the running sum of ``g`` from the far end, taken in the
    input's dtype as PyTorch takes it."""
    x = a._array
    dtype = np_dtype or (xp.int64 if x.dtype.kind in "biu" else x.dtype)
    src = x.dtype

    def backward(g):
        g = g.astype(src, copy=False)
        return (g if x.ndim == 0 else xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis),)
    z = x.astype(dtype) if x.ndim == 0 else xp.cumsum(x, axis=axis, dtype=dtype)
    return _unary(a, z, backward, "CumsumBackward0")


@quiet
def logsumexp(a, axis, keepdim=False):
    x = a._array
    # initial=-inf: a reduction over an empty dimension gives -inf, as in PyTorch.
    m = xp.amax(x, axis=axis, keepdims=True, initial=-xp.inf)
    m = xp.where(xp.isfinite(m), m, 0)
    lse = xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True)) + m
    z = lse if keepdim else (lse.reshape(()) if axis is None else lse.squeeze(axis))
    return _unary(a, z, lambda g: (_expand_back(g, x.shape, axis, keepdim) * xp.exp(x - lse),),
                  "LogsumexpBackward0")


@quiet
def softmax(a, axis):
    """Float16 computes in float32 and rounds its result, as PyTorch's CPU kernel does."""
    x = a._array
    xs = x.astype(opmath_dtype(x.dtype), copy=False)
    e = xp.exp(xs - xp.amax(xs, axis=axis, keepdims=True, initial=-xp.inf))
    z = e / e.sum(axis=axis, keepdims=True)

    def backward(g):
        g = g.astype(z.dtype, copy=False)
        return ((z * (g - (g * z).sum(axis=axis, keepdims=True))).astype(x.dtype, copy=False),)
    return _unary(a, z.astype(x.dtype, copy=False), backward, "SoftmaxBackward0")


@quiet
def log_softmax(a, axis):
    """Float16 computes in float32 and rounds its result, as PyTorch's CPU kernel does."""
    x = a._array
    xs = x.astype(opmath_dtype(x.dtype), copy=False)
    shifted = xs - xp.amax(xs, axis=axis, keepdims=True, initial=-xp.inf)
    z = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(g):
        g = g.astype(z.dtype, copy=False)
        return ((g - xp.exp(z) * g.sum(axis=axis, keepdims=True)).astype(x.dtype, copy=False),)
    return _unary(a, z.astype(x.dtype, copy=False), backward, "LogSoftmaxBackward0")
