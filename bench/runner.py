"""Run the selected benchmarks with progress on stderr, then write the Markdown report."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench import registry, report
from bench.machine import REPO_ROOT, describe, load_average
from bench.measure import Result, Settings

DEFAULT_OUT = REPO_ROOT / "bench" / "RESULTS.md"


def pin_threads(threads: int) -> None:
    """Make PyTorch and NumPy's BLAS use ``threads`` threads in this process."""
    import torch

    torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the environment variables set by __main__ still apply
        return
    threadpool_limits(threads)


def run_all(benchmarks: list, settings: Settings, log=sys.stderr) -> list[Result]:
    """Run ``benchmarks`` one after the other, printing what runs and how long it took."""
    results = []
    started = time.perf_counter()
    for index, module in enumerate(benchmarks, 1):
        def progress(message: str, prefix=f"[{index}/{len(benchmarks)}] {module.NAME}") -> None:
            print(f"{time.perf_counter() - started:6.1f}s {prefix}: {message}", file=log,
                  flush=True)

        progress("start")
        result = module.run(settings, progress)
        misses = sum(not check.passed for check in result.checks)
        progress(f"done, {len(result.checks) - misses} PASS, {misses} MISS")
        results.append(result)
    return results


def main(args: argparse.Namespace) -> int:
    """Run what ``args`` (from ``bench.__main__``) selects and write the results file."""
    try:
        benchmarks = registry.by_name(args.only)
    except ValueError as error:
        print(f"python -m bench: {error}", file=sys.stderr)
        return 2
    if args.list:
        for module in benchmarks:
            print(f"{module.NAME:16} {module.TITLE}")
        return 0
    settings = Settings(repeats=args.repeats or (3 if args.quick else 5),
                        size="quick" if args.quick else "full", threads=args.threads)
    pin_threads(settings.threads)
    load_at_start = load_average()
    started = time.perf_counter()
    results = run_all(benchmarks, settings)
    seconds = time.perf_counter() - started
    command = "python -m bench " + " ".join(sys.argv[1:]) if sys.argv[1:] else "python -m bench"
    out = Path(args.out) if args.out else DEFAULT_OUT
    machine = describe(settings.threads, load_at_start)
    out.write_text(report.render(results, machine, command.strip(), seconds))
    for result in results:
        for check in result.checks:
            print(" | ".join(report.check_cells(check)).replace("**", ""))
    print(f"wrote {out} ({seconds:.0f} s)")
    return 0
