"""PyTorch's legacy tensor types: ``genesis.FloatTensor``, ``genesis.LongTensor``, ...

Each is what PyTorch's is: a constructor (``LongTensor(3)`` is an uninitialised, here zeroed,
int64 tensor of shape (3,); ``LongTensor([1, 2])`` converts data) and a type to test against
(``isinstance(x, genesis.FloatTensor)`` is true for a float32 tensor). Objects built are plain
``genesis.Tensor`` instances. ``x.type(genesis.LongTensor)`` converts.
"""
from __future__ import annotations

from . import dtypes, factories
from .tensor import Tensor


class _TensorType(type):
    """The metaclass: calling builds a tensor of ``dtype``; ``isinstance`` checks the dtype."""

    def __call__(cls, *args, device=None) -> Tensor:
        return Tensor._wrap(factories.legacy_array(cls.dtype.np, args, device))

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'genesis.{cls.__name__}'>"


def _tensor_type(name: str, dtype: dtypes.DType) -> type:
    doc = f"PyTorch's legacy {dtype} tensor type: a constructor and an ``isinstance`` target."
    return _TensorType(name, (), {"dtype": dtype, "__doc__": doc, "__module__": "genesis"})


FloatTensor = _tensor_type("FloatTensor", dtypes.float32)
DoubleTensor = _tensor_type("DoubleTensor", dtypes.float64)
HalfTensor = _tensor_type("HalfTensor", dtypes.float16)
LongTensor = _tensor_type("LongTensor", dtypes.int64)
IntTensor = _tensor_type("IntTensor", dtypes.int32)
ShortTensor = _tensor_type("ShortTensor", dtypes.int16)
CharTensor = _tensor_type("CharTensor", dtypes.int8)
ByteTensor = _tensor_type("ByteTensor", dtypes.uint8)
BoolTensor = _tensor_type("BoolTensor", dtypes.bool_)

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
           "CharTensor", "ByteTensor", "BoolTensor"]
