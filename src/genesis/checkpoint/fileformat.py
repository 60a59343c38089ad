"""The bytes of a checkpoint: a safetensors file with the Genesis tree and checksum in its metadata.

Layout (the safetensors format, https://github.com/huggingface/safetensors):

    8 bytes    N, the header length, unsigned little-endian
    N bytes    JSON header, padded with spaces so that the data starts at a multiple of 8:
               {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [b, e]}, ...}
    rest       the data buffer; tensor ``name`` is bytes [b, e) of it, C order, little-endian

A Genesis checkpoint's header starts with ``{"__metadata__":{"genesis.checksum":"<64 hex>",``
and its metadata also holds ``genesis.format`` (``genesis.checkpoint``), ``genesis.version``
(``1``, or ``2`` when the tree holds whole objects, sets or parameters) and ``genesis.tree`` (the
JSON tree of ``genesis.checkpoint.tree``).

Checksum (version 1): SHA-256 over the 8 length bytes, the header with the 64 digest characters
replaced by ``0``, then the CRC-32 (zlib's, little-endian) of each consecutive 8 MiB chunk of
the data buffer (the last one shorter; none for an empty buffer).  It covers every byte that
loading reads.  Why CRC-32 for the bulk: it detects every error burst up to 32 bits and random
damage but for 1 in 2**32 per chunk -- the protection zip gives PyTorch files -- at 2.3 GB/s a
core, where SHA-256 manages 1.6 GB/s; measured on 200 MB with 2 cores, loading took 1.4x
``np.load`` with CRC-32 and 2x with SHA-256.  (Neither would stop a forger: anyone can
recompute a keyless checksum.)  Chunks are checked separately so that several threads work at
once, while the file is being written or read.
Tensors are laid out by decreasing item size so that every one is aligned in the buffer.
"""
from __future__ import annotations

import hashlib
import json
import os
import zlib
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

if TYPE_CHECKING:  # imported when a pool is made: concurrent.futures costs `import genesis` ~20 ms
    from concurrent.futures import Future, ThreadPoolExecutor

FORMAT_NAME = "genesis.checkpoint"
FORMAT_VERSION = 2  # the newest version this Genesis writes and reads
READ_VERSIONS = ("1", "2")
CHUNK_BYTES = 8 << 20
MAX_HEADER_BYTES = 100_000_000  # safetensors' own limit
HEADER_PREFIX = b'{"__metadata__":{"genesis.checksum":"'
DIGEST_OFFSET = 8 + len(HEADER_PREFIX)  # file offset of the 64 hex digits
GENESIS_KEYS = ("genesis.checksum", "genesis.format", "genesis.version", "genesis.tree")

# safetensors dtype codes; BF16 is read only (NumPy has no bfloat16: widened to float32)
DTYPE_CODES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"), "U32": np.dtype("<u4"), "U16": np.dtype("<u2"), "U8": np.dtype("u1"),
    "BOOL": np.dtype("bool"), "BF16": np.dtype("<u2"),
}
_CODE_OF = {dtype: code for code, dtype in DTYPE_CODES.items() if code != "BF16"}


class FormatError(ValueError):
    """The bytes are not a valid checkpoint (the caller adds the file's path)."""


# ---------------------------------------------------------------- checksum


class ChunkHasher:
    """CRC-32 of consecutive ``CHUNK_BYTES`` chunks of a byte stream fed in pieces.

    With ``pool``, chunks are hashed on its threads (zlib releases the GIL) while the
    caller goes on writing or reading; the fed buffers must stay alive and unchanged until
    ``digests()`` returns.
    """

    def __init__(self, pool: ThreadPoolExecutor | None) -> None:
        self._pool = pool
        self._pieces: list[memoryview] = []
        self._filled = 0
        self._results: list[Future | bytes] = []

    def feed(self, data: memoryview) -> None:
        while len(data):
            take = min(len(data), CHUNK_BYTES - self._filled)
            self._pieces.append(data[:take])
            self._filled += take
            data = data[take:]
            if self._filled == CHUNK_BYTES:
                self._flush()

    def _flush(self) -> None:
        pieces, self._pieces, self._filled = self._pieces, [], 0
        if self._pool is None:
            self._results.append(_hash_pieces(pieces))
        else:
            self._results.append(self._pool.submit(_hash_pieces, pieces))

    def digests(self) -> list[bytes]:
        if self._filled:
            self._flush()
        return [r if isinstance(r, bytes) else r.result() for r in self._results]


def _hash_pieces(pieces: list[memoryview]) -> bytes:
    crc = 0
    for piece in pieces:
        crc = zlib.crc32(piece, crc)  # releases the GIL on large buffers
    return crc.to_bytes(4, "little")


def hash_pool(data_bytes: int) -> ThreadPoolExecutor | None:
    """A thread pool for hashing, or None when the data is too small to be worth threads."""
    if data_bytes < 4 * CHUNK_BYTES:
        return None
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)))


def final_digest(zeroed_head: bytes, chunk_digests: list[bytes]) -> str:
    """The checksum: SHA-256 of the length + zeroed header, then the chunks' CRC-32s."""
    digest = hashlib.sha256(zeroed_head)
    for chunk in chunk_digests:
        digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- writing


def build_head(tree: Any, arrays: list[tuple[str, np.ndarray]], version: int = 1) -> tuple[bytes, list[np.ndarray]]:
    """The 8 length bytes + padded header (digest zeroed) and the arrays in buffer order."""
    order = sorted(range(len(arrays)), key=lambda i: -arrays[i][1].dtype.itemsize)
    entries: dict[str, Any] = {}
    offset = 0
    for i in order:
        name, array = arrays[i]
        entries[name] = {"dtype": _CODE_OF[array.dtype.newbyteorder("<")], "shape": list(array.shape),
                         "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    metadata = {
        "genesis.checksum": "0" * 64,
        "genesis.format": FORMAT_NAME,
        "genesis.version": str(version),
        "genesis.tree": json.dumps(tree, separators=(",", ":"), allow_nan=False),
    }
    header = json.dumps({"__metadata__": metadata, **entries}, separators=(",", ":")).encode()
    header += b" " * (-(8 + len(header)) % 8)
    if len(header) > MAX_HEADER_BYTES:
        raise ValueError(f"the checkpoint's tree and tensor index take {len(header)} bytes of JSON, over "
                         f"the safetensors limit of {MAX_HEADER_BYTES}; store large data as arrays")
    return len(header).to_bytes(8, "little") + header, [arrays[i][1] for i in order]


def write_checkpoint(file: BinaryIO, head: bytes, arrays: list[np.ndarray], seekable: bool = True) -> None:
    """Write ``head`` and ``arrays``' bytes to ``file`` from its current position, with the checksum.

    Our own writer rather than ``safetensors.numpy.save_file``: the checksum sits in the
    header, before the data it covers, so that writer would need the whole data hashed before
    the first byte is written; here, on a ``seekable`` file, hashing runs on other threads while
    the data is written straight from the arrays (no second copy in memory), and the digest is
    patched in at the end.  A stream that cannot seek gets the data hashed first.
    """
    views = [array.reshape(-1).view(np.uint8).data for array in arrays]
    start = file.tell() if seekable else 0
    pool = hash_pool(sum(len(view) for view in views))
    try:
        hasher = ChunkHasher(pool)
        for view in views:
            hasher.feed(view)
        if seekable:
            file.write(head)
            for view in views:
                file.write(view)
        digest = final_digest(head, hasher.digests()).encode()
    finally:
        if pool is not None:
            pool.shutdown()
    if seekable:
        end = file.tell()
        file.seek(start + DIGEST_OFFSET)
        file.write(digest)
        file.seek(end)
    else:
        file.write(head[:DIGEST_OFFSET] + digest + head[DIGEST_OFFSET + len(digest):])
        for view in views:
            file.write(view)
    file.flush()


# ---------------------------------------------------------------- reading


class Header:
    """A validated header: the metadata, the tensor entries in header order, the data size."""

    def __init__(self, raw: bytes, metadata: dict[str, str], entries: dict[str, tuple[str, tuple, int, int]],
                 data_bytes: int) -> None:
        self.raw = raw  # the 8 length bytes + header bytes, as in the file
        self.metadata = metadata
        self.entries = entries  # name -> (dtype code, shape, begin, end)
        self.data_bytes = data_bytes

    @property
    def is_genesis(self) -> bool:
        # any one Genesis key (or the prefix) marks it, so one damaged key cannot make a
        # Genesis checkpoint pass as an unchecked plain safetensors file
        return self.raw.startswith(b'{"__metadata__":{"genesis.', 8) or any(k in self.metadata for k in GENESIS_KEYS)


def sniff_foreign(start: bytes) -> str | None:
    """Name the kind of a file that is certainly no safetensors file (pickle, zip, npy), or None."""
    if start[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if len(start) >= 2 and start[0] == 0x80 and 2 <= start[1] <= 5:
        return "pickle"
    if start[:6] == b"\x93NUMPY":
        return "npy"
    return None


def read_header(file: BinaryIO, file_bytes: int) -> Header:
    """Read and validate the length and header of the file ``file`` of ``file_bytes`` bytes."""
    if file_bytes < 8:
        raise FormatError(f"the file is {file_bytes} bytes long, too short for a safetensors header")
    length_bytes = file.read(8)
    length = int.from_bytes(length_bytes, "little")
    if length > file_bytes - 8 or length > MAX_HEADER_BYTES:
        raise FormatError(f"the header length field says {length} bytes but the file has {file_bytes - 8} "
                          "bytes after it (truncated or not a safetensors file)")
    raw = file.read(length)
    if len(raw) != length:
        raise FormatError("the file ended inside the header (it changed while being read)")
    return parse_header(length_bytes + raw, file_bytes)


def parse_header(raw: bytes, file_bytes: int) -> Header:
    """Validate the JSON header ``raw`` (with its 8 length bytes) of a file of ``file_bytes`` bytes."""
    try:
        header = json.loads(raw[8:].decode("utf-8"), object_pairs_hook=_unique_keys,
                            parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"the header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise FormatError("the header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise FormatError("__metadata__ is not an object of strings")
    entries = {name: _entry(name, info) for name, info in header.items()}
    data_bytes = file_bytes - len(raw)
    end = 0
    for name, (_, _, begin, stop) in sorted(entries.items(), key=lambda item: item[1][2:]):
        if begin != end:
            raise FormatError(f"tensor {name!r} starts at byte {begin} of the data, expected {end} "
                              "(tensors must tile the data buffer)")
        end = stop
    if end != data_bytes:
        raise FormatError(f"the tensors cover {end} bytes of data but the file holds {data_bytes} "
                          "(truncated, or extra bytes at the end)")
    return Header(raw, metadata, entries, data_bytes)


def _entry(name: str, info: Any) -> tuple[str, tuple, int, int]:
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise FormatError(f"tensor {name!r}: expected an object with dtype, shape and data_offsets, "
                          f"got {info!r:.200}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if code not in DTYPE_CODES:
        raise FormatError(f"tensor {name!r}: dtype {code!r} is not supported "
                          f"(supported: {', '.join(DTYPE_CODES)})")
    if not isinstance(shape, list) or not all(_is_count(n) for n in shape):
        raise FormatError(f"tensor {name!r}: shape {shape!r} is not a list of non-negative ints")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_count(n) for n in offsets)
            and offsets[0] <= offsets[1]):
        raise FormatError(f"tensor {name!r}: data_offsets {offsets!r} are not [begin, end] with begin <= end")
    expected = DTYPE_CODES[code].itemsize * int(np.prod(shape, dtype=object))
    if offsets[1] - offsets[0] != expected:
        raise FormatError(f"tensor {name!r}: {code} {shape} needs {expected} bytes but data_offsets "
                          f"{offsets} span {offsets[1] - offsets[0]}")
    return code, tuple(shape), offsets[0], offsets[1]


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate keys in a JSON object")
    return result


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def genesis_digest(header: Header) -> tuple[str, bytes]:
    """The stored checksum and the zeroed head it was computed over, for a Genesis header."""
    metadata = header.metadata
    missing = [key for key in GENESIS_KEYS if key not in metadata]
    if missing:
        raise FormatError(f"the Genesis metadata lacks {', '.join(missing)}")
    if metadata["genesis.format"] != FORMAT_NAME:
        raise FormatError(f"genesis.format is {metadata['genesis.format']!r}, expected {FORMAT_NAME!r}")
    version = metadata["genesis.version"]
    if version not in READ_VERSIONS:
        newer = version.isdigit() and int(version) > FORMAT_VERSION
        raise FormatError(f"format version {version!r} is not supported (this Genesis reads versions "
                          f"{' and '.join(READ_VERSIONS)}{'; upgrade Genesis' if newer else ''})")
    stored = metadata["genesis.checksum"]
    start = DIGEST_OFFSET
    if not header.raw.startswith(HEADER_PREFIX, 8) or header.raw[start:start + 64].decode("ascii", "replace") != stored \
            or len(stored) != 64:
        raise FormatError("the checksum field is damaged")
    return stored, header.raw[:start] + b"0" * 64 + header.raw[start + 64:]


def build_arrays(header: Header, data: np.ndarray) -> dict[str, np.ndarray]:
    """Views of the uint8 ``data`` buffer as the header's arrays (copies where misaligned)."""
    arrays = {}
    for name, (code, shape, begin, end) in header.entries.items():
        raw = data[begin:end]
        dtype = DTYPE_CODES[code]
        if begin % dtype.itemsize:  # files from elsewhere need not align their tensors
            raw = raw.copy()
        array = raw.view(dtype).reshape(shape)
        if code == "BF16":  # the top half of a float32's bits: widening is exact
            array = (array.astype(np.uint32) << 16).view(np.float32)
        arrays[name] = array
    return arrays
