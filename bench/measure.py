"""Shared measuring code: the run settings, repeated timing with medians, and result records.

A benchmark module times with :func:`sample` and returns a :class:`Result`: rows of
:class:`Stats` per implementation ("Genesis", "PyTorch", "NumPy") and the :class:`Check` of each
target, which the report prints as PASS or MISS.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any
from dataclasses import dataclass, field

GENESIS, PYTORCH, NUMPY = "Genesis", "PyTorch", "NumPy"
IMPLEMENTATIONS = (GENESIS, PYTORCH, NUMPY)


@dataclass(frozen=True)
class Settings:
    """How hard to measure: ``size`` is "full", "quick" or "tiny" (the smoke test)."""

    repeats: int = 5
    size: str = "full"
    threads: int = 1

    @property
    def warmup(self) -> int:
        """Untimed runs before the timed ones (none in the smoke test)."""
        return 0 if self.size == "tiny" else 1

    def pick(self, full, quick, tiny):
        """The value for this run's size."""
        return {"full": full, "quick": quick, "tiny": tiny}[self.size]


@dataclass(frozen=True)
class Stats:
    """Median and spread (min, max) of repeated measurements."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)


def sample(run_once: Callable[[], float], settings: Settings) -> Stats:
    """Call ``run_once`` ``settings.warmup`` times untimed, then ``settings.repeats`` times.

    ``run_once`` does its own set-up and returns the measured quantity (usually seconds from
    :func:`stopwatch`), so building models or files stays out of the timing.
    """
    for _ in range(settings.warmup):
        run_once()
    return Stats(tuple(float(run_once()) for _ in range(settings.repeats)))


def collect(runs: dict[str, Callable[[], Any]], settings: Settings) -> dict[str, list[Any]]:
    """What each run returns over ``settings.repeats`` rounds (after the warm-up rounds).

    Interleaved, one run of each implementation per round: a passing burst of load then slows
    all of them instead of one, which keeps their ratio fair on a shared machine.
    """
    for _ in range(settings.warmup):
        for run_once in runs.values():
            run_once()
    results: dict[str, list[Any]] = {name: [] for name in runs}
    for _ in range(settings.repeats):
        for name, run_once in runs.items():
            results[name].append(run_once())
    return results


def sample_all(runs: dict[str, Callable[[], float]], settings: Settings) -> dict[str, Stats]:
    """:func:`sample` for several implementations, interleaved (see :func:`collect`)."""
    return {name: Stats(tuple(float(v) for v in values))
            for name, values in collect(runs, settings).items()}


def stopwatch(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes (``time.perf_counter``)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass
class Row:
    """One case of a workload, measured for some of the implementations.

    ``unit`` is "s" (formatted as s/ms/µs) or "MiB".
    """

    case: str
    stats: dict[str, Stats]
    unit: str = "s"

    def ratio(self, numerator: str, denominator: str) -> float | None:
        """``numerator``'s median over ``denominator``'s, or None when one is missing."""
        if numerator not in self.stats or denominator not in self.stats:
            return None
        return self.stats[numerator].median / self.stats[denominator].median


@dataclass
class Check:
    """One target: ``measured`` must be at most (or, with ``strict``, under) ``limit``."""

    what: str
    measured: float
    limit: float
    unit: str = "x"
    strict: bool = False

    @property
    def passed(self) -> bool:
        return self.measured < self.limit if self.strict else self.measured <= self.limit


def ratio_check(row: Row, other: str, limit: float) -> Check:
    """Check that Genesis's median over ``other``'s is at most ``limit``."""
    return Check(f"{row.case}: {GENESIS}/{other}", row.ratio(GENESIS, other), limit)


@dataclass
class Result:
    """What one benchmark measured: its rows, its target checks and notes for the reader."""

    name: str
    title: str
    target: str
    rows: list[Row]
    checks: list[Check]
    notes: list[str] = field(default_factory=list)
