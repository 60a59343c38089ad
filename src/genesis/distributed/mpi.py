"""The one door to MPI: loading mpi4py lazily, and ending the whole job when a rank crashes.

``mpi4py`` initialises MPI when ``mpi4py.MPI`` is first imported, so nothing imports it before
:func:`load` is called (``import genesis`` and ``import genesis.distributed`` never do).

Why a crash needs care: when one rank dies of an uncaught exception, Python's exit runs
``MPI_Finalize``, which waits for the other ranks, which wait in their next collective for the
dead one: the job hangs.  :func:`abort_job` prints the rank's traceback and calls ``MPI_Abort``,
which makes ``mpiexec`` kill every rank and exit non-zero.
"""
from __future__ import annotations

import os
import sys
import traceback

from genesis.utils.extras import install_hint

INSTALL = install_hint("distributed")


def available() -> bool:
    """Whether mpi4py can be imported (without importing it, so without starting MPI)."""
    import importlib.util

    try:
        return importlib.util.find_spec("mpi4py") is not None
    except ValueError:  # sys.modules["mpi4py"] is None: imports of it are blocked
        return False


def load():
    """``mpi4py.MPI`` (MPI starts on the first call), or an ImportError with the install command."""
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(f"genesis.distributed needs MPI through mpi4py, an optional dependency: "
                          f"{INSTALL}") from error
    return MPI


def _started():
    """``mpi4py.MPI`` if this process has started MPI and not yet finished it, else None."""
    MPI = sys.modules.get("mpi4py.MPI")
    if MPI is not None and MPI.Is_initialized() and not MPI.Is_finalized():
        return MPI
    return None


def rank_label() -> str:
    """"rank R (local_rank L)" from the launcher's or MPI's environment, for crash reports."""
    rank = os.environ.get("RANK", os.environ.get("OMPI_COMM_WORLD_RANK",
                                                 os.environ.get("PMI_RANK", "?")))
    local = os.environ.get("LOCAL_RANK", os.environ.get("OMPI_COMM_WORLD_LOCAL_RANK"))
    return f"rank {rank}" + (f" (local_rank {local})" if local is not None else "")


def abort_job(error: BaseException | None, exit_code: int = 1) -> None:
    """Report this rank's failure (``error`` with its traceback, or only the exit status when
    None: ``sys.exit(3)``) and end the whole job with ``exit_code``.

    With MPI started, ``MPI_Abort`` makes ``mpiexec`` stop every rank (no hang); without it,
    the non-zero exit alone does (``mpiexec`` ends a job when a rank exits non-zero).
    """
    if error is None:
        report = (f"genesis.distributed: {rank_label()} exited with status {exit_code}, "
                  f"ending the job\n")
    else:
        report = (f"genesis.distributed: {rank_label()} failed, ending the job:\n"
                  + "".join(traceback.format_exception(type(error), error, error.__traceback__)))
    sys.stdout.flush()
    sys.stderr.write(report)
    sys.stderr.flush()
    MPI = _started()
    if MPI is not None:
        MPI.COMM_WORLD.Abort(exit_code)
    os._exit(exit_code)


def _excepthook(kind, error, tb) -> None:
    if issubclass(kind, KeyboardInterrupt) or _started() is None:
        sys.__excepthook__(kind, error, tb)
        return
    abort_job(error.with_traceback(tb))


def abort_job_on_crash() -> None:
    """Make an uncaught exception end the whole job (see :func:`abort_job`), once per process.

    Called by ``init_process_group``, so a script started directly with ``mpiexec -n N`` does
    not hang when one rank crashes either.
    """
    if sys.excepthook is not _excepthook:
        sys.excepthook = _excepthook
