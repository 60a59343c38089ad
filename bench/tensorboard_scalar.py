"""TensorBoard logging: ``add_scalar`` calls into an event file, Genesis's writer vs PyTorch's."""
from __future__ import annotations

import functools
import shutil
import tempfile

from bench.measure import GENESIS, PYTORCH, Result, Row, Settings, ratio_check, sample_all, stopwatch

NAME = "tensorboard"
TITLE = "SummaryWriter.add_scalar into a TensorBoard event file"
TARGET = "Genesis <= 1.0x PyTorch's SummaryWriter (no slower), for floats and 0-d tensors"
VALUES = ("a float", "a 0-d tensor")


def seconds(framework: str, value: str, calls: int) -> float:
    """``calls`` add_scalar calls then flush() (the events on disk), in a fresh writer whose
    construction and close are not timed."""
    if framework == GENESIS:
        import genesis as lib
        from genesis.utils.tensorboard import SummaryWriter
    else:
        import torch as lib
        from torch.utils.tensorboard import SummaryWriter
    values = [0.5 / (step + 1) for step in range(calls)]
    if value == "a 0-d tensor":
        values = [lib.tensor(v) for v in values]
    folder = tempfile.mkdtemp(prefix="bench-tensorboard-")
    try:
        writer = SummaryWriter(folder)

        def log() -> None:
            for step, scalar in enumerate(values):
                writer.add_scalar("loss", scalar, step)
            writer.flush()

        elapsed = stopwatch(log)
        writer.close()
        return elapsed
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(settings: Settings, progress) -> Result:
    """Both writers, interleaved, for a Python float and for each framework's 0-d tensor."""
    calls = settings.pick(10_000, 2_000, 50)
    rows = []
    for value in VALUES:
        case = f"{calls:,} add_scalar calls, {value}"
        progress(case)
        rows.append(Row(case, sample_all({
            framework: functools.partial(seconds, framework, value, calls)
            for framework in (GENESIS, PYTORCH)}, settings)))
    return Result(NAME, TITLE, TARGET, rows, [ratio_check(row, PYTORCH, 1.0) for row in rows],
                  notes=["PyTorch's writer queues each event for tensorboard's EventFileWriter "
                         "thread, which (without TensorFlow) reopens the file for every record; "
                         "Genesis's writes each record from the calling thread to a file kept "
                         "open. Both frame records with tensorboard's RecordWriter (a CRC in pure "
                         "Python). The time includes flush(), so every event is on disk."])
