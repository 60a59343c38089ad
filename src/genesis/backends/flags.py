"""Boolean backend flags that scripts set and read (``torch.backends.cudnn.benchmark = True``).

Each flag is a ``Flag`` descriptor on a module's class or on a flags object: reading gives the
value, assigning checks it is a bool (as PyTorch does, with PyTorch's ``RuntimeError``). The
flags change nothing in Genesis: NumPy has no cuDNN, no TF32 and no autotuning, and its results
are already deterministic.
"""
from __future__ import annotations

import sys
import types


class Flag:
    """A bool attribute named after PyTorch's setter (``setter``, e.g. 'set_benchmark_cudnn')."""

    def __init__(self, default: bool, setter: str) -> None:
        self.default = default
        self.setter = setter

    def __set_name__(self, owner, name: str) -> None:
        self.name = "_flag_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return obj.__dict__.get(self.name, self.default)

    def __set__(self, obj, value) -> None:
        if not isinstance(value, bool):
            raise RuntimeError(f"{self.setter} expects a bool, but got {type(value).__name__}")
        obj.__dict__[self.name] = value


class FlagModule(types.ModuleType):
    """A module whose class carries ``Flag`` descriptors (a module cannot hold properties)."""


def install(module_name: str, flags_class: type) -> None:
    """Give the module ``module_name`` the flags of ``flags_class`` (called by that module)."""
    sys.modules[module_name].__class__ = flags_class


__all__ = ["Flag", "FlagModule", "install"]
