"""save_checkpoint / load_checkpoint: atomic, durable, verified, never pickle."""
from __future__ import annotations

import errno
import io
import mmap as mmap_module
import os
import pickle  # for its exception class only: code written for torch.load catches UnpicklingError
import re
import stat
from typing import IO, Any, Callable

import numpy as np

from . import fileformat, objects, tree
from .fileformat import FormatError


_HUGE_PAGE_MIN_BYTES = 8 << 20  # below this, page faults cost little either way


class CheckpointError(ValueError):
    """A file is not a loadable checkpoint: damaged, truncated, a pickle, or an unknown format.

    ``path`` is the file and ``problem`` says what is wrong; the message holds both.

    >>> str(CheckpointError("run/ckpt.pth", "checksum mismatch"))
    "cannot load checkpoint 'run/ckpt.pth': checksum mismatch"
    """

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        self.path = os.fspath(path)
        self.problem = problem
        super().__init__(f"cannot load checkpoint {self.path!r}: {problem}")


class UnsupportedGlobalError(CheckpointError, pickle.UnpicklingError):
    """A checkpoint holds an object whose class may not be rebuilt (see ``genesis.serialization``).

    Also an ``UnpicklingError``, as PyTorch's ``weights_only`` refusal is.
    """


# ---------------------------------------------------------------- saving


def save_checkpoint(obj: Any, path: str | os.PathLike | IO[bytes]) -> None:
    """Save ``obj`` (a tree of dicts, lists, tuples, tensors, arrays, numbers, strings, None) to ``path``.

    The file is a ``.safetensors`` file: arrays and tensors are its tensors, the tree and a
    SHA-256 checksum are JSON in its metadata (see ``genesis.checkpoint.fileformat``); the
    extension of ``path`` does not matter.  The save is atomic and durable: the data goes to a
    temporary file beside ``path``, is flushed and fsynced, renamed over ``path``, and the
    directory is fsynced, so a crash at any moment leaves the old file or the new one.
    Temporary files left by killed saves of the same ``path`` are removed by the next save.
    ``path`` may also be a binary file object (``io.BytesIO``, an open file): the checkpoint is
    written at its current position and flushed; that file is the caller's, so the atomic
    rename does not apply.

    Whole ``nn`` modules, dataclass instances and instances of classes allowed with
    ``genesis.serialization.add_safe_globals`` are stored as their class's path and attributes
    (``genesis.checkpoint.objects``).  Raises TypeError naming the key path and type of
    anything else that cannot be stored (``scheduler_state_dict.lr_lambdas[0]``), before
    touching the disk.

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.pth")
    >>> save_checkpoint({"epoch": 3, "w": np.arange(3.0)}, path)
    >>> load_checkpoint(path)
    {'epoch': 3, 'w': array([0., 1., 2.])}
    """
    if not _is_path(path) and callable(getattr(path, "write", None)):
        encoded, arrays, version = tree.encode(obj)
        head, ordered = fileformat.build_head(encoded, arrays, version)
        fileformat.write_checkpoint(path, head, ordered, seekable=_seekable(path))
        return
    target = os.path.realpath(_fspath(path, "path"))  # a symlink's target is replaced, not the link
    encoded, arrays, version = tree.encode(obj)
    head, ordered = fileformat.build_head(encoded, arrays, version)
    directory, name = os.path.split(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(2, f"cannot save checkpoint: directory {directory!r} does not exist", target)
    if os.path.isdir(target):
        raise IsADirectoryError(21, "cannot save checkpoint: the path is a directory", target)
    temp = os.path.join(directory, f".{name}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(temp, flags, 0o666)
    try:
        with open(fd, "wb") as file:
            fileformat.write_checkpoint(file, head, ordered)
            _fsync_file(file.fileno())
        _keep_mode(target, temp)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)
    _remove_stale_temps(directory, name)


def _fsync_file(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError as exc:
        # filesystems that cannot sync (some FUSE and network mounts) say so; real I/O errors
        # (EIO, ENOSPC) still fail the save
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise


def _keep_mode(target: str, temp: str) -> None:
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    os.chmod(temp, mode)


def _fsync_directory(directory: str) -> None:
    # makes the rename itself durable; some platforms cannot open or fsync a directory
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_stale_temps(directory: str, name: str) -> None:
    """Remove temporary files of ``name`` whose saving process no longer exists."""
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return
    pattern = re.compile(rf"\.{re.escape(name)}\.tmp-(\d+)-[0-9a-f]{{8}}")
    for entry in os.listdir(directory):
        match = pattern.fullmatch(entry)
        if match and not _process_alive(int(match.group(1))):
            try:
                os.unlink(os.path.join(directory, entry))
            except OSError:
                pass


def _process_alive(pid: int) -> bool:
    # a live process may be mid-save to the same path: its temporary file must stay
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


# ---------------------------------------------------------------- loading


def load_checkpoint(path: str | os.PathLike | IO[bytes], *, mmap: bool = False) -> Any:
    """Load the tree saved by ``save_checkpoint``, or a plain ``.safetensors`` file, from ``path``.

    A Genesis checkpoint comes back as saved: Genesis tensors (dtype, shape, requires_grad),
    NumPy arrays, tuples, int dict keys, big ints, NaN, and whole objects (``nn`` modules)
    of allowed classes.  A ``.safetensors`` file written
    elsewhere (e.g. ``safetensors.torch.save_file(model.state_dict(), ...)``) comes back as a
    dict of Genesis tensors (NumPy arrays for dtypes Genesis lacks, such as uint16; bfloat16 is
    widened to float32), so ``model.load_state_dict(load_checkpoint(path))`` works.  The
    format is recognised by content, never by extension.  ``path`` may also be a binary file
    object that can seek; the checkpoint is read from its current position to its end.

    Everything is checked before anything is built: the header's structure, that the tensors
    tile the data exactly, and the checksum over all bytes read.  Pickle files (``torch.save``)
    are refused without being run.  With ``mmap=True`` (a path only) arrays are copy-on-write
    views of the memory-mapped file (as PyTorch's ``mmap=True``): loading needs about no memory
    beyond the page cache, in-place updates work, and they change memory, never the file.

    Raises FileNotFoundError when ``path`` does not exist, CheckpointError (a ValueError)
    naming ``path`` and the problem when the file is not a valid checkpoint, and
    UnsupportedGlobalError (a CheckpointError and ``pickle.UnpicklingError``) for an object of a
    class that is not allowed.

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.pth")
    >>> save_checkpoint({"state": {0: (1, 2.5)}, "nan": float("nan")}, path)
    >>> load_checkpoint(path)
    {'state': {0: (1, 2.5)}, 'nan': nan}
    """
    if not isinstance(mmap, bool):
        raise TypeError(f"mmap must be a bool, got {mmap!r}")
    return load_from(path, mmap=mmap)


def load_from(source: Any, *, mmap: bool = False, restore: Callable[[Any], Any] | None = None,
              rebuild: bool = True) -> Any:
    """``load_checkpoint`` with ``restore`` applied to every tensor built (``genesis.load``'s
    map_location); with ``rebuild=False`` objects stay ``objects.StoredObject`` s."""
    if not _is_path(source) and callable(getattr(source, "read", None)):
        if mmap:
            raise ValueError("f must be a file path in order to use the mmap argument")
        if not _seekable(source):
            raise io.UnsupportedOperation(
                "seek. You can only load a checkpoint from a file that is seekable. Please pre-load "
                "the data into a buffer like io.BytesIO and try to load from it instead.")
        filename = str(getattr(source, "name", None) or f"<{type(source).__name__}>")
        start = source.tell()
        size = source.seek(0, io.SEEK_END) - start
        source.seek(start)
        return _load_open(_Window(source, start), filename, size, False, restore, rebuild)
    filename = _fspath(source, "path")
    try:
        file = open(filename, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(2, "checkpoint file not found", filename) from None
    with file:
        return _load_open(file, filename, os.fstat(file.fileno()).st_size, mmap, restore, rebuild)


def _load_open(file: Any, filename: str, size: int, mmap: bool, restore: Callable[[Any], Any] | None,
               rebuild: bool) -> Any:
    try:
        header = fileformat.read_header(file, size)
        expected = fileformat.genesis_digest(header) if header.is_genesis else None
        data = _read_data(file, header, mmap, expected)
    except FormatError as exc:
        raise CheckpointError(filename, _explain(file, filename, size, str(exc))) from None
    arrays = fileformat.build_arrays(header, data)
    if not header.is_genesis:
        loaded = {name: tree.tensor_or_array(array) for name, array in arrays.items()}
        if restore is not None:
            loaded = {name: restore(value) if not isinstance(value, np.ndarray) else value
                      for name, value in loaded.items()}
        return loaded
    try:
        return tree.decode(_parse_tree(header.metadata["genesis.tree"]), arrays, restore, rebuild)
    except tree.TreeDecodeError as exc:
        raise CheckpointError(filename, f"the checkpoint tree is malformed: {exc}") from None
    except objects.Refused as exc:
        raise UnsupportedGlobalError(filename, str(exc)) from None


class _Window:
    """A file object seen from ``start`` on: offsets 0.. are the checkpoint's own, as in a file."""

    def __init__(self, file: Any, start: int) -> None:
        self._file, self._start = file, start

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def readinto(self, buffer: Any) -> int:
        if hasattr(self._file, "readinto"):
            return self._file.readinto(buffer)
        data = self._file.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            return self._file.seek(self._start + offset) - self._start
        return self._file.seek(offset, whence) - self._start


def _read_data(file: Any, header: fileformat.Header, mmap: bool,
               expected: tuple[str, bytes] | None) -> np.ndarray:
    """The data buffer as a uint8 array; ``expected`` (checksum, zeroed head) is verified."""
    start, size = len(header.raw), header.data_bytes
    stored, zeroed_head = expected if expected is not None else (None, b"")
    pool = fileformat.hash_pool(size) if stored is not None else None
    hasher = fileformat.ChunkHasher(pool)
    try:
        if mmap:
            # the map of the open file, not of its name (a save may have replaced the name
            # since), copy-on-write ("c") so in-place updates of loaded tensors work; plain
            # ndarray views, as memmap instances would leak into every result
            data = np.asarray(np.memmap(file, np.uint8, "c", offset=start, shape=(size,))) if size \
                else np.empty(0, np.uint8)
            if stored is not None:
                hasher.feed(memoryview(data))
        else:
            data = _empty_bytes(size)
            view = memoryview(data)
            for begin in range(0, size, fileformat.CHUNK_BYTES):
                chunk = view[begin:begin + fileformat.CHUNK_BYTES]
                if file.readinto(chunk) != len(chunk):
                    raise FormatError("the file ended early (it changed while being read)")
                if stored is not None:
                    hasher.feed(chunk)
        if stored is not None and fileformat.final_digest(zeroed_head, hasher.digests()) != stored:
            raise FormatError("checksum mismatch: the file is damaged or was modified after saving")
    finally:
        if pool is not None:
            pool.shutdown()
    return data


def _empty_bytes(size: int) -> np.ndarray:
    """A writable uint8 buffer for ``size`` bytes of checkpoint data.

    Large buffers ask for transparent huge pages where the OS offers them (Linux): the kernel
    then maps fresh memory 2 MiB at a time instead of 4 KiB (``python -m bench --only checkpoint``
    times the load).  The arrays built on the buffer keep the mapping alive, as they would
    keep an ``np.empty`` buffer alive.
    """
    if size >= _HUGE_PAGE_MIN_BYTES and hasattr(mmap_module, "MADV_HUGEPAGE"):
        try:
            region = mmap_module.mmap(-1, size, flags=mmap_module.MAP_PRIVATE | mmap_module.MAP_ANONYMOUS)
            region.madvise(mmap_module.MADV_HUGEPAGE)
            return np.frombuffer(region, np.uint8)
        except (OSError, ValueError):  # no such mapping here: the ordinary allocation
            pass
    return np.empty(size, np.uint8)


def _parse_tree(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError as exc:
        raise tree.TreeDecodeError(f"not JSON ({exc})") from None


def _explain(file: Any, filename: str, size: int, problem: str) -> str:
    """``problem``, or the real story for empty files, pickles, zips and .npy files."""
    if size == 0:
        return "the file is empty"
    file.seek(0)
    kind = fileformat.sniff_foreign(file.read(16))
    if kind in ("pickle", "zip"):
        named = not filename.startswith("<")
        stem = os.path.splitext(os.path.basename(filename))[0] if named else "checkpoint"
        return (f"it is a {'PyTorch zip (torch.save)' if kind == 'zip' else 'pickle'} file; Genesis never "
                "unpickles, because unpickling can run arbitrary code. Convert it once with: "
                f"genesis checkpoint convert {filename if named else 'FILE'} {stem}.safetensors"
                + ("" if named else " (after writing these bytes to FILE)"))
    if kind == "npy":
        return "it is a NumPy .npy file; load it with numpy.load"
    return problem


def _is_path(value: Any) -> bool:
    return isinstance(value, (str, bytes, os.PathLike))


def _seekable(file: Any) -> bool:
    try:
        return bool(file.seekable()) if hasattr(file, "seekable") else False
    except (OSError, ValueError):
        return False


def _fspath(path: Any, argument: str) -> str:
    try:
        result = os.fspath(path)
    except TypeError:
        raise TypeError(f"{argument} must be a str, an os.PathLike or a binary file object, got "
                        f"{type(path).__name__}") from None
    if isinstance(result, bytes):
        result = os.fsdecode(result)
    return result

