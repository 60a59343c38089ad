"""What each process started by ``genesis run`` runs: ``python -m genesis.distributed.bootstrap
[-m] TARGET [ARGS...]``.

It gives the process torchrun's environment (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``,
``LOCAL_WORLD_SIZE``, ``GROUP_RANK``, ...) from the rank ``mpiexec`` assigned, runs the user's
script (or ``-m`` module) as ``__main__`` with its arguments, and turns a crash into the end of
the whole job: the failing rank's traceback on stderr, then ``MPI_Abort`` (see
:mod:`genesis.distributed.mpi`), so the other ranks never wait for it forever.
"""
from __future__ import annotations

import os
import runpy
import sys

from genesis.distributed import mpi

# Where each MPI names a process's place: Open MPI's variables, then MPICH's (Hydra, PMI).
_MPI_VARIABLES = {
    "RANK": ("OMPI_COMM_WORLD_RANK", "PMI_RANK"),
    "WORLD_SIZE": ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE"),
    "LOCAL_RANK": ("OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID"),
    "LOCAL_WORLD_SIZE": ("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"),
}


def rank_environment(environ: dict) -> dict[str, str]:
    """torchrun's variables for this process, read from the MPI launcher's ``environ``.

    >>> env = rank_environment({"OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_SIZE": "4",
    ...                         "OMPI_COMM_WORLD_LOCAL_RANK": "1",
    ...                         "OMPI_COMM_WORLD_LOCAL_SIZE": "2"})
    >>> env["RANK"], env["LOCAL_RANK"], env["WORLD_SIZE"], env["GROUP_RANK"]
    ('3', '1', '4', '1')
    """
    found = {}
    for name, sources in _MPI_VARIABLES.items():
        value = next((environ[source] for source in sources if source in environ), None)
        if value is None:
            raise RuntimeError(f"genesis.distributed.bootstrap: none of {', '.join(sources)} is "
                               f"set; this module runs under mpiexec (use genesis run)")
        found[name] = value
    rank, local_size = int(found["RANK"]), int(found["LOCAL_WORLD_SIZE"])
    found["GROUP_RANK"] = str(rank // local_size)  # the node's index: ranks fill nodes in order
    found["ROLE_RANK"] = found["RANK"]
    found["ROLE_WORLD_SIZE"] = found["WORLD_SIZE"]
    found["GROUP_WORLD_SIZE"] = str(int(found["WORLD_SIZE"]) // local_size)
    return found


def _user_frames(tb):
    """The traceback from the user's code on: without this module's and runpy's frames."""
    ours = (os.path.abspath(__file__), os.path.abspath(runpy.__file__))
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not (filename.startswith("<frozen runpy") or os.path.abspath(filename) in ours):
            break
        tb = tb.tb_next
    return tb


def main(argv: list[str]) -> int:
    """Run ``argv`` (``[-m] TARGET ARGS...``) as this rank's program; returns the exit status."""
    as_module = bool(argv) and argv[0] == "-m"
    if as_module:
        argv = argv[1:]
    if not argv:
        print("usage: python -m genesis.distributed.bootstrap [-m] TARGET [ARGS...]",
              file=sys.stderr)
        return 2
    os.environ.update(rank_environment(os.environ))
    target = argv[0]
    sys.argv = list(argv)
    try:
        if as_module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path[0] = os.path.dirname(os.path.abspath(target))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as stop:
        if stop.code in (None, 0):
            return 0
        if not isinstance(stop.code, int):
            print(stop.code, file=sys.stderr)
        mpi.abort_job(None, stop.code if isinstance(stop.code, int) else 1)
    except BaseException as error:  # noqa: BLE001 - any failure must end every rank
        mpi.abort_job(error.with_traceback(_user_frames(error.__traceback__)),
                      130 if isinstance(error, KeyboardInterrupt) else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
