"""``genesis.autocast`` (also ``genesis.amp.autocast``): mixed precision, honestly.

Disabled, it is an exact no-op. Enabled on the CPU with ``dtype=genesis.float16``, the
matmul-like ops really compute in float16 (NumPy's half-precision kernels) and the losses in
float32, with PyTorch's CPU cast policies (``genesis/mixed_precision.py``). bfloat16, PyTorch's
default CPU autocast dtype, does not exist in NumPy: asking for it raises ``NotImplementedError``
naming what works, never a silent float32 run. Other requests behave as on a CPU-only PyTorch:
``device_type="cuda"`` warns PyTorch's "CUDA is not available ... Disabling autocast." and runs
in full precision, as does an unsupported dtype (PyTorch's warning again).
"""
from __future__ import annotations

import copy
import functools
import warnings

from genesis import dtypes
from genesis.devices import DEVICE_TYPES, device
from genesis.mixed_precision import autocast_mode, get_autocast_dtype

_SUPPORTED = (dtypes.bfloat16, dtypes.float16)


def is_autocast_available(device_type: str) -> bool:
    """Whether PyTorch has autocast for ``device_type`` (a known device type string)."""
    return device(device_type).type in DEVICE_TYPES


class autocast:  # noqa: N801 - PyTorch's public name
    """Run a region (a ``with`` block or a decorated function) in mixed precision.

    Example::

        >>> w = genesis.randn(3, 4, requires_grad=True)
        >>> with genesis.autocast("cpu", dtype=genesis.float16):
        ...     y = genesis.ones(2, 4) @ w.T
        >>> y.dtype, y.float().sum().backward(), w.grad.dtype
        (genesis.float16, None, genesis.float32)
    """

    def __init__(self, device_type: str, dtype: dtypes.DType | None = None,
                 enabled: bool = True, cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device(device_type).type
        self.fast_dtype = get_autocast_dtype(self.device) if dtype is None else dtype
        self._cache_enabled = True if cache_enabled is None else bool(cache_enabled)
        enabled = bool(enabled)
        name = self.device.upper()
        if enabled and self.device == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                          stacklevel=2)
            enabled = False
        elif enabled and self.fast_dtype not in _SUPPORTED:
            warnings.warn(f"In {name} autocast, but the target dtype is not supported. Disabling "
                          f"autocast.\n{name} Autocast only supports dtypes of genesis.bfloat16, "
                          f"genesis.float16 currently.", stacklevel=2)
            enabled = False
        elif enabled and self.device == "cpu" and self.fast_dtype is dtypes.bfloat16:
            raise NotImplementedError(
                "autocast(device_type='cpu', dtype=genesis.bfloat16): NumPy has no bfloat16, so "
                "Genesis cannot compute in it (bfloat16 is PyTorch's default CPU autocast "
                "dtype); use genesis.autocast('cpu', dtype=genesis.float16), or enabled=False "
                "to run in full precision")
        elif enabled and self.device != "cpu":
            warnings.warn(f"autocast(device_type={self.device!r}): Genesis has no {self.device} "
                          f"tensors, so this region changes nothing; use device_type='cpu'",
                          stacklevel=2)
        self._enabled = enabled

    def __enter__(self) -> "autocast":
        self._prev = (autocast_mode.enabled.get(self.device, False),
                      get_autocast_dtype(self.device))
        dtype = self.fast_dtype if isinstance(self.fast_dtype, dtypes.DType) else self._prev[1]
        autocast_mode.set(self.device, self._enabled, dtype)
        return self

    def __exit__(self, *exc) -> bool:
        autocast_mode.set(self.device, *self._prev)
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(f"autocast()(func) requires a callable, but got "
                            f"{type(func).__name__}. Did you mean to use autocast as a context "
                            f"manager? For example:\n    with genesis.autocast(device_type=...):\n"
                            f"        output = model(input)")

        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with copy.copy(self):  # a fresh region per call, so recursion restores correctly
                return func(*args, **kwargs)
        return decorated


__all__ = ["autocast", "is_autocast_available"]
