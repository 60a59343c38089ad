"""Gradient buckets for DistributedDataParallel: which parameters share an all-reduce, and the
reducer that averages them across ranks while ``backward()`` runs.

Buckets follow PyTorch's rule (``compute_bucket_assignment_by_size``): parameters are taken in
the order their gradients are expected (the reverse of ``parameters()``), grouped by dtype, and a
bucket closes once it holds at least its size limit: 1 MiB for the first bucket of each dtype,
``bucket_cap_mb`` (25 MiB by default) after it.

The reducer hangs a post-accumulate-grad hook on every parameter. When a parameter's gradient
is complete, the hook copies it, scaled by ``1 / world_size`` as PyTorch does, into its slot of
the bucket's flat buffer; when a bucket is full its all-reduce starts (``MPI_Iallreduce``), in
bucket order so that every rank issues the same collectives in the same order. The last bucket
is reduced with the blocking ``MPI_Allreduce``; then the reducer waits for the others and writes
the averaged gradients back to ``.grad``, all before ``backward()`` returns.
"""
from __future__ import annotations

from genesis.autograd import Node
from genesis.backend import xp
from genesis.tensor import Tensor

DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024  # torch.distributed._DEFAULT_FIRST_BUCKET_BYTES
DEFAULT_BUCKET_CAP_MB = 25

_FINISH_REDUCTION = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing "
    "loss. You can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `genesis.nn.parallel.DistributedDataParallel`, and by "
    "making sure all `forward` function outputs participate in calculating loss.")
_MARK_TWICE = (
    "Expected to mark a variable ready only once. This error is caused by one of the following "
    "reasons: 1) Use of a module parameter outside the `forward` function. 2) Reused parameters "
    "in multiple reentrant backward passes. Parameter {name} was marked ready twice in one "
    "reduction (backward() ran again before the last all-reduce finished).")


def compute_bucket_assignment_by_size(tensors: list, bucket_size_limits: list[int],
                                      tensor_indices: list[int] | None = None) -> list[list[int]]:
    """Group ``tensors`` into buckets by dtype and size, as PyTorch's function of that name.

    A bucket closes when its bytes reach the current limit; each dtype moves to the next limit
    of ``bucket_size_limits`` after closing one and stays on the last. Returned buckets hold
    ``tensor_indices[i]`` (default ``i``): ordered by their smallest index without
    ``tensor_indices``, else by when they complete (the position of their last tensor).

    >>> import genesis
    >>> tensors = [genesis.zeros(100_000), genesis.zeros(100), genesis.zeros(200_000)]  # float32
    >>> compute_bucket_assignment_by_size(tensors, [1024 * 1024])
    [[0, 1, 2]]
    >>> compute_bucket_assignment_by_size(tensors, [300_000, 10**9])
    [[0], [1, 2]]
    >>> compute_bucket_assignment_by_size(tensors, [100])
    [[0], [1], [2]]
    """
    closed = []  # (completion position, indices)
    open_buckets: dict = {}  # dtype -> [indices, bytes, last position]
    limit_index: dict = {}
    for position, tensor in enumerate(tensors):
        index = position if tensor_indices is None else tensor_indices[position]
        dtype = tensor._array.dtype
        bucket = open_buckets.setdefault(dtype, [[], 0, position])
        bucket[0].append(index)
        bucket[1] += tensor._array.nbytes
        bucket[2] = position
        level = limit_index.setdefault(dtype, 0)
        if bucket[1] >= bucket_size_limits[level]:
            closed.append((position, bucket[0]))
            del open_buckets[dtype]
            limit_index[dtype] = min(level + 1, len(bucket_size_limits) - 1)
    closed += [(position, indices) for indices, _, position in open_buckets.values()]
    if tensor_indices is None:
        return sorted((indices for _, indices in closed), key=min)
    return [indices for _, indices in sorted(closed, key=lambda entry: entry[0])]


class _Bucket:
    """A flat buffer for some parameters' gradients, reduced by one all-reduce."""

    def __init__(self, params: list, indices: list[int]) -> None:
        self.indices = indices
        self.offsets = []
        total = 0
        for index in indices:
            self.offsets.append(total)
            total += params[index]._array.size
        self.buffer = xp.zeros(total, dtype=params[indices[0]]._array.dtype)
        self.pending = len(indices)
        self.request = None


def reachable_leaves(outputs) -> set[int]:
    """The ids of the leaf tensors that the graph of ``outputs`` (tensors, possibly nested in
    lists, tuples and dicts) can send gradients to."""
    leaves, seen, stack = set(), set(), []
    pending = [outputs]
    while pending:
        value = pending.pop()
        if isinstance(value, Tensor):
            if value._node is None:
                leaves.add(id(value))
            elif value._node not in seen:
                seen.add(value._node)
                stack.append(value._node)
        elif isinstance(value, (list, tuple)):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
    while stack:
        for edge in stack.pop().edges:
            if type(edge) is Node:
                if edge not in seen:
                    seen.add(edge)
                    stack.append(edge)
            elif edge is not None:
                leaves.add(id(edge))
    return leaves


class Reducer:
    """Averages the gradients of ``params`` across the ranks of ``world`` during backward."""

    def __init__(self, params: list, names: list[str], bucket_indices: list[list[int]], world,
                 find_unused_parameters: bool, gradient_as_bucket_view: bool) -> None:
        self.params = params
        self.names = names
        self.world = world
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.buckets = [_Bucket(params, indices) for indices in bucket_indices]
        self.place = {}
        for bucket in self.buckets:
            for index, offset in zip(bucket.indices, bucket.offsets):
                self.place[index] = (bucket, offset)
        self.scale = 1.0 / world.size
        self.expect_hooks = False
        self.unused: list[int] = []
        self.handles = [param.register_post_accumulate_grad_hook(self._hook(index))
                        for index, param in enumerate(params)]
        self._reset()

    def _reset(self) -> None:
        self.marked = [False] * len(self.params)
        self.marked_count = 0
        self.locally_used = xp.zeros(len(self.params), dtype=xp.int32)
        self.next_bucket = 0
        for bucket in self.buckets:
            bucket.pending = len(bucket.indices)
            bucket.request = None

    @property
    def in_progress(self) -> bool:
        """Whether a reduction began (some gradient arrived) and has not finished."""
        return self.marked_count > 0

    def unfinished_names(self) -> list[str]:
        """Names of the parameters whose gradients the unfinished reduction still waits for."""
        return [name for name, done in zip(self.names, self.marked) if not done]

    def prepare_for_backward(self, outputs=None) -> None:
        """Arm the hooks for the backward of this forward; with ``find_unused_parameters``,
        find the parameters ``outputs`` cannot reach (their gradients count as zero)."""
        if self.in_progress:
            missing = ", ".join(self.unfinished_names())
            raise RuntimeError(f"{_FINISH_REDUCTION} Parameters which did not receive grad for "
                               f"rank {self.world.rank}: {missing}")
        self.expect_hooks = True
        if self.find_unused_parameters:
            reached = reachable_leaves(outputs)
            self.unused = [i for i, p in enumerate(self.params) if id(p) not in reached]

    def _hook(self, index: int):
        def mark_ready(param) -> None:
            if self.expect_hooks:
                self._ready(index, param)
        return mark_ready

    def _ready(self, index: int, param) -> None:
        if self.marked[index]:
            raise RuntimeError(_MARK_TWICE.format(name=self.names[index]))
        if not self.in_progress:
            for unused in self.unused:  # PyTorch marks them when backward starts
                self._mark(unused, self.params[unused], used=False)
        self._mark(index, param, used=True)

    def _mark(self, index: int, param, used: bool) -> None:
        self.marked[index] = True
        self.marked_count += 1
        self.locally_used[index] = used
        bucket, offset = self.place[index]
        slot = bucket.buffer[offset:offset + param._array.size]
        if param.grad is None:
            slot.fill(0)
        else:
            xp.multiply(param.grad._array.reshape(-1), self.scale, out=slot)
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready_buckets()

    def _launch_ready_buckets(self) -> None:
        comm, MPI = self.world.comm, self.world.mpi
        last = len(self.buckets) - 1
        while self.next_bucket <= last and self.buckets[self.next_bucket].pending == 0:
            bucket = self.buckets[self.next_bucket]
            if self.next_bucket < last:
                bucket.request = comm.Iallreduce(MPI.IN_PLACE, bucket.buffer, MPI.SUM)
            else:
                # Nothing is left to overlap with the last bucket, and MPI's blocking all-reduce
                # is the faster algorithm (about 2x for 1 MB here): every rank blocks on the
                # same bucket, so the collectives still match.
                comm.Allreduce(MPI.IN_PLACE, bucket.buffer, MPI.SUM)
            self.next_bucket += 1
        if self.next_bucket > last:
            self._finalize()
        else:  # MPI moves non-blocking operations along when called: let it work meanwhile
            MPI.Request.Testall([b.request for b in self.buckets[:self.next_bucket]])

    def _finalize(self) -> None:
        MPI = self.world.mpi
        MPI.Request.Waitall([bucket.request for bucket in self.buckets[:-1]])
        used = None
        if self.find_unused_parameters:
            used = self.locally_used.copy()
            self.world.comm.Allreduce(MPI.IN_PLACE, used, MPI.MAX)
        for bucket in self.buckets:
            for index, offset in zip(bucket.indices, bucket.offsets):
                if used is not None and not used[index]:
                    continue  # unused on every rank: its .grad stays as it is, as in PyTorch
                param = self.params[index]
                view = bucket.buffer[offset:offset + param._array.size].reshape(param._array.shape)
                if self.gradient_as_bucket_view:
                    if param.grad is None:
                        param.grad = Tensor._wrap(view)
                    else:
                        param.grad._array = view
                elif param.grad is None:
                    param.grad = Tensor._wrap(view.copy())
                else:
                    param.grad._array[...] = view
        self._reset()
