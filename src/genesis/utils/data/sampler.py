"""Samplers (PyTorch's ``torch.utils.data.sampler``): which indices a ``DataLoader`` reads, in what order.

A sampler is an iterable of dataset indices (or, for :class:`BatchSampler`, of lists of them)
with a ``len``.  Random samplers draw from ``generator`` (a ``genesis.Generator``) or, when it is
``None``, from the global Genesis generator, so ``genesis.manual_seed`` fixes the order.  They
draw as PyTorch's do — whole ``randperm`` s, ``randint`` in chunks of 32 — but from Genesis's
generator (NumPy's PCG64, not PyTorch's Mersenne Twister, so the indices differ from PyTorch's),
never draw what they do not use (PyTorch draws one more permutation per pass, even when it
uses none of it), and draw a whole pass when ``iter()`` is called, so that other random
draws during the epoch (dropout) cannot change the order.  Write a sampler by subclassing :class:`Sampler`.
"""
from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Generic, TypeVar

import numpy as np

from genesis import random as _random
from genesis.factories import from_numpy, randint, randperm
from genesis.tensor import Tensor

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]

T_co = TypeVar("T_co", covariant=True)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class Sampler(Generic[T_co]):
    """Base class of samplers: subclasses define ``__iter__`` (indices) and usually ``__len__``.

    Example:
        >>> class Backwards(Sampler[int]):
        ...     def __init__(self, data): self.data = data
        ...     def __iter__(self): return iter(range(len(self.data) - 1, -1, -1))
        ...     def __len__(self): return len(self.data)
        >>> list(Backwards("abc"))
        [2, 1, 0]
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """Yield ``0, 1, ..., len(data_source) - 1``.

    Example:
        >>> list(SequentialSampler("abc"))
        [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Yield random indices of ``data_source``: a fresh permutation per pass, or draws with replacement.

    Without replacement, ``num_samples`` (default ``len(data_source)``) indices come from
    ``num_samples // n`` whole permutations and the start of one more; with
    ``replacement=True`` they are uniform draws (``randint`` in chunks of 32, as PyTorch).

    Example:
        >>> g = genesis.Generator().manual_seed(0)
        >>> sorted(RandomSampler(range(5), generator=g))
        [0, 1, 2, 3, 4]
        >>> len(RandomSampler(range(5), replacement=True, num_samples=12))
        12
    """

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None,
                 generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        if not _is_int(self.num_samples) or self.num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={self.num_samples}"
            )
        _random.generator_for(generator)  # a wrong generator fails now, not at the first epoch

    @property
    def num_samples(self) -> int:
        """How many indices a pass yields (the dataset's current length unless given)."""
        # the dataset's size may change between passes
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _chunks(self) -> Iterator[np.ndarray]:
        """One pass's indices, drawn as they are needed, in PyTorch's calls and sizes: a pass
        may be endless in practice (minGPT asks for ``num_samples=int(1e10)``)."""
        n, count = len(self.data_source), int(self.num_samples)
        if self.replacement:
            if n == 0:
                raise ValueError("RandomSampler(replacement=True) cannot draw from an empty data_source")
            for _ in range(count // 32):
                yield randint(0, n, (32,), generator=self.generator)._array
            if count % 32:
                yield randint(0, n, (count % 32,), generator=self.generator)._array
        elif n:
            for _ in range(count // n):
                yield randperm(n, generator=self.generator)._array
            if count % n:
                yield randperm(n, generator=self.generator)._array[:count % n]

    def __iter__(self) -> Iterator[int]:
        for chunk in self._chunks():
            yield from chunk.tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """Yield the given ``indices`` in a fresh random order on every pass.

    Example:
        >>> sorted(SubsetRandomSampler([10, 20, 30]))
        [10, 20, 30]
    """

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        _random.generator_for(generator)
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        order = randperm(len(self.indices), generator=self.generator).tolist()
        return iter([self.indices[i] for i in order])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """Yield ``num_samples`` indices of ``weights``, index ``i`` with probability ``weights[i] / sum``.

    With ``replacement=False`` an index is drawn at most once per pass (each draw then picks
    among the indices left, in proportion to their weights; indices of weight 0 come last, when
    ``num_samples`` exceeds the others, as in PyTorch).  The weights need not sum to 1.

    Example:
        >>> g = genesis.Generator().manual_seed(0)
        >>> list(WeightedRandomSampler([0.0, 1.0, 0.0], 3, generator=g))
        [1, 1, 1]
        >>> sorted(WeightedRandomSampler([1, 2, 0, 4], 3, replacement=False, generator=g))
        [0, 1, 3]
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator=None) -> None:
        if not _is_int(num_samples) or num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        array = _weights_array(weights)
        if array.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {tuple(array.shape)}"
            )
        # PyTorch finds these only when the first pass draws (multinomial's errors); here the
        # constructor names them
        if not np.all(np.isfinite(array)) or np.any(array < 0):
            raise ValueError(f"weights must be finite and non-negative, got {array.tolist()}")
        if not array.sum() > 0:
            raise ValueError(f"weights must have a positive sum, got {array.tolist()}")
        _random.generator_for(generator)
        self.weights = from_numpy(array)  # float64, as PyTorch's double weights
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        weights = self.weights._array
        rng = _random.generator_for(self.generator)
        if self.replacement:
            drawn = rng.choice(len(weights), size=self.num_samples, p=weights / weights.sum())
        else:
            # the exponential race (PyTorch's method): index i's key is weights[i] / E_i with E_i
            # standard exponential; the largest keys are a weighted draw without replacement.
            # Zero weights come last, in index order, once the others are used up.
            keys = weights / rng.standard_exponential(len(weights))
            drawn = np.argsort(-keys, kind="stable")[:self.num_samples]
        return iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


def _weights_array(weights) -> np.ndarray:
    if isinstance(weights, Tensor):
        return weights._array.astype(np.float64)
    try:
        return np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"weights must be a sequence of numbers or a tensor, got {weights!r}") from None


class BatchSampler(Sampler[list[int]]):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``).

    Example:
        >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
        >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True))
        [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
