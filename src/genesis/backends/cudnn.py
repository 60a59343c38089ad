"""``genesis.backends.cudnn``: PyTorch's cuDNN flags, accepted and readable; cuDNN itself is
absent (``is_available()`` is False), so the flags change no result (see ``flags.py``)."""
from __future__ import annotations

import contextlib
import sys

from .flags import Flag, FlagModule, install


class _CudnnModule(FlagModule):
    enabled = Flag(True, "set_enabled_cudnn")
    benchmark = Flag(False, "set_benchmark_cudnn")
    deterministic = Flag(False, "set_deterministic_cudnn")
    allow_tf32 = Flag(True, "set_allow_tf32_cublas")


def is_available() -> bool:
    """Whether cuDNN can be used: always False."""
    return False


def version() -> None:
    """The cuDNN version: None (not present), as on a CPU-only PyTorch."""
    return None


@contextlib.contextmanager
def flags(enabled: bool = False, benchmark: bool = False, deterministic: bool = False,
          allow_tf32: bool = True):
    """Set the four flags inside a ``with`` block and restore them after it."""
    module = sys.modules[__name__]
    names = ("enabled", "benchmark", "deterministic", "allow_tf32")
    saved = [getattr(module, n) for n in names]
    for name, value in zip(names, (enabled, benchmark, deterministic, allow_tf32)):
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in zip(names, saved):
            setattr(module, name, value)


install(__name__, _CudnnModule)

__all__ = ["enabled", "benchmark", "deterministic", "allow_tf32", "is_available", "version",
           "flags"]
