"""``genesis.save`` and ``genesis.load`` with PyTorch's signatures (PyTorch's ``torch.serialization``).

Both write and read Genesis checkpoints (``genesis.checkpoint``: safetensors files with a
checksum; nothing is pickled).  The pickle-related arguments of PyTorch's functions are accepted
and have nothing to do; ``weights_only=True`` always holds, since a Genesis checkpoint holds only
data; ``map_location`` takes every form PyTorch takes, knowing that every Genesis tensor lives on
the CPU.  The allowlist of classes that ``load`` may rebuild (``add_safe_globals``,
``safe_globals``) is PyTorch's API for the same purpose.
"""
from __future__ import annotations

import os
import pickle  # only as the default value PyTorch's signature shows; nothing is pickled
import warnings
from typing import IO, Any, Callable

from genesis.checkpoint import api
from genesis.checkpoint.objects import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals
from genesis.tensor import Tensor

__all__ = ["DEFAULT_PROTOCOL", "add_safe_globals", "clear_safe_globals", "get_safe_globals", "load",
           "safe_globals", "save"]

DEFAULT_PROTOCOL = 2  # PyTorch's value, for code that passes it on; Genesis writes no pickle


def save(obj: Any, f: str | os.PathLike | IO[bytes], pickle_module: Any = pickle,
         pickle_protocol: int = DEFAULT_PROTOCOL, _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Save ``obj`` to ``f`` (a path or a binary file object), as ``torch.save`` is called.

    The same as :func:`genesis.save_checkpoint`: a verified safetensors checkpoint, written
    atomically to a path.  ``obj`` is a tree of state dicts, tensors, arrays and plain data, or
    a whole ``nn`` module (see docs/en/checkpoints.md).  ``pickle_module``, ``pickle_protocol``
    and the ``_``-options choose how PyTorch pickles, and change nothing here.

    Example:
        >>> import io
        >>> buffer = io.BytesIO()
        >>> genesis.save({"epoch": 3, "w": genesis.ones(2)}, buffer)
        >>> _ = buffer.seek(0)
        >>> genesis.load(buffer)
        {'epoch': 3, 'w': tensor([1., 1.])}
    """
    if not api._is_path(f) and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' "
                             f"attribute, got {type(f).__name__}")
    api.save_checkpoint(obj, f)


def load(f: str | os.PathLike | IO[bytes], map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None, **pickle_load_args: Any) -> Any:
    """Load what :func:`save` (or ``save_checkpoint``) wrote to ``f``, as ``torch.load`` is called.

    ``f`` is a path or a binary file object that can seek.  ``map_location`` says where the
    tensors go, in every form PyTorch takes; every Genesis tensor was saved on the CPU, so:

    * ``None``, ``"cpu"``, ``genesis.device("cpu")`` (or any device object whose ``str`` is
      ``"cpu"``): the tensors as saved;
    * ``"cuda"``, ``"cuda:1"``...: RuntimeError, as from a PyTorch without CUDA, once a tensor
      is loaded; any other device: RuntimeError naming it;
    * a dict maps saved locations to new ones: its ``"cpu"`` entry is applied as above;
    * a callable is called as ``map_location(tensor, "cpu")`` for each tensor (PyTorch passes
      a storage) and returns the tensor to use, or ``None`` for the tensor as saved.

    ``weights_only`` (PyTorch's default ``True``) always holds, whatever its value: nothing is
    unpickled, and objects are rebuilt only of Genesis's ``nn`` classes and of classes allowed
    with :func:`add_safe_globals`.  ``mmap=True`` maps a file instead of reading it (a path
    only).  ``pickle_module`` and ``pickle_load_args`` are for PyTorch's unpickler; they are
    checked as PyTorch checks them and change nothing.  A ``torch.save`` file is refused with
    the command that converts it.
    """
    effective = weights_only if weights_only is not None else pickle_module is None
    if effective and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if pickle_load_args and effective:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    return api.load_from(f, mmap=bool(mmap), restore=_restore(map_location))


def _restore(map_location: Any) -> Callable[[Tensor], Tensor] | None:
    """What to do with each loaded tensor for ``map_location`` (None: keep it)."""
    if map_location is None:
        return None
    if isinstance(map_location, dict):
        return _to_location(map_location.get("cpu", "cpu"))
    if isinstance(map_location, (str, bytes)) or _is_device(map_location):
        return _to_location(map_location)
    if callable(map_location):
        def restore(tensor: Tensor) -> Tensor:
            result = map_location(tensor, "cpu")
            if result is None:
                return tensor
            if not isinstance(result, Tensor):
                raise TypeError(f"map_location returned {type(result).__name__}; it must return a "
                                "Genesis tensor or None")
            return result
        return restore
    raise TypeError(f"map_location must be None, a str, a device, a dict or a callable, got "
                    f"{map_location!r} ({type(map_location).__name__})")


def _is_device(value: Any) -> bool:
    """A device object of Genesis or PyTorch: it has a ``type`` and prints as its location."""
    return isinstance(getattr(value, "type", None), str) and hasattr(value, "index")


def _to_location(location: Any) -> Callable[[Tensor], Tensor] | None:
    """The restore for a device location: nothing for the CPU, an error (at the first tensor,
    as in PyTorch) for a device Genesis does not have."""
    text = location.decode() if isinstance(location, bytes) else str(location)
    kind = text.split(":", 1)[0]
    if kind == "cpu":
        return None
    if kind == "cuda":
        message = ("Attempting to deserialize object on a CUDA device but genesis.cuda.is_available() is "
                   "False. If you are running on a CPU-only machine, please use genesis.load with "
                   "map_location='cpu' to map your storages to the CPU.")
    else:
        message = (f"don't know how to restore data location of a tensor (tagged with {text}): Genesis "
                   "computes on the CPU; use map_location='cpu'")

    def refuse(tensor: Tensor) -> Tensor:
        raise RuntimeError(message)

    return refuse
