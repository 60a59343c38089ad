"""The checkpoint tree: Python containers and leaves <-> JSON plus a list of arrays.

A checkpoint is a tree of dicts, lists, tuples, Genesis tensors, NumPy arrays and scalars,
Python numbers, strings, bools and None.  ``encode`` turns it into JSON-able data in which every
array leaf is replaced by a reference to a named array (stored as a safetensors tensor), and
``decode`` turns that back into the same tree.  Values JSON cannot carry faithfully get a tag,
a one-key object whose key starts with ``@``:

=====================================  ==========================================================
``{"@tuple": [...]}``                  a tuple
``{"@dict": [[key, value], ...]}``     a dict with a non-string key (e.g. the optimizer state's
                                       int keys) or a string key starting with ``@``
``{"@int": "123..."}``                 an int outside +-(2**53 - 1) (JSON readers use doubles)
``{"@float": "nan" | "inf" | "-inf"}`` a non-finite float (JSON has none)
``{"@array": name}``                   a NumPy array
``{"@scalar": name}``                  a NumPy scalar (``np.float32(1.5)``), stored 0-d
``{"@tensor": [name, requires_grad]}`` a Genesis tensor
``{"@parameter": [name, requires_grad]}`` a ``genesis.nn.Parameter``                       (v2)
``{"@set": [...]}``                    a set                                                  (v2)
``{"@object": [n, "mod.Class", {...}]}`` object number ``n``: its class's path and attributes  (v2)
``{"@ref": n}``                        object number ``n`` again (shared submodules, cycles)   (v2)
``{"@function": "module.qualname"}``    a Genesis nn function (``F.relu``) or an allowed one     (v2)
=====================================  ==========================================================

A plain dict never has a key starting with ``@`` (such dicts use ``@dict``), so tags are
unambiguous.  Arrays are named by their key path (``model_state_dict.fc.weight``) so that other
safetensors tools show meaningful names; the same object reached twice is stored once and comes
back as one object (tied weights stay tied).

Objects (``genesis.save(model)``) are described in ``genesis.checkpoint.objects``; a tree that
holds any tag marked v2 is written as format version 2, so that an older Genesis refuses it
by version instead of misreading it, and trees without them stay version 1.
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable

import numpy as np

from . import objects

# dtypes a checkpoint stores (safetensors has no complex, long double, string or object dtype)
STORABLE_KINDS = {"b": (1,), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8), "f": (2, 4, 8)}
_MAX_JSON_INT = 2**53 - 1
_TAGS = ("@tuple", "@dict", "@int", "@float", "@array", "@scalar", "@tensor", "@parameter", "@set",
         "@object", "@ref", "@function")
_PARAMETER = ("genesis.nn.parameter", "Parameter")
_ROOT = "<root>"


class TreeDecodeError(ValueError):
    """The JSON tree of a checkpoint is malformed (the caller adds the file's path)."""


def tensor_type() -> type | None:
    """Return ``genesis.Tensor``, or None while the core is not importable."""
    try:
        from genesis.tensor import Tensor
    except ImportError:
        return None
    return Tensor


def child_path(path: str, key: Any) -> str:
    """Key path of ``key`` inside ``path``: ``a.b`` for string keys, ``a[0]`` otherwise."""
    if isinstance(key, str):
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def storable_array(array: np.ndarray, path: str) -> np.ndarray:
    """``array`` as C-contiguous little-endian data, or TypeError naming ``path``."""
    dtype = array.dtype
    if dtype.kind not in STORABLE_KINDS or dtype.itemsize not in STORABLE_KINDS[dtype.kind]:
        raise TypeError(
            f"cannot store the array at {path or _ROOT}: dtype {dtype} is not supported "
            "(supported: bool, int8-64, uint8-64, float16/32/64)"
        )
    if dtype.byteorder == ">":
        array = array.astype(dtype.newbyteorder("<"))
    # not np.ascontiguousarray: it turns 0-d arrays into 1-d ones
    return array if array.flags.c_contiguous else array.copy(order="C")


class _Encoder:
    def __init__(self) -> None:
        self.arrays: list[tuple[str, np.ndarray]] = []
        self._names: set[str] = set()
        self._stored: dict[int, Any] = {}  # id(leaf) -> its encoding (shared leaves stored once)
        self._alive: list[Any] = []  # keeps leaves alive so their ids are not reused
        self._open: set[int] = set()  # containers being encoded, to refuse cycles
        self._objects: dict[int, int] = {}  # id(object) -> its number in the tree
        self._tensor = tensor_type()
        self.version = 1  # 2 once the tree holds a tag an older Genesis cannot read

    def _add_array(self, array: np.ndarray, path: str) -> str:
        name = path or _ROOT
        if name in self._names or name == "__metadata__":
            suffix = 2
            while f"{name}#{suffix}" in self._names:
                suffix += 1
            name = f"{name}#{suffix}"
        self._names.add(name)
        self.arrays.append((name, storable_array(array, path)))
        return name

    def _leaf(self, obj: Any, path: str, make: Callable[[], Any]) -> Any:
        key = id(obj)
        if key not in self._stored:
            self._stored[key] = make()
            self._alive.append(obj)
        return self._stored[key]

    def encode(self, obj: Any, path: str) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            if isinstance(obj, str):
                _check_text(obj, path)
            return obj
        if isinstance(obj, np.generic):
            return self._leaf(obj, path, lambda: {"@scalar": self._add_array(np.asarray(obj), path)})
        if isinstance(obj, int):
            return int(obj) if abs(obj) <= _MAX_JSON_INT else {"@int": str(int(obj))}
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"@float": repr(float(obj))}
        if isinstance(obj, np.ndarray):
            return self._leaf(obj, path, lambda: {"@array": self._add_array(obj, path)})
        if self._tensor is not None and isinstance(obj, self._tensor):
            return self._leaf(obj, path, lambda: self._encode_tensor(obj, path))
        if isinstance(obj, (dict, list, tuple, set, frozenset)):
            if id(obj) in self._open:
                raise ValueError(f"cannot store a container that contains itself, at {path or _ROOT}")
            self._open.add(id(obj))
            try:
                return self._encode_container(obj, path)
            finally:
                self._open.discard(id(obj))
        if objects.storable(obj):
            return self._encode_object(obj, path)
        function = objects.function_path(obj)
        if function is not None:
            self.version = 2
            return {"@function": function}
        advice = " (save its state_dict() instead)" if callable(getattr(obj, "state_dict", None)) else ""
        raise TypeError(
            f"cannot store {_describe(obj)} at {path or _ROOT}: checkpoints hold dicts, lists, "
            "tuples, sets, tensors, NumPy arrays, numbers, strings, bools, None, nn modules, "
            "Genesis's nn functions and instances of classes (and functions) allowed with "
            f"genesis.serialization.add_safe_globals{advice}"
        )

    def _encode_object(self, obj: Any, path: str) -> dict:
        self.version = 2
        if id(obj) in self._objects:
            return {"@ref": self._objects[id(obj)]}
        number = self._objects[id(obj)] = len(self._objects)
        self._alive.append(obj)
        state = objects.state_of(obj, path)
        return {"@object": [number, objects.class_path(type(obj)), self.encode(state, path)]}

    def _encode_tensor(self, tensor: Any, path: str) -> dict:
        from genesis.backend import to_numpy

        name = self._add_array(to_numpy(tensor._array), path)
        kind = type(tensor)
        if (kind.__module__, kind.__qualname__) == _PARAMETER:
            self.version = 2
            return {"@parameter": [name, bool(tensor.requires_grad)]}
        return {"@tensor": [name, bool(tensor.requires_grad)]}

    def _encode_container(self, obj: Any, path: str) -> Any:
        if isinstance(obj, list):
            return [self.encode(item, f"{path}[{i}]") for i, item in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"@tuple": [self.encode(item, f"{path}[{i}]") for i, item in enumerate(obj)]}
        if isinstance(obj, (set, frozenset)):
            self.version = 2
            items = sorted(obj, key=repr) if all(isinstance(i, str) for i in obj) else list(obj)
            return {"@set": [self._encode_key(item, path) for item in items]}
        if all(isinstance(key, str) and not key.startswith("@") for key in obj):
            for key in obj:
                _check_text(key, path)
            return {key: self.encode(value, child_path(path, key)) for key, value in obj.items()}
        return {"@dict": [
            [self._encode_key(key, path), self.encode(value, child_path(path, key))]
            for key, value in obj.items()
        ]}

    def _encode_key(self, key: Any, path: str) -> Any:
        if isinstance(key, tuple):
            return {"@tuple": [self._encode_key(item, path) for item in key]}
        if key is None or isinstance(key, (bool, int, float, str)) and not isinstance(key, np.generic):
            return self.encode(key, path)
        raise TypeError(
            f"cannot store the dict key {key!r} ({type(key).__name__}) in {path or _ROOT}: keys must "
            "be str, int, float, bool, None or tuples of them"
        )


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # lone surrogates: JSON escapes them, but safetensors' (Rust) reader rejects the header
        raise ValueError(f"cannot store the string at {path or _ROOT}: it is not valid Unicode "
                         "(lone surrogate)") from None


def _describe(obj: Any) -> str:
    kind = type(obj)
    name = getattr(obj, "__qualname__", None) if callable(obj) else None
    qualified = f"{kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else kind.__name__
    return f"an object of type {qualified}" + (f" ({name})" if name else "")


def encode(obj: Any) -> tuple[Any, list[tuple[str, np.ndarray]], int]:
    """Split ``obj`` into a JSON-able tree and the named arrays it references, and say which
    format version the tree needs.

    Raises TypeError naming the key path (``scheduler_state_dict.lr_lambdas[0]``) and the type
    of anything that cannot be stored.

    >>> tree, arrays, version = encode({"epoch": 3, "w": np.zeros(2, np.float32), "t": (1, 2)})
    >>> tree, version
    ({'epoch': 3, 'w': {'@array': 'w'}, 't': {'@tuple': [1, 2]}}, 1)
    >>> [(name, a.shape) for name, a in arrays]
    [('w', (2,))]
    """
    encoder = _Encoder()
    tree = encoder.encode(obj, "")
    return tree, encoder.arrays, encoder.version


def decode(tree: Any, arrays: dict[str, np.ndarray], restore: Callable[[Any], Any] | None = None,
           rebuild: bool = True) -> Any:
    """Rebuild the tree that ``encode`` split, with ``arrays`` mapping names to arrays.

    ``restore``, when given, is applied to every Genesis tensor built (once per stored tensor)
    and its result used instead (``genesis.load``'s ``map_location``).  Raises TreeDecodeError
    on a malformed tree or a reference to a missing array, and ``objects.Refused`` for an object
    of a class that is not allowed.  With ``rebuild=False`` objects come back as
    ``objects.StoredObject`` s (their attributes and class path), whatever their class.
    """
    return _Decoder(arrays, restore, rebuild).walk(tree)


class _Decoder:
    # a class, not nested closures: those would form a reference cycle holding every loaded
    # array until the garbage collector ran
    def __init__(self, arrays: dict[str, np.ndarray], restore: Callable[[Any], Any] | None,
                 rebuild: bool) -> None:
        self._arrays = arrays
        self._restore = restore
        self._rebuild = rebuild
        self._built: dict[tuple[str, str], Any] = {}  # leaves referenced twice come back as one
        self._objects: dict[int, Any] = {}  # object number -> the rebuilt object
        self._tensor = tensor_type()

    def walk(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.walk(item) for item in node]
        if not isinstance(node, dict):
            raise TreeDecodeError(f"unexpected node {node!r}")
        tags = [k for k in node if k.startswith("@")]
        if not tags:
            return {k: self.walk(v) for k, v in node.items()}
        if len(node) != 1 or tags[0] not in _TAGS:
            raise TreeDecodeError(f"malformed tagged node with keys {sorted(node)}")
        tag, body = tags[0], node[tags[0]]
        if tag == "@tuple" and isinstance(body, list):
            return tuple(self.walk(item) for item in body)
        if tag == "@dict" and isinstance(body, list) and all(
            isinstance(pair, list) and len(pair) == 2 for pair in body
        ):
            return {self._key(k): self.walk(v) for k, v in body}
        if tag == "@int" and isinstance(body, str) and re.fullmatch(r"-?[0-9]+", body):
            return int(body)
        if tag == "@float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag in ("@array", "@scalar", "@tensor", "@parameter"):
            return self._leaf(tag, body)
        if tag == "@set" and isinstance(body, list):
            return {self._key(item) for item in body}
        if tag == "@object" and isinstance(body, list) and len(body) == 3 and _is_number(body[0]) \
                and isinstance(body[1], str) and body[0] not in self._objects:
            return self._object(*body)
        if tag == "@ref" and _is_number(body) and body in self._objects:
            return self._objects[body]
        if tag == "@function" and isinstance(body, str):
            return objects.resolve_function(body) if self._rebuild else objects.StoredObject(
                body, {})
        raise TreeDecodeError(f"malformed {tag} node {body!r}")

    def _object(self, number: int, path: str, state: Any) -> Any:
        if not self._rebuild:
            obj = self._objects[number] = objects.StoredObject(path, {})
            obj.update(self._attributes(path, state))
            return obj
        cls = objects.resolve(path)
        obj = self._objects[number] = objects.new_instance(cls)  # before its state: cycles come back
        objects.set_state(obj, self._attributes(path, state))
        return obj

    def _attributes(self, path: str, state: Any) -> dict:
        attributes = self.walk(state)
        if not isinstance(attributes, dict) or not all(isinstance(key, str) for key in attributes):
            raise TreeDecodeError(f"the attributes of the {path} object are not a dict of names")
        return attributes

    def _key(self, node: Any) -> Any:
        value = self.walk(node)
        if isinstance(value, (list, dict, np.ndarray, np.generic)) or (
            self._tensor is not None and isinstance(value, self._tensor)
        ):
            raise TreeDecodeError(f"unhashable dict key {node!r}")
        return value

    def _array(self, name: Any) -> np.ndarray:
        if not isinstance(name, str) or name not in self._arrays:
            raise TreeDecodeError(f"the tree references a missing tensor {name!r}")
        return self._arrays[name]

    def _leaf(self, tag: str, body: Any) -> Any:
        if tag in ("@tensor", "@parameter") and not (isinstance(body, list) and len(body) == 2 and isinstance(body[1], bool)):
            raise TreeDecodeError(f"malformed tensor reference {body!r}")
        name = body[0] if tag in ("@tensor", "@parameter") else body
        key = (tag, name if isinstance(name, str) else repr(name))
        if key not in self._built:
            value = self._array(name)
            if tag == "@scalar":
                if value.shape != ():
                    raise TreeDecodeError(f"scalar {name!r} has shape {value.shape}, expected ()")
                value = value[()]
            elif tag in ("@tensor", "@parameter"):
                if self._tensor is None:
                    raise TreeDecodeError("the checkpoint holds Genesis tensors but genesis.Tensor is unavailable")
                try:
                    value = make_tensor(value, requires_grad=body[1] and tag == "@tensor")
                except (TypeError, RuntimeError) as exc:  # e.g. requires_grad on an int tensor
                    raise TreeDecodeError(f"tensor {name!r}: {exc}") from None
                if self._restore is not None:
                    value = self._restore(value)
                if tag == "@parameter":
                    value = _parameter_class()(value, requires_grad=body[1])
            self._built[key] = value
        return self._built[key]


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _parameter_class() -> type:
    # imported by name when a checkpoint holds parameters: importing nn at `import genesis`
    # would make every import pay for it
    import importlib

    return getattr(importlib.import_module(_PARAMETER[0]), _PARAMETER[1])


def tensor_or_array(array: np.ndarray) -> Any:
    """A Genesis tensor on ``array``, or ``array`` itself when Genesis has no such dtype (uint16...)."""
    from genesis.dtypes import from_numpy_dtype

    try:
        from_numpy_dtype(array.dtype)
    except TypeError:
        return array
    return make_tensor(array)


def make_tensor(array: np.ndarray, requires_grad: bool = False) -> Any:
    """A Genesis tensor sharing ``array``'s memory."""
    from genesis.factories import from_numpy

    result = from_numpy(array)
    if requires_grad:
        result.requires_grad_(True)
    return result
