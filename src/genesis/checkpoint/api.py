"""save_checkpoint / load_checkpoint: atomic, durable, verified, never pickle."""
from __future__ import annotations

import errno
import mmap as mmap_module
import os
import re
import stat
from typing import Any

import numpy as np

from . import fileformat, tree
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


# ---------------------------------------------------------------- saving


def save_checkpoint(obj: Any, path: str | os.PathLike) -> None:
    """Save ``obj`` (a tree of dicts, lists, tuples, tensors, arrays, numbers, strings, None) to ``path``.

    The file is a ``.safetensors`` file: arrays and tensors are its tensors, the tree and a
    SHA-256 checksum are JSON in its metadata (see ``genesis.checkpoint.fileformat``); the
    extension of ``path`` does not matter.  The save is atomic and durable: the data goes to a
    temporary file beside ``path``, is flushed and fsynced, renamed over ``path``, and the
    directory is fsynced, so a crash at any moment leaves the old file or the new one.
    Temporary files left by killed saves of the same ``path`` are removed by the next save.

    Raises TypeError naming the key path and type of anything that cannot be stored
    (``scheduler_state_dict.lr_lambdas[0]``), before touching the disk.

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.pth")
    >>> save_checkpoint({"epoch": 3, "w": np.arange(3.0)}, path)
    >>> load_checkpoint(path)
    {'epoch': 3, 'w': array([0., 1., 2.])}
    """
    target = os.path.realpath(_fspath(path, "path"))  # a symlink's target is replaced, not the link
    encoded, arrays = tree.encode(obj)
    head, ordered = fileformat.build_head(encoded, arrays)
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


def load_checkpoint(path: str | os.PathLike, *, mmap: bool = False) -> Any:
    """Load the tree saved by ``save_checkpoint``, or a plain ``.safetensors`` file, from ``path``.

    A Genesis checkpoint comes back as saved: Genesis tensors (dtype, shape, requires_grad),
    NumPy arrays, tuples, int dict keys, big ints, NaN.  A ``.safetensors`` file written
    elsewhere (e.g. ``safetensors.torch.save_file(model.state_dict(), ...)``) comes back as a
    dict of Genesis tensors (NumPy arrays for dtypes Genesis lacks, such as uint8; bfloat16 is
    widened to float32), so ``model.load_state_dict(load_checkpoint(path))`` works.  The
    format is recognised by content, never by extension.

    Everything is checked before anything is built: the header's structure, that the tensors
    tile the data exactly, and the checksum over all bytes read.  Pickle files (``torch.save``)
    are refused without being run.  With ``mmap=True`` arrays are copy-on-write views of the
    memory-mapped file (as PyTorch's ``mmap=True``): loading needs about no memory beyond the
    page cache, in-place updates work, and they change memory, never the file.

    Raises FileNotFoundError when ``path`` does not exist and CheckpointError (a ValueError)
    naming ``path`` and the problem when the file is not a valid checkpoint.

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.pth")
    >>> save_checkpoint({"state": {0: (1, 2.5)}, "nan": float("nan")}, path)
    >>> load_checkpoint(path)
    {'state': {0: (1, 2.5)}, 'nan': nan}
    """
    filename = _fspath(path, "path")
    if not isinstance(mmap, bool):
        raise TypeError(f"mmap must be a bool, got {mmap!r}")
    try:
        file = open(filename, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(2, "checkpoint file not found", filename) from None
    with file:
        size = os.fstat(file.fileno()).st_size
        try:
            header = fileformat.read_header(file, size)
            expected = fileformat.genesis_digest(header) if header.is_genesis else None
            data = _read_data(file, filename, header, mmap, expected)
        except FormatError as exc:
            raise CheckpointError(filename, _explain(file, filename, size, str(exc))) from None
    arrays = fileformat.build_arrays(header, data)
    if not header.is_genesis:
        return {name: tree.tensor_or_array(array) for name, array in arrays.items()}
    try:
        return tree.decode(_parse_tree(header.metadata["genesis.tree"]), arrays)
    except tree.TreeDecodeError as exc:
        raise CheckpointError(filename, f"the checkpoint tree is malformed: {exc}") from None


def _read_data(file: Any, filename: str, header: fileformat.Header, mmap: bool,
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
        stem = os.path.splitext(os.path.basename(filename))[0]
        return (f"it is a {'PyTorch zip (torch.save)' if kind == 'zip' else 'pickle'} file; Genesis never "
                "unpickles, because unpickling can run arbitrary code. Convert it once with: "
                f"genesis checkpoint convert {filename} {stem}.safetensors")
    if kind == "npy":
        return "it is a NumPy .npy file; load it with numpy.load"
    return problem


def _fspath(path: Any, argument: str) -> str:
    try:
        result = os.fspath(path)
    except TypeError:
        raise TypeError(f"{argument} must be a str or os.PathLike, got {type(path).__name__}") from None
    if isinstance(result, bytes):
        result = os.fsdecode(result)
    return result


save = save_checkpoint
load = load_checkpoint
