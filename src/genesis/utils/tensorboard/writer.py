"""``SummaryWriter`` and ``FileWriter`` with ``torch.utils.tensorboard``'s constructor and methods.

This module builds the ``Event`` protos around the summaries of
:mod:`genesis.utils.tensorboard.summary`; ``event_file.EventFile`` writes them to local event
files (framed by tensorboard's ``RecordWriter``), and tensorboard's own ``EventFileWriter``
writes them to remote file systems.  Locally every event reaches the file when it is logged,
where PyTorch's writer queues up to ``max_queue`` events for a thread: logging is about three
times cheaper, and a script that ends without ``close()`` loses nothing (PyTorch's drops the
queued events).
"""
from __future__ import annotations

import numbers
import os
import socket
import time
import weakref
from datetime import datetime
from typing import Any

from . import summary
from .event_file import EventFile

try:
    from tensorboard.compat.proto.event_pb2 import Event, SessionLog
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
except ModuleNotFoundError as error:
    raise summary.tensorboard_missing(error) from None

__all__ = ["FileWriter", "SummaryWriter"]


def _check_walltime(walltime: Any) -> None:
    if walltime is not None and (isinstance(walltime, bool) or not isinstance(walltime, numbers.Real)):
        raise TypeError(f"walltime must be seconds since the epoch (a float) or None, got {walltime!r}")


class FileWriter:
    """Writes ``Event`` protos to a new event file in ``log_dir`` (PyTorch's ``FileWriter``);
    ``filename_suffix`` ends the file name.

    A local ``log_dir`` gets every event at once.  A URL (``s3://...``: any path with ``://``)
    goes through tensorboard's ``EventFileWriter``, where up to ``max_queue`` events wait for
    its writing thread, which flushes every ``flush_secs`` seconds.
    """

    def __init__(self, log_dir: str | os.PathLike, max_queue: int = 10, flush_secs: float = 120,
                 filename_suffix: str = "") -> None:
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"log_dir must be a str or os.PathLike, got {log_dir!r}")
        if isinstance(max_queue, bool) or not isinstance(max_queue, numbers.Real):
            raise TypeError(f"max_queue must be an int, got {max_queue!r}")
        if isinstance(flush_secs, bool) or not isinstance(flush_secs, numbers.Real):
            raise TypeError(f"flush_secs must be a number of seconds, got {flush_secs!r}")
        if not isinstance(filename_suffix, str):
            raise TypeError(f"filename_suffix must be a str, got {filename_suffix!r}")
        log_dir = str(os.fspath(log_dir))
        if "://" in log_dir:  # tensorboard's file systems (S3, fsspec's) know these
            self.event_writer = EventFileWriter(log_dir, max_queue, flush_secs, filename_suffix)
        else:
            self.event_writer = EventFile(log_dir, filename_suffix)
        # At exit or when dropped: queued events reach the file, a writing thread stops.
        self._finalizer = weakref.finalize(self, self.event_writer.close)

    def get_logdir(self) -> str:
        """The directory the event file is in."""
        return self.event_writer.get_logdir()

    def add_event(self, event: Event, step: Any = None, walltime: float | None = None) -> None:
        """Stamp ``event`` with ``walltime`` (default now) and ``step`` (when given), and queue it."""
        _check_walltime(walltime)
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary_proto: Any, global_step: Any = None,
                    walltime: float | None = None) -> None:
        """Queue a ``Summary`` proto as an event at ``global_step``."""
        self.add_event(Event(summary=summary_proto), global_step, walltime)

    def flush(self) -> None:
        """Write every queued event to disk (locally, none is ever queued)."""
        self.event_writer.flush()

    def close(self) -> None:
        """Flush, stop the writing thread and close the file."""
        self._finalizer()


class SummaryWriter:
    """Writes TensorBoard event files to ``log_dir``: scalars, histograms, text, hyperparameters,
    images and matplotlib figures, with ``torch.utils.tensorboard.SummaryWriter``'s API.

    ``log_dir`` defaults to ``runs/<date>_<hostname><comment>`` (one folder per run, so that
    ``tensorboard --logdir runs`` compares them).  ``purge_step`` continues a run that crashed:
    TensorBoard hides the events of earlier files in ``log_dir`` at that step or later.
    ``max_queue``, ``flush_secs`` and ``filename_suffix`` go to the event files (see
    :class:`FileWriter`: on a local disk no event waits, so the first two change nothing).  Needs the tensorboard package (``pip install -e ".[tensorboard]"``).

    Example:
        >>> import tempfile
        >>> from genesis.utils.tensorboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as writer:
        ...     for step in range(3):
        ...         writer.add_scalar("loss", 1.0 / (step + 1), step)
    """

    def __init__(self, log_dir: str | os.PathLike | None = None, comment: str = "",
                 purge_step: int | None = None, max_queue: int = 10, flush_secs: float = 120,
                 filename_suffix: str = "") -> None:
        if not isinstance(comment, str):
            raise TypeError(f"comment must be a str, got {comment!r}")
        if purge_step is not None:
            if isinstance(purge_step, bool) or not isinstance(purge_step, numbers.Integral):
                raise TypeError(f"purge_step must be an int step or None, got {purge_step!r}")
            purge_step = int(purge_step)
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer: FileWriter | None = None
        self.all_writers: dict[str, FileWriter] | None = None
        self._get_file_writer()

    def _new_file_writer(self, log_dir: str | os.PathLike) -> FileWriter:
        return FileWriter(log_dir, self.max_queue, self.flush_secs, self.filename_suffix)

    def _get_file_writer(self) -> FileWriter:
        """The writer of ``log_dir``'s event file, opened again after ``close()``."""
        if self.file_writer is None or self.all_writers is None:
            self.file_writer = self._new_file_writer(self.log_dir)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                # TensorBoard drops earlier events at or after a session START's step
                self.file_writer.add_event(Event(step=self.purge_step, file_version="brain.Event:2"))
                self.file_writer.add_event(Event(step=self.purge_step,
                                                 session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self) -> str | os.PathLike:
        """The directory the event files are written to."""
        return self.log_dir

    def add_scalar(self, tag: str, scalar_value: Any, global_step: int | None = None,
                   walltime: float | None = None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """Log one number (a float, an int, a NumPy scalar or a one-element tensor) under ``tag``
        at ``global_step``.  TensorBoard stores it as a float32 unless ``new_style`` and
        ``double_precision`` are both set."""
        self._get_file_writer().add_summary(
            summary.scalar(tag, scalar_value, new_style, double_precision), global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step: int | None = None,
                    walltime: float | None = None) -> None:
        """Log several numbers drawn in one chart ``main_tag``: each key of ``tag_scalar_dict``
        is a run of its own, ``<log_dir>/<main_tag>_<key>`` (``/`` in ``main_tag`` becomes ``_``)."""
        summary.check_tag(main_tag, "main_tag")
        if not isinstance(tag_scalar_dict, dict):
            raise TypeError(f"tag_scalar_dict must be a dict of tag: value, got {tag_scalar_dict!r}")
        _check_walltime(walltime)
        walltime = time.time() if walltime is None else walltime
        prefix = self._get_file_writer().get_logdir() + "/" + main_tag.replace("/", "_") + "_"
        for tag, value in tag_scalar_dict.items():
            path = prefix + summary.check_tag(tag, "a key of tag_scalar_dict")
            writer = self.all_writers.get(path)
            if writer is None:
                writer = self.all_writers[path] = self._new_file_writer(path)
            writer.add_summary(summary.scalar(main_tag, value), global_step, walltime)

    def add_histogram(self, tag: str, values: Any, global_step: int | None = None,
                      bins: Any = "tensorflow", walltime: float | None = None,
                      max_bins: int | None = None) -> None:
        """Log the distribution of ``values`` (a Genesis tensor or a NumPy array, any shape).

        ``bins`` is ``"tensorflow"`` (TensorFlow's default buckets, growing by 10% from 1e-12)
        or anything ``numpy.histogram`` accepts (``"auto"``, ``"fd"``, a count, edges).
        NaN or infinite values are a ValueError (TensorFlow's rule; PyTorch writes NaN).
        """
        if isinstance(bins, str) and bins == "tensorflow":
            bins = summary.TENSORFLOW_BINS
        self._get_file_writer().add_summary(
            summary.histogram(tag, values, bins, max_bins), global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Log a string (Markdown is rendered) under ``tag`` in TensorBoard's Text tab."""
        self._get_file_writer().add_summary(summary.text(tag, text_string), global_step, walltime)

    def add_hparams(self, hparam_dict: dict, metric_dict: dict,
                    hparam_domain_discrete: dict | None = None, run_name: str | None = None,
                    global_step: int | None = None) -> None:
        """Log one run's hyperparameters and final metrics for the HParams tab.

        Values of ``hparam_dict`` are ints, floats, strs, bools or one-element tensors (None
        skips a key); ``metric_dict`` maps metric tags to numbers, logged as scalars too.  The
        records go to a sub-run ``<log_dir>/<run_name>`` (default: the current time), as in
        PyTorch.  ``hparam_domain_discrete`` lists every value a hyperparameter can take.
        """
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        records = summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if not run_name:
            run_name = str(time.time())
        log_dir = os.path.join(self._get_file_writer().get_logdir(), run_name)
        with SummaryWriter(log_dir=log_dir) as run:
            for record in records:
                run.file_writer.add_summary(record, global_step)
            for tag, value in metric_dict.items():
                run.add_scalar(tag, value, global_step)

    def add_image(self, tag: str, img_tensor: Any, global_step: int | None = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:
        """Log an image: a Genesis tensor or NumPy array, floats in [0, 1] or uint8 in
        [0, 255], with axes named by ``dataformats`` (``CHW``, ``HWC``, ``HW``, ...)."""
        self._get_file_writer().add_summary(summary.image(tag, img_tensor, dataformats),
                                            global_step, walltime)

    def add_images(self, tag: str, img_tensor: Any, global_step: int | None = None,
                   walltime: float | None = None, dataformats: str = "NCHW") -> None:
        """Log a batch of images as one grid image (up to 8 per row)."""
        self.add_image(tag, img_tensor, global_step, walltime, dataformats)

    def add_figure(self, tag: str, figure: Any, global_step: int | None = None,
                   close: bool = True, walltime: float | None = None) -> None:
        """Log a matplotlib figure (or a list of them, side by side) as an image; ``close``
        closes pyplot's window of a figure pyplot made."""
        image = summary.figure_to_image(figure, close)
        self.add_image(tag, image, global_step, walltime,
                       dataformats="NCHW" if isinstance(figure, list) else "CHW")

    def flush(self) -> None:
        """Write every queued event of every event file to disk."""
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self) -> None:
        """Flush and close the event files; a second ``close()`` does nothing, and logging again
        afterwards opens a new event file in ``log_dir``."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
