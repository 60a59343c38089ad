"""Damaged, foreign and malicious files are refused with CheckpointError; nothing is executed."""
import hashlib
import json
import pickle
import zlib

import numpy as np
import pytest
import torch

from genesis import CheckpointError, load_checkpoint, save_checkpoint


class CreatesMarker:
    """Unpickling this creates the file ``marker`` (as any pickled payload could run any code)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def small_checkpoint(path):
    rng = np.random.default_rng(0)
    tree = {"model": {"w": rng.standard_normal((4, 5)).astype(np.float32), "b": np.arange(3, dtype=np.int64),
                      "h": np.ones(3, np.float16), "m": np.array([True, False, True])},
            "optimizer": {"state": {0: {"step": 3}}, "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999)}]},
            "epoch": 2, "loss": np.float32(0.25), "big": 2**70}
    save_checkpoint(tree, path)
    return path.read_bytes()


def assert_refused(path, *fragments, mmap=False):
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, mmap=mmap)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message
    return message


def documented_checksum(raw):
    """The version-1 checksum as fileformat's docstring defines it, written independently."""
    length = int.from_bytes(raw[:8], "little")
    head = bytearray(raw[:8 + length])
    start = head.index(b'"genesis.checksum":"') + len(b'"genesis.checksum":"')
    head[start:start + 64] = b"0" * 64
    digest = hashlib.sha256(bytes(head))
    data = raw[8 + length:]
    for begin in range(0, len(data), 8 << 20):
        digest.update(zlib.crc32(data[begin:begin + (8 << 20)]).to_bytes(4, "little"))
    return digest.hexdigest(), start


def test_checksum_matches_its_documented_definition(tmp_path):
    raw = small_checkpoint(tmp_path / "c.pth")
    expected, start = documented_checksum(raw)
    assert raw[start:start + 64].decode() == expected


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_payload_is_refused_and_never_run(tmp_path, protocol):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.pth"
    payload = pickle.dumps({"model": CreatesMarker(marker)}, protocol=protocol)
    path.write_bytes(payload)
    message = assert_refused(path)
    if protocol >= 2:
        assert "pickle" in message and f"genesis checkpoint convert {path} evil.safetensors" in message
    assert not marker.exists()
    pickle.loads(payload)  # proves the payload is live: unpickling does create the marker
    assert marker.exists()


def test_pytorch_zip_checkpoint_with_payload_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "model.pt"
    torch.save({"state_dict": {"w": torch.ones(2)}, "evil": CreatesMarker(marker)}, path)
    assert path.read_bytes()[:4] == b"PK\x03\x04"
    for mmap in (False, True):
        assert_refused(path, "PyTorch zip", "never unpickles", "genesis checkpoint convert", mmap=mmap)
    assert not marker.exists()
    torch.load(path, weights_only=False)  # the payload is live
    assert marker.exists()


def test_npy_empty_and_junk_files(tmp_path):
    path = tmp_path / "x.pth"
    np.save(tmp_path / "x.npy", np.ones(3))
    path.write_bytes((tmp_path / "x.npy").read_bytes())
    assert_refused(path, "numpy.load")
    path.write_bytes(b"")
    assert_refused(path, "empty")
    rng = np.random.default_rng(1)
    for size in [1, 7, 8, 9, 100, 4096]:
        path.write_bytes(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
        assert_refused(path)
    for text in [b"hello world, not a checkpoint", b'{"a": 1}', b"\x02\x00\x00\x00\x00\x00\x00\x00[]",
                 b"\x04\x00\x00\x00\x00\x00\x00\x00null"]:
        path.write_bytes(text)
        assert_refused(path)
    path.write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")  # a valid safetensors file with no tensors
    assert load_checkpoint(path) == {}


def test_truncation_at_every_offset_is_detected(tmp_path):
    path = tmp_path / "c.pth"
    raw = small_checkpoint(path)
    for size in range(len(raw)):
        path.write_bytes(raw[:size])
        assert_refused(path, mmap=size % 2 == 1)
    path.write_bytes(raw + b"\x00")
    assert_refused(path, "extra bytes")


def test_single_byte_damage_at_every_offset_is_detected(tmp_path):
    path = tmp_path / "c.pth"
    raw = small_checkpoint(path)
    rng = np.random.default_rng(2)
    masks = rng.integers(1, 256, len(raw))
    for offset in range(len(raw)):
        for mask in (0xFF, int(masks[offset]), 0x01):
            damaged = bytearray(raw)
            damaged[offset] ^= mask
            path.write_bytes(bytes(damaged))
            assert_refused(path, mmap=offset % 2 == 1)
    path.write_bytes(raw)
    load_checkpoint(path)


def test_damage_in_a_large_checkpoint_is_detected(tmp_path):
    # above 32 MiB the checksum is computed by a thread pool: damage in any chunk must show
    path = tmp_path / "big.pth"
    save_checkpoint({"w": np.arange(6_000_000, dtype=np.float64)}, path)
    raw = bytearray(path.read_bytes())
    for offset in [len(raw) - 1, len(raw) // 2, len(raw) // 3 + 12345, 9 << 20]:
        raw[offset] ^= 0x10
        path.write_bytes(raw)
        assert_refused(path, "checksum mismatch", mmap=offset % 2 == 1)
        raw[offset] ^= 0x10
    path.write_bytes(raw[:-4096])
    assert_refused(path, "truncated")


def write_safetensors(path, header, data=b"", raw_header=None):
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + data)


@pytest.mark.parametrize("header, data, fragment", [
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4, "cover 8 bytes"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4, "needs 8 bytes"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8, "expected 0"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
      "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4, "expected 4"),
    ({"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8, "'C64' is not supported"),
    ({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4, "non-negative"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, b"\0" * 4, "begin <= end"),
    ({"a": {"dtype": "F32", "shape": [1]}}, b"", "data_offsets"),
    ({"__metadata__": {"k": 1}}, b"", "__metadata__"),
    ({"__metadata__": {"genesis.version": "1"}}, b"", "lacks genesis.checksum"),
    ([1, 2], b"", "not a JSON object"),
])
def test_structural_errors_in_plain_safetensors_are_named(tmp_path, header, data, fragment):
    path = tmp_path / "bad.safetensors"
    write_safetensors(path, header, data)
    assert_refused(path, fragment)


def test_duplicate_keys_and_nan_constants_are_refused(tmp_path):
    path = tmp_path / "bad.safetensors"
    entry = '{"dtype":"U8","shape":[1],"data_offsets":[0,1]}'
    write_safetensors(path, None, b"\0", raw_header=f'{{"a":{entry},"a":{entry}}}'.encode())
    assert_refused(path, "duplicate")
    write_safetensors(path, None, b"", raw_header=b'{"__metadata__":{"x":NaN}}')
    assert_refused(path, "not valid JSON")


def resign(raw, metadata_changes):
    """A Genesis file with changed metadata and a valid checksum (to test what the checksum cannot)."""
    length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + length])
    header["__metadata__"].update(metadata_changes)
    header["__metadata__"] = {"genesis.checksum": "0" * 64, **{
        k: v for k, v in header["__metadata__"].items() if k != "genesis.checksum"}}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    unsigned = len(text).to_bytes(8, "little") + text + raw[8 + length:]
    digest, start = documented_checksum(unsigned)
    return unsigned[:start] + digest.encode() + unsigned[start + 64:]


@pytest.mark.parametrize("changes, fragment", [
    ({"genesis.tree": '{"w": {"@array": "nope"}}'}, "missing tensor 'nope'"),
    ({"genesis.tree": '{"w": {"@bogus": 1}}'}, "malformed tagged node"),
    ({"genesis.tree": '{"w": {"@tuple": 1}}'}, "malformed @tuple"),
    ({"genesis.tree": '{"w": {"@int": "12a"}}'}, "malformed @int"),
    ({"genesis.tree": '{"w": {"@scalar": "model.w"}}'}, "expected ()"),
    ({"genesis.tree": '{"w": {"@dict": [[[1], 2]]}}'}, "unhashable"),
    ({"genesis.tree": "{"}, "not JSON"),
    ({"genesis.version": "3"}, "upgrade Genesis"),
    ({"genesis.format": "other"}, "genesis.format"),
])
def test_a_validly_signed_but_malformed_tree_is_refused(tmp_path, changes, fragment):
    path = tmp_path / "c.pth"
    path.write_bytes(resign(small_checkpoint(path), changes))
    assert_refused(path, fragment)


def test_resigned_file_without_changes_still_loads(tmp_path):
    # guards the test above: its failures come from the changes, not from resign()
    path = tmp_path / "c.pth"
    expected = load_checkpoint(path) if small_checkpoint(path) else None
    path.write_bytes(resign(path.read_bytes(), {}))
    assert load_checkpoint(path)["big"] == expected["big"] == 2**70
