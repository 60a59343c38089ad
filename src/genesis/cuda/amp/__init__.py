"""``genesis.cuda.amp``: PyTorch's deprecated CUDA spellings of autocast and GradScaler.

Each warns PyTorch's ``FutureWarning`` and then behaves as ``genesis.amp``'s with
``device_type="cuda"``: on a machine without CUDA (Genesis's case) it warns again and runs
disabled, exactly as a CPU-only PyTorch does. Use ``genesis.amp.GradScaler("cpu")`` and
``genesis.autocast("cpu", dtype=genesis.float16)`` to use mixed precision on the CPU.
"""
from __future__ import annotations

import warnings

from genesis import amp, dtypes


class autocast(amp.autocast):  # noqa: N801 - PyTorch's public name
    """``genesis.amp.autocast("cuda", ...)`` after PyTorch's deprecation warning."""

    def __init__(self, enabled: bool = True, dtype: dtypes.DType = dtypes.float16,
                 cache_enabled: bool = True) -> None:
        warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


class GradScaler(amp.GradScaler):
    """``genesis.amp.GradScaler("cuda", ...)`` after PyTorch's deprecation warning."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


__all__ = ["autocast", "GradScaler"]
