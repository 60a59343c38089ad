"""``DistributedSampler``: each rank's share of a dataset (PyTorch's
``torch.utils.data.distributed``), index for index the same as PyTorch's.

The shuffled order is PyTorch's too: ``torch.randperm`` with a generator seeded with
``seed + epoch`` is a Fisher-Yates shuffle driven by a Mersenne Twister (MT19937) seeded the
standard way; NumPy's ``MT19937`` bit generator, set to the same state, produces the same
32-bit draws. So a job moved between PyTorch and Genesis sees its samples in the same order.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sized

import numpy as np

from genesis import distributed as dist
from genesis.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]

_MT_SIZE = 624


def _mersenne_twister(seed: int) -> np.random.MT19937:
    """An MT19937 in the state ``std::mt19937(seed)`` (and ``torch.Generator().manual_seed``)
    starts from: PyTorch keeps the low 32 bits of the seed."""
    key = np.empty(_MT_SIZE, dtype=np.uint32)
    value = seed & 0xFFFFFFFF
    key[0] = value
    for i in range(1, _MT_SIZE):
        value = (1812433253 * (value ^ (value >> 30)) + i) & 0xFFFFFFFF
        key[i] = value
    generator = np.random.MT19937()
    generator.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _MT_SIZE}}
    return generator


def torch_randperm(n: int, seed: int) -> list[int]:
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()`` on the CPU.

    >>> torch_randperm(5, 0)
    [4, 0, 1, 3, 2]
    """
    order = list(range(n))
    if n < 2:
        return order
    raw = _mersenne_twister(seed).random_raw(n - 1 if n < 2**32 // 20 else 2 * (n - 1))
    if n >= 2**32 // 20:
        # PyTorch's randperm_cpu takes 64-bit draws (high word first) from this size on; read
        # from its source, as a list this long does not fit in a test.
        raw = (raw[0::2] << np.uint64(32)) | raw[1::2]
    # PyTorch's loop: swap position i with i + draw % (n - i)
    offsets = (raw % np.arange(n, 1, -1, dtype=np.uint64)).tolist()
    for i, offset in enumerate(offsets):
        j = i + offset
        order[i], order[j] = order[j], order[i]
    return order


def _check_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"DistributedSampler({name}): expected an int, got {value!r}")
    return int(value)


class DistributedSampler(Sampler[int]):
    """Yield the indices of ``dataset`` that rank ``rank`` of ``num_replicas`` trains on.

    Each epoch's order is a permutation seeded with ``seed + epoch`` (call ``set_epoch(epoch)``
    before each epoch, or every epoch repeats the same order), or ``0, 1, ...`` with
    ``shuffle=False``. The ranks take every ``num_replicas``-th index of it, starting at their
    rank. Without ``drop_last`` the order is padded by repeating its start so every rank gets
    ``ceil(len(dataset) / num_replicas)`` indices; with it, the tail is dropped instead.
    ``num_replicas`` and ``rank`` default to the default process group's.

    Example:
        >>> DistributedSampler(range(10), num_replicas=3, rank=1, shuffle=False).__len__()
        4
        >>> list(DistributedSampler(range(10), num_replicas=3, rank=1, shuffle=False))
        [1, 4, 7, 0]
        >>> list(DistributedSampler(range(10), 3, 1, shuffle=False, drop_last=True))
        [1, 4, 7]
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None:
            num_replicas = dist.get_world_size()
        if rank is None:
            rank = dist.get_rank()
        num_replicas = _check_int("num_replicas", num_replicas)
        rank = _check_int("rank", rank)
        if rank >= num_replicas or rank < 0:  # also refuses num_replicas < 1
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        seed = _check_int("seed", seed)
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        size = len(dataset)
        if drop_last and size % num_replicas != 0:
            self.num_samples = math.ceil((size - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(size / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        size = len(self.dataset)
        if self.shuffle:
            indices = torch_randperm(size, self.seed + self.epoch)
        else:
            indices = list(range(size))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch`` (the same on every rank, different between epochs)."""
        self.epoch = epoch
