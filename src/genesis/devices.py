"""Where a tensor lives and how it is laid out: ``genesis.device`` and the memory formats.

Genesis computes with NumPy on the CPU, so every tensor's device is ``device(type='cpu')``.
``device`` objects for other types ("cuda:0", "mps") can be built, compared and printed as in
PyTorch, so that device-agnostic scripts run unchanged; asking to *put* something there fails
as it does on a CPU-only PyTorch 2.13 (``AssertionError: Torch not compiled with CUDA
enabled``), never silently. ``parse_to`` is the one parser of ``Tensor.to`` and ``Module.to``
arguments (PyTorch's three overloads).

A leaf of the core: it imports only the dtypes and ``tensor_base``.
"""
from __future__ import annotations

import builtins
import numbers
import re

import numpy as np

from . import dtypes
from .tensor_base import TensorBase

# PyTorch 2.13's device types, in the order its error message lists them.
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::(0|[1-9][0-9]*))?")
_NO_ACCELERATOR = "Cannot access accelerator device when none is available."
_CPU_ONLY = ("Genesis computes with NumPy on the CPU: use 'cpu', or choose the device with "
             "genesis.cuda.is_available() as device-agnostic PyTorch scripts do")


class device:  # noqa: N801 - PyTorch's public name
    """A device: ``genesis.device("cpu")``, ``device("cuda:0")``, ``device("cuda", 1)``.

    ``type`` is the device type and ``index`` the ordinal (None when not given). Equality,
    hashing, ``str`` and ``repr`` are PyTorch's; building a device never fails for a known
    type, putting a tensor on one other than the CPU does.

    Example::

        >>> d = genesis.device("cuda:1")
        >>> d, str(d), d.type, d.index, d == genesis.device("cuda", 1)
        (device(type='cuda', index=1), 'cuda:1', 'cuda', 1, True)
    """

    __slots__ = ("_type", "_index")

    def __init__(self, type=None, index=None) -> None:  # noqa: A002 - PyTorch's argument names
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): a device argument takes no index")
            self._type, self._index = type._type, type._index
            return
        if isinstance(type, numbers.Integral) and not isinstance(type, builtins.bool):
            # PyTorch reads a bare int as an index on the current accelerator.
            raise RuntimeError(_NO_ACCELERATOR)
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({builtins.type(type).__name__}), but expected one of: "
                            f"(torch.device device), (str type, int index = -1)")
        kind, parsed_index = _parse(type)
        if index is not None:
            if isinstance(index, builtins.bool) or not isinstance(index, numbers.Integral):
                raise TypeError(f"device(): argument 'index' (position 2) must be int, not "
                                f"{builtins.type(index).__name__}")
            if parsed_index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            if index < 0:
                raise RuntimeError("Device index must not be negative")
            parsed_index = int(index)
        self._type, self._index = kind, parsed_index

    @property
    def type(self) -> str:
        """The device type, e.g. ``'cpu'`` or ``'cuda'``."""
        return self._type

    @property
    def index(self) -> int | None:
        """The device ordinal, or None when the device names a type only."""
        return self._index

    def __eq__(self, other) -> bool:
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self) -> int:
        return hash((self._type, self._index))

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __reduce__(self):
        return (device, (self._type, self._index))

    def __enter__(self) -> "device":
        # PyTorch makes this the default device of factories inside the block; the CPU already
        # is, and any other device would fail at the first factory call, so fail here.
        check_device(self)
        return self

    def __exit__(self, *exc) -> None:
        return None


def _parse(text: str) -> tuple[str, int | None]:
    if not text:
        raise RuntimeError("Device string must not be empty")
    match = _DEVICE_STRING.fullmatch(text)
    if match is None:
        raise RuntimeError(f"Invalid device string: '{text}'")
    kind = match.group(1)
    if kind not in DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of "
                           f"device string: {text}")
    return kind, None if match.group(2) is None else int(match.group(2))


CPU = device("cpu")


def as_device(value) -> device:
    """``value`` (a device, a device string or an int) as a ``device``."""
    return value if isinstance(value, device) else device(value)


def check_device(value) -> None:
    """Accept ``None`` or a CPU device; fail for any other as a CPU-only PyTorch does."""
    if value is None or value is CPU or value == "cpu":
        return
    kind = as_device(value).type
    if kind == "cpu":
        return
    if kind in ("cuda", "xpu"):
        # PyTorch's AssertionError; Genesis's advice follows its words.
        raise AssertionError(f"Torch not compiled with {kind.upper()} enabled ({_CPU_ONLY})")
    raise RuntimeError(f"PyTorch is not linked with support for {kind} devices ({_CPU_ONLY})")


class memory_format:  # noqa: N801 - PyTorch's public name
    """A memory layout request (``genesis.channels_last``, ...).

    NumPy arrays carry no layout that Genesis's ops depend on, so a format changes no value:
    it is checked as PyTorch checks it (``channels_last`` needs a 4-D tensor) and accepted.
    """

    __slots__ = ("name", "rank")

    def __init__(self, name: str, rank: int | None) -> None:
        self.name = name
        self.rank = rank

    def __repr__(self) -> str:
        return f"genesis.{self.name}"

    def __reduce__(self):
        return self.name


contiguous_format = memory_format("contiguous_format", None)
preserve_format = memory_format("preserve_format", None)
channels_last = memory_format("channels_last", 4)
channels_last_3d = memory_format("channels_last_3d", 5)


def check_memory_format(fmt, ndim: int) -> None:
    """Raise as PyTorch does for a format a tensor of ``ndim`` dimensions cannot take."""
    if fmt is None:
        return
    if not isinstance(fmt, memory_format):
        raise TypeError(f"memory_format must be a genesis.memory_format (e.g. "
                        f"genesis.channels_last), got {fmt!r}")
    if fmt.rank is not None and ndim != fmt.rank:
        raise RuntimeError(f"required rank {fmt.rank} tensor to use {fmt.name} format")


_TO_OVERLOADS = ("(device device = None, dtype dtype = None, bool non_blocking = False, "
                 "bool copy = False, *, memory_format memory_format = None), "
                 "(dtype dtype, bool non_blocking = False, bool copy = False, *, "
                 "memory_format memory_format = None), (Tensor tensor, bool non_blocking = False, "
                 "bool copy = False, *, memory_format memory_format = None)")


def _is_dtype(value) -> bool:
    if isinstance(value, (dtypes.DType, np.dtype)):
        return True
    return isinstance(value, type) and (value in (builtins.float, builtins.int, builtins.bool)
                                        or issubclass(value, np.generic))


def _is_device(value) -> bool:
    return (isinstance(value, (device, str))
            or isinstance(value, numbers.Integral) and not isinstance(value, builtins.bool))


def _bad_to(args, kwargs) -> TypeError:
    got = [type(a).__name__ for a in args] + [f"{k}={type(v).__name__}" for k, v in kwargs.items()]
    return TypeError(f"to() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of: {_TO_OVERLOADS}")


def parse_to(*args, **kwargs):
    """PyTorch's parsing of ``to(...)``: ``(device, dtype, non_blocking, copy, memory_format)``.

    The three overloads are ``to(device=None, dtype=None, non_blocking=False, copy=False)``,
    ``to(dtype, non_blocking=False, copy=False)`` and ``to(tensor, non_blocking=False,
    copy=False)``, each with the keyword ``memory_format``. ``device`` is returned as given
    (checked by the caller), ``dtype`` as a DType or None.
    """
    given_args, given_kwargs = args, dict(kwargs)
    memory = kwargs.pop("memory_format", None)
    if memory is not None and not isinstance(memory, memory_format):
        raise _bad_to(given_args, given_kwargs)
    first = args[0] if args else None
    if isinstance(first, TensorBase):
        names, fixed = ("non_blocking", "copy"), {"device": CPU, "dtype": first.dtype}
        args = args[1:]
    elif args and _is_dtype(first):
        names, fixed = ("non_blocking", "copy"), {"dtype": first}
        args = args[1:]
    else:
        names, fixed = ("device", "dtype", "non_blocking", "copy"), {}
    if len(args) > len(names):
        raise _bad_to(given_args, given_kwargs)
    values = dict(zip(names, args))
    for name, value in kwargs.items():
        if name not in names or name in values:
            raise _bad_to(given_args, given_kwargs)
        values[name] = value
    target, dtype = values.get("device"), values.get("dtype")
    non_blocking, copy = values.get("non_blocking", False), values.get("copy", False)
    if (target is not None and not _is_device(target)
            or dtype is not None and not _is_dtype(dtype)
            or not isinstance(non_blocking, builtins.bool) or not isinstance(copy, builtins.bool)):
        raise _bad_to(given_args, given_kwargs)
    target = fixed.get("device", target)
    dtype = dtypes.as_dtype(fixed.get("dtype", dtype)) if fixed.get("dtype", dtype) is not None \
        else None
    return target, dtype, non_blocking, copy, memory


__all__ = ["device", "memory_format", "contiguous_format", "preserve_format", "channels_last",
           "channels_last_3d", "as_device", "check_device", "check_memory_format", "parse_to",
           "CPU"]
