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
int16 = DType("int16", np.int16)
int8 = DType("int8", np.int8)
uint8 = DType("uint8", np.uint8)
bool_ = DType("bool", np.bool_)
bfloat16 = _NameOnlyDType("bfloat16", 2)

# PyTorch's aliases.
float = float32  # noqa: A001 - PyTorch's public name
double = float64
half = float16
long = int64
int = int32  # noqa: A001 - PyTorch's public name
short = int16

_ALL = (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)
_BY_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "long": int64,
                 "int": int32, "short": int16, "bfloat16": bfloat16})
# How PyTorch's error messages name a dtype: as a ScalarType ("Float") or as a C++ type ("float").
_TORCH_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                       "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                       "bool": "Bool"}
_TORCH_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
                    "int64": "long int", "int32": "int", "int16": "short int",
                    "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


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


def check_fits(values: np.ndarray, np_dtype: np.dtype, spelling: str) -> None:
    """Raise PyTorch's RuntimeError when numbers given as Python data (``values``, the array read
    from them) do not fit the integer dtype ``np_dtype``; nothing to check for other dtypes.

    As in PyTorch, ints must lie in [min, max], where an unsigned dtype also takes -max..-1 (they
    wrap around: -1 becomes 255 as uint8), and floats in [min, max] (NaN never fits).
    ``spelling`` names the type as PyTorch's message does there ("uint8", or "uint8_t" for
    ``full`` and ``fill_``).

    Example: ``check_fits(numpy.array([300]), numpy.dtype("uint8"), "uint8")`` raises
    ``RuntimeError: value cannot be converted to type uint8 without overflow``.
    """
    if np_dtype.kind not in "iu" or values.dtype.kind not in "iuf" or values.size == 0:
        return
    info = np.iinfo(np_dtype)
    low = -info.max if info.min == 0 and values.dtype.kind != "f" else info.min
    with np.errstate(invalid="ignore"):
        fits = (values >= low) & (values <= info.max)  # False at NaN
    if not fits.all():
        raise RuntimeError(f"value cannot be converted to type {spelling} without overflow")


_LARGEST = {2: builtins.float(np.finfo(np.float16).max),
            4: builtins.float(np.finfo(np.float32).max), 8: np.inf}


def fill_array(value, np_dtype: np.dtype) -> np.ndarray:
    """The Python number ``value`` as a 0-d array of ``np_dtype`` for ``full`` and ``fill_``,
    refused as PyTorch refuses it when it overflows the dtype: "value cannot be converted to
    type uint8_t without overflow" (an unsigned dtype takes -max..-1, wrapping around), and for
    a finite float past the largest float16 or float32 ("c10::Half", "float")."""
    value = np.asarray(value)
    if np_dtype.kind in "iu":
        check_fits(value, np_dtype, f"{np_dtype}_t")
    elif np_dtype.kind == "f" and value.dtype.kind in "iuf" and np.isfinite(value) \
            and abs(value) > _LARGEST[np_dtype.itemsize]:
        raise RuntimeError(f"value cannot be converted to type "
                           f"{torch_name(from_numpy_dtype(np_dtype), cpp=True)} without overflow")
    return value.astype(np_dtype)


def number_array(value, np_dtype: np.dtype) -> np.ndarray:
    """The Python number ``value`` as a 0-d array of ``np_dtype``, converted as PyTorch converts a
    number operand: an int out of an integer dtype's range wraps around through int64 (a uint8
    tensor plus 300 adds 44) where NumPy raises, and past int64 it is an OverflowError."""
    try:
        if np_dtype.kind == "f" and not abs(value) <= _LARGEST[np_dtype.itemsize]:
            with np.errstate(over="ignore"):  # past the dtype's range: inf, silently as in PyTorch
                return np.asarray(value, dtype=np_dtype)
        return np.asarray(value, dtype=np_dtype)
    except OverflowError:
        return np.asarray(value, dtype=np.int64).astype(np_dtype)


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

__all__ = ["DType", "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
           "uint8", "bool", "float", "double", "half", "long", "int", "short", "as_dtype",
           "from_numpy_dtype", "get_default_dtype"]
