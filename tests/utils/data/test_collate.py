"""default_collate and default_convert against PyTorch's, sample type by sample type, and the
DataLoader paths that use them (batch_size=None converts; strings stay lists)."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import genesis
from genesis.utils.data import DataLoader, Dataset, default_collate, default_convert
from genesis.utils.data._utils.collate import default_collate_fn_map

Point = collections.namedtuple("Point", "x y")


def tree(value):
    """A framework-neutral picture of a collated value: tensors as (dtype, values), containers
    with their type name, everything else as is."""
    if isinstance(value, torch.Tensor):
        return ("tensor", str(value.dtype).removeprefix("torch."), value.numpy().tolist())
    if isinstance(value, genesis.Tensor):
        return ("tensor", repr(value.dtype).removeprefix("genesis."), value.numpy().tolist())
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.tolist())
    if isinstance(value, dict):
        return (type(value).__name__, [(k, tree(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [tree(v) for v in value])
    return (type(value).__name__, value)


def torch_side(value):
    """The same sample with Genesis tensors replaced by torch tensors."""
    if isinstance(value, genesis.Tensor):
        return torch.tensor(value.numpy())
    if isinstance(value, collections.OrderedDict):
        return collections.OrderedDict((k, torch_side(v)) for k, v in value.items())
    if isinstance(value, collections.defaultdict):
        out = collections.defaultdict(value.default_factory)
        out.update((k, torch_side(v)) for k, v in value.items())
        return out
    if isinstance(value, dict):
        return {k: torch_side(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(torch_side(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(torch_side(v) for v in value)
    return value


SAMPLES = [
    [(1, 0.5), (2, 1.5), (3, -2.0)],
    [{"x": np.array([1, 2], dtype=np.float32), "label": 3, "name": "a", "flag": True},
     {"x": np.array([3, 4], dtype=np.float32), "label": 4, "name": "b", "flag": False}],
    [[np.float64(1.0), np.int32(2)], [np.float64(3.0), np.int32(4)]],
    [Point(np.zeros((2, 2)), 1), Point(np.ones((2, 2)), 2)],
    [np.array([1, 2, 3], dtype=np.int32), np.array([4, 5, 6], dtype=np.int32)],
    # strings inside samples: Python strings, NumPy strings, bytes
    [("a sentence", 0), ("another", 1)],
    [(np.str_("x"), np.float32(1.0)), (np.str_("y"), np.float32(2.0))],
    [{"text": b"raw", "id": 7}, {"text": b"bytes", "id": 8}],
    [["tok", 1, 2.0], ["en", 3, 4.0]],
    # mappings keep their type
    [collections.OrderedDict(b=1, a=2.0), collections.OrderedDict(b=3, a=4.0)],
    [collections.defaultdict(list, {"k": 1}), collections.defaultdict(list, {"k": 2})],
    # bools, and ints mixed with bools
    [True, False, True],
    [1, True, 3],
    [np.bool_(True), np.bool_(False)],
    [genesis.tensor([1.0, 2.0]), genesis.tensor([3.0, 4.0])],
    [(genesis.tensor([1, 2]), {"m": genesis.tensor(0.5)}), (genesis.tensor([3, 4]), {"m": genesis.tensor(1.5)})],
    [np.float16(1.5), np.float16(2.5)],
]


@pytest.mark.parametrize("samples", SAMPLES)
def test_default_collate_matches_torch(samples):
    assert tree(default_collate(samples)) == tree(tdata.default_collate(torch_side(samples)))


@pytest.mark.parametrize("sample", [s[0] for s in SAMPLES] + [
    np.array([0, 1]), np.float64(2.5), "text", 3, 1.5, None, (np.array([1.0]), "label"),
    np.array(["a", "b"]), [np.array([1, 2]), (np.int64(3), "s")], {"a": np.arange(3.0), "b": [1, 2]},
    Point(np.array(0), "name"),
])
def test_default_convert_matches_torch(sample):
    assert tree(default_convert(sample)) == tree(tdata.default_convert(torch_side(sample)))


def test_collated_arrays_share_memory_like_torch_as_tensor():
    array = np.arange(3.0)
    converted = default_convert(array)
    assert np.shares_memory(converted.numpy(), array)


@pytest.mark.parametrize("samples,error,match", [
    ([genesis.zeros(2), genesis.zeros(3)], RuntimeError, r"stack expects each tensor to be equal size, "
                                                         r"but got \[2\] at entry 0 and \[3\] at entry 1"),
    ([np.zeros(2), np.zeros(3)], RuntimeError, r"stack expects each tensor to be equal size"),
    ([(1, 2), (3,)], RuntimeError, "each element in list of batch should be of equal size"),
    ([object(), object()], TypeError, "default_collate: batch must contain tensors, numpy arrays, numbers, "
                                      "dicts or lists; found <class 'object'>"),
    ([np.array(["a"]), np.array(["b"])], TypeError, "default_collate: batch must contain"),
])
def test_collate_errors_match_torch(samples, error, match):
    with pytest.raises(error, match=match):
        default_collate(samples)
    with pytest.raises(error, match=match):
        tdata.default_collate(torch_side(samples))


def test_collate_fn_map_is_extensible_as_in_torch():
    class Box:
        def __init__(self, value):
            self.value = value

    default_collate_fn_map[Box] = lambda batch, *, collate_fn_map: sum(b.value for b in batch)
    try:
        assert default_collate([(Box(2), 1), (Box(3), 2)])[0] == 5
    finally:
        del default_collate_fn_map[Box]


class Numpy(Dataset):
    """Samples as NumPy data with a string, as a dataset reading files would return them."""

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return np.full(2, i, dtype=np.float32), np.int64(i), f"item{i}"


class TorchNumpy(tdata.Dataset):
    __len__ = Numpy.__len__
    __getitem__ = Numpy.__getitem__


def test_batch_size_none_converts_each_sample_like_torch():
    ours = list(DataLoader(Numpy(), batch_size=None))
    theirs = list(tdata.DataLoader(TorchNumpy(), batch_size=None))
    assert [tree(s) for s in ours] == [tree(s) for s in theirs]
    assert isinstance(ours[0][0], genesis.Tensor)  # before: the NumPy array came back unchanged


def test_batch_size_none_with_drop_last_is_refused_like_torch():
    message = "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
    with pytest.raises(ValueError, match=message):
        DataLoader(Numpy(), batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match=message):
        tdata.DataLoader(TorchNumpy(), batch_size=None, drop_last=True)


def test_batches_with_strings_match_torch():
    ours = list(DataLoader(Numpy(), batch_size=2))
    theirs = list(tdata.DataLoader(TorchNumpy(), batch_size=2))
    assert [tree(b) for b in ours] == [tree(b) for b in theirs]
