"""Datasets (PyTorch's ``torch.utils.data.dataset``): map-style and iterable, and their combinations.

A map-style :class:`Dataset` answers ``dataset[i]`` and ``len(dataset)``; an
:class:`IterableDataset` is a stream of samples.  :class:`TensorDataset` slices tensors along their
first dimension, :class:`Subset` selects indices, :class:`ConcatDataset` and
:class:`ChainDataset` join datasets, and :func:`random_split` splits one at random.
"""
from __future__ import annotations

import bisect
import itertools
import math
import numbers
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from genesis.factories import randperm
from genesis.tensor import Tensor

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """Base class of map-style datasets: subclasses define ``__getitem__`` (and usually ``__len__``).

    ``a + b`` is ``ConcatDataset([a, b])``.

    Example:
        >>> from genesis.utils.data import DataLoader
        >>> class Squares(Dataset):
        ...     def __len__(self): return 4
        ...     def __getitem__(self, i): return float(i), float(i * i)
        >>> next(iter(DataLoader(Squares(), batch_size=4)))[1]
        tensor([0., 1., 4., 9.], dtype=genesis.float64)
    """

    def __getitem__(self, index: Any) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: "Dataset[T_co]") -> "ConcatDataset[T_co]":
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """Base class of datasets that are a stream of samples: subclasses define ``__iter__``.

    A ``DataLoader`` reads such a dataset in order, with no sampler (``shuffle`` and ``sampler``
    are refused, as in PyTorch); ``a + b`` chains two streams.

    Example:
        >>> from genesis.utils.data import DataLoader
        >>> class Counter(IterableDataset):
        ...     def __iter__(self): return iter(range(5))
        >>> [batch.tolist() for batch in DataLoader(Counter(), batch_size=2)]
        [[0, 1], [2, 3], [4]]
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset[T_co]) -> "ChainDataset":
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple]):
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


class ConcatDataset(Dataset[T_co]):
    """The samples of several map-style datasets one after the other.

    Example:
        >>> both = ConcatDataset([range(3), range(10, 12)])
        >>> len(both), both[3], both[-1], both.cumulative_sizes
        (5, 10, 11, [3, 5])
    """

    @staticmethod
    def cumsum(sequence: Iterable) -> list[int]:
        """The running totals of the lengths of ``sequence``'s datasets."""
        return list(itertools.accumulate(len(dataset) for dataset in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for i, dataset in enumerate(self.datasets):
            if isinstance(dataset, IterableDataset):
                raise TypeError(f"ConcatDataset does not support IterableDataset (datasets[{i}])")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> T_co:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx - (self.cumulative_sizes[dataset_idx - 1] if dataset_idx else 0)
        return self.datasets[dataset_idx][sample_idx]


class ChainDataset(IterableDataset):
    """The samples of several iterable datasets, one stream after the other.

    Example:
        >>> class Upto(IterableDataset):
        ...     def __init__(self, n): self.n = n
        ...     def __iter__(self): return iter(range(self.n))
        >>> list(ChainDataset([Upto(2), Upto(3)]))
        [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator:
        for i, dataset in enumerate(self.datasets):
            _check_iterable(dataset, i)
            yield from dataset

    def __len__(self) -> int:
        total = 0
        for i, dataset in enumerate(self.datasets):
            _check_iterable(dataset, i)
            total += len(dataset)
        return total


def _check_iterable(dataset: Any, index: int) -> None:
    if not isinstance(dataset, IterableDataset):
        raise TypeError(f"ChainDataset only supports IterableDataset, but datasets[{index}] is "
                        f"{type(dataset).__name__}")


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order.

    Example:
        >>> Subset(TensorDataset(genesis.arange(10)), [7, 3])[1][0].item()
        3
    """

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        """The samples at ``indices`` (the dataset's own ``__getitems__`` when it has one)."""
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

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
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty "
                              "dataset.", stacklevel=3)
        return counts
    for i, length in enumerate(lengths):
        if isinstance(length, bool) or not isinstance(length, numbers.Integral) or length < 0:
            raise ValueError(
                f"lengths must be non-negative ints or fractions summing to 1, got {length!r} "
                f"at index {i}"
            )
    return [int(length) for length in lengths]


def random_split(dataset: Dataset, lengths: Sequence[float], generator=None) -> list[Subset]:
    """Split ``dataset`` into disjoint random :class:`Subset` s of the given lengths.

    ``lengths`` holds counts summing to ``len(dataset)`` or fractions summing to 1 (floored,
    the remainder dealt one by one from the first split on).  The order is
    ``genesis.randperm(len(dataset), generator=generator)``, as PyTorch draws it.

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
    order = randperm(sum(counts), generator=generator).tolist()
    return [Subset(dataset, order[end - count:end])
            for end, count in zip(itertools.accumulate(counts), counts)]
