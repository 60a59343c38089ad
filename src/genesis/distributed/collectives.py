"""Collectives on Genesis tensors over MPI: ``all_reduce``, ``broadcast``, ``all_gather``, ...

Each works in place on the tensors' storage (their backend arrays go to MPI as buffers, no
copy when contiguous), as in PyTorch, and every rank must call the same collectives in the same
order.  ``async_op=True`` starts a non-blocking MPI operation and returns a :class:`Work` whose
``wait()`` finishes it; otherwise the call returns None once done.
"""
from __future__ import annotations

import enum

from genesis.backend import xp
from genesis.distributed.process_group import check_group, world
from genesis.tensor import Tensor


class RedOpType(enum.IntEnum):
    """The reduction operations (PyTorch's numbering)."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7


class ReduceOp:
    """How ``all_reduce`` and ``reduce`` combine the ranks' tensors: ``ReduceOp.SUM`` (the
    default), ``AVG``, ``PRODUCT``, ``MIN``, ``MAX``, and the bitwise ``BAND``, ``BOR``, ``BXOR``
    for integer and bool tensors."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


# MPI's name for each op; AVG is a SUM followed by a division.  Bool tensors take the logical
# forms (MPI has no arithmetic on C bools; a sum of bools is their "or", as in PyTorch).
_MPI_OPS = {RedOpType.SUM: "SUM", RedOpType.AVG: "SUM", RedOpType.PRODUCT: "PROD",
            RedOpType.MIN: "MIN", RedOpType.MAX: "MAX", RedOpType.BAND: "BAND",
            RedOpType.BOR: "BOR", RedOpType.BXOR: "BXOR"}
_BOOL_OPS = {RedOpType.SUM: "LOR", RedOpType.PRODUCT: "LAND", RedOpType.MIN: "LAND",
             RedOpType.MAX: "LOR", RedOpType.BAND: "LAND", RedOpType.BOR: "LOR",
             RedOpType.BXOR: "LXOR"}


class Work:
    """A started collective (``async_op=True``): ``wait()`` blocks until it is done."""

    def __init__(self, request, finish=None) -> None:
        self._request = request
        self._finish = finish
        self._done = False

    def wait(self, timeout=None) -> bool:
        """Block until the collective has completed on this rank; returns True."""
        if not self._done:
            self._request.Wait()
            self._complete()
        return True

    def is_completed(self) -> bool:
        """Whether the collective has completed (finishing it if MPI says it has)."""
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def is_success(self) -> bool:
        """Whether it completed (MPI reports failures by aborting, so completion is success)."""
        return self.is_completed()

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._finish()


def _check_tensor(name: str, tensor) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"genesis.Tensor but got {type(tensor)} instead.")


def _check_rank(what: str, rank, size: int) -> int:
    if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < size:
        raise RuntimeError(f"{what}: invalid root rank: {rank} (the world has ranks 0 to "
                           f"{size - 1})")
    return rank


def _mpi_op(MPI, op, dtype):
    try:
        op = RedOpType(op)
    except ValueError:
        raise ValueError(f"op must be a genesis.distributed.ReduceOp, got {op!r}") from None
    if dtype.kind == "b":
        if op is RedOpType.AVG:
            raise ValueError("ReduceOp.AVG needs a numeric tensor, got a bool tensor")
        return getattr(MPI, _BOOL_OPS[op])
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and dtype.kind == "f":
        raise ValueError(f"ReduceOp.{op.name} works on integer and bool tensors, got {dtype}")
    return getattr(MPI, _MPI_OPS[op])


def _buffer(tensor: Tensor):
    """``(buffer, write_back)``: the contiguous array MPI works on, and what copies it back."""
    array = tensor._array
    if array.flags.c_contiguous:
        return array, None
    buffer = xp.ascontiguousarray(array)

    def write_back() -> None:
        array[...] = buffer

    return buffer, write_back


def _average(buffer, size: int) -> None:
    if buffer.dtype.kind == "f":
        xp.divide(buffer, size, out=buffer)
    else:  # integer division rounding toward zero, as C (and NCCL's average) does
        buffer[...] = xp.sign(buffer) * (xp.abs(buffer) // size)


def _run(async_op: bool, blocking, nonblocking, finish):
    """Run a collective now (MPI's blocking call, its fastest path; returns None) or start the
    non-blocking form and return its :class:`Work`. ``finish`` runs once it is done."""
    if async_op:
        return Work(nonblocking(), finish)
    blocking()
    if finish is not None:
        finish()
    return None


def _chain(*steps):
    steps = [step for step in steps if step is not None]
    if not steps:
        return None

    def finish() -> None:
        for step in steps:
            step()

    return finish


def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` across all ranks with ``op``; every rank ends with the result in place.

    Example (2 ranks)::

        t = genesis.tensor([float(dist.get_rank() + 1)])
        dist.all_reduce(t)                          # tensor([3.]) on both ranks
        dist.all_reduce(t, op=dist.ReduceOp.AVG)    # tensor([3.]): the mean of 3 and 3
    """
    _check_tensor("tensor", tensor)
    check_group(group)
    w = world()
    buffer, write_back = _buffer(tensor)
    mpi_op = _mpi_op(w.mpi, op, buffer.dtype)
    average = (lambda: _average(buffer, w.size)) if RedOpType(op) is RedOpType.AVG else None
    return _run(async_op, lambda: w.comm.Allreduce(w.mpi.IN_PLACE, buffer, mpi_op),
                lambda: w.comm.Iallreduce(w.mpi.IN_PLACE, buffer, mpi_op),
                _chain(average, write_back))


def broadcast(tensor: Tensor, src: int, group=None, async_op: bool = False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank (shapes must match)."""
    _check_tensor("tensor", tensor)
    check_group(group)
    w = world()
    root = _check_rank("broadcast", src, w.size)
    buffer, write_back = _buffer(tensor)
    return _run(async_op, lambda: w.comm.Bcast(buffer, root=root),
                lambda: w.comm.Ibcast(buffer, root=root), write_back)


def reduce(tensor: Tensor, dst: int, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` across ranks with ``op`` into rank ``dst``'s ``tensor``; the other
    ranks' tensors are left as they were."""
    _check_tensor("tensor", tensor)
    check_group(group)
    w = world()
    root = _check_rank("reduce", dst, w.size)
    buffer, write_back = _buffer(tensor)
    mpi_op = _mpi_op(w.mpi, op, buffer.dtype)
    if w.rank != root:
        return _run(async_op, lambda: w.comm.Reduce(buffer, None, mpi_op, root=root),
                    lambda: w.comm.Ireduce(buffer, None, mpi_op, root=root), None)
    average = (lambda: _average(buffer, w.size)) if RedOpType(op) is RedOpType.AVG else None
    return _run(async_op, lambda: w.comm.Reduce(w.mpi.IN_PLACE, buffer, mpi_op, root=root),
                lambda: w.comm.Ireduce(w.mpi.IN_PLACE, buffer, mpi_op, root=root),
                _chain(average, write_back))


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """Fill ``tensor_list`` (one tensor per rank, shaped like ``tensor``) with every rank's
    ``tensor``, in rank order."""
    _check_tensor("tensor", tensor)
    check_group(group)
    w = world()
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != w.size:
        got = len(tensor_list) if isinstance(tensor_list, (list, tuple)) else type(tensor_list)
        raise RuntimeError(f"all_gather: tensor_list must be a list of {w.size} tensors (one per "
                           f"rank), got {got}")
    for index, out in enumerate(tensor_list):
        _check_tensor("tensor_list", out)
        if out._array.dtype != tensor._array.dtype:
            raise ValueError(f"Invalid usage of tensors with different dtypes: tensor_list[{index}]"
                             f" is {out.dtype}, tensor is {tensor.dtype}")
        if out._array.shape != tensor._array.shape:
            raise RuntimeError(f"all_gather: invalid tensor size at index {index} (expected "
                               f"{tuple(tensor.shape)}, got {tuple(out.shape)})")
    gathered = xp.empty((w.size,) + tensor._array.shape, dtype=tensor._array.dtype)
    local = xp.ascontiguousarray(tensor._array)

    def scatter_out() -> None:
        for index, out in enumerate(tensor_list):
            out._array[...] = gathered[index]

    return _run(async_op, lambda: w.comm.Allgather(local, gathered),
                lambda: w.comm.Iallgather(local, gathered), scatter_out)


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every rank has reached this call."""
    check_group(group)
    w = world()
    return _run(async_op, w.comm.Barrier, w.comm.Ibarrier, None)


def all_gather_object(object_list: list, obj, group=None) -> None:
    """Fill ``object_list`` (length ``get_world_size()``) with every rank's ``obj``, in rank order.

    Objects travel pickled between the job's own processes, as in PyTorch (nothing is read from
    a file). Useful for small state such as each rank's RNG state before a checkpoint.
    """
    check_group(group)
    w = world()
    if not isinstance(object_list, list) or len(object_list) != w.size:
        raise ValueError(f"all_gather_object: object_list must be a list of {w.size} entries "
                         f"(one per rank), got {object_list!r}")
    object_list[:] = w.comm.allgather(obj)


def broadcast_object_list(object_list: list, src: int = 0, group=None, device=None) -> None:
    """Replace the entries of ``object_list`` on every rank with rank ``src``'s (pickled between
    the job's processes, as in PyTorch)."""
    check_group(group)
    w = world()
    if not isinstance(object_list, list):
        raise ValueError(f"broadcast_object_list: object_list must be a list, got "
                         f"{type(object_list).__name__}")
    root = _check_rank("broadcast_object_list", src, w.size)
    received = w.comm.bcast(object_list if w.rank == root else None, root=root)
    if len(received) != len(object_list):
        raise ValueError(f"broadcast_object_list: rank {root} sent {len(received)} objects, this "
                         f"rank's list holds {len(object_list)}")
    object_list[:] = received
