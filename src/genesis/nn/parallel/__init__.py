"""Data parallelism (PyTorch's ``torch.nn.parallel``): :class:`DistributedDataParallel`."""
from genesis.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
