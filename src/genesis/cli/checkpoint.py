"""``genesis checkpoint inspect PATH`` and ``genesis checkpoint convert IN.pt OUT.safetensors``.

``inspect`` verifies a checkpoint (or any ``.safetensors`` file) and prints its tree with the
dtype, shape and size of every tensor.  ``convert`` turns a PyTorch pickle checkpoint into a
Genesis checkpoint; it is the only place in Genesis that imports PyTorch, and it reads with
``torch.load(weights_only=True)``, which refuses to run code from the file.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
from typing import Any

import numpy as np

from genesis.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from genesis.checkpoint import fileformat
from genesis.checkpoint.api import load_from
from genesis.checkpoint.objects import StoredObject
from genesis.checkpoint.tree import child_path, tensor_or_array, tensor_type

_INLINE_WIDTH = 72


def register(subparsers: Any) -> None:
    """Add ``checkpoint`` with its ``inspect`` and ``convert`` subcommands."""
    parser = subparsers.add_parser(
        "checkpoint", help="inspect or convert checkpoints",
        description="Inspect Genesis checkpoints, or convert PyTorch .pt/.pth files to them.",
    )
    commands = parser.add_subparsers(dest="checkpoint_command", metavar="ACTION", required=True)
    inspect = commands.add_parser(
        "inspect", help="verify a checkpoint and print its tree with dtypes, shapes and sizes",
        description="Verify PATH (a Genesis checkpoint or any .safetensors file) and print its tree.",
    )
    inspect.add_argument("path", metavar="PATH")
    inspect.set_defaults(func=run_inspect)
    convert = commands.add_parser(
        "convert", help="convert a PyTorch .pt/.pth file to a Genesis checkpoint (needs torch)",
        description="Read IN with torch.load(weights_only=True, map_location='cpu') and save it "
                    "with genesis.save_checkpoint to OUT.  torch.dtype and torch.device values "
                    "become strings; torch.Size becomes a tuple.",
    )
    convert.add_argument("input", metavar="IN")
    convert.add_argument("output", metavar="OUT")
    convert.set_defaults(func=run_convert)


# ---------------------------------------------------------------- inspect


def run_inspect(args: argparse.Namespace) -> int:
    """Print the verified tree of ``args.path``; 1 with the error when it cannot be loaded."""
    try:
        kind = _kind(args.path)
        tree = load_from(args.path, mmap=True, rebuild=False)  # shows objects of any class, builds none
    except (CheckpointError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    lines: list[str] = []
    totals = [0, 0]  # tensors, bytes
    if isinstance(tree, dict) and not isinstance(tree, StoredObject):
        for key, value in tree.items():
            _describe(value, _label(key), 0, lines, totals)
    else:
        _describe(tree, "<root>", 0, lines, totals)
    print(f"{args.path}: {kind}")
    print("\n".join(lines))
    exact = f" ({totals[1]:,} bytes)" if totals[1] >= 1024 else ""
    print(f"total: {totals[0]} tensor{'s' * (totals[0] != 1)}, {_size(totals[1])}{exact}")
    return 0


def _kind(path: str) -> str:
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        try:
            header = fileformat.read_header(file, size)
        except fileformat.FormatError:
            return "?"  # load_checkpoint gives the full story
    if header.is_genesis:
        return f"Genesis checkpoint (format {header.metadata.get('genesis.version')}), verified"
    return "safetensors file without Genesis metadata (no checksum to verify)"


def _label(key: Any) -> str:
    return key if isinstance(key, str) else f"[{key!r}]"


def _array_of(value: Any) -> tuple[str, np.ndarray] | None:
    tensor = tensor_type()
    if tensor is not None and isinstance(value, tensor):
        return (type(value).__name__, np.asarray(value._array))  # Tensor, or Parameter in a module
    if isinstance(value, np.ndarray):
        return ("ndarray", value)
    if isinstance(value, np.generic):
        return ("numpy scalar", np.asarray(value))
    return None


def _describe(value: Any, label: str, depth: int, lines: list[str], totals: list[int]) -> None:
    pad = "  " * depth
    found = _array_of(value)
    if found is not None:
        kind, array = found
        grad = " requires_grad" if kind in ("Tensor", "Parameter") and value.requires_grad else ""
        value_text = f" = {array.item()!r}" if array.ndim == 0 else ""
        lines.append(f"{pad}{label}: {kind} {array.dtype} {list(array.shape)}{grad}{value_text} "
                     f"({_size(array.nbytes)})")
        totals[0] += 1
        totals[1] += array.nbytes
        return
    if isinstance(value, StoredObject):
        lines.append(f"{pad}{label}: {value.class_path} object")
        for key, item in value.items():
            _describe(item, _label(key), depth + 1, lines, totals)
        return
    if isinstance(value, (dict, list, tuple)):
        inline = repr(value)
        if not _holds_arrays(value) and len(inline) + len(pad) + len(label) <= _INLINE_WIDTH:
            lines.append(f"{pad}{label}: {inline}")
            return
        items = value.items() if isinstance(value, dict) else enumerate(value)
        lines.append(f"{pad}{label}: {type(value).__name__} of {len(value)}")
        for key, item in items:
            _describe(item, _label(key) if isinstance(value, dict) else f"[{key}]", depth + 1, lines, totals)
        return
    text = repr(value)
    lines.append(f"{pad}{label}: {text if len(text) <= _INLINE_WIDTH else text[:_INLINE_WIDTH - 3] + '...'}")


def _holds_arrays(value: Any) -> bool:
    if _array_of(value) is not None:
        return True
    if isinstance(value, dict):
        return any(_holds_arrays(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_arrays(item) for item in value)
    return False


def _size(nbytes: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} bytes"


# ---------------------------------------------------------------- convert


def run_convert(args: argparse.Namespace) -> int:
    """Convert the PyTorch file ``args.input`` to the Genesis checkpoint ``args.output``."""
    try:
        import torch
    except ImportError:
        print("error: genesis checkpoint convert needs PyTorch to read the input file; "
              "install it with: pip install torch", file=sys.stderr)
        return 1
    if not os.path.isfile(args.input):
        print(f"error: {args.input!r}: no such file", file=sys.stderr)
        return 1
    try:
        obj = torch.load(args.input, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds; all mean "not a loadable weights file"
        print(f"error: cannot convert {args.input!r}: {_refusal(exc)}", file=sys.stderr)
        return 1
    try:
        save_checkpoint(_from_torch(torch, obj, ""), args.output)
    except (TypeError, ValueError, OSError) as exc:
        print(f"error: cannot convert {args.input!r}: {exc}", file=sys.stderr)
        return 1
    print(f"converted {args.input} -> {args.output}")
    return 0


def _refusal(exc: Exception) -> str:
    """Why ``torch.load(weights_only=True)`` refused a file, in one line that says what to do.

    PyTorch's own message is many lines with terminal escape codes, and it suggests
    ``weights_only=False``: the unpickling that can run code, which convert exists to avoid.
    """
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
    if found:
        return (f"it pickles a {found[1]} object, which torch.load(weights_only=True) refuses "
                "because reading it would run code from the file; in PyTorch, save the state dict "
                "instead (torch.save(model.state_dict(), PATH): tensors, numbers, strings, lists "
                "and dicts) and convert that file")
    # Past PyTorch's advice, the reason is on the line after "WeightsUnpickler error:".
    reason = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", text)
    detail = reason[1] if reason else next((line for line in text.splitlines() if line.strip()), "")
    return (f"torch.load(weights_only=True) cannot read it; is it a file written by torch.save? "
            f"({type(exc).__name__}: {textwrap.shorten(detail, 160, placeholder=' ...')})")


def _from_torch(torch: Any, obj: Any, path: str) -> Any:
    """``obj`` with torch tensors as Genesis tensors (NumPy arrays for dtypes Genesis lacks)."""
    if isinstance(obj, torch.Tensor):
        return _tensor_from_torch(torch, obj, path)
    if isinstance(obj, (torch.dtype, torch.device)):
        return str(obj)
    if isinstance(obj, dict):
        return {key: _from_torch(torch, value, child_path(path, key)) for key, value in obj.items()}
    if isinstance(obj, list):
        return [_from_torch(torch, item, f"{path}[{i}]") for i, item in enumerate(obj)]
    if isinstance(obj, tuple):  # torch.Size too
        return tuple(_from_torch(torch, item, f"{path}[{i}]") for i, item in enumerate(obj))
    return obj


def _tensor_from_torch(torch: Any, tensor: Any, path: str) -> Any:
    if tensor.layout != torch.strided:
        raise TypeError(f"cannot convert the {tensor.layout} tensor at {path or '<root>'}: only dense tensors")
    data = tensor.detach()
    if data.dtype == torch.bfloat16:  # NumPy has no bfloat16; float32 holds every value exactly
        data = data.float()
    try:
        array = data.contiguous().numpy()
    except TypeError as exc:
        raise TypeError(f"cannot convert the tensor at {path or '<root>'}: {exc}") from None
    converted = tensor_or_array(array)
    if tensor.requires_grad and converted is not array:
        converted.requires_grad_(True)
    return converted
