"""Primitive differentiable operations, gathered in one namespace: ``ops.add``, ``ops.sum``, ...

Each op lives in the module of its concept, its forward with its backward right below it:
``ops_elementwise`` (arithmetic, unary math, clamps, casts), ``ops_reduce`` (sum, mean,
extremes, var/std, norm, cumsum, the softmax family), ``ops_shape`` (reshape, permute, expand,
indexing, gather, cat, stack) and ``ops_linalg`` (matmul, einsum); ``ops_common`` holds what they
share.

To add an op: in its concept's module, write ``def op(a, ...)`` that computes the output array,
and when ``_needs(...)`` attach a closure mapping the output gradient ``g`` (an array) to one
gradient array per tensor input (``None`` where an input needs none); decorate it with
``backend.quiet`` when it does floating arithmetic (inf and NaN without NumPy's warnings, as in
PyTorch); then name it in the imports and ``__all__`` below (``tests/test_ops_modules.py``
fails until it is).  Composite ops (``lerp``, ``masked_fill``, ...) are Tensor methods built
from these.  An op whose result shares its
input's storage marks it with ``views.viewing``; an op PyTorch has no derivative for records
``not_differentiable`` (backward raises, a gradient is never silently dropped).  Every public op
is classified in ``tests/test_grad_coverage.py``, which fails until a new one is.
"""
from __future__ import annotations

from .ops_common import broadcast_error, not_differentiable, unbroadcast
from .ops_elementwise import (abs, add, cast, clamp, clamp_tensor, clone, cos, div, div_rounded,
                              erf, exp, expm1, int_power, log, log1p, maximum, minimum, mul, neg,
                              pow, pow_scalar, refilled, relayout, relu, remainder, rounded, rsqrt,
                              sigmoid, sign, sin, sqrt, sub, tanh, tril, where)
from .ops_linalg import einsum, matmul
from .ops_reduce import (amax, amin, cumsum, extreme, log_softmax, logsumexp, max_dim, mean, norm,
                         softmax, sum, var)
from .ops_shape import (cat, diagonal, expand, gather, getitem, permute, reshape, setitem,
                        stack)

__all__ = [
    "broadcast_error", "not_differentiable", "unbroadcast",
    "abs", "add", "cast", "clamp", "clamp_tensor", "clone", "cos", "div", "div_rounded", "erf",
    "exp", "expm1", "int_power", "log", "log1p", "maximum", "minimum", "mul", "neg", "pow",
    "pow_scalar", "refilled", "relayout", "relu", "remainder", "rounded", "rsqrt", "sigmoid",
    "sign", "sin", "sqrt", "sub", "tanh", "tril", "where",
    "einsum", "matmul",
    "amax", "amin", "cumsum", "extreme", "log_softmax", "logsumexp", "max_dim", "mean", "norm",
    "softmax", "sum", "var",
    "cat", "diagonal", "expand", "gather", "getitem", "permute", "reshape", "setitem", "stack",
]
