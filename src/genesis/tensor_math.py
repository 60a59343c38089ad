"""The math methods of ``genesis.Tensor`` (a mixin): operators, elementwise ops, reductions.

Each method converts its arguments (``operands.py``) and calls a primitive in ``ops.py`` or
composes primitives; no method has a gradient of its own.  Shapes and indexing live in
``tensor_shape.py``, in-place variants in ``tensor_inplace.py``.
"""
from __future__ import annotations

import numbers

from . import dtypes, factories, ops
from .backend import xp
from .mixed_precision import autocast_inputs
from .operands import div_operands, operands, sub_operands
from .tensor_base import TensorBase, _axis, _wrap, dim_alias, max_result, min_result

_ndarray = xp.ndarray
_f32 = xp.dtype(xp.float32)


def _reduce_axis(dim, ndim):
    """``amax``/``amin`` take ``dim=()`` to mean all dimensions."""
    return _axis(None if dim in ((), []) else dim, ndim)


def _check_bool_mask(mask) -> None:
    dtype = getattr(_array_of(mask), "dtype", None)
    if dtype is None or dtype.kind != "b":
        raise TypeError(f"masked_fill only supports boolean masks, but got mask with dtype "
                        f"{dtype if dtype is not None else type(mask).__name__}")


def _array_of(value):
    return value._array if isinstance(value, TensorBase) else value


class TensorMath:
    """Operators and differentiable math of :class:`genesis.Tensor`."""

    __slots__ = ()

    # ------------------------------------------------------------ arithmetic
    def add(self, other, *, alpha=1):
        """``self + alpha * other`` with broadcasting."""
        a, b = operands(self, other)
        return ops.add(a, b if alpha == 1 else ops.mul(b, operands(b, alpha)[1]))

    def sub(self, other, *, alpha=1):
        """``self - alpha * other`` with broadcasting."""
        a, b = sub_operands(self, other)
        return ops.sub(a, b if alpha == 1 else ops.mul(b, operands(b, alpha)[1]))

    def mul(self, other):
        """Elementwise product with broadcasting."""
        return ops.mul(*operands(self, other))

    def div(self, other, *, rounding_mode=None):
        """Elementwise quotient; ``rounding_mode`` 'floor' or 'trunc' rounds it (exactly for
        integers; in the promoted dtype, so an int tensor divided by 2.5 is float32), and then
        its gradient is 0, as in PyTorch."""
        if rounding_mode is None:
            return ops.div(*div_operands(self, other))
        a, b = operands(self, other)
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or "
                             f"'floor' but found {rounding_mode!r}")
        return ops.div_rounded(a, b, rounding_mode)

    true_divide = divide = div
    multiply = mul
    subtract = sub

    def pow(self, exponent):
        """``self ** exponent`` (exponent a number or a tensor)."""
        if isinstance(exponent, xp.generic):
            exponent = exponent.item()  # a NumPy scalar is a Python number here, as in PyTorch
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, bool):
            base = self
            if self._array.dtype.kind != "f" and not isinstance(exponent, numbers.Integral):
                base = ops.cast(self, _f32)
            return ops.pow_scalar(base, exponent)
        return ops.pow(*operands(self, exponent))

    def __add__(self, other):
        return ops.add(*operands(self, other))

    def __radd__(self, other):
        a, b = operands(self, other)
        return ops.add(b, a)

    def __sub__(self, other):
        return ops.sub(*sub_operands(self, other))

    def __rsub__(self, other):
        a, b = sub_operands(self, other)
        return ops.sub(b, a)

    def __mul__(self, other):
        return ops.mul(*operands(self, other))

    def __rmul__(self, other):
        a, b = operands(self, other)
        return ops.mul(b, a)

    def __truediv__(self, other):
        return self.div(other)

    def __rtruediv__(self, other):
        a, b = div_operands(self, other)
        return ops.div(b, a)

    def __pow__(self, exponent):
        return self.pow(exponent)

    def __rpow__(self, base):
        a, b = operands(self, base)
        return ops.pow(b, a)

    def __floordiv__(self, other):
        a, b = operands(self, other)
        return ops.not_differentiable(ops.div_rounded(a, b, "floor"), (a, b), "floor_divide")

    def __rfloordiv__(self, other):
        a, b = operands(self, other)
        return ops.not_differentiable(ops.div_rounded(b, a, "floor"), (b, a), "floor_divide")

    def __mod__(self, other):
        return ops.remainder(*operands(self, other))

    def __rmod__(self, other):
        a, b = operands(self, other)
        return ops.not_differentiable(ops.remainder(b, a), (a,), "remainder")

    def __neg__(self):
        if self._array.dtype.kind == "b":
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                               "you are trying to invert a mask, use the `~` or `logical_not()` "
                               "operator instead.")
        return ops.neg(self)

    neg = negative = __neg__

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def matmul(self, other):
        """Matrix product with NumPy/PyTorch semantics for 1-D, 2-D and batched operands
        (computed in the autocast dtype inside ``genesis.autocast``)."""
        return ops.matmul(*autocast_inputs("lower", *operands(self, other)))

    __matmul__ = mm = bmm = matmul

    def __rmatmul__(self, other):
        a, b = operands(self, other)
        return ops.matmul(*autocast_inputs("lower", b, a))

    def dot(self, other):
        """Inner product of two 1-D tensors (outside autocast's lower-precision list, as in
        PyTorch)."""
        if self._array.ndim != 1 or _array_of(other).ndim != 1:
            raise ValueError(f"dot: 1D tensors expected, but got {self._array.ndim}D and "
                             f"{_array_of(other).ndim}D tensors")
        return ops.matmul(*operands(self, other))

    # ------------------------------------------------------------ comparisons (no grad)
    def _compare(self, other, fn):
        a, b = operands(self, other)
        try:
            return _wrap(fn(a._array, b._array))
        except ValueError:
            raise ops.broadcast_error(fn.__name__, a._array.shape, b._array.shape) from None

    def __eq__(self, other):
        return self._compare(other, xp.equal)

    def __ne__(self, other):
        return self._compare(other, xp.not_equal)

    def __lt__(self, other):
        return self._compare(other, xp.less)

    def __le__(self, other):
        return self._compare(other, xp.less_equal)

    def __gt__(self, other):
        return self._compare(other, xp.greater)

    def __ge__(self, other):
        return self._compare(other, xp.greater_equal)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def _logical(self, other, logical, bitwise):
        a, b = operands(self, other)
        if a._array.dtype.kind == "f":
            raise NotImplementedError(f'"{bitwise.__name__}_cpu" not implemented for '
                                      f"'{dtypes.torch_name(a.dtype)}'")
        return a._compare(b, logical if a._array.dtype.kind == "b" else bitwise)

    def __and__(self, other):
        return self._logical(other, xp.logical_and, xp.bitwise_and)

    def __or__(self, other):
        return self._logical(other, xp.logical_or, xp.bitwise_or)

    def __xor__(self, other):
        return self._logical(other, xp.logical_xor, xp.bitwise_xor)

    def __invert__(self):
        if self._array.dtype.kind == "f":
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                            "tensors")
        return _wrap(~self._array)

    def logical_not(self):
        """Bool tensor: where the value is 0 (False)."""
        return _wrap(self._array == 0)

    def equal(self, other) -> bool:
        """True when ``other`` has the same shape and values."""
        return self._array.shape == other._array.shape and bool((self._array == other._array).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        """Whether all elements are close: ``|self - other| <= atol + rtol * |other|``."""
        return bool(xp.allclose(self._array, _array_of(other), rtol=rtol, atol=atol,
                                equal_nan=equal_nan))

    def isnan(self):
        """Bool tensor: where the value is NaN."""
        return _wrap(xp.isnan(self._array))

    def isinf(self):
        """Bool tensor: where the value is infinite."""
        return _wrap(xp.isinf(self._array))

    def isfinite(self):
        """Bool tensor: where the value is finite."""
        return _wrap(xp.isfinite(self._array))

    # ------------------------------------------------------------ elementwise
    def exp(self):
        """Elementwise e**x."""
        return ops.exp(self._floating())

    def expm1(self):
        """Elementwise e**x - 1, accurate near 0."""
        return ops.expm1(self._floating())

    def log(self):
        """Elementwise natural logarithm."""
        return ops.log(self._floating())

    def log1p(self):
        """Elementwise log(1 + x), accurate near 0."""
        return ops.log1p(self._floating())

    def sqrt(self):
        """Elementwise square root."""
        return ops.sqrt(self._floating())

    def rsqrt(self):
        """Elementwise 1 / sqrt(x) (-inf at -0.0, as in PyTorch)."""
        return ops.rsqrt(self._floating())

    def reciprocal(self):
        """Elementwise 1 / x."""
        return ops.pow_scalar(self._floating(), -1)

    def square(self):
        """Elementwise x**2."""
        return ops.pow_scalar(self, 2)

    def abs(self):
        """Elementwise |x| (gradient 0 at 0)."""
        return ops.abs(self)

    absolute = abs

    def sign(self):
        """Elementwise sign (-1, 0 or 1); its gradient is 0."""
        return ops.sign(self)

    def sin(self):
        """Elementwise sine."""
        return ops.sin(self._floating())

    def cos(self):
        """Elementwise cosine."""
        return ops.cos(self._floating())

    def tanh(self):
        """Elementwise hyperbolic tangent."""
        return ops.tanh(self._floating())

    def sigmoid(self):
        """Elementwise 1 / (1 + e**-x), computed without overflow."""
        return ops.sigmoid(self._floating())

    def relu(self):
        """Elementwise max(x, 0)."""
        return ops.relu(self)

    def erf(self):
        """Elementwise error function (float64-accurate)."""
        return ops.erf(self._floating())

    def floor(self):
        """Elementwise floor (gradient 0)."""
        return ops.rounded(self, xp.floor, "FloorBackward0")

    def ceil(self):
        """Elementwise ceiling (gradient 0)."""
        return ops.rounded(self, xp.ceil, "CeilBackward0")

    def round(self, decimals: int = 0):
        """Round half to even (gradient 0)."""
        return ops.rounded(self, lambda x: xp.round(x, decimals),
                           "RoundBackward1" if decimals else "RoundBackward0")

    def trunc(self):
        """Round towards zero (gradient 0)."""
        return ops.rounded(self, xp.trunc, "TruncBackward0")

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's argument names
        """Limit values to ``[min, max]``; the gradient is 1 inside, 0 outside."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
        if isinstance(min, TensorBase) or isinstance(max, TensorBase):
            a, low, high = self, min, max
            if low is not None:
                a, low = operands(a, low)
            if high is not None:
                a, high = operands(a, high)
                if low is not None and low._array.dtype != a._array.dtype:
                    low = ops.cast(low, a._array.dtype)
            return ops.clamp_tensor(a, low, high)
        # NumPy scalars act as Python numbers (PyTorch's rule): they never widen the tensor.
        min, max = (v.item() if isinstance(v, xp.generic) else v for v in (min, max))  # noqa: A001
        if self._array.dtype.kind != "f" and any(isinstance(v, float) for v in (min, max)):
            self = ops.cast(self, _f32)  # an int tensor clamped to 2.5 is float32, as in PyTorch
        return ops.clamp(self, min, max)

    clip = clamp

    def clamp_min(self, min):  # noqa: A002
        """``clamp(min=min)``."""
        return self.clamp(min=min)

    def clamp_max(self, max):  # noqa: A002
        """``clamp(max=max)``."""
        return self.clamp(max=max)

    def maximum(self, other):
        """Elementwise maximum (ties share the gradient)."""
        return ops.maximum(*operands(self, other))

    def minimum(self, other):
        """Elementwise minimum (ties share the gradient)."""
        return ops.minimum(*operands(self, other))

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other``."""
        a, b = operands(self, other)
        return ops.where(_array_of(condition).astype(bool, copy=False), a, b)

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is True, else ``self``."""
        _check_bool_mask(mask)
        a, b = operands(self, value)
        if b._array.dtype != self._array.dtype:
            b = ops.cast(b, self._array.dtype)
        return ops.where(_array_of(mask).astype(bool, copy=False), b, self)

    def lerp(self, end, weight):
        """``self + weight * (end - self)``, computed as PyTorch does: from ``end`` where
        ``weight >= 0.5`` (``end - (end - self) * (1 - weight)``), so both ends are exact and
        inf and NaN come out as in PyTorch."""
        diff = end - self
        if not isinstance(weight, TensorBase):
            return self + diff * weight if weight < 0.5 else end - diff * (1 - weight)
        return factories.where(weight < 0.5, self + diff * weight, end - diff * (1 - weight))

    def _floating(self):
        return self if self._array.dtype.kind == "f" else ops.cast(self, _f32)

    # ------------------------------------------------------------ reductions
    @dim_alias
    def sum(self, dim=None, keepdim: bool = False, *, dtype=None):
        """Sum over ``dim`` (int, tuple or all); integer sums are int64."""
        src = self if dtype is None else self.to(dtype)
        return ops.sum(src, _axis(dim, self._array.ndim), keepdim)

    @dim_alias
    def mean(self, dim=None, keepdim: bool = False, *, dtype=None):
        """Mean over ``dim`` (int, tuple or all); needs a floating dtype, as in PyTorch."""
        src = self if dtype is None else self.to(dtype)
        if src._array.dtype.kind != "f":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be "
                               f"either a floating point or complex dtype. Got: "
                               f"{dtypes.torch_name(self.dtype)}")
        return ops.mean(src, _axis(dim, self._array.ndim), keepdim)

    @dim_alias
    def var(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        """Variance over ``dim`` with ``correction`` (default 1: divide by N - 1).

        Example: ``genesis.tensor([1., 2., 3., 4.]).var()`` is ``tensor(1.6667)``.
        """
        return self._var(dim, unbiased, keepdim, correction, False)

    @dim_alias
    def std(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        """Standard deviation: ``sqrt(var(...))`` with the same arguments (gradient 0 where it
        is 0, as in PyTorch)."""
        return self._var(dim, unbiased, keepdim, correction, True)

    def _var(self, dim, unbiased, keepdim, correction, std):
        if isinstance(unbiased, (int, tuple, list)) and not isinstance(unbiased, bool):
            dim, unbiased = unbiased, None  # var(dim) positional, as in PyTorch
        if correction is None:
            correction = 0 if unbiased is False else 1
        if self._array.dtype.kind != "f":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        return ops.var(self, _axis(dim, self._array.ndim), correction, keepdim, std)

    def _nonempty(self, name, axis, indexed=False):
        """PyTorch's refusal of a max/min/arg reduction over nothing (NumPy's would be cryptic)."""
        shape = self._array.shape
        if axis is None:
            if self._array.size == 0:
                raise (IndexError if indexed else RuntimeError)(
                    f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
                    + ("" if indexed else " Specify the reduction dim with the 'dim' argument."))
            return
        for a in axis if isinstance(axis, tuple) else (axis,):
            if shape and shape[a] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")

    def _extreme(self, dim, keepdim, largest):
        if isinstance(dim, TensorBase):
            return self.maximum(dim) if largest else self.minimum(dim)
        name = "max" if largest else "min"
        if dim is None:
            self._nonempty(name, None)
            return ops.extreme(self, largest)
        axis = _axis(dim, self._array.ndim)
        self._nonempty(name, axis)
        if axis is None:  # a 0-d tensor: its one element, at index 0
            values, indices = ops.max_dim(ops.reshape(self, (1,)), 0, False, largest)
        else:
            values, indices = ops.max_dim(self, axis, keepdim, largest)
        result = max_result if largest else min_result
        return result(values, indices)

    @dim_alias
    def max(self, dim=None, keepdim: bool = False):
        """Largest value; with ``dim`` a ``(values, indices)`` named tuple; with a tensor the
        elementwise maximum."""
        return self._extreme(dim, keepdim, True)

    @dim_alias
    def min(self, dim=None, keepdim: bool = False):
        """Smallest value; with ``dim`` a ``(values, indices)`` named tuple."""
        return self._extreme(dim, keepdim, False)

    @dim_alias
    def amax(self, dim=(), keepdim: bool = False):
        """Max over ``dim`` (all when empty); ties share the gradient."""
        axis = _reduce_axis(dim, self._array.ndim)
        self._nonempty("amax", axis)
        return ops.amax(self, axis, keepdim)

    @dim_alias
    def amin(self, dim=(), keepdim: bool = False):
        """Min over ``dim`` (all when empty); ties share the gradient."""
        axis = _reduce_axis(dim, self._array.ndim)
        self._nonempty("amin", axis)
        return ops.amin(self, axis, keepdim)

    @dim_alias
    def argmax(self, dim=None, keepdim: bool = False):
        """Index of the largest value (of the flattened tensor when ``dim`` is None)."""
        return self._arg(xp.argmax, dim, keepdim)

    @dim_alias
    def argmin(self, dim=None, keepdim: bool = False):
        """Index of the smallest value (of the flattened tensor when ``dim`` is None)."""
        return self._arg(xp.argmin, dim, keepdim)

    def _arg(self, fn, dim, keepdim):
        axis = None if dim is None else _axis(dim, self._array.ndim)
        self._nonempty(fn.__name__, axis, indexed=True)
        if axis is None:
            idx = fn(self._array)
            if keepdim:
                idx = xp.reshape(idx, (1,) * self._array.ndim)
        else:
            idx = fn(self._array, axis=axis, keepdims=keepdim)
        return _wrap(xp.asarray(idx, dtype=xp.int64))

    @dim_alias
    def all(self, dim=None, keepdim: bool = False):
        """Whether all elements (over ``dim``) are true."""
        return _wrap(xp.asarray(self._array.all(axis=_axis(dim, self._array.ndim),
                                                      keepdims=keepdim)))

    @dim_alias
    def any(self, dim=None, keepdim: bool = False):
        """Whether any element (over ``dim``) is true."""
        return _wrap(xp.asarray(self._array.any(axis=_axis(dim, self._array.ndim),
                                                      keepdims=keepdim)))

    @dim_alias
    def logsumexp(self, dim, keepdim: bool = False):
        """``log(sum(exp(self), dim))`` computed stably; -inf over an empty dimension."""
        return ops.logsumexp(self._floating(), _axis(dim, self._array.ndim), keepdim)

    @dim_alias
    def softmax(self, dim, dtype=None):
        """``exp(x) / sum(exp(x), dim)`` computed stably."""
        src = self._floating() if dtype is None else self.to(dtype)
        return ops.softmax(src, _axis(dim, self._array.ndim))

    @dim_alias
    def log_softmax(self, dim, dtype=None):
        """``x - logsumexp(x, dim)`` computed stably."""
        src = self._floating() if dtype is None else self.to(dtype)
        return ops.log_softmax(src, _axis(dim, self._array.ndim))

    def norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None):
        """The vector p-norm over ``dim`` (all elements by default); ``p`` a number, ``inf``,
        ``-inf`` or ``'fro'`` (2). The gradient is 0 where the norm is 0, as in PyTorch."""
        src = self if dtype is None else self.to(dtype)
        if p == "fro":
            p = 2
        elif p == "nuc":
            raise NotImplementedError("norm(p='nuc') (the nuclear norm) is not supported by "
                                      "Genesis")
        if isinstance(p, str) or not isinstance(p, numbers.Real):
            raise ValueError(f"norm: p must be a number, inf, -inf or 'fro', got {p!r}")
        if src._array.dtype.kind != "f":
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                               f"as input. Got {dtypes.torch_name(src.dtype)}")
        axis = _axis(dim, src._array.ndim)
        if p < 0 or p == float("inf"):  # no identity: PyTorch refuses a reduction over nothing
            shape = src._array.shape
            if axis is None and src._array.size == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on an "
                                   f"empty tensor because the operation does not have an "
                                   f"identity")
            for a in () if axis is None else axis if isinstance(axis, tuple) else (axis,):
                if shape[a] == 0:
                    raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on the "
                                       f"dimension {a}because this dimension is empty and the "
                                       f"operation does not have an identity")
        return ops.norm(src, p, axis, keepdim)

    @dim_alias
    def cumsum(self, dim, *, dtype=None):
        """Running sums along ``dim``; integer and bool tensors sum in int64, as in PyTorch."""
        return ops.cumsum(self, _axis(dim, self._array.ndim),
                          None if dtype is None else dtypes.as_dtype(dtype).np)
