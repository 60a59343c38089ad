"""``genesis.accelerator``: PyTorch's device-generic accelerator API, answered for a CPU-only
machine (``is_available()`` is False, so scripts take their ``torch.device("cpu")`` branch)."""
from __future__ import annotations

from .devices import device

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """Whether an accelerator (CUDA, MPS, ...) can be used: always False."""
    return False


def current_accelerator(check_available: bool = False) -> device | None:
    """The accelerator device type, or None when there is none: always None."""
    return None


def device_count() -> int:
    """The number of accelerator devices: always 0."""
    return 0


def current_device_index() -> int:
    """The current accelerator index: raises, as PyTorch does without an accelerator."""
    raise RuntimeError(_NONE)


def set_device_index(device) -> None:
    """Select an accelerator: raises, as PyTorch does without an accelerator."""
    raise RuntimeError(_NONE)


def synchronize(device=None) -> None:
    """Wait for accelerator work: raises, as PyTorch does without an accelerator."""
    raise RuntimeError(_NONE)


__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "set_device_index", "synchronize"]
