"""Plain data: the copies a scheduler's state dict is made of, and the differences between two
definitions (``to_config()``) that a resume reports."""
from __future__ import annotations

from typing import Any

import numpy as np

from .checks import as_number

__all__ = ["plain", "copy_plain", "definition_changes"]


def definition_changes(saved: Any, built: Any, path: str = "") -> list[str]:
    """``"path: saved -> built"`` for every entry that differs between two definitions (nothing
    when either is missing: a PyTorch state dict, or a plain function that has no definition)."""
    if saved is None or built is None:
        return []
    if isinstance(saved, dict) and isinstance(built, dict):
        keys = [*saved, *(k for k in built if k not in saved)]
        return [change for key in keys for change in definition_changes(
            saved.get(key, "(absent)"), built.get(key, "(absent)"), f"{path}.{key}".lstrip("."))]
    if isinstance(saved, list) and isinstance(built, list) and len(saved) == len(built):
        return [change for index, (a, b) in enumerate(zip(saved, built))
                for change in definition_changes(a, b, f"{path}[{index}]")]
    return [] if saved == built else [f"{path}: {saved!r} -> {built!r}"]


def plain(value: Any) -> Any:
    """A JSON-friendly copy: lists copied, tuples as lists, NumPy scalars as Python numbers."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def copy_plain(value: Any) -> Any:
    """A copy of loaded plain data, so later steps never mutate the caller's dict; one-element
    tensors (in a PyTorch state dict) become numbers."""
    if isinstance(value, list):
        return [copy_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: copy_plain(v) for k, v in value.items()}
    return as_number(value)
