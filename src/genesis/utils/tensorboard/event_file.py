"""One TensorBoard event file on the local disk, each event written straight through to the OS.

The records are framed by the tensorboard package's own ``RecordWriter`` (length, CRCs) and
the events are its ``Event`` protos; the file is named and begun as tensorboard's
``EventFileWriter`` does it (``events.out.tfevents.<time>.<host>.<pid>.<n><suffix>``, then a
``brain.Event:2`` version event).  What differs is the path to the disk: tensorboard's writer
hands every event to a thread through a queue of ``max_queue`` and, without TensorFlow,
reopens the file for each record; measured on 10,000 ``add_scalar`` calls (``python -m bench
--only tensorboard``) that costs about 30 us a call.  Writing each record from the calling
thread to a file kept open costs a third of that, nothing is ever pending (so a crash or a
missing ``close()`` loses no event and a live TensorBoard sees each one at once), and there is
no thread to stop.  Remote file systems (``s3://``, ``gs://``, ...) still go through
tensorboard's ``EventFileWriter``, which knows them (see ``writer.FileWriter``).
"""
from __future__ import annotations

import os
import socket
import threading
import time

from . import summary

try:
    from tensorboard.compat.proto.event_pb2 import Event, SourceMetadata
    from tensorboard.summary.writer.record_writer import RecordWriter
except ModuleNotFoundError as error:
    raise summary.tensorboard_missing(error) from None

__all__ = ["EventFile"]


class EventFile:
    """A new event file in ``logdir`` (created if needed); ``add_event`` writes one ``Event``."""

    def __init__(self, logdir: str, filename_suffix: str = "") -> None:
        self._logdir = logdir
        os.makedirs(logdir, exist_ok=True)
        stem = os.path.join(logdir, "events.out.tfevents.%010d.%s.%s" % (
            time.time(), socket.gethostname(), os.getpid()))
        number = 0
        while True:  # a new file, never another writer's (two writers in one second)
            try:
                self._file = open(f"{stem}.{number}{filename_suffix}", "xb")
                break
            except FileExistsError:
                number += 1
        self._records = RecordWriter(self._file)
        self._lock = threading.Lock()  # one record at a time when threads share a writer
        self.add_event(Event(wall_time=time.time(), file_version="brain.Event:2",
                             source_metadata=SourceMetadata(writer="genesis.utils.tensorboard")))

    @property
    def path(self) -> str:
        """The event file's path."""
        return self._file.name

    def get_logdir(self) -> str:
        """The directory the event file is in."""
        return self._logdir

    def add_event(self, event: Event) -> None:
        """Write ``event`` as one record and hand it to the OS (visible to readers at once)."""
        data = event.SerializeToString()
        with self._lock:
            if self._file.closed:
                raise OSError("Writer is closed")  # tensorboard's words
            self._records.write(data)
            self._file.flush()

    def flush(self) -> None:
        """Nothing is pending: every ``add_event`` has reached the OS already."""

    def close(self) -> None:
        """Close the file; closing again does nothing."""
        with self._lock:
            self._file.close()
