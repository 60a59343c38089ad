"""``--logdir`` for a training script in two lines: ``add_logdir_argument`` and ``TrainingLog``.

``genesis demo`` uses them; so can any script::

    add_logdir_argument(parser)                                  # --logdir DIR
    with TrainingLog(args.logdir, scheduler) as log:             # does nothing without it
        for step, (data, targets) in enumerate(loader):
            ...
            optimizer.step()
            log(step, loss=loss, accuracy=accuracy)              # + lr/group0, ...
            scheduler.step()

Without ``--logdir`` nothing is written and tensorboard is never imported, so the script runs
where tensorboard is not installed.
"""
from __future__ import annotations

import argparse
import os
from typing import Any

from .rates import log_lr

__all__ = ["add_logdir_argument", "TrainingLog"]


def add_logdir_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--logdir DIR`` (default None: no logging) to ``parser``."""
    parser.add_argument("--logdir", metavar="DIR", default=None,
                        help="write TensorBoard logs (the loss, accuracy and learning rate of "
                             "every step) to DIR; watch them live with: tensorboard --logdir DIR")


class TrainingLog:
    """Per-step scalars and learning rates to TensorBoard event files in ``logdir``, or nothing
    when ``logdir`` is None.

    ``log(step, loss=..., accuracy=...)`` writes each keyword as a scalar tag (numbers or
    one-element tensors) and, when a ``scheduler`` (or optimizer) was given, its rates with
    :func:`~genesis.utils.tensorboard.log_lr` (``lr/group0``, ...).  Call it once a step, after
    ``optimizer.step()`` and before ``scheduler.step()``: the rate logged at a step is then the
    one the step used.  ``log.scalars(step, ...)`` logs values without the rates.  ``purge_step`` is for a resumed run: TensorBoard hides what an earlier
    run wrote to ``logdir`` from that step on (give 0 to start a directory over).
    ``enabled`` says whether anything is written, to skip computing values only logged.

    Example:
        >>> log = TrainingLog(None)
        >>> log.enabled, log(0, loss=1.0)
        (False, None)
    """

    def __init__(self, logdir: str | os.PathLike | None, scheduler: Any = None, *,
                 purge_step: int | None = None) -> None:
        self.scheduler = scheduler
        self.writer = None
        if logdir is not None:
            from .writer import SummaryWriter

            self.writer = SummaryWriter(logdir, purge_step=purge_step)

    @property
    def enabled(self) -> bool:
        """Whether this log writes anything (a ``logdir`` was given)."""
        return self.writer is not None

    def __call__(self, step: int, **scalars: Any) -> None:
        """Log ``scalars`` (tag=value) and the scheduler's rates at ``step``: once a step."""
        if self.writer is None:
            return
        self.scalars(step, **scalars)
        if self.scheduler is not None:
            log_lr(self.writer, self.scheduler, step)

    def scalars(self, step: int, **scalars: Any) -> None:
        """Log ``scalars`` alone at ``step`` (per-epoch values such as a test accuracy)."""
        if self.writer is None:
            return
        for tag, value in scalars.items():
            self.writer.add_scalar(tag, value, step)

    def close(self) -> None:
        """Flush and close the event files (also done by ``with``)."""
        if self.writer is not None:
            self.writer.close()

    def __enter__(self) -> TrainingLog:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
