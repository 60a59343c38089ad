"""What every primitive op shares: the grad test, broadcasting's gradient and errors, and the
recorder of a one-input op.  The ops themselves live in ``ops_elementwise``, ``ops_reduce``,
``ops_shape`` and ``ops_linalg``; ``ops.py`` gathers them."""
from __future__ import annotations

from .autograd import attach, grad_mode, record
from .backend import xp
from .tensor_base import _wrap


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


def _unary(a, z, backward, name):
    out = _wrap(z)
    if _needs(a):
        attach(out, backward, (a,), name)
    return out


def not_differentiable(out, inputs, op):
    """Record ``out`` with a backward that raises, as PyTorch does for an op it has no
    derivative for (``floor_divide``, a number ``%`` a tensor): never a silent zero."""
    def backward(g):
        raise RuntimeError(f"derivative for aten::{op} is not implemented")
    return record(out, backward, inputs, "NotImplemented")

