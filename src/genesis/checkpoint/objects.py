"""Whole objects in checkpoints (``genesis.save(model)``): stored as data, rebuilt only from allowed classes.

An object is stored as its class's path (``module.qualname``, PyTorch's spelling) and its
attributes (``__dict__``) as an ordinary checkpoint tree.  Loading rebuilds it the way pickle
rebuilds a plain object — ``cls.__new__(cls)``, then the attributes — but only when the class is
allowed: a Genesis ``nn`` module class, or a class registered with :func:`add_safe_globals` /
:class:`safe_globals` (PyTorch's ``torch.serialization`` API for ``weights_only`` loads).  No
class is ever imported because a file names it (only Genesis's own ``genesis.nn`` modules are
imported by name), no constructor or ``__setstate__`` runs, and nothing is unpickled.

Saving accepts any ``genesis.nn.Module`` (the user's model classes included), dataclass
instances and instances of registered classes; anything else stays refused with its key path.
"""
from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__all__ = ["add_safe_globals", "clear_safe_globals", "get_safe_globals", "safe_globals"]

_MODULE_CLASS = ("genesis.nn.modules.module", "Module")
_OWN_PREFIX = "genesis.nn."

# what the user allowed, in the order given (PyTorch keeps a set; a list keeps get_safe_globals stable)
_allowed: list[Any] = []


def class_path(cls: type) -> str:
    """``module.qualname`` of ``cls``: how PyTorch's checkpoints and its allowlist name a global."""
    return f"{cls.__module__}.{cls.__qualname__}"


def _entry_path(entry: Any) -> tuple[Any, str]:
    if isinstance(entry, tuple):
        if len(entry) != 2:
            raise ValueError(f"Expected tuple of length 2 (global, str of callable full path), but got "
                             f"tuple of length: {len(entry)}")
        if type(entry[1]) is not str:
            raise TypeError(f"Expected second item in tuple to be str of callable full path, but got: "
                            f"{type(entry[1])}")
        return entry
    if not hasattr(entry, "__qualname__") or not hasattr(entry, "__module__"):
        raise TypeError(f"safe_globals takes classes or functions, or (global, 'module.qualname') "
                        f"tuples, got {entry!r}")
    return entry, class_path(entry)


def add_safe_globals(safe_globals: list) -> None:
    """Allow the classes in ``safe_globals`` to be rebuilt when a checkpoint is loaded.

    Each item is a class (or function) or a ``(class, "module.qualname")`` pair naming the path
    the checkpoint uses, as in PyTorch.  Functions are accepted for compatibility and have no
    effect: Genesis never calls anything a file names.

    Example:
        >>> import dataclasses
        >>> @dataclasses.dataclass
        ... class Config:
        ...     width: int = 8
        >>> add_safe_globals([Config])
        >>> Config in get_safe_globals()
        True
        >>> clear_safe_globals()
    """
    entries = list(safe_globals)
    for entry in entries:
        _entry_path(entry)
    for entry in entries:
        if entry not in _allowed:
            _allowed.append(entry)


def get_safe_globals() -> list:
    """The classes and functions allowed by :func:`add_safe_globals` (and open :class:`safe_globals`)."""
    return list(_allowed)


def clear_safe_globals() -> None:
    """Forget every allowed class and function."""
    _allowed.clear()


class safe_globals:
    """Context manager that allows ``safe_globals`` for the loads inside it, as PyTorch's.

    Example:
        >>> class Net: ...
        >>> with safe_globals([Net]):
        ...     Net in get_safe_globals()
        True
        >>> Net in get_safe_globals()
        False
    """

    def __init__(self, safe_globals: list) -> None:
        self.safe_globals = list(safe_globals)
        self._added: list[Any] = []

    def __enter__(self) -> None:
        self._added = [entry for entry in self.safe_globals if entry not in _allowed]
        add_safe_globals(self._added)

    def __exit__(self, *exc_info: Any) -> None:
        for entry in self._added:
            if entry in _allowed:
                _allowed.remove(entry)


class Refused(ValueError):
    """A checkpoint names a class that may not be rebuilt (the message says how to allow it)."""


def _module_class() -> type | None:
    module = sys.modules.get(_MODULE_CLASS[0])  # no nn Module can exist before nn is imported
    return getattr(module, _MODULE_CLASS[1], None) if module else None


def storable(obj: Any) -> bool:
    """Whether ``obj`` is saved as an object: a Module, a dataclass instance or a registered class's."""
    kind = type(obj)
    module_class = _module_class()
    if module_class is not None and isinstance(obj, module_class):
        return True
    if hasattr(kind, "__dataclass_fields__"):  # a dataclass instance (without importing dataclasses)
        return True
    return any(entry is kind or isinstance(entry, tuple) and entry[0] is kind for entry in _allowed)


def state_of(obj: Any, path: str) -> dict:
    """The attributes that make up ``obj`` (its ``__dict__``), or TypeError naming ``path``."""
    state = getattr(obj, "__dict__", None)
    if not isinstance(state, dict):
        raise TypeError(f"cannot store the {class_path(type(obj))} object at {path or '<root>'}: it has no "
                        "__dict__ of attributes to save")
    return state


def resolve(path: Any) -> type:
    """The class a checkpoint names (``module.qualname``), if it is allowed; Refused otherwise."""
    for entry in _allowed:
        obj, name = _entry_path(entry)
        if name == path and isinstance(obj, type):
            return obj
    found = _own_class(path)
    if found is not None:
        return found
    short = path.rsplit(".", 1)[-1]
    raise Refused(
        f"Weights only load failed: Unsupported global: GLOBAL {path} was not an allowed global by "
        f"default. Please use `genesis.serialization.add_safe_globals([{short}])` or the "
        f"`genesis.serialization.safe_globals([{short}])` context manager to allowlist this global if "
        "you trust this class/function. (Genesis rebuilds objects only of its own nn classes and of "
        "the classes you allow; weights_only=False changes nothing, since nothing is unpickled. Or "
        "save and load model.state_dict() instead.)"
    )


def function_path(obj: Any) -> str | None:
    """``module.qualname`` of a function a checkpoint may name: one of Genesis's own ``nn``
    functions (``F.relu``, a transformer layer's default activation) or one allowed with
    :func:`add_safe_globals`; None for any other object."""
    if not isinstance(obj, types.FunctionType):
        return None
    for entry in _allowed:
        allowed, name = _entry_path(entry)
        if allowed is obj:
            return name
    path = class_path(obj)
    return path if path.startswith(_OWN_PREFIX) and _own_function(path) is obj else None


def resolve_function(path: Any) -> Any:
    """The function a checkpoint names, if it is allowed (as :func:`function_path`); Refused
    otherwise."""
    for entry in _allowed:
        obj, name = _entry_path(entry)
        if name == path and isinstance(obj, types.FunctionType):
            return obj
    found = _own_function(path) if isinstance(path, str) else None
    if found is not None:
        return found
    raise Refused(f"Weights only load failed: Unsupported global: GLOBAL {path} was not an allowed "
                  "global by default. Please use `genesis.serialization.add_safe_globals` to "
                  "allowlist this function if you trust it.")


def _own_function(path: str) -> Any:
    """A function defined in a module under ``genesis.nn``, by its path (or None)."""
    if not path.startswith(_OWN_PREFIX) or "<" in path:
        return None
    module_name, _, name = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return None
    found = getattr(module, name, None)
    if isinstance(found, types.FunctionType) and found.__module__ == module_name:
        return found
    return None


def _own_class(path: str) -> type | None:
    """A Genesis ``nn`` Module class by its path, importing only modules under ``genesis.nn``."""
    if not path.startswith(_OWN_PREFIX):
        return None
    parts = path.split(".")
    for split in range(len(parts) - 1, 2, -1):  # the longest module prefix that exists
        module_name = ".".join(parts[:split])
        try:
            found: Any = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        for part in parts[split:]:
            found = getattr(found, part, None)
        module_class = _module_class()
        if isinstance(found, type) and module_class is not None and issubclass(found, module_class):
            return found
        return None
    return None


class StoredObject(dict):
    """An object as a checkpoint stores it, not rebuilt: its attributes, and ``class_path``.

    What ``genesis checkpoint inspect`` shows for objects (it rebuilds none).
    """

    def __init__(self, class_path: str, attributes: dict) -> None:
        super().__init__(attributes)
        self.class_path = class_path


def new_instance(cls: type) -> Any:
    """An instance of ``cls`` without running its constructor (pickle's ``cls.__new__(cls)``)."""
    return cls.__new__(cls)


def set_state(obj: Any, state: dict) -> None:
    """Give the rebuilt ``obj`` its saved attributes (its ``__dict__``, as pickle does)."""
    obj.__dict__.update(state)
