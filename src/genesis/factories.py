"""Tensor factories: ``tensor``, ``zeros``, ``randn``, ... ``stack``, ``cat``, ``where``.

Dtype rules follow PyTorch: Python floats give float32, Python ints int64, bools bool; a
NumPy array keeps its dtype (float64 stays float64).
"""
from __future__ import annotations

import numbers

from . import dtypes, ops
from .backend import quiet, xp
from .devices import check_device as _check_device, check_memory_format
from .random import generator_for
from .tensor_base import Size, TensorBase as Tensor, _axis, _promoted, _wrap, dim_alias

_f32 = xp.dtype(xp.float32)


def _np_dtype(dtype):
    return None if dtype is None else dtypes.as_dtype(dtype).np


def _finish(array, requires_grad: bool) -> Tensor:
    t = _wrap(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _infer_array(data, target=None):
    """An array from ``data``: arrays and NumPy scalars keep their dtype; Python floats
    become float32 and Python ints int64, as in PyTorch, unless the caller converts to the
    NumPy dtype ``target`` anyway: then Python numbers are read at full precision, so that
    ``tensor(0.1, dtype=float64)`` is 0.1 and not 0.1 rounded to float32 first."""
    if isinstance(data, Tensor):
        return data._array
    if isinstance(data, (xp.ndarray, xp.generic)):
        array = xp.asarray(data)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
            data = [_infer_array(x) for x in data]
        try:
            array = xp.asarray(data)
        except (ValueError, TypeError) as e:
            raise TypeError(f"could not build a tensor from {type(data).__name__}: {e}") from None
        if target is not None and array.dtype.kind in "fiub":
            pass
        elif array.dtype.kind == "f":
            array = array.astype(_f32)
        elif array.dtype.kind in "iu":
            array = array.astype(xp.int64)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"can't convert data of dtype {array.dtype} to a tensor; expected "
                        f"numbers or booleans")
    return array


@quiet
def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor with a copy of ``data`` (nested lists, numbers, arrays, tensors).

    Example: ``genesis.tensor([[1, 2], [3, 4]])`` is an int64 tensor;
    ``genesis.tensor([0.5])`` is float32.
    """
    _check_device(device)
    target = _np_dtype(dtype)
    array = xp.array(_numbers_array(data, target), dtype=target, copy=True)
    return _finish(array, requires_grad)


def _numbers_array(data, target):
    """``_infer_array``, with PyTorch's overflow check where Python numbers go to an integer
    ``target`` (arrays and tensors convert as ``.to`` does, wrapping)."""
    array = _infer_array(data, target)
    if target is not None and not isinstance(data, (Tensor, xp.ndarray, xp.generic)):
        dtypes.check_fits(array, target, target.name)
    return array


@quiet
def legacy_array(np_dtype, args: tuple, device=None):
    """The storage PyTorch's legacy constructors build (``torch.Tensor(2, 3)``,
    ``torch.LongTensor([1, 2])``, ``x.new(...)``): sizes give an uninitialised (here zeroed)
    array, a sequence is converted, a tensor is shared. ``np_dtype`` None means "float32 for
    new storage, any dtype for a shared tensor" (``torch.Tensor``'s rule)."""
    _check_device(device)
    target = np_dtype if np_dtype is not None else _f32
    if len(args) == 1 and isinstance(args[0], Tensor):
        source = args[0]._array
        if np_dtype is not None and source.dtype != np_dtype:
            raise TypeError(f"expected a tensor of dtype {dtypes.from_numpy_dtype(np_dtype)} "
                            f"(got {dtypes.from_numpy_dtype(source.dtype)})")
        return source
    if len(args) == 1 and isinstance(args[0], (list, tuple, xp.ndarray)) \
            and not isinstance(args[0], Size):
        return _numbers_array(args[0], target).astype(target)
    sizes = tuple(args[0]) if len(args) == 1 and isinstance(args[0], Size) else args or (0,)
    if all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in sizes):
        return xp.zeros(_shape(sizes), dtype=target)
    raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")


@quiet
def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor` but without copying when ``data`` already is an array/tensor of
    ``dtype``."""
    _check_device(device)
    if isinstance(data, Tensor):
        if dtype is None or dtypes.as_dtype(dtype).np == data._array.dtype:
            return data
        return data.to(dtype)
    if isinstance(data, xp.ndarray):
        dtypes.from_numpy_dtype(data.dtype)  # TypeError for a dtype Genesis has no tensors of
        return _wrap(xp.asarray(data, dtype=_np_dtype(dtype)))
    target = _np_dtype(dtype)
    return _wrap(xp.asarray(_numbers_array(data, target), dtype=target))


def from_numpy(ndarray) -> Tensor:
    """A tensor sharing memory with the NumPy array ``ndarray`` (dtype kept)."""
    if not isinstance(ndarray, xp.ndarray):
        raise TypeError(f"from_numpy expected a numpy.ndarray, got {type(ndarray).__name__}")
    dtypes.from_numpy_dtype(ndarray.dtype)
    return _wrap(ndarray)


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a genesis Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:  # noqa: A002 - PyTorch's argument name
    """The number of elements of ``input``."""
    return input._array.size


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"size must be non-negative ints, got {tuple(size)!r}")
    return tuple(int(n) for n in size)


@quiet
def _filled(fill, size, dtype, requires_grad, device, default=_f32) -> Tensor:
    _check_device(device)
    shape = _shape(size)
    target = _np_dtype(dtype) or default
    if fill != 0 and fill != 1 and isinstance(fill, numbers.Number):  # zeros/ones need no check
        fill = dtypes.fill_array(fill, target)
    return _finish(xp.full(shape, fill, dtype=target), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros, e.g. ``genesis.zeros(2, 3)`` (float32 by default)."""
    return _filled(0, size, dtype, requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones, e.g. ``genesis.ones(2, 3)`` (float32 by default)."""
    return _filled(1, size, dtype, requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad: bool = False,
          memory_format=None) -> Tensor:
    """An uninitialised tensor (zero-filled with NumPy, so results are deterministic)."""
    out = _filled(0, size, dtype, requires_grad, device)
    check_memory_format(memory_format, out._array.ndim)
    return out


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value's type by default.

    Example: ``genesis.full((2,), 7)`` is ``tensor([7, 7])`` (int64).
    """
    if isinstance(size, numbers.Integral):
        size = (size,)
    if not isinstance(fill_value, (numbers.Real, xp.bool_)):
        raise TypeError(f"full: fill_value must be a real number or a bool, got {fill_value!r}")
    default = (xp.dtype(xp.bool_) if isinstance(fill_value, bool) else
               xp.dtype(xp.int64) if isinstance(fill_value, numbers.Integral) else _f32)
    return _filled(fill_value, tuple(size), dtype, requires_grad, device, default)


def _like(fill, input, dtype, requires_grad, device=None, memory_format=None) -> Tensor:
    _check_device(device)
    check_memory_format(memory_format, input._array.ndim)
    np_dtype = _np_dtype(dtype) or input._array.dtype
    return _finish(xp.full(input._array.shape, fill, dtype=np_dtype), requires_grad)


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False,  # noqa: A002
               memory_format=None) -> Tensor:
    """Zeros with ``input``'s shape and dtype."""
    return _like(0, input, dtype, requires_grad, device, memory_format)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False,  # noqa: A002
              memory_format=None) -> Tensor:
    """Ones with ``input``'s shape and dtype."""
    return _like(1, input, dtype, requires_grad, device, memory_format)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False,  # noqa: A002
               memory_format=None) -> Tensor:
    """An uninitialised (zero-filled) tensor with ``input``'s shape and dtype."""
    return _like(0, input, dtype, requires_grad, device, memory_format)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None,  # noqa: A002
              requires_grad: bool = False, memory_format=None) -> Tensor:
    """``fill_value`` everywhere, with ``input``'s shape and dtype."""
    return _like(fill_value, input, dtype, requires_grad, device, memory_format)


@quiet
def arange(start, end=None, step=1, *, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values ``start, start + step, ...`` below ``end``; int64 when all arguments are ints.

    Example: ``genesis.arange(5)`` is ``tensor([0, 1, 2, 3, 4])``.
    """
    _check_device(device)
    if end is None:
        start, end = 0, start
    for name, value in (("start", start), ("end", end), ("step", step)):
        if not isinstance(value, numbers.Real):
            raise TypeError(f"arange: {name} must be a real number, got {value!r}")
    if step == 0:
        raise ValueError("arange: step must be nonzero, got 0")
    all_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    default = xp.dtype(xp.int64) if all_int else _f32
    values = xp.arange(start, end, step, dtype=xp.int64 if all_int else xp.float64)
    return _finish(values.astype(_np_dtype(dtype) or default), requires_grad)


@quiet
def linspace(start, end, steps: int, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (float32)."""
    _check_device(device)
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    values = xp.linspace(float(start), float(end), int(steps))
    return _finish(values.astype(_np_dtype(dtype) or _f32), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) of shape ``size`` (float32)."""
    _check_device(device)
    values = generator_for(generator).random(_shape(size))
    return _finish(values.astype(_np_dtype(dtype) or _f32), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples of shape ``size`` (float32)."""
    _check_device(device)
    values = generator_for(generator).standard_normal(_shape(size))
    return _finish(values.astype(_np_dtype(dtype) or _f32), requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform in ``[low, high)`` of shape ``size`` (int64); ``randint(high, size)``
    also works, as in PyTorch."""
    _check_device(device)
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size' (a tuple)")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    for name, bound in (("low", low), ("high", high)):
        if isinstance(bound, bool) or not isinstance(bound, numbers.Integral):
            raise TypeError(f"randint: {name} must be an int, got {bound!r}")
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    values = generator_for(generator).integers(low, high, _shape(tuple(size)))
    return _finish(values.astype(_np_dtype(dtype) or xp.int64), requires_grad)


def rand_like(input: Tensor, *, generator=None, dtype=None, device=None) -> Tensor:  # noqa: A002
    """Uniform [0, 1) samples with ``input``'s shape and dtype."""
    return rand(*input._array.shape, generator=generator, dtype=dtype or input.dtype, device=device)


def randn_like(input: Tensor, *, generator=None, dtype=None, device=None) -> Tensor:  # noqa: A002
    """Standard normal samples with ``input``'s shape and dtype."""
    return randn(*input._array.shape, generator=generator, dtype=dtype or input.dtype,
                 device=device)


def randint_like(input: Tensor, low=0, high=None, *, generator=None,  # noqa: A002
                 dtype=None, device=None) -> Tensor:
    """Integers uniform in ``[low, high)`` with ``input``'s shape and dtype;
    ``randint_like(input, high)`` also works, as in PyTorch."""
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input._array.shape), generator=generator,
                   dtype=dtype or input.dtype, device=device)


def randperm(n: int, *, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of ``0..n-1`` (int64)."""
    _check_device(device)
    return _wrap(generator_for(generator).permutation(n).astype(_np_dtype(dtype) or xp.int64))


def _common(tensors, name):
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise ValueError(f"{name}() expects a non-empty list or tuple of tensors")
    tensors = [t if isinstance(t, Tensor) else as_tensor(t) for t in tensors]
    target = tensors[0]._array.dtype
    for t in tensors[1:]:
        if t._array.dtype != target:
            target = _promoted(xp.empty((1,), target), t._array)
    return [t if t._array.dtype == target else ops.cast(t, target) for t in tensors]


@dim_alias
def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along the existing dimension ``dim``."""
    tensors = _common(tensors, "cat")
    for position, t in enumerate(tensors):
        if t._array.ndim == 0:
            raise ValueError(f"cat: zero-dimensional tensor (at position {position}) cannot be "
                             f"concatenated; use stack() to join scalars")
    ndim = tensors[0]._array.ndim
    shapes = [tuple(t._array.shape) for t in tensors]
    if any(len(s) != ndim for s in shapes):
        raise ValueError(f"cat: tensors must have the same number of dimensions, got shapes "
                         f"{shapes}")
    axis = _axis(dim, ndim)
    if any(s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:] for s in shapes):
        raise ValueError(f"cat: sizes of tensors must match except in dimension {dim}, got "
                         f"shapes {shapes}")
    return ops.cat(tensors, axis)


concat = concatenate = cat


@dim_alias
def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension ``dim``."""
    tensors = _common(tensors, "stack")
    shapes = [tuple(t._array.shape) for t in tensors]
    if any(s != shapes[0] for s in shapes):
        raise ValueError(f"stack expects each tensor to be equal size, got shapes {shapes}")
    return ops.stack(tensors, _axis(dim, len(shapes[0]) + 1))


def where(condition, input=None, other=None) -> Tensor:  # noqa: A002
    """``input`` where ``condition`` holds, else ``other`` (both may be numbers)."""
    cond = condition._array if isinstance(condition, Tensor) else xp.asarray(condition)
    if input is None and other is None:
        return tuple(_wrap(i.astype(xp.int64)) for i in xp.nonzero(cond))
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            other = tensor(other)
        input = _wrap(xp.asarray(input, dtype=other._array.dtype))
    return input.where(cond, other)
