"""``python -m bench``: run the benchmarks and write ``bench/RESULTS.md`` (see ``bench/__init__``).

The thread counts are fixed before NumPy or PyTorch is imported: the BLAS environment variables
are set here (children inherit them) and the runner sets ``torch.set_num_threads`` to match.
``OMP_WAIT_POLICY`` defaults to ``PASSIVE``: with the implementations interleaved in one process,
PyTorch's OpenMP threads would otherwise keep spinning after each PyTorch run and slow down
whatever runs next on a machine with few cores.
"""
import argparse
import os
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line of ``python -m bench``."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time Genesis against PyTorch (CPU) and a NumPy floor; write bench/RESULTS.md.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes and 3 repeats (a fast look, not the published numbers)")
    parser.add_argument("--only", action="append", metavar="NAME", default=None,
                        help="run only this benchmark (repeatable); see --list")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repeats per measurement (default 5, or 3 with --quick)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="threads for PyTorch and NumPy's BLAS (default: all cores)")
    parser.add_argument("--out", default=None,
                        help="where to write the results (default bench/RESULTS.md)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be a positive int, got {args.repeats}")
    if args.threads < 1:
        parser.error(f"--threads must be a positive int, got {args.threads}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point: pin the threads, then hand over to ``bench.runner``."""
    args = parse_args(argv)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from bench import runner  # imports NumPy: only after the environment is set

    return runner.main(args)


if __name__ == "__main__":
    sys.exit(main())
