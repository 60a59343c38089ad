"""``DistributedDataParallel``: one model replica per process, gradients averaged across them.

At construction every rank receives rank 0's parameters and buffers; during each
``backward()`` the gradients are averaged across the ranks in buckets (see
:mod:`genesis.nn.parallel.reducer`), so after ``backward()`` every rank holds the same
gradients and the same ``optimizer.step()`` keeps the replicas identical. N ranks with B
samples each then train the model that one process trains with N*B samples, up to the order of
floating-point sums.
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Iterator

from genesis.autograd import grad_mode
from genesis.backend import xp
from genesis.distributed.process_group import check_group, world
from genesis.nn.modules.module import Module
from genesis.nn.parallel.reducer import (DEFAULT_BUCKET_CAP_MB, DEFAULT_FIRST_BUCKET_BYTES,
                                         Reducer, compute_bucket_assignment_by_size)

_MB = 1024 * 1024


def _broadcast_coalesced(tensors: list, w) -> None:
    """Give every rank rank 0's values of ``tensors``: one broadcast per dtype."""
    by_dtype: dict = {}
    for tensor in tensors:
        by_dtype.setdefault(tensor._array.dtype, []).append(tensor)
    for group in by_dtype.values():
        flat = xp.concatenate([t._array.reshape(-1) for t in group])
        w.comm.Bcast(flat, root=0)
        if w.rank != 0:
            offset = 0
            for tensor in group:
                size = tensor._array.size
                tensor._array[...] = flat[offset:offset + size].reshape(tensor._array.shape)
                offset += size


def _verify_same_model(params: list, w) -> None:
    """Raise on every rank (so none waits forever) when the ranks' parameters differ in shape."""
    mine = [(tuple(p.shape), str(p.dtype)) for p in params]
    everyone = w.comm.allgather(mine)
    for rank, theirs in enumerate(everyone):
        if len(theirs) != len(everyone[0]):
            raise RuntimeError(f"DDP expects same model across all ranks, but Rank {rank} has "
                               f"{len(theirs)} params, while rank 0 has inconsistent "
                               f"{len(everyone[0])} params.")
        for index, (ours, first) in enumerate(zip(theirs, everyone[0])):
            if ours != first:
                raise RuntimeError(f"DDP expects same model across all ranks, but rank {rank}'s "
                                   f"parameter {index} is {ours[0]} {ours[1]}, rank 0's is "
                                   f"{first[0]} {first[1]}.")


def _unsupported(**options: Any) -> None:
    for name, value in options.items():
        if value not in (None, False):
            raise NotImplementedError(f"DistributedDataParallel({name}=...) is not supported by "
                                      f"Genesis; leave it at its default")


class DistributedDataParallel(Module):
    """Train ``module`` on every rank, averaging gradients during ``backward()``.

    Call ``genesis.distributed.init_process_group()`` first. Arguments are PyTorch's: the
    gradient all-reduces are grouped in buckets of ``bucket_cap_mb`` MiB (25 by default, the
    first one 1 MiB); ``find_unused_parameters=True`` lets a forward leave some parameters
    unused (they count as zero gradients); ``broadcast_buffers``/``forward_sync_buffers``
    (default True) copy rank 0's buffers to every rank before each forward; ``no_sync()``
    skips the averaging (gradient accumulation); ``gradient_as_bucket_view=True`` makes
    ``.grad`` views of the buckets. The wrapped model is ``.module``; the state dict keys carry
    its ``module.`` prefix, as in PyTorch. ``device_ids`` and ``output_device`` must be None
    (Genesis runs on the CPU).

    Example (in a script started by ``genesis run --nproc-per-node 2``)::

        dist.init_process_group()
        model = DistributedDataParallel(nn.Linear(4, 1))
        loss = model(inputs).pow(2).mean()   # each rank its own inputs
        loss.backward()                      # model.module.weight.grad: the average
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool | None = None, init_sync: bool = True,
                 process_group=None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params: bool = False, bucket_cap_mb_list=None,
                 batched_grad_copy: bool = False, forward_sync_buffers: bool | None = None
                 ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps a genesis.nn.Module, got "
                            f"{type(module).__name__}")
        _unsupported(delay_all_reduce_named_params=delay_all_reduce_named_params,
                     param_to_hook_all_reduce=param_to_hook_all_reduce,
                     mixed_precision=mixed_precision, device_mesh=device_mesh,
                     skip_all_reduce_unused_params=skip_all_reduce_unused_params,
                     bucket_cap_mb_list=bucket_cap_mb_list)
        check_group(process_group)
        w = world()
        ignored = set(getattr(module, "_ddp_params_and_buffers_to_ignore", ()))
        named = [(n, p) for n, p in module.named_parameters() if n not in ignored]
        if not any(p.requires_grad for _, p in named):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        if device_ids or output_device:
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with "
                "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                f"{device_ids}, output_device {output_device}, and module parameters "
                "{device(type='cpu')}.")
        if bucket_cap_mb is not None and (isinstance(bucket_cap_mb, bool) or not isinstance(
                bucket_cap_mb, (int, float)) or not bucket_cap_mb > 0):
            raise ValueError(f"bucket_cap_mb must be a positive number of MiB, got "
                             f"{bucket_cap_mb!r}")
        if broadcast_buffers is not None:
            warnings.warn("`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead."
                          " IMPORTANT: unlike `broadcast_buffers=False`, "
                          "`forward_sync_buffers=False` still syncs buffers at init.",
                          FutureWarning, stacklevel=2)
        if check_reduction:
            warnings.warn("The `check_reduction` argument in `DistributedDataParallel` module is "
                          "deprecated. Please avoid using it.", FutureWarning, stacklevel=2)
        if forward_sync_buffers is not None:
            self.forward_sync_buffers, init_sync_buffers = bool(forward_sync_buffers), True
        else:
            self.forward_sync_buffers = init_sync_buffers = broadcast_buffers is not False
        self.module = module
        self.device_ids = None
        self.output_device = None
        self.dim = dim
        self.process_group = process_group
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        cap = DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb
        self.bucket_bytes_cap = int(cap * _MB)
        first = DEFAULT_FIRST_BUCKET_BYTES if bucket_cap_mb is None else self.bucket_bytes_cap
        self._buffers_to_sync = [b for n, b in module.named_buffers() if n not in ignored]
        trained = [(n, p) for n, p in named if p.requires_grad]
        if init_sync and w.size > 1:
            _verify_same_model([p for _, p in named], w)
            _broadcast_coalesced([p for _, p in named]
                                 + (self._buffers_to_sync if init_sync_buffers else []), w)
        params = [p for _, p in trained]
        order = list(reversed(range(len(params))))  # gradients arrive roughly last layer first
        self._bucket_indices = compute_bucket_assignment_by_size(
            [params[i] for i in order], [min(first, self.bucket_bytes_cap), self.bucket_bytes_cap],
            order)
        # One process has nothing to average: no hooks, no copies (PyTorch's reducer would run
        # and change nothing).
        self.reducer = None if w.size == 1 else Reducer(
            params, [n for n, _ in trained], self._bucket_indices, w, find_unused_parameters,
            gradient_as_bucket_view)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Run the wrapped module; its backward will average the gradients across ranks."""
        if self.reducer is not None and self.forward_sync_buffers and self._buffers_to_sync:
            _broadcast_coalesced(self._buffers_to_sync, world())
        output = self.module(*inputs, **kwargs)
        if self.reducer is not None:
            if grad_mode.enabled and self.require_backward_grad_sync:
                self.reducer.prepare_for_backward(output)
            else:
                self.reducer.expect_hooks = False
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Within this block, forwards' backwards only accumulate local gradients (no
        all-reduce); the first backward after it averages the accumulated sum.

        Example::

            with ddp.no_sync():
                ddp(batch_1).sum().backward()   # local accumulation
            ddp(batch_2).sum().backward()       # averages batch_1 + batch_2 gradients
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


__all__ = ["DistributedDataParallel"]
