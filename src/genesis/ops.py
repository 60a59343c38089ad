"""Primitive differentiable operations: each forward with its backward right below it.

To add an op: write ``def op(a, ...)`` that computes the output array, and when
``needs_grad(...)`` attach a closure mapping the output gradient ``g`` (an array) to one
gradient array per tensor input (``None`` where an input needs none).  Composite ops
(``lerp``, ``masked_fill``, ...) are Tensor methods built from these.  An op whose result shares
its input's storage marks it with ``views.viewing``; an op PyTorch has no derivative for records
``not_differentiable`` (backward raises, a gradient is never silently dropped).  Every public op
is classified in ``tests/test_grad_coverage.py``, which fails until a new one is.
"""
from __future__ import annotations

import builtins
import math
import warnings

from .autograd import attach, grad_mode, needs_grad, record
from .backend import xp
from .dtypes import opmath_dtype
from .special import erf as _erf
from .tensor_base import _wrap
from .views import viewing


def _needs(a, b=None) -> bool:
    return grad_mode.enabled and (a._rg or (b is not None and b._rg))


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, back to ``shape``."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return xp.asarray(g)


def broadcast_error(op, sa, sb):
    """The ValueError PyTorch-style for shapes ``sa`` and ``sb`` that do not broadcast."""
    for i in range(1, max(len(sa), len(sb)) + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            dim = max(len(sa), len(sb)) - i
            return ValueError(f"{op}: the size of tensor a ({x}) must match the size of tensor b "
                              f"({y}) at non-singleton dimension {dim} (shapes {tuple(sa)} and "
                              f"{tuple(sb)})")
    return ValueError(f"{op}: shapes {tuple(sa)} and {tuple(sb)} cannot be broadcast together")


def _binary(op, fn, a, b):
    try:
        return fn(a._array, b._array)
    except ValueError:
        raise broadcast_error(op, a._array.shape, b._array.shape) from None


# ---------------------------------------------------------------- elementwise binary

def add(a, b):
    out = _wrap(_binary("add", xp.add, a, b))
    if _needs(a, b):
        sa, sb, ra, rb = a._array.shape, b._array.shape, a._rg, b._rg
        attach(out, lambda g: (unbroadcast(g, sa) if ra else None,
                               unbroadcast(g, sb) if rb else None), (a, b), "AddBackward0")
    return out


def sub(a, b):
    out = _wrap(_binary("sub", xp.subtract, a, b))
    if _needs(a, b):
        sa, sb, ra, rb = a._array.shape, b._array.shape, a._rg, b._rg
        attach(out, lambda g: (unbroadcast(g, sa) if ra else None,
                               unbroadcast(-g, sb) if rb else None), (a, b), "SubBackward0")
    return out


def mul(a, b):
    x, y = a._array, b._array
    out = _wrap(_binary("mul", xp.multiply, a, b))
    if _needs(a, b):
        ra, rb = a._rg, b._rg
        attach(out, lambda g: (unbroadcast(g * y, x.shape) if ra else None,
                               unbroadcast(g * x, y.shape) if rb else None), (a, b), "MulBackward0")
    return out


def div(a, b):
    x, y = a._array, b._array
    out = _wrap(_binary("div", xp.true_divide, a, b))
    if _needs(a, b):
        ra, rb = a._rg, b._rg
        attach(out, lambda g: (unbroadcast(g / y, x.shape) if ra else None,
                               unbroadcast(-g * x / (y * y), y.shape) if rb else None),
               (a, b), "DivBackward0")
    return out


def int_power(x, y):
    """``x ** y`` for integer arrays as PyTorch computes it: a negative exponent gives 0, except
    for bases 1 (1) and -1 (+-1), where NumPy refuses "Integers to negative integer powers"."""
    negative = y < 0
    if not negative.any():
        return xp.power(x, y)
    z = xp.power(x, xp.where(negative, 0, y))
    inverse = xp.where(x == 1, 1, xp.where(x == -1, 1 - 2 * (y % 2), 0))
    return xp.where(negative, inverse, z).astype(z.dtype, copy=False)


def pow(a, b):  # noqa: A001 - PyTorch's name
    x, y = a._array, b._array
    if x.dtype.kind in "iu" and y.dtype.kind in "iu":
        try:
            z = int_power(*xp.broadcast_arrays(x, y))
        except ValueError:
            raise broadcast_error("pow", x.shape, y.shape) from None
    else:
        z = _binary("pow", xp.power, a, b)
    out = _wrap(z)
    if _needs(a, b):
        ra, rb = a._rg, b._rg

        def backward(g):
            ga = gb = None
            if ra:
                # PyTorch: 0 where the exponent is 0 (not 0 * x**-1, which is NaN at x == 0).
                with xp.errstate(divide="ignore", invalid="ignore"):
                    ga = xp.where(y == 0, 0, g * y * xp.power(x, y - 1)).astype(g.dtype, copy=False)
                ga = unbroadcast(ga, x.shape)
            if rb:
                # d/dy x**y = x**y log x; PyTorch defines it as 0 where x == 0 and y >= 0.
                with xp.errstate(divide="ignore", invalid="ignore"):
                    dz = z * xp.log(x)
                dz = xp.where((x == 0) & (y >= 0), 0, dz)
                gb = unbroadcast(g * dz, y.shape)
            return ga, gb
        attach(out, backward, (a, b), "PowBackward1")
    return out


def pow_scalar(a, exponent):
    """``a ** exponent`` for a Python number ``exponent`` (the common case, kept cheap)."""
    x = a._array
    if x.dtype.kind in "iu" and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if exponent == -0.5:  # PyTorch computes 1 / sqrt(x): -inf, not inf, at -0.0
        with xp.errstate(divide="ignore", invalid="ignore"):
            out = _wrap(1 / xp.sqrt(x))
    else:
        out = _wrap(xp.power(x, exponent))
    if _needs(a):
        if exponent == 2:
            attach(out, lambda g: (g * 2 * x,), (a,), "PowBackward0")
        elif exponent == 0:
            attach(out, lambda g: (xp.zeros_like(g),), (a,), "PowBackward0")
        else:
            attach(out, lambda g: (g * exponent * xp.power(x, exponent - 1),), (a,), "PowBackward0")
    return out


def _pairwise_extreme(a, b, larger, name):
    x, y = a._array, b._array
    out = _wrap(_binary(name.lower(), xp.maximum if larger else xp.minimum, a, b))
    if _needs(a, b):
        ra, rb = a._rg, b._rg

        def backward(g):
            # PyTorch's rule: ties split the gradient, the losing side gets 0, and with a NaN
            # (no tie, no loser) both sides get all of it.
            share = xp.where(x == y, g / 2, g)
            a_loses, b_loses = (x < y, x > y) if larger else (x > y, x < y)
            return (unbroadcast(xp.where(a_loses, 0, share), x.shape) if ra else None,
                    unbroadcast(xp.where(b_loses, 0, share), y.shape) if rb else None)
        attach(out, backward, (a, b), name + "Backward0")
    return out


def maximum(a, b):
    return _pairwise_extreme(a, b, True, "Maximum")


def minimum(a, b):
    return _pairwise_extreme(a, b, False, "Minimum")


def matmul(a, b):
    x, y = a._array, b._array
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"matmul: both arguments need at least 1 dimension, got shapes "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    try:
        z = xp.matmul(x, y)
    except ValueError:
        raise ValueError(f"matmul: shapes {tuple(x.shape)} and {tuple(y.shape)} cannot be "
                         f"multiplied ({x.shape[-1]} != "
                         f"{y.shape[-2] if y.ndim > 1 else y.shape[0]}) or their batch "
                         f"dimensions do not broadcast") from None
    out = _wrap(z)
    if _needs(a, b):
        ra, rb = a._rg, b._rg

        def backward(g):
            if x.ndim == 2 and y.ndim == 2:
                return (g @ y.T if ra else None, x.T @ g if rb else None)
            # Lift 1-D operands to matrices as matmul does, then drop the added axis.
            x2 = x[None, :] if x.ndim == 1 else x
            y2 = y[:, None] if y.ndim == 1 else y
            g2 = g[..., None] if y.ndim == 1 else g
            if x.ndim == 1:
                g2 = g2[..., None, :]
            ga = gb = None
            if ra:
                ga = unbroadcast(g2 @ xp.swapaxes(y2, -1, -2), x2.shape).reshape(x.shape)
            if rb:
                gb = unbroadcast(xp.swapaxes(x2, -1, -2) @ g2, y2.shape).reshape(y.shape)
            return ga, gb
        attach(out, backward, (a, b), "MmBackward0")
    return out


def where(cond, a, b):
    """``a`` where ``cond`` (a bool array) holds, else ``b``; broadcasts all three."""
    try:
        z = xp.where(cond, a._array, b._array)
    except ValueError:
        raise ValueError(f"where: condition {tuple(cond.shape)}, input {tuple(a.shape)} and "
                         f"other {tuple(b.shape)} cannot be broadcast together") from None
    out = _wrap(z)
    if _needs(a, b):
        sa, sb, ra, rb = a._array.shape, b._array.shape, a._rg, b._rg
        attach(out, lambda g: (unbroadcast(xp.where(cond, g, 0), sa) if ra else None,
                               unbroadcast(xp.where(cond, 0, g), sb) if rb else None),
               (a, b), "WhereBackward0")
    return out


# ---------------------------------------------------------------- elementwise unary

def _unary(a, z, backward, name):
    out = _wrap(z)
    if _needs(a):
        attach(out, backward, (a,), name)
    return out


def neg(a):
    return _unary(a, -a._array, lambda g: (-g,), "NegBackward0")


def exp(a):
    z = xp.exp(a._array)
    return _unary(a, z, lambda g: (g * z,), "ExpBackward0")


def expm1(a):
    z = xp.expm1(a._array)
    return _unary(a, z, lambda g: (g * (z + 1),), "Expm1Backward0")


# log(0) = -inf, log(-1) = nan, sqrt(-1) = nan: PyTorch's values, which PyTorch returns
# without a warning (torch.log(torch.tril(ones)) builds attention masks); so does Genesis.
_QUIET = {"divide": "ignore", "invalid": "ignore"}


def log(a):
    x = a._array
    with xp.errstate(**_QUIET):
        z = xp.log(x)
    return _unary(a, z, lambda g: (g / x,), "LogBackward0")


def log1p(a):
    x = a._array
    with xp.errstate(**_QUIET):
        z = xp.log1p(x)
    return _unary(a, z, lambda g: (g / (x + 1),), "Log1pBackward0")


def rsqrt(a):
    with xp.errstate(divide="ignore", invalid="ignore"):
        z = 1 / xp.sqrt(a._array)  # 1 / sqrt(-0.0) is -inf, as in PyTorch
    return _unary(a, z, lambda g: (-0.5 * g * z * z * z,), "RsqrtBackward0")


def sqrt(a):
    with xp.errstate(**_QUIET):
        z = xp.sqrt(a._array)
    return _unary(a, z, lambda g: (g / (2 * z),), "SqrtBackward0")


def _sign(x):
    """PyTorch's sign: 0 at NaN (NumPy gives NaN), bools unchanged."""
    if x.dtype.kind == "b":
        return x.copy()
    z = xp.sign(x)
    return xp.where(xp.isnan(x), 0, z).astype(x.dtype) if x.dtype.kind == "f" else z


def abs(a):  # noqa: A001 - PyTorch's name
    x = a._array
    return _unary(a, xp.abs(x), lambda g: (g * _sign(x),), "AbsBackward0")


def sin(a):
    x = a._array
    return _unary(a, xp.sin(x), lambda g: (g * xp.cos(x),), "SinBackward0")


def cos(a):
    x = a._array
    return _unary(a, xp.cos(x), lambda g: (-g * xp.sin(x),), "CosBackward0")


def tanh(a):
    z = xp.tanh(a._array)
    return _unary(a, z, lambda g: (g * (1 - z * z),), "TanhBackward0")


def sigmoid(a):
    x = a._array
    # exp of -|x| never overflows; the two branches agree mathematically.
    e = xp.exp(-xp.abs(x))
    z = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
    return _unary(a, z, lambda g: (g * z * (1 - z),), "SigmoidBackward0")


def relu(a):
    x = a._array
    z = xp.maximum(x, 0)
    return _unary(a, z, lambda g: (g * (z > 0),), "ReluBackward0")


def erf(a):
    x = a._array
    z = _erf(x)
    scale = 2.0 / math.sqrt(math.pi)
    return _unary(a, z, lambda g: (g * (scale * xp.exp(-x * x)).astype(x.dtype, copy=False),),
                  "ErfBackward0")


def sign(a):
    return rounded(a, _sign, "SignBackward0")


def clamp(a, min=None, max=None):  # noqa: A002 - PyTorch's argument names
    x = a._array
    z = xp.clip(x, min, max)
    if min is not None and max is not None:
        return _unary(a, z, lambda g: (g * ((x >= min) & (x <= max)),), "ClampBackward1")
    if min is not None:
        return _unary(a, z, lambda g: (g * (x >= min),), "ClampMinBackward0")
    return _unary(a, z, lambda g: (g * (x <= max),), "ClampMaxBackward0")


def clamp_tensor(a, low, high):
    """``clamp`` with tensor bounds (either may be None): ``min(max(a, low), high)``.

    As in PyTorch, ``a`` gets the gradient where ``low <= a <= high`` (ties included), a bound
    where it is the result: ``low`` where ``a < low < high``, ``high`` where ``a > high`` or
    ``high < low``.
    """
    x = a._array
    lo = None if low is None else low._array
    hi = None if high is None else high._array
    try:
        z = x if lo is None else xp.maximum(x, lo)
        z = z if hi is None else xp.minimum(z, hi)
        z = xp.array(xp.broadcast_to(z, xp.broadcast_shapes(*(v.shape for v in (x, lo, hi)
                                                               if v is not None))))
    except ValueError:
        shapes = [tuple(v.shape) for v in (x, lo, hi) if v is not None]
        raise ValueError(f"clamp: shapes {shapes} cannot be broadcast together") from None
    inputs = tuple(t for t in (a, low, high) if t is not None)
    if not needs_grad(*inputs):
        return _wrap(z)

    def backward(g):
        keep = xp.ones(g.shape, dtype=bool)
        if lo is not None:
            keep &= x >= lo
        if hi is not None:
            keep &= x <= hi
        grads = [unbroadcast(xp.where(keep, g, 0), x.shape) if a._rg else None]
        if low is not None:
            wins = (x < lo) if hi is None else (x < lo) & (lo < hi)
            grads.append(unbroadcast(xp.where(wins, g, 0), lo.shape) if low._rg else None)
        if high is not None:
            wins = (x > hi) if lo is None else (x > hi) | (hi < lo)
            grads.append(unbroadcast(xp.where(wins, g, 0), hi.shape) if high._rg else None)
        return tuple(grads)
    return attach(_wrap(z), backward, inputs, "ClampBackward0")


def rounded(a, fn, name):
    """A piecewise-constant op (floor, ceil, round, trunc, sign): PyTorch's gradient is 0."""
    return _unary(a, fn(a._array), lambda g: (xp.zeros_like(g),), name)


def refilled(a, z, name):
    """``a`` overwritten with the array ``z`` (``normal_``, ``uniform_``): the gradient to ``a``
    is 0, as in PyTorch."""
    return _unary(a, z, lambda g: (xp.zeros_like(g),), name)


def not_differentiable(out, inputs, op):
    """Record ``out`` with a backward that raises, as PyTorch does for an op it has no
    derivative for (``floor_divide``, a number ``%`` a tensor): never a silent zero."""
    def backward(g):
        raise RuntimeError(f"derivative for aten::{op} is not implemented")
    return record(out, backward, inputs, "NotImplemented")


def div_rounded(a, b, rounding_mode):
    """``div(a, b, rounding_mode='floor' or 'trunc')``: exact for integers (PyTorch raises
    ZeroDivisionError for an integer 0 divisor), and a gradient of 0 for floats."""
    x, y = a._array, b._array
    if x.dtype.kind == "b" and y.dtype.kind == "b":
        raise NotImplementedError(f'"div_{rounding_mode}_cpu" not implemented for \'Bool\'')
    if x.dtype.kind in "iub":
        if (y == 0).any():
            raise RuntimeError("ZeroDivisionError")
        q = _binary("div", xp.floor_divide, a, b)
        if rounding_mode == "trunc":  # round towards zero: undo floor's step for inexact negatives
            q = q + ((q < 0) & (q * y != x))
        return _wrap(q)
    with xp.errstate(divide="ignore", invalid="ignore"):
        if rounding_mode == "floor":
            q = _binary("div", xp.floor_divide, a, b)
        else:
            q = xp.trunc(_binary("div", xp.true_divide, a, b))
    out = _wrap(q)
    if _needs(a, b):
        sa, sb, ra, rb = x.shape, y.shape, a._rg, b._rg
        attach(out, lambda g: (xp.zeros(sa, g.dtype) if ra else None,
                               xp.zeros(sb, g.dtype) if rb else None), (a, b), "DivBackward2")
    return out


def remainder(a, b):
    """``a % b`` with the sign of ``b`` (Python's and PyTorch's ``remainder``);
    the gradient is ``g`` to ``a`` and ``-g * floor(a / b)`` to ``b``."""
    x, y = a._array, b._array
    if x.dtype.kind == "b":
        raise NotImplementedError('"remainder_cpu" not implemented for \'Bool\'')
    if x.dtype.kind in "iu" and (y == 0).any():
        raise RuntimeError("ZeroDivisionError")
    with xp.errstate(divide="ignore", invalid="ignore"):
        z = _binary("remainder", xp.remainder, a, b)
    out = _wrap(z)
    if _needs(a, b):
        ra, rb = a._rg, b._rg

        def backward(g):
            gb = None
            if rb:
                with xp.errstate(divide="ignore", invalid="ignore"):
                    gb = unbroadcast(-g * xp.floor_divide(x, y), y.shape)
            return (unbroadcast(g, x.shape) if ra else None), gb
        attach(out, backward, (a, b), "RemainderBackward1")
    return out


def cast(a, np_dtype):
    """Convert to another dtype; gradients flow between floating dtypes."""
    src = a._array.dtype
    z = a._array.astype(np_dtype)
    if _needs(a) and z.dtype.kind == "f":
        return _unary(a, z, lambda g: (g.astype(src),), "ToCopyBackward0")
    return _wrap(z)


def tril(a, diagonal: int, upper: bool = False):
    """The lower (``upper``: upper) triangle of the last two dimensions; zeros elsewhere."""
    keep = xp.triu if upper else xp.tril
    return _unary(a, keep(a._array, diagonal), lambda g: (keep(g, diagonal),),
                  "TriuBackward0" if upper else "TrilBackward0")


def clone(a):
    return _unary(a, a._array.copy(), lambda g: (g,), "CloneBackward0")


# ---------------------------------------------------------------- reductions

def _expand_back(g, shape, axis, keepdim):
    """Broadcast a reduced gradient back over the reduced ``axis`` of ``shape``."""
    if axis is not None and not keepdim:
        g = xp.expand_dims(g, axis)
    return xp.broadcast_to(g, shape)


def sum(a, axis=None, keepdim=False):  # noqa: A001 - PyTorch's name
    x = a._array
    z = x.sum(axis=axis, keepdims=keepdim)
    shape = x.shape
    if x.dtype.kind in "bi":
        z = z.astype(xp.int64, copy=False)
    return _unary(a, z, lambda g: (_expand_back(g, shape, axis, keepdim),),
                  "SumBackward0" if axis is None else "SumBackward1")


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
        with xp.errstate(divide="ignore", invalid="ignore"):
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
                      f"by output numel).", UserWarning, stacklevel=4)
    centered = wide - wide.mean(axis=axis, keepdims=True) if n else wide  # none: NaN below
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = (centered * centered).sum(axis=axis, keepdims=keepdim) / builtins.max(0, n - correction)
        if _std:
            z = xp.sqrt(z)
        z = xp.asarray(z).astype(x.dtype, copy=False)
    centered = centered.astype(x.dtype, copy=False)

    def backward(g):
        with xp.errstate(divide="ignore", invalid="ignore"):
            if _std:
                g = xp.where(z == 0, 0, g / (2 * z)).astype(z.dtype, copy=False)
            scale = 2.0 / (n - correction) if n != correction else math.inf
            return (_expand_back(g * scale, x.shape, axis, keepdim) * centered,)
    return _unary(a, z, backward, "StdBackward0" if _std else "VarBackward0")


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
        with xp.errstate(divide="ignore", invalid="ignore"):
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


def logsumexp(a, axis, keepdim=False):
    x = a._array
    # initial=-inf: a reduction over an empty dimension gives -inf, as in PyTorch.
    m = xp.amax(x, axis=axis, keepdims=True, initial=-xp.inf)
    m = xp.where(xp.isfinite(m), m, 0)
    with xp.errstate(divide="ignore"):
        lse = xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True)) + m
    z = lse if keepdim else (lse.reshape(()) if axis is None else lse.squeeze(axis))
    return _unary(a, z, lambda g: (_expand_back(g, x.shape, axis, keepdim) * xp.exp(x - lse),),
                  "LogsumexpBackward0")


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


def log_softmax(a, axis):
    """Float16 computes in float32 and rounds its result, as PyTorch's CPU kernel does."""
    x = a._array
    xs = x.astype(opmath_dtype(x.dtype), copy=False)
    shifted = xs - xp.amax(xs, axis=axis, keepdims=True, initial=-xp.inf)
    with xp.errstate(divide="ignore"):  # log(0) of an empty dimension: the result is empty
        z = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(g):
        g = g.astype(z.dtype, copy=False)
        return ((g - xp.exp(z) * g.sum(axis=axis, keepdims=True)).astype(x.dtype, copy=False),)
    return _unary(a, z.astype(x.dtype, copy=False), backward, "LogSoftmaxBackward0")


# ---------------------------------------------------------------- shape and indexing

def reshape(a, shape):
    x = a._array
    try:
        z = x.reshape(shape)
    except ValueError:
        raise ValueError(f"shape {tuple(shape)} is invalid for input of size {x.size} "
                         f"(shape {tuple(x.shape)})") from None
    src = x.shape
    out = _unary(a, z, lambda g: (g.reshape(src),), "ViewBackward0")
    # NumPy (like PyTorch's reshape) copies when no view can express the new shape; a view's
    # base is x or the array x views.
    owner = z.base
    if owner is not None and (owner is x or owner is x.base):
        return viewing(out, a, lambda arr: arr.reshape(shape))
    return out


def permute(a, dims):
    inverse = tuple(int(i) for i in xp.argsort(dims))
    out = _unary(a, a._array.transpose(dims), lambda g: (g.transpose(inverse),),
                 "PermuteBackward0")
    return viewing(out, a, lambda arr: arr.transpose(dims))


def expand(a, shape):
    x = a._array
    try:
        z = xp.broadcast_to(x, shape)
    except ValueError:
        raise ValueError(f"expand: the shape {tuple(x.shape)} cannot be expanded to "
                         f"{tuple(shape)}") from None
    src = x.shape
    out = _unary(a, z, lambda g: (unbroadcast(g, src),), "ExpandBackward0")
    return viewing(out, a, lambda arr: xp.broadcast_to(arr, shape))  # read-only: never written


def getitem(a, index, advanced):
    """``a[index]`` (``index`` already converted to arrays); repeated indices accumulate."""
    x = a._array
    try:
        z = x[index]
    except IndexError as e:
        raise IndexError(f"index {index!r} is out of range for a tensor of shape "
                         f"{tuple(x.shape)}: {e}") from None
    if not advanced and type(z) is not xp.ndarray:
        # A single element: a 0-d view (with Ellipsis NumPy gives one), like PyTorch's.
        index = (index if type(index) is tuple else (index,)) + (Ellipsis,)
        z = x[index]
    elif type(z) is not xp.ndarray:
        z = xp.asarray(z)

    def backward(g):
        full = xp.zeros_like(x)
        if advanced:
            xp.add.at(full, index, g)
        else:
            full[index] = g
        return (full,)
    out = _unary(a, z, backward, "IndexBackward0")
    return out if advanced else viewing(out, a, lambda arr: arr[index])


def setitem(a, index, value, advanced):
    """Out-of-place ``a[index] = value``: a new tensor; ``value`` gets the written slots' grad."""
    x = a._array.copy()
    x[index] = value._array
    out = _wrap(x)
    if _needs(a, value):
        ra, rb, vshape = a._rg, value._rg, value._array.shape

        def backward(g):
            ga = gv = None
            if ra:
                ga = g.copy()
                ga[index] = 0
            if rb:
                gv = unbroadcast(g[index], vshape)
            return ga, gv
        attach(out, backward, (a, value), "CopySlices")
    return out


def gather(a, axis, index):
    """Values of ``a`` at ``index`` along ``axis`` (PyTorch's ``gather``)."""
    x = a._array
    z = xp.take_along_axis(x, index, axis=axis)

    def backward(g):
        full = xp.zeros_like(x)
        grids = list(xp.ix_(*[xp.arange(n) for n in index.shape]))
        grids[axis] = index
        xp.add.at(full, tuple(grids), g)
        return (full,)
    return _unary(a, z, backward, "GatherBackward0")


def cat(tensors, axis):
    arrays = [t._array for t in tensors]
    z = xp.concatenate(arrays, axis=axis)
    out = _wrap(z)
    if grad_mode.enabled and any(t._rg for t in tensors):
        bounds = xp.cumsum([arr.shape[axis] for arr in arrays])[:-1]
        flags = [t._rg for t in tensors]
        attach(out, lambda g: tuple(p if f else None
                                    for p, f in zip(xp.split(g, bounds, axis=axis), flags)),
               tensors, "CatBackward0")
    return out


def stack(tensors, axis):
    z = xp.stack([t._array for t in tensors], axis=axis)
    out = _wrap(z)
    if grad_mode.enabled and any(t._rg for t in tensors):
        flags = [t._rg for t in tensors]
        attach(out, lambda g: tuple(xp.take(g, i, axis=axis) if f else None
                                    for i, f in enumerate(flags)),
               tensors, "StackBackward0")
    return out


def einsum(terms, out, tensors):
    """``xp.einsum`` over explicit subscripts (``terms``: one letter string per operand, no
    ellipsis; ``out``: the output's). The gradient of an operand is the einsum of the output
    gradient with the other operands, broadcast back over the letters only it has, summed over
    its size-1 broadcast dimensions and written onto the diagonal for repeated letters."""
    arrays = [t._array for t in tensors]
    z = xp.einsum(f"{','.join(terms)}->{out}", *arrays, optimize=True)
    out_tensor = _wrap(xp.asarray(z))
    if not (grad_mode.enabled and any(t._rg for t in tensors)):
        return out_tensor
    flags = [t._rg for t in tensors]

    def operand_grad(k, g):
        term, array = terms[k], arrays[k]
        letters = "".join(dict.fromkeys(term))
        others = [j for j in range(len(terms)) if j != k]
        seen = set(out).union(*(terms[j] for j in others))
        kept = "".join(c for c in letters if c in seen)
        grad = xp.einsum(",".join([out] + [terms[j] for j in others]) + "->" + kept, g,
                         *[arrays[j] for j in others], optimize=True)
        size = {c: array.shape[term.index(c)] for c in letters}
        summed = tuple(i for i, c in enumerate(kept) if size[c] == 1 and grad.shape[i] != 1)
        if summed:
            grad = grad.sum(axis=summed, keepdims=True)
        grad = xp.broadcast_to(grad.reshape([grad.shape[kept.index(c)] if c in kept else 1
                                             for c in letters]), [size[c] for c in letters])
        if len(letters) == len(term):
            return grad
        full = xp.zeros_like(array)
        xp.einsum(f"{term}->{letters}", full)[...] = grad  # a writeable view of the diagonal
        return full

    return attach(out_tensor, lambda g: tuple(operand_grad(k, g) if f else None
                                              for k, f in enumerate(flags)),
                  tensors, "EinsumBackward0")
