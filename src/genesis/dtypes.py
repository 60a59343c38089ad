"""Data types: ``genesis.float32`` and friends, each a thin wrapper of a NumPy dtype."""
from __future__ import annotations

import builtins

import numpy as np


class DType:
    """A tensor element type; ``DType.np`` is the NumPy dtype behind it.

    Example: ``genesis.float32.np`` is ``numpy.dtype('float32')``, and
    ``genesis.float32.is_floating_point`` is ``True``.
    """

    __slots__ = ("name", "np", "is_floating_point", "itemsize")

    def __init__(self, name: str, np_dtype) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"genesis.{self.name}"

    def __reduce__(self):
        # DTypes are singletons; copying or deep-copying must give the same object back.
        return (as_dtype, (self.name,))


class _NameOnlyDType(DType):
    """A dtype PyTorch has and NumPy cannot store: the name exists (scripts pick dtypes from a
    table such as ``{'bfloat16': torch.bfloat16, 'float16': torch.float16}``), and any use that
    would store or compute in it raises ``NotImplementedError`` naming what works."""

    __slots__ = ()

    def __init__(self, name: str, itemsize: int) -> None:
        self.name = name
        self.is_floating_point = True
        self.itemsize = itemsize

    @property
    def np(self):
        raise NotImplementedError(
            f"genesis.{self.name}: NumPy has no {self.name}, so Genesis cannot store or compute "
            f"in it; use genesis.float16 (e.g. genesis.autocast('cpu', dtype=genesis.float16)) "
            f"or genesis.float32")


float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
float16 = DType("float16", np.float16)
int64 = DType("int64", np.int64)
int32 = DType("int32", np.int32)
bool_ = DType("bool", np.bool_)
bfloat16 = _NameOnlyDType("bfloat16", 2)

# PyTorch's aliases.
float = float32  # noqa: A001 - PyTorch's public name
double = float64
half = float16
long = int64
int = int32  # noqa: A001 - PyTorch's public name

_ALL = (float32, float64, float16, int64, int32, bool_)
_BY_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "long": int64,
                 "int": int32, "bfloat16": bfloat16})
# How PyTorch's error messages name a dtype: as a ScalarType ("Float") or as a C++ type ("float").
_TORCH_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                       "int32": "Int", "bool": "Bool"}
_TORCH_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
                    "int64": "long int", "int32": "int", "bool": "bool"}


def torch_name(dtype: DType, cpp: bool = False) -> str:
    """The name PyTorch's messages give ``dtype``: ``torch_name(float32)`` is ``'Float'``,
    with ``cpp=True`` ``'float'``."""
    return (_TORCH_CPP_NAMES if cpp else _TORCH_SCALAR_NAMES).get(dtype.name, dtype.name)


def from_numpy_dtype(np_dtype) -> DType:
    """Return the DType for a NumPy dtype, e.g. ``numpy.dtype('int64')`` -> ``genesis.int64``."""
    found = _BY_NP.get(np_dtype)
    if found is None:
        found = _BY_NP.get(np.dtype(np_dtype))
        if found is None:
            raise TypeError(f"unsupported array dtype {np.dtype(np_dtype)}; expected one of "
                            f"{', '.join(d.name for d in _ALL)}")
    return found


def as_dtype(x) -> DType:
    """Return ``x`` as a DType: accepts a DType, a NumPy dtype, a NumPy scalar type, a name,
    or Python's ``float``/``int``/``bool``.

    Example: ``as_dtype(numpy.float64)`` is ``genesis.float64``; ``as_dtype(float)`` is
    ``genesis.float64`` (a Python float is a double, as PyTorch reads ``dtype=float``).
    """
    if isinstance(x, DType):
        return x
    if isinstance(x, str):
        found = _BY_NAME.get(x.removeprefix("genesis.").removeprefix("torch."))
        if found is None:
            raise TypeError(f"dtype must be one of {sorted(_BY_NAME)}, got {x!r}")
        return found
    if x is builtins.float:
        return float64
    if x is builtins.int:
        return int64
    if x is builtins.bool:
        return bool_
    try:
        np_dtype = np.dtype(x)
    except TypeError:
        raise TypeError(f"dtype must be a genesis dtype (e.g. genesis.float32), "
                        f"got {x!r}") from None
    return from_numpy_dtype(np_dtype)


def opmath_dtype(np_dtype) -> np.dtype:
    """The NumPy dtype PyTorch's CPU kernels compute a ``np_dtype`` array in (its
    ``opmath_type``): float32 for float16, ``np_dtype`` itself otherwise.

    Softmaxes and normalisations take a float16 input this way, with or without autocast:
    exponent sums and statistics in float32, the result rounded back to float16.
    """
    return np.dtype(np.float32) if np_dtype == np.float16 else np_dtype


def get_default_dtype() -> DType:
    """Return the default floating dtype, ``genesis.float32`` (as in PyTorch)."""
    return float32


globals()["bool"] = bool_  # PyTorch's public name; assigned late so the module can still use bool()

__all__ = ["DType", "float32", "float64", "float16", "bfloat16", "int64", "int32", "bool", "float",
           "double", "half", "long", "int", "as_dtype", "from_numpy_dtype", "get_default_dtype"]
