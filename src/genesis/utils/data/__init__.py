"""Datasets and the batch loader (PyTorch's ``torch.utils.data`` path).

A :class:`DataLoader` draws indices (in order, or a fresh permutation per epoch from a
``genesis.Generator`` or the global Genesis RNG), groups them into batches and collates the
samples into batched tensors.  A :class:`TensorDataset` (or a :class:`Subset` of one) takes a fast
path: one NumPy fancy-indexing gather per tensor per batch instead of per-sample collation.
"""
from __future__ import annotations

import collections.abc
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from genesis import random as _random
from genesis.backend import xp
from genesis.tensor import Tensor
from genesis.utils.data.distributed import DistributedSampler

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "random_split",
    "default_collate",
    "SequentialSampler",
    "RandomSampler",
    "DistributedSampler",
    "DataLoader",
]


def _wrap(array) -> Tensor:
    """A Genesis tensor over a freshly built backend array (no second copy)."""
    return Tensor._wrap(array)


def _numpy_generator(generator) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (a ``genesis.Generator``) or the global RNG."""
    return _random.generator_for(generator)


def _permutation(n: int, generator) -> np.ndarray:
    """A random permutation of ``range(n)`` drawn from ``generator`` (or the global RNG)."""
    return _numpy_generator(generator).permutation(n)


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self): return 4
        ...     def __getitem__(self, i): return float(i), float(i * i)
        >>> next(iter(DataLoader(Squares(), batch_size=4)))[1]
        tensor([0., 1., 4., 9.], dtype=genesis.float64)
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


class TensorDataset(Dataset):
    """Dataset of tensors sharing their first dimension; sample ``i`` is ``(t[i] for t)``.

    Example:
        >>> ds = TensorDataset(genesis.zeros(5, 3), genesis.arange(5))
        >>> len(ds), ds[2][1].item()
        (5, 2)
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for i, tensor in enumerate(tensors):
            if not isinstance(tensor, Tensor):
                raise TypeError(
                    f"TensorDataset takes Genesis tensors, but argument {i} is "
                    f"{type(tensor).__name__}"
                )
            if tensor.dim() == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-dimensional (no samples)")
        sizes = [t.shape[0] for t in tensors]
        if any(size != sizes[0] for size in sizes):
            raise ValueError(
                f"Size mismatch between tensors: first dimensions are {sizes}, expected equal"
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Example:
        >>> Subset(TensorDataset(genesis.arange(10)), [7, 3])[1][0].item()
        3
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def _split_lengths(total: int, lengths: Sequence[float]) -> list[int]:
    """Resolve fractions summing to 1 into counts (remainder dealt round-robin), as PyTorch."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1: {fraction}")
            counts.append(math.floor(total * fraction))
        for i in range(total - sum(counts)):
            counts[i % len(counts)] += 1
        return counts
    for i, length in enumerate(lengths):
        if isinstance(length, bool) or not isinstance(length, numbers.Integral) or length < 0:
            raise ValueError(
                f"lengths must be non-negative ints or fractions summing to 1, got {length!r} "
                f"at index {i}"
            )
    return [int(length) for length in lengths]


def random_split(
    dataset: Dataset, lengths: Sequence[float], generator=None
) -> list[Subset]:
    """Split ``dataset`` into disjoint random :class:`Subset` s of the given lengths.

    ``lengths`` holds counts summing to ``len(dataset)`` or fractions summing to 1 (floored,
    the remainder dealt one by one from the first split on).

    Example:
        >>> train, test = random_split(range(10), [0.7, 0.3], generator=genesis.Generator().manual_seed(0))
        >>> len(train), len(test)
        (7, 3)
    """
    counts = _split_lengths(len(dataset), lengths)
    if sum(counts) != len(dataset):
        raise ValueError(
            "Sum of input lengths does not equal the length of the input dataset! "
            f"(lengths {list(lengths)} sum to {sum(counts)}, dataset has {len(dataset)} samples)"
        )
    order = _permutation(len(dataset), generator).tolist()
    splits, offset = [], 0
    for count in counts:
        splits.append(Subset(dataset, order[offset : offset + count]))
        offset += count
    return splits


# ---- collation ---------------------------------------------------------------------------------
def _stack(arrays: list, what: str) -> Tensor:
    shapes = {tuple(a.shape) for a in arrays}
    if len(shapes) > 1:
        raise RuntimeError(
            f"default_collate: {what} in a batch must have equal shapes, got {sorted(shapes)}"
        )
    return _wrap(xp.stack(arrays))


def default_collate(batch: list) -> Any:
    """Merge a list of samples into a batch, as PyTorch's ``default_collate``.

    Tensors and arrays are stacked along a new first dimension (dtype kept); Python ints become
    int64, floats float64 and bools bool tensors; strings stay a list; dicts, tuples, namedtuples
    and lists are collated field by field (tuples come back as lists).

    Example:
        >>> default_collate([(1, 0.5), (2, 1.5)])
        [tensor([1, 2]), tensor([0.5000, 1.5000], dtype=genesis.float64)]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([t._array for t in batch], "tensors")
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSUV":
            raise TypeError(f"default_collate: cannot batch NumPy arrays of dtype {elem.dtype}")
        return _stack([xp.asarray(a) for a in batch], "arrays")
    if isinstance(elem, np.generic):
        return _wrap(xp.asarray(np.array(batch)))
    if isinstance(elem, bool):
        return _wrap(xp.asarray(batch, dtype=bool))
    if isinstance(elem, numbers.Integral):
        return _wrap(xp.asarray(batch, dtype=xp.int64))
    if isinstance(elem, numbers.Real):
        return _wrap(xp.asarray(batch, dtype=xp.float64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(
        "default_collate: batch must contain tensors, NumPy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__}"
    )


# ---- samplers ----------------------------------------------------------------------------------
class SequentialSampler:
    """Yield ``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source: Sequence) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler:
    """Yield a fresh random permutation of the indices on every pass.

    The permutation comes from ``generator`` (a ``genesis.Generator``) or, when ``None``, from
    the global Genesis RNG, so ``genesis.manual_seed`` fixes the data order.
    """

    def __init__(self, data_source: Sequence, generator=None) -> None:
        _numpy_generator(generator)  # validates the type now, not at the first epoch
        self.data_source = data_source
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        return iter(_permutation(len(self.data_source), self.generator).tolist())

    def __len__(self) -> int:
        return len(self.data_source)


# ---- the loader --------------------------------------------------------------------------------
def _tensor_source(dataset) -> tuple[tuple, np.ndarray | None] | None:
    """``(tensors, index_map)`` when ``dataset`` is a TensorDataset, possibly inside Subsets."""
    index_map = None
    while type(dataset) is Subset:
        indices = np.asarray(dataset.indices, dtype=np.int64)
        index_map = indices if index_map is None else indices[index_map]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset:
        return dataset.tensors, index_map
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` collated samples.

    Each pass (``for data, targets in loader``) reshuffles when ``shuffle=True``, drawing the
    order from ``generator`` or the global Genesis RNG.  ``drop_last`` drops a final short batch.
    ``sampler`` (any iterable of indices with ``len``) replaces the order, exclusive with
    ``shuffle``.  Data is always loaded in the calling process; ``num_workers`` is accepted for
    PyTorch compatibility.

    Example:
        >>> X, y = genesis.randn(10, 3), genesis.arange(10)
        >>> loader = DataLoader(TensorDataset(X, y), batch_size=4)
        >>> len(loader), [tuple(data.shape) for data, targets in loader]
        (3, [(4, 3), (4, 3), (2, 3)])
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[int] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        *,
        generator=None,
    ) -> None:
        if batch_size is not None and (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, numbers.Integral)
            or batch_size <= 0
        ):
            raise ValueError(f"batch_size should be a positive integer value, got {batch_size!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) or (
            num_workers < 0
        ):
            raise ValueError(f"num_workers must be a non-negative int, got {num_workers!r}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if sampler is None:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.collate_fn = collate_fn
        self._fast = _tensor_source(dataset) if collate_fn is None else None

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.sampler)
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        if self.batch_size is None:
            convert = self.collate_fn or (lambda sample: sample)
            for index in self.sampler:
                yield convert(self.dataset[index])
            return
        if isinstance(self.sampler, SequentialSampler):
            order = np.arange(len(self.dataset))
        elif type(self.sampler) is RandomSampler:
            # the permutation RandomSampler would yield, without the round trip through a list
            order = _permutation(len(self.sampler.data_source), self.sampler.generator)
        else:
            order = np.fromiter(self.sampler, dtype=np.int64)
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, len(order)), self.batch_size):
            yield self._batch(order[start : start + self.batch_size])

    def _batch(self, indices: np.ndarray) -> Any:
        if self._fast is not None:
            tensors, index_map = self._fast
            rows = indices if index_map is None else index_map[indices]
            rows = xp.asarray(rows)
            return [_wrap(tensor._array[rows]) for tensor in tensors]
        collate = self.collate_fn or default_collate
        return collate([self.dataset[int(i)] for i in indices])
