"""The one list of benchmarks, in the order they run and appear in RESULTS.md.

A benchmark is a module with ``NAME``, ``TITLE``, ``TARGET`` and
``run(settings, progress) -> bench.measure.Result``; add a new one here.
"""
from bench import (checkpoint_io, distributed, import_time, lstm_step, peak_memory, preview_speed,
                   sched_step, tensorboard_scalar, train_cnn, train_digits, train_synthetic,
                   transformer_step)

BENCHMARKS = [sched_step, preview_speed, train_digits, train_synthetic, train_cnn, import_time,
              peak_memory, checkpoint_io, lstm_step, transformer_step, distributed,
              tensorboard_scalar]


def by_name(names: list[str] | None) -> list:
    """The benchmarks called ``names`` (all when None); unknown names raise a ValueError."""
    if not names:
        return list(BENCHMARKS)
    known = {module.NAME: module for module in BENCHMARKS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown benchmark {unknown[0]!r}; expected one of {sorted(known)}")
    return [known[name] for name in names]
