"""Datasets, samplers and the batch loader (PyTorch's ``torch.utils.data``).

The modules sit at PyTorch's paths: ``dataset`` (Dataset, TensorDataset, Subset, random_split,
...), ``sampler`` (Sampler, SequentialSampler, RandomSampler, BatchSampler, ...), ``distributed``
(DistributedSampler), ``dataloader`` (DataLoader) and ``_utils.collate`` (default_collate,
default_convert).
"""
from .dataloader import DataLoader, default_collate, default_convert, get_worker_info
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset,
                      random_split)
from .distributed import DistributedSampler
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
