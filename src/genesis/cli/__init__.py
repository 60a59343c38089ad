"""The ``genesis`` command line (also ``python -m genesis``).

Each subcommand lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (called with the parsed
arguments; it returns the exit status).  To add a command, write the module and list it in
``COMMANDS``.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from genesis.version import genesis_version

# module names inside genesis.cli, in the order `genesis --help` lists them
COMMANDS = ("demo", "lr", "checkpoint", "run")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genesis",
        description="Genesis: a NumPy deep-learning framework with PyTorch's API.",
    )
    parser.add_argument("--version", action="version", version=f"genesis {genesis_version}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"genesis.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"genesis.cli.{name}":
                raise
            continue  # command not written yet
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # The reader went away (`genesis lr ... | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot fail
        return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by the pipe


if __name__ == "__main__":
    sys.exit(main())
