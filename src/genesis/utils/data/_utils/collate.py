"""Turning samples into batches: ``default_collate`` (batching on) and ``default_convert`` (off).

The same rules as PyTorch's ``torch.utils.data._utils.collate``, type for type: ``collate``
walks containers (mappings, namedtuples, sequences; tuples come back as lists) and hands the
leaves to the function registered for their type in ``default_collate_fn_map``; users extend it
by adding entries, as in PyTorch.  Tensors and NumPy arrays become Genesis tensors sharing the
arrays' memory where PyTorch's do (``torch.as_tensor``).
"""
from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from genesis.backend import xp
from genesis.factories import from_numpy
from genesis.tensor import Tensor

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

# NumPy dtypes that hold strings or Python objects, which no tensor can hold (PyTorch's pattern)
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _as_tensor(value: Any) -> Tensor:
    """``torch.as_tensor`` of a NumPy array or scalar: a tensor on the same memory, dtype kept."""
    return from_numpy(np.asarray(value))


def default_convert(data: Any) -> Any:
    """Convert every NumPy array and scalar inside ``data`` into a tensor; leave the rest as is.

    What a ``DataLoader`` with ``batch_size=None`` applies to each sample (PyTorch's
    ``default_convert``): mappings, namedtuples and sequences are converted element by element
    (a tuple comes back as a list, as in PyTorch); strings, numbers and tensors stay unchanged.

    Example:
        >>> default_convert({"x": np.array([0, 1]), "label": 3, "name": "a"})
        {'x': tensor([0, 1]), 'label': 3, 'name': 'a'}
        >>> default_convert((np.float32(0.5), "b"))
        [tensor(0.5000), 'b']
    """
    kind = type(data)
    if isinstance(data, Tensor):
        return data
    if kind.__module__ == "numpy" and kind.__name__ not in ("str_", "bytes_"):
        if isinstance(data, np.ndarray) and np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return _as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return kind({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return kind(*(default_convert(item) for item in data))
    if isinstance(data, tuple):
        return [default_convert(item) for item in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, item in enumerate(data):
                    clone[i] = default_convert(item)
                return clone
            return kind([default_convert(item) for item in data])
        except TypeError:
            return [default_convert(item) for item in data]
    return data


def collate(batch: list, *, collate_fn_map: dict | None = None) -> Any:
    """Collate ``batch`` (a list of samples), dispatching leaves on ``collate_fn_map``.

    A leaf whose type (or a base of it, in the map's order) is a key of ``collate_fn_map`` goes
    to that function, called as ``fn(batch, collate_fn_map=collate_fn_map)``; containers are
    collated field by field.  Raises TypeError for anything else.
    """
    elem = batch[0]
    kind = type(elem)
    if collate_fn_map is not None:
        if kind in collate_fn_map:
            return collate_fn_map[kind](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: collate([sample[key] for sample in batch], collate_fn_map=collate_fn_map)
                  for key in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update(fields)
                return clone
            return kind(fields)
        except TypeError:
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return kind(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        # each column is a tuple, as in PyTorch: a column of strings comes back as that tuple
        columns = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # a list, as in PyTorch
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, column in enumerate(columns):
                    clone[i] = column
                return clone
            return kind(columns)
        except TypeError:
            return columns
    raise TypeError(default_collate_err_msg_format.format(kind))


def collate_tensor_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    """Stack tensors of one shape along a new first dimension (dtype kept)."""
    first = batch[0]._array.shape
    for i, tensor in enumerate(batch):
        if tensor._array.shape != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(first)} at "
                               f"entry 0 and {list(tensor._array.shape)} at entry {i}")
    return Tensor._wrap(xp.stack([t._array for t in batch]))


def collate_numpy_array_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    """Stack NumPy arrays as tensors (string and object arrays are refused)."""
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([_as_tensor(array) for array in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    """NumPy scalars into one tensor of their dtype."""
    return _as_tensor(np.array(batch))


def collate_float_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    """Python floats into a float64 tensor (PyTorch's choice)."""
    return Tensor._wrap(xp.asarray(batch, dtype=xp.float64))


def collate_int_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    """Python ints into an int64 tensor, bools into a bool tensor (``torch.tensor(batch)``)."""
    if all(isinstance(value, bool) for value in batch):
        return Tensor._wrap(xp.asarray(batch, dtype=bool))
    return Tensor._wrap(xp.asarray(batch, dtype=xp.int64))


def collate_str_fn(batch: list, *, collate_fn_map: dict | None = None) -> list:
    """Strings and bytes stay the sequence they came in."""
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch: list) -> Any:
    """Merge a list of samples into a batch, as PyTorch's ``default_collate``.

    Tensors and arrays are stacked along a new first dimension (dtype kept); Python ints become
    int64, floats float64 and bools bool tensors; strings and bytes stay as they come (a list
    for a batch of strings, a tuple for a column of strings inside samples, as in PyTorch);
    mappings, namedtuples and sequences are collated field by field (tuples come back as lists).

    Example:
        >>> default_collate([(1, 0.5, "a"), (2, 1.5, "b")])
        [tensor([1, 2]), tensor([0.5000, 1.5000], dtype=genesis.float64), ('a', 'b')]
        >>> default_collate(["a", "b"])
        ['a', 'b']
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
