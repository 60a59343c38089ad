"""Argument checks and helpers the layers share (PyTorch keeps ``_pair`` and friends here too)."""
from __future__ import annotations

from typing import Any

from genesis.tensor import Tensor


def _check_tensor(name: str, value: object) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a genesis.Tensor, got {type(value).__name__}")


def _check_positive_int(name: str, value: Any, allow_zero: bool = True) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < (0 if allow_zero else 1):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {kind} int, got {value!r}")
