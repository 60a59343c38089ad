"""The default process group: ``init_process_group``, ``get_rank``, ``destroy_process_group``...

MPI is the one transport.  Its launcher (``mpiexec``, which ``genesis run`` drives) starts the
processes and connects them, so MPI, not a rendezvous at ``MASTER_ADDR:MASTER_PORT``, decides
each process's rank and the world size.  What PyTorch reads from ``init_method`` and the
environment (``RANK``, ``WORLD_SIZE``) is checked against MPI's answer instead: a mismatch means
the processes were started by something MPI does not know (torchrun, a shell loop), and waiting
for peers that will never connect would hang, so it is an error that says how to start them.
"""
from __future__ import annotations

import datetime
import os
import urllib.parse
import warnings

from genesis.distributed import mpi

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")
_ALIASES = ("gloo", "nccl", "ucc", "xccl")


class Backend(str):
    """The name of a backend, as ``torch.distributed.Backend``: ``Backend("MPI") == "mpi"``.

    Genesis runs every backend on MPI; ``gloo`` and ``nccl`` are accepted as names for it.
    """

    UNDEFINED = "undefined"
    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"

    def __new__(cls, name: str) -> "Backend":
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: "
                             f"{type(name).__name__}")
        return super().__new__(cls, name.lower())


class _World:
    """The default group: MPI's communicator, this process's rank and the world size, and
    ``mpi``, the ``mpi4py.MPI`` module (for its constants and operations)."""

    def __init__(self, mpi_module, comm, backend: str, timeout: datetime.timedelta) -> None:
        self.mpi = mpi_module
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.backend = backend
        self.timeout = timeout


_world: _World | None = None


def is_available() -> bool:
    """Whether ``genesis.distributed`` can run: mpi4py is installed (checked without starting
    MPI). Install it with ``pip install -e ".[distributed]"`` in the source checkout."""
    return mpi.available()


def is_mpi_available() -> bool:
    """Whether the MPI backend is available (the same as :func:`is_available`)."""
    return mpi.available()


def is_initialized() -> bool:
    """Whether :func:`init_process_group` has run (and :func:`destroy_process_group` has not)."""
    return _world is not None


def world() -> _World:
    """The default group, or PyTorch's ValueError when there is none."""
    if _world is None:
        raise ValueError(_NOT_INITIALIZED)
    return _world


def check_group(group) -> None:
    """Only the default group exists in Genesis: ``group`` must be None."""
    if group is not None:
        raise ValueError(f"group: Genesis has only the default process group; pass group=None, "
                         f"got {group!r}")


def _backend_name(backend) -> str:
    if backend is None:
        return Backend.MPI
    name = Backend(backend)
    # "cpu:gloo,cuda:nccl" names one backend per device; every one of them runs on MPI here.
    parts = [part.split(":")[-1].strip() for part in name.split(",")]
    unknown = [part for part in parts if part not in (Backend.MPI, Backend.UNDEFINED) + _ALIASES]
    if unknown:
        raise ValueError(f"init_process_group(backend={backend!r}): Genesis runs on MPI; "
                         f"expected 'mpi' (or {', '.join(map(repr, _ALIASES))}, run on MPI)")
    aliased = [part for part in parts if part in _ALIASES]
    return aliased[0] if aliased else Backend.MPI


def _expected(init_method: str, world_size: int, rank: int) -> tuple[int, int, str]:
    """``(world_size, rank, where)`` the caller expects (-1: no expectation), and whence."""
    parsed = urllib.parse.urlparse(init_method)
    if parsed.scheme not in ("env", "tcp", "file"):
        raise RuntimeError(f"No rendezvous handler for {parsed.scheme}://")
    query = urllib.parse.parse_qs(parsed.query)
    where = "init_process_group"
    for key, value in (("world_size", world_size), ("rank", rank)):
        if value == -1 and key in query:
            value, where = int(query[key][0]), f"init_method={init_method!r}"
        if key == "world_size":
            world_size = value
        else:
            rank = value
    if parsed.scheme == "env":
        if world_size == -1 and "WORLD_SIZE" in os.environ:
            world_size, where = int(os.environ["WORLD_SIZE"]), "the environment (WORLD_SIZE, RANK)"
        if rank == -1 and "RANK" in os.environ:
            rank, where = int(os.environ["RANK"]), "the environment (WORLD_SIZE, RANK)"
    return world_size, rank, where


def _check_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < -1:
        raise ValueError(f"init_process_group({name}): expected a non-negative int (or -1 for "
                         f"unset), got {value!r}")
    return value


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: datetime.timedelta | None = None, world_size: int = -1,
                       rank: int = -1, store=None, group_name: str = "", pg_options=None,
                       device_id=None) -> None:
    """Join the job's processes into the default group (MPI's ``COMM_WORLD``).

    Start the processes with ``genesis run --nproc-per-node N script.py`` (or
    ``mpiexec -n N python script.py``); then every rank calls this once. ``backend`` may be
    ``"mpi"`` (the default), or ``"gloo"``/``"nccl"`` as written for PyTorch: everything runs on
    MPI over the CPU, and rank 0 notes it once. ``init_method`` (``"env://"`` by default,
    ``"tcp://..."``, ``"file://..."``), ``world_size``, ``rank`` and the ``RANK``/``WORLD_SIZE``
    environment variables are checked against what MPI assigned. ``timeout`` is accepted (a
    ``datetime.timedelta``) but not enforced: a rank that crashes ends the job instead.

    Example (in a script started by ``genesis run --nproc-per-node 2``)::

        import genesis.distributed as dist
        dist.init_process_group(backend="mpi")
        print(dist.get_rank(), "of", dist.get_world_size())   # 0 of 2, 1 of 2
        dist.destroy_process_group()
    """
    global _world
    if _world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = _backend_name(backend)
    if timeout is not None and not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{timeout}")
    if store is not None:
        raise ValueError("init_process_group(store=...): Genesis has no Store; MPI connects the "
                         "processes. Leave store=None.")
    expected_size, expected_rank, where = _expected(
        "env://" if init_method is None else init_method,
        _check_int("world_size", world_size), _check_int("rank", rank))
    MPI = mpi.load()
    mpi.abort_job_on_crash()
    comm = MPI.COMM_WORLD.Dup()  # a private communicator: the user's own MPI calls cannot mix in
    candidate = _World(MPI, comm, Backend(name), timeout or datetime.timedelta(minutes=30))
    if expected_size not in (-1, candidate.size) or expected_rank not in (-1, candidate.rank):
        comm.Free()
        raise ValueError(
            f"init_process_group: {where} says world size {expected_size}, rank {expected_rank}, "
            f"but MPI started this process as rank {candidate.rank} of {candidate.size}. Start "
            f"the processes through MPI, which connects them: genesis run --nproc-per-node N "
            f"script.py (or mpiexec -n N python script.py); torchrun's processes cannot reach "
            f"each other here.")
    _world = candidate
    if name != Backend.MPI and candidate.rank == 0:
        warnings.warn(f"init_process_group(backend={backend!r}): Genesis runs every collective on "
                      f"MPI over the CPU; {name!r} is taken as 'mpi'", UserWarning, stacklevel=2)


def destroy_process_group(group=None) -> None:
    """Leave the default group; :func:`init_process_group` may be called again afterwards."""
    global _world
    check_group(group)
    if _world is None:
        raise AssertionError("Process group cannot be None: init_process_group() was not called "
                             "(or the group was already destroyed)")
    _world.comm.Free()
    _world = None


def get_rank(group=None) -> int:
    """This process's rank in the default group, from 0 to ``get_world_size() - 1``."""
    check_group(group)
    return world().rank


def get_world_size(group=None) -> int:
    """The number of processes in the default group."""
    check_group(group)
    return world().size


def get_backend(group=None) -> str:
    """The backend the group runs on: always ``"mpi"`` (aliases included)."""
    check_group(group)
    world()
    return Backend.MPI
