"""``DataLoader`` (PyTorch's ``torch.utils.data.dataloader``): a dataset read in batches.

A loader reads the indices its sampler yields (grouped into lists by a :class:`BatchSampler`),
fetches those samples and collates them into batched tensors, as PyTorch's single-process
loader does, in the calling process.  A :class:`TensorDataset` (possibly inside
:class:`Subset` s) with the default collation takes a fast path: one NumPy gather per tensor per
batch, same batches.
"""
from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

import numpy as np

from genesis.backend import xp
from genesis.tensor import Tensor
from genesis.utils.data._utils.collate import default_collate, default_convert
from genesis.utils.data.dataset import Dataset, IterableDataset, Subset, TensorDataset
from genesis.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

T_co = TypeVar("T_co", covariant=True)


def get_worker_info() -> None:
    """Information about the loader worker running this code: always ``None`` in Genesis.

    Genesis loads data in the calling process, where PyTorch's ``get_worker_info`` also
    returns ``None``; datasets that split their work across workers read the whole data.
    """
    return None


def _tensor_source(dataset: Any) -> tuple[tuple, np.ndarray | None] | None:
    """``(tensors, index_map)`` when ``dataset`` is a TensorDataset, possibly inside Subsets."""
    index_map = None
    while type(dataset) is Subset:
        indices = np.asarray(dataset.indices, dtype=np.int64)
        index_map = indices if index_map is None else indices[index_map]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset:
        return dataset.tensors, index_map
    return None


def _check_workers(num_workers: Any, timeout: Any, prefetch_factor: Any, persistent_workers: Any) -> None:
    if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) or num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                         f"multiprocessing. Got num_workers={num_workers!r}")
    if not isinstance(timeout, numbers.Real) or timeout < 0:
        raise ValueError(f"timeout option should be non-negative, got timeout={timeout!r}")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to "
            "enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError(f"prefetch_factor option should be non-negative, got {prefetch_factor!r}")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


class DataLoader(Generic[T_co]):
    """Iterate over ``dataset`` in batches of ``batch_size`` collated samples (PyTorch's arguments).

    Each pass (``for data, targets in loader``) reshuffles when ``shuffle=True``, drawing the
    order from ``generator`` or the global Genesis generator.  ``drop_last`` drops a final short
    batch.  ``sampler`` (any iterable of indices with ``len``) replaces the order and excludes
    ``shuffle``; ``batch_sampler`` yields whole lists of indices and excludes ``batch_size``,
    ``shuffle``, ``sampler`` and ``drop_last``.  ``batch_size=None`` turns batching off: each
    sample is passed through ``collate_fn`` (default: :func:`default_convert`, which makes NumPy
    arrays tensors).  An :class:`IterableDataset` is read in its own order.

    Data is always loaded in the calling process: ``num_workers``, ``timeout``,
    ``prefetch_factor``, ``persistent_workers`` and ``pin_memory`` are checked as PyTorch checks
    them and change nothing else; ``worker_init_fn`` is never called (there are no workers).

    Example:
        >>> from genesis.utils.data import TensorDataset
        >>> X, y = genesis.randn(10, 3), genesis.arange(10)
        >>> loader = DataLoader(TensorDataset(X, y), batch_size=4)
        >>> len(loader), [tuple(data.shape) for data, targets in loader]
        (3, [(4, 3), (4, 3), (2, 3)])
    """

    def __init__(
        self,
        dataset: Dataset[T_co],
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler[list] | Iterable[list] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        _check_workers(num_workers, timeout, prefetch_factor, persistent_workers)
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            # BatchSampler checks batch_size and drop_last with PyTorch's messages; a stream has no
            # indices (PyTorch gives it an endless dummy sampler), only the batching settings
            batch_sampler = BatchSampler(sampler if not iterable else (), batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.collate_fn = collate_fn or (default_collate if self._auto_collation else default_convert)
        self._fast = _tensor_source(dataset) if self.collate_fn is default_collate else None

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            length = len(self.dataset)
            if self.batch_size is None:
                return length
            return length // self.batch_size if self.drop_last else -(-length // self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def __iter__(self) -> Iterator[Any]:
        if isinstance(self.dataset, IterableDataset):
            return self._iter_stream()
        if not self._auto_collation:
            return (self.collate_fn(self.dataset[index]) for index in self.sampler)
        return self._iter_batches(self._batch_indices())

    def _batch_indices(self) -> Iterable:
        """The batches of indices of one pass: array slices on the default samplers' fast path."""
        sampler = self.batch_sampler
        if type(sampler) is not BatchSampler or type(sampler.sampler) not in (SequentialSampler, RandomSampler):
            return sampler
        inner = sampler.sampler
        # the same draws as iterating the samplers, without a Python int per index
        chunks = (iter([np.arange(len(inner))]) if type(inner) is SequentialSampler
                  else inner._chunks())
        return _batches_of(chunks, sampler.batch_size, sampler.drop_last)

    def _iter_batches(self, batches: Iterable) -> Iterator[Any]:
        if self._fast is None:
            for indices in batches:
                indices = indices.tolist() if isinstance(indices, np.ndarray) else indices
                getitems = getattr(self.dataset, "__getitems__", None)
                samples = getitems(indices) if callable(getitems) else [self.dataset[i] for i in indices]
                yield self.collate_fn(samples)
            return
        tensors, index_map = self._fast
        for indices in batches:
            rows = indices if isinstance(indices, np.ndarray) else np.asarray(indices, dtype=np.int64)
            rows = xp.asarray(rows if index_map is None else index_map[rows])
            yield [Tensor._wrap(tensor._array[rows]) for tensor in tensors]

    def _iter_stream(self) -> Iterator[Any]:
        samples = iter(self.dataset)
        if self.batch_size is None:
            yield from (self.collate_fn(sample) for sample in samples)
            return
        while batch := [sample for _, sample in zip(range(self.batch_size), samples)]:
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield self.collate_fn(batch)


def _batches_of(chunks: Iterator[np.ndarray], size: int, drop_last: bool) -> Iterator[np.ndarray]:
    """Batches of ``size`` indices cut from a stream of index arrays, read as they are needed."""
    pending = np.empty(0, np.int64)
    for chunk in chunks:
        pending = np.concatenate([pending, chunk]) if len(pending) else chunk
        full = len(pending) - len(pending) % size
        yield from (pending[start:start + size] for start in range(0, full, size))
        pending = pending[full:]
    if len(pending) and not drop_last:
        yield pending
