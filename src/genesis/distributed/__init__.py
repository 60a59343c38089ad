"""Training on several processes and machines (PyTorch's ``torch.distributed``), over MPI.

Start the processes with the launcher, ``genesis run --nproc-per-node N script.py`` (it sets
``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` as torchrun does),
or directly with ``mpiexec -n N python script.py``; in the script, ``init_process_group()``
joins them, the collectives combine tensors, and ``genesis.nn.parallel.DistributedDataParallel``
averages gradients during ``backward()``.

MPI comes from the optional extra: ``pip install -e ".[distributed]"`` (mpi4py and Open MPI,
which ships ``mpiexec``).  Importing this package does not start MPI; ``init_process_group``
does.
"""
from genesis.distributed.collectives import (ReduceOp, Work, all_gather, all_gather_object,
                                             all_reduce, barrier, broadcast,
                                             broadcast_object_list, reduce)
from genesis.distributed.process_group import (Backend, destroy_process_group, get_backend,
                                               get_rank, get_world_size, init_process_group,
                                               is_available, is_initialized, is_mpi_available)

__all__ = ["Backend", "ReduceOp", "Work", "all_gather", "all_gather_object", "all_reduce",
           "barrier", "broadcast", "broadcast_object_list", "destroy_process_group",
           "get_backend", "get_rank", "get_world_size", "init_process_group", "is_available",
           "is_initialized", "is_mpi_available", "reduce"]
