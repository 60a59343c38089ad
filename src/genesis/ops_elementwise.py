"""Elementwise primitive ops (arithmetic, unary math, clamps, casts): each forward with its
backward right below it.  An op that can meet inf or NaN (``x / 0``, ``log(0)``, overflow, a NaN
cast to an integer) is decorated with ``backend.quiet``: PyTorch's values without NumPy's
warnings (backward closures run quiet in the engine)."""
from __future__ import annotations

import math

from .autograd import attach, needs_grad
from .backend import quiet, xp
from .ops_common import _binary, _needs, _unary, broadcast_error, unbroadcast
from .special import erf as _erf
from .tensor_base import _wrap


# ---------------------------------------------------------------- binary

@quiet
def add(a, b):
    out = _wrap(_binary("add", xp.add, a, b))
    if _needs(a, b):
        sa, sb, ra, rb = a._array.shape, b._array.shape, a._rg, b._rg
        attach(out, lambda g: (unbroadcast(g, sa) if ra else None,
                               unbroadcast(g, sb) if rb else None), (a, b), "AddBackward0")
    return out


@quiet
def sub(a, b):
    out = _wrap(_binary("sub", xp.subtract, a, b))
    if _needs(a, b):
        sa, sb, ra, rb = a._array.shape, b._array.shape, a._rg, b._rg
        attach(out, lambda g: (unbroadcast(g, sa) if ra else None,
                               unbroadcast(-g, sb) if rb else None), (a, b), "SubBackward0")
    return out


@quiet
def mul(a, b):
    x, y = a._array, b._array
    out = _wrap(_binary("mul", xp.multiply, a, b))
    if _needs(a, b):
        ra, rb = a._rg, b._rg
        attach(out, lambda g: (unbroadcast(g * y, x.shape) if ra else None,
                               unbroadcast(g * x, y.shape) if rb else None), (a, b), "MulBackward0")
    return out


@quiet
def div(a, b):
    x, y = a._array, b._array
    out = _wrap(_binary("div", xp.true_divide, a, b))
    if _needs(a, b):
        ra, rb = a._rg, b._rg
        # PyTorch's -g * (x / y) / y: no overflow of y * y where the quotient is finite
        attach(out, lambda g: (unbroadcast(g / y, x.shape) if ra else None,
                               unbroadcast(-g * (x / y) / y, y.shape) if rb else None),
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


@quiet
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
                ga = xp.where(y == 0, 0, g * y * xp.power(x, y - 1)).astype(g.dtype, copy=False)
                ga = unbroadcast(ga, x.shape)
            if rb:
                # d/dy x**y = x**y log x; PyTorch defines it as 0 where x == 0 and y >= 0.
                dz = xp.where((x == 0) & (y >= 0), 0, z * xp.log(x))
                gb = unbroadcast(g * dz, y.shape)
            return ga, gb
        attach(out, backward, (a, b), "PowBackward1")
    return out


@quiet
def pow_scalar(a, exponent):
    """``a ** exponent`` for a Python number ``exponent`` (the common case, kept cheap)."""
    x = a._array
    if x.dtype.kind in "iu" and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    out = _wrap(_scalar_power(x, exponent))
    if _needs(a):
        if exponent == 2:
            attach(out, lambda g: (g * 2 * x,), (a,), "PowBackward0")
        elif exponent == 0:
            attach(out, lambda g: (xp.zeros_like(g),), (a,), "PowBackward0")
        else:
            attach(out, lambda g: (g * exponent * _scalar_power(x, exponent - 1),), (a,),
                   "PowBackward0")
    return out


def _scalar_power(x, exponent):
    """``x ** exponent`` as PyTorch computes it: an exponent of -0.5 is ``1 / sqrt(x)``, so
    -0.0 gives -inf (not inf) and -inf gives NaN (not 0)."""
    return 1 / xp.sqrt(x) if exponent == -0.5 else xp.power(x, exponent)


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


# ---------------------------------------------------------------- unary

def neg(a):
    return _unary(a, -a._array, lambda g: (-g,), "NegBackward0")


@quiet
def exp(a):
    z = xp.exp(a._array)
    return _unary(a, z, lambda g: (g * z,), "ExpBackward0")


@quiet
def expm1(a):
    z = xp.expm1(a._array)
    return _unary(a, z, lambda g: (g * (z + 1),), "Expm1Backward0")


# log(0) = -inf, log(-1) = nan, sqrt(-1) = nan: PyTorch's values, which PyTorch returns
# without a warning (torch.log(torch.tril(ones)) builds attention masks); so does Genesis.
@quiet
def log(a):
    x = a._array
    z = xp.log(x)
    return _unary(a, z, lambda g: (g / x,), "LogBackward0")


@quiet
def log1p(a):
    x = a._array
    z = xp.log1p(x)
    return _unary(a, z, lambda g: (g / (x + 1),), "Log1pBackward0")


@quiet
def rsqrt(a):
    z = 1 / xp.sqrt(a._array)  # 1 / sqrt(-0.0) is -inf, as in PyTorch
    return _unary(a, z, lambda g: (-0.5 * g * z * z * z,), "RsqrtBackward0")


@quiet
def sqrt(a):
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


@quiet
def sin(a):
    x = a._array
    return _unary(a, xp.sin(x), lambda g: (g * xp.cos(x),), "SinBackward0")


@quiet
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


@quiet
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


@quiet
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


@quiet
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


@quiet
def remainder(a, b):
    """``a % b`` with the sign of ``b`` (Python's and PyTorch's ``remainder``);
    the gradient is ``g`` to ``a`` and ``-g * floor(a / b)`` to ``b``."""
    x, y = a._array, b._array
    if x.dtype.kind == "b":
        raise NotImplementedError('"remainder_cpu" not implemented for \'Bool\'')
    if x.dtype.kind in "iu" and (y == 0).any():
        raise RuntimeError("ZeroDivisionError")
    z = _binary("remainder", xp.remainder, a, b)
    out = _wrap(z)
    if _needs(a, b):
        ra, rb = a._rg, b._rg

        def backward(g):
            gb = None
            if rb:
                gb = unbroadcast(-g * xp.floor_divide(x, y), y.shape)
            return (unbroadcast(g, x.shape) if ra else None), gb
        attach(out, backward, (a, b), "RemainderBackward1")
    return out


@quiet
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


def relayout(a, order=None):
    """A copy of ``a`` whose axes ``order`` (all of them in turn when None) are row-major in
    memory: ``contiguous()``, ``contiguous(memory_format=channels_last)``."""
    x = a._array
    if order is None:
        z = xp.ascontiguousarray(x)
    else:
        inverse = tuple(int(i) for i in xp.argsort(order))
        z = xp.ascontiguousarray(x.transpose(order)).transpose(inverse)
    return _unary(a, z, lambda g: (g,), "CloneBackward0")
