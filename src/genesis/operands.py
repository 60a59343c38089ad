"""The operands of a Tensor method brought to one dtype as PyTorch promotes them: a Python
number takes the tensor's dtype (wrapping an out-of-range int, as PyTorch converts it), tensors
of different dtypes meet at PyTorch's result type, and a true division of integers divides
their float32 values."""
from __future__ import annotations

import numbers

from . import dtypes, factories, ops
from .backend import xp
from .tensor_base import TensorBase, _promoted, _wrap

_f32 = xp.dtype(xp.float32)
_i64 = xp.dtype(xp.int64)


def scalar_dtype(arr_dtype, value):
    """PyTorch's dtype for a Python number combined with a tensor of ``arr_dtype``."""
    kind = arr_dtype.kind
    if isinstance(value, bool):
        return arr_dtype
    if isinstance(value, numbers.Integral):
        return arr_dtype if kind in "fiu" else _i64
    if isinstance(value, numbers.Real):
        return arr_dtype if kind == "f" else _f32
    raise TypeError(f"unsupported operand: expected a Tensor or a number, got "
                    f"{type(value).__name__}")


def operands(a, b):
    """Return tensors ``(a, b)`` of one dtype (PyTorch's promotion); ``b`` may be a number."""
    if not isinstance(b, TensorBase):
        if isinstance(b, (numbers.Number, xp.generic)):
            dt = scalar_dtype(a._array.dtype, b)
            b = _wrap(dtypes.number_array(b, dt))
        else:
            b = factories.as_tensor(b)
    da, db = a._array.dtype, b._array.dtype
    if da is not db and da != db:
        target = _promoted(a._array, b._array)
        if da != target:
            a = ops.cast(a, target)
        if db != target:
            b = ops.cast(b, target)
    return a, b


def div_operands(a, b):
    """``operands`` of a true division: when neither is floating, each converts to float32 from
    its own values (a uint8 tensor divided by -1 is its negation, not a division by 255)."""
    if a._array.dtype.kind != "f" and not (
            isinstance(b, TensorBase) and b._array.dtype.kind == "f"
            or isinstance(b, (float, xp.floating))):
        a = ops.cast(a, _f32)
        if isinstance(b, TensorBase):
            b = ops.cast(b, _f32)
    return operands(a, b)


def sub_operands(a, b):
    """``operands`` for a subtraction, which PyTorch refuses for bool tensors."""
    bools = (a._array.dtype.kind == "b") + (isinstance(b, bool) or isinstance(b, TensorBase)
                                            and b._array.dtype.kind == "b")
    if bools == 2:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if bools:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return operands(a, b)
