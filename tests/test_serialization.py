"""genesis.save / genesis.load as scripts call torch.save / torch.load: paths and file objects,
every map_location form, weights_only and the pickle arguments, and PyTorch's files refused.

Each case runs the same call on PyTorch (on a file torch.save wrote) and on Genesis (on a file
genesis.save wrote) and compares what comes back or what is raised."""
import io
import os
import pickle
import warnings

import numpy as np
import pytest
import torch

import genesis
from genesis.checkpoint import CheckpointError

DATA = np.arange(6, dtype=np.float32).reshape(2, 3)


def checkpoint(lib):
    return {"epoch": 3, "w": lib.tensor(DATA), "nested": [lib.tensor([1, 2]), "text"]}


def saved(lib, tmp_path):
    path = tmp_path / f"{lib.__name__}.pth"
    lib.save(checkpoint(lib), path)
    return path


def picture(value):
    if isinstance(value, (torch.Tensor, genesis.Tensor)):
        return ("tensor", value.detach().numpy().tolist())
    if isinstance(value, dict):
        return {k: picture(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [picture(v) for v in value]
    return value


def both(tmp_path, **kwargs):
    """What torch.load and genesis.load give (or raise) for the same arguments."""
    results = []
    for lib in (torch, genesis):
        path = saved(lib, tmp_path)
        try:
            results.append(("ok", picture(lib.load(path, **kwargs))))
        except Exception as error:  # noqa: BLE001 - compared below
            results.append((type(error), str(error)))
    return results


@pytest.mark.parametrize("map_location", [
    None, "cpu", {"cpu": "cpu"}, {"cuda:0": "cpu"}, {"cuda:1": "cuda:0"},
    lambda storage, location: storage, lambda storage, location: None,
])
def test_map_location_forms_that_keep_tensors_on_the_cpu(tmp_path, map_location):
    theirs, ours = both(tmp_path, map_location=map_location)
    assert theirs[0] == ours[0] == "ok"
    assert ours[1] == theirs[1]


@pytest.mark.parametrize("map_location", [b"cpu", "cpu:0", {"cpu": b"cpu"}])
def test_spellings_of_the_cpu_that_torch_refuses_are_the_cpu(tmp_path, map_location):
    # PyTorch's string check wants exactly "cpu" (bytes: TypeError; "cpu:0": unknown location)
    theirs, ours = both(tmp_path, map_location=map_location)
    assert theirs[0] != "ok" and ours[0] == "ok"
    assert ours[1] == picture(checkpoint(torch))


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_map_location_device_objects(tmp_path, device):
    # a torch.device stands for genesis.device: Genesis reads any device object by its type and str
    theirs, ours = both(tmp_path, map_location=torch.device(device))
    assert ours[0] == theirs[0]
    if device == "cpu":
        assert ours[1] == theirs[1]
    else:
        assert ours[1].startswith("Attempting to deserialize object on a CUDA device but ")


@pytest.mark.parametrize("map_location", ["cuda", "cuda:0", {"cpu": "cuda:1"}])
def test_cuda_locations_fail_as_on_a_cpu_only_torch(tmp_path, map_location):
    theirs, ours = both(tmp_path, map_location=map_location)
    assert theirs[0] is ours[0] is RuntimeError
    prefix = "Attempting to deserialize object on a CUDA device but "
    assert theirs[1].startswith(prefix) and ours[1].startswith(prefix)
    assert "map_location='cpu'" in ours[1]


def test_unknown_locations_and_non_callables(tmp_path):
    theirs, ours = both(tmp_path, map_location="xyz")
    assert theirs[0] is ours[0] is RuntimeError
    assert theirs[1].startswith("don't know how to restore data location of ")
    assert ours[1].startswith("don't know how to restore data location of ") and "xyz" in ours[1]
    theirs, ours = both(tmp_path, map_location=3)
    assert theirs[0] is ours[0] is TypeError
    assert "map_location" in ours[1] and "3" in ours[1]


def test_a_cuda_location_without_tensors_loads_as_in_torch(tmp_path):
    for lib in (torch, genesis):
        lib.save({"epoch": 3}, tmp_path / "plain.pth")
        assert lib.load(tmp_path / "plain.pth", map_location="cuda") == {"epoch": 3}


def test_callable_map_location_sees_each_tensor_once_with_the_cpu_tag(tmp_path):
    seen = []

    def doubled(tensor, location):
        seen.append(location)
        return tensor * 2

    shared = genesis.tensor([1.0, 2.0])
    genesis.save({"a": shared, "b": shared, "c": genesis.tensor([5])}, tmp_path / "c.pth")
    loaded = genesis.load(tmp_path / "c.pth", map_location=doubled)
    assert seen == ["cpu", "cpu"] and loaded["a"] is loaded["b"]
    assert loaded["a"].tolist() == [2.0, 4.0] and loaded["c"].tolist() == [10]
    with pytest.raises(TypeError, match="map_location returned list"):
        genesis.load(tmp_path / "c.pth", map_location=lambda t, loc: [1])


@pytest.mark.parametrize("weights_only", [None, True, False])
def test_weights_only_is_always_satisfied(tmp_path, weights_only):
    theirs, ours = both(tmp_path, weights_only=weights_only)
    assert theirs == ours


def test_pickle_arguments_are_checked_as_in_torch(tmp_path):
    theirs, ours = both(tmp_path, weights_only=True, pickle_module=pickle)
    assert theirs[0] is ours[0] is RuntimeError and ours[1] == theirs[1]
    theirs, ours = both(tmp_path, pickle_module=pickle)  # weights_only then defaults to False
    assert theirs == ours and ours[0] == "ok"
    for lib in (torch, genesis):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.load(saved(lib, tmp_path), encoding="latin1")
        assert [str(w.message) for w in caught] == ["pickle_load_args only works if `weights_only=False`."]
    assert both(tmp_path, weights_only=False, encoding="latin1")[1][0] == "ok"


def test_file_objects_round_trip_like_torch(tmp_path):
    results = []
    for lib in (torch, genesis):
        buffer = io.BytesIO(b"prefix")
        buffer.seek(6)
        lib.save(checkpoint(lib), buffer)
        end = buffer.tell()
        buffer.seek(6)
        results.append((picture(lib.load(buffer)), end == len(buffer.getvalue())))
        with open(tmp_path / f"{lib.__name__}.bin", "wb") as file:
            lib.save(checkpoint(lib), file)
        with open(tmp_path / f"{lib.__name__}.bin", "rb") as file:
            results.append(picture(lib.load(file)))
    assert results[:2] == results[2:]


class WriteOnly:
    """A stream that cannot seek (a pipe, a socket)."""

    def __init__(self):
        self.chunks = []

    def write(self, data):
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self):
        pass


def test_a_stream_that_cannot_seek_is_written_and_reading_needs_seek():
    stream = WriteOnly()
    genesis.save(checkpoint(genesis), stream)
    assert picture(genesis.load(io.BytesIO(b"".join(stream.chunks)))) == picture(checkpoint(genesis))

    class ReadOnly:
        def read(self, n=-1):
            return b""

        def seekable(self):
            return False

    with pytest.raises(io.UnsupportedOperation, match="seekable"):
        genesis.load(ReadOnly())


def test_bad_targets_and_mmap_of_a_buffer_fail_as_in_torch(tmp_path):
    for lib in (torch, genesis):
        with pytest.raises(AttributeError, match="expected 'f' to be string, path, or a file-like object "
                                                 "with a 'write' attribute"):
            lib.save({"a": 1}, 3)
    genesis.save({"w": genesis.ones(2)}, tmp_path / "m.pth")
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap argument"):
        genesis.load(io.BytesIO((tmp_path / "m.pth").read_bytes()), mmap=True)
    assert genesis.load(tmp_path / "m.pth", mmap=True)["w"].tolist() == [1.0, 1.0]


def test_a_torch_save_file_is_refused_with_the_convert_command(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(CheckpointError, match=r"PyTorch zip \(torch.save\) file; Genesis never unpickles.*"
                                              r"genesis checkpoint convert .*model.pt model.safetensors"):
        genesis.load(path)
    buffer = io.BytesIO(path.read_bytes())
    with pytest.raises(CheckpointError, match="genesis checkpoint convert FILE checkpoint.safetensors"):
        genesis.load(buffer)
    legacy = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match="it is a pickle file"):
        genesis.load(legacy, weights_only=False)


def test_save_to_a_path_stays_atomic(tmp_path):
    path = tmp_path / "ckpt.pth"
    genesis.save({"v": 1}, path)
    with pytest.raises(TypeError, match="cannot store"):
        genesis.save({"v": 2, "f": print}, path)
    assert genesis.load(path) == {"v": 1}
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pth"]


def test_the_serialization_module_has_torch_s_names():
    import torch.serialization as theirs

    for name in genesis.serialization.__all__:
        assert hasattr(theirs, name), name
    assert genesis.serialization.DEFAULT_PROTOCOL == theirs.DEFAULT_PROTOCOL
