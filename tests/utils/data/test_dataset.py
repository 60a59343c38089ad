"""genesis.utils.data.dataset against torch.utils.data.dataset, the DataLoader's arguments against
PyTorch's, and the modules at PyTorch's paths."""
import importlib
import inspect
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import genesis
import genesis.utils.data as gdata
from genesis.utils.data import (ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset,
                                TensorDataset, random_split)


def as_lists(batches):
    return [b.tolist() if hasattr(b, "tolist") else [x.tolist() for x in b] for b in batches]


def test_concat_dataset_and_add_match_torch():
    parts = [list(range(3)), list(range(10, 12)), list(range(20, 24))]
    ours, theirs = ConcatDataset(parts), tdata.ConcatDataset(parts)
    assert len(ours) == len(theirs) and ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-len(ours), len(ours))] == [theirs[i] for i in range(-len(ours), len(ours))]
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        ours[-10]

    class Items(Dataset):
        def __init__(self, items):
            self.items = items

        def __len__(self):
            return len(self.items)

        def __getitem__(self, i):
            return self.items[i]

    both = Items([1, 2]) + Items([3])
    assert isinstance(both, ConcatDataset) and [both[i] for i in range(3)] == [1, 2, 3]
    with pytest.raises(ValueError, match="datasets should not be an empty iterable"):
        ConcatDataset([])


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(np.arange(self.n, dtype=np.float32) * 2)

    def __len__(self):
        return self.n


class TorchStream(tdata.IterableDataset):
    __init__ = Stream.__init__
    __iter__ = Stream.__iter__
    __len__ = Stream.__len__


@pytest.mark.parametrize("kwargs", [{}, {"batch_size": 3}, {"batch_size": 3, "drop_last": True},
                                    {"batch_size": None}, {"batch_size": 7}])
def test_loader_reads_an_iterable_dataset_like_torch(kwargs):
    ours, theirs = DataLoader(Stream(7), **kwargs), tdata.DataLoader(TorchStream(7), **kwargs)
    assert [np.asarray(b.tolist()).tolist() for b in ours] == [np.asarray(b.tolist()).tolist() for b in theirs]
    assert len(ours) == len(theirs)


@pytest.mark.parametrize("kwargs,match", [
    ({"shuffle": True}, "expected unspecified shuffle option"),
    ({"sampler": [0, 1]}, "expected unspecified sampler option"),
    ({"batch_sampler": [[0, 1]]}, "expected unspecified batch_sampler option"),
])
def test_iterable_dataset_refuses_order_options_like_torch(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tdata.DataLoader(TorchStream(3), **kwargs)
    with pytest.raises(ValueError, match=match):
        DataLoader(Stream(3), **kwargs)


def test_chain_dataset_and_adding_streams():
    assert [float(x) for x in ChainDataset([Stream(2), Stream(3)])] == \
        [float(x) for x in tdata.ChainDataset([TorchStream(2), TorchStream(3)])]
    assert len(Stream(2) + Stream(3)) == 5
    with pytest.raises(TypeError, match=r"datasets\[1\] is list"):
        list(ChainDataset([Stream(1), [1, 2]]))


def test_random_split_warns_about_an_empty_split_like_torch():
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        tdata.random_split(range(2), [0.5, 0.5, 0.0])
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        random_split(range(2), [0.5, 0.5, 0.0])
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs] == \
        ["Length of split at index 2 is 0. This might result in an empty dataset."]


@pytest.mark.parametrize("kwargs", [
    {"num_workers": -1},
    {"timeout": -1},
    {"prefetch_factor": 2},
    {"persistent_workers": True},
    {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "shuffle": True},
    {"batch_sampler": [[0]], "drop_last": True},
    {"sampler": [0], "shuffle": True},
    {"batch_size": 0},
    {"batch_size": -1},
    {"drop_last": 1},
])
def test_loader_argument_errors_match_torch(kwargs):
    data = np.zeros((3, 2), np.float32)
    with pytest.raises(ValueError) as theirs:
        tdata.DataLoader(tdata.TensorDataset(torch.tensor(data)), **kwargs)
    with pytest.raises(ValueError) as ours:
        DataLoader(TensorDataset(genesis.tensor(data)), **kwargs)
    assert str(ours.value).startswith(str(theirs.value))


def test_worker_options_are_accepted_and_load_in_process():
    x = genesis.arange(6)
    loader = DataLoader(TensorDataset(x), 4, False, None, None, 2, None, True, False, 5.0,
                        lambda worker: None, None, None, prefetch_factor=2, persistent_workers=True)
    assert [b[0].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5]]
    assert gdata.get_worker_info() is None and tdata.get_worker_info() is None


def test_loader_signature_is_torch_s():
    ours = inspect.signature(DataLoader.__init__).parameters
    theirs = inspect.signature(tdata.DataLoader.__init__).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.values()]


MODULES = {"dataloader": ["DataLoader", "default_collate", "default_convert", "get_worker_info"],
           "dataset": ["ChainDataset", "ConcatDataset", "Dataset", "IterableDataset", "Subset",
                       "TensorDataset", "random_split"],
           "sampler": ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler",
                       "SubsetRandomSampler", "WeightedRandomSampler"]}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_at_torch_paths_export_the_same_names(module):
    ours = importlib.import_module(f"genesis.utils.data.{module}")
    theirs = importlib.import_module(f"torch.utils.data.{module}")
    for name in MODULES[module]:
        assert getattr(ours, name) is getattr(gdata, name)
        assert hasattr(theirs, name)
        if isinstance(getattr(ours, name), type):
            # the class names its public module, as PyTorch's do
            assert getattr(ours, name).__module__ == getattr(theirs, name).__module__.replace("torch", "genesis")
    assert set(gdata.__all__) >= set(sum(MODULES.values(), []))


def test_collate_at_torch_path():
    from torch.utils.data._utils.collate import default_collate as theirs

    from genesis.utils.data._utils.collate import default_collate as ours

    assert ours is gdata.default_collate and theirs is tdata.default_collate
