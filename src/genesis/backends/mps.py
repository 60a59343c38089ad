"""``genesis.backends.mps``: Apple's Metal backend, absent (so scripts take their CPU branch)."""
from __future__ import annotations


def is_available() -> bool:
    """Whether an MPS device can be used: always False."""
    return False


def is_built() -> bool:
    """Whether PyTorch was built with MPS: False."""
    return False


__all__ = ["is_available", "is_built"]
