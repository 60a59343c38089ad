"""DistributedSampler against PyTorch's, index for index (shuffled orders included), and the
PyTorch randperm it reproduces."""
import collections
import doctest

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader as TorchLoader
from torch.utils.data import TensorDataset as TorchDataset
from torch.utils.data.distributed import DistributedSampler as TorchSampler

import genesis
from genesis.utils.data import DataLoader, DistributedSampler, TensorDataset
from genesis.utils.data import distributed as sampler_module


@pytest.mark.parametrize("n, seed", [(0, 0), (1, 3), (2, 0), (10, 0), (1797, 5), (100, 2**32 + 7),
                                     (50, -3), (1000, 123456789)])
def test_randperm_is_torch_s(n, seed):
    expected = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    assert sampler_module.torch_randperm(n, seed) == expected


@settings(max_examples=60, deadline=None)
@given(size=st.integers(0, 40), replicas=st.integers(1, 5), rank_seed=st.integers(0, 100),
       shuffle=st.booleans(), seed=st.integers(-2**40, 2**40), drop_last=st.booleans(),
       epoch=st.integers(0, 3))
def test_indices_equal_torch_s(size, replicas, rank_seed, shuffle, seed, drop_last, epoch):
    rank = rank_seed % replicas
    samplers = [cls(range(size), num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed,
                    drop_last=drop_last) for cls in (TorchSampler, DistributedSampler)]
    if size == 0 and not drop_last:
        return  # PyTorch divides by zero padding an empty dataset
    for sampler in samplers:
        sampler.set_epoch(epoch)
    theirs, ours = samplers
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs) and ours.total_size == theirs.total_size


def test_the_ranks_shares_cover_the_data_once_plus_the_padding():
    shares = [list(DistributedSampler(range(10), num_replicas=4, rank=r, seed=1)) for r in range(4)]
    assert [len(share) for share in shares] == [3] * 4  # ceil(10 / 4)
    counts = collections.Counter(i for share in shares for i in share)
    assert set(counts) == set(range(10))
    assert sorted(counts.values()) == [1] * 8 + [2] * 2  # 12 - 10 indices repeated as padding


def test_a_loader_yields_torch_s_batches():
    data = torch.arange(23.0).reshape(23, 1)
    theirs = TorchLoader(TorchDataset(data), batch_size=4,
                         sampler=TorchSampler(TorchDataset(data), 3, 2, seed=9))
    ours = DataLoader(TensorDataset(genesis.tensor(data.numpy())), batch_size=4,
                      sampler=DistributedSampler(range(23), 3, 2, seed=9))
    assert [b[0].tolist() for b in ours] == [b[0].tolist() for b in theirs]


@pytest.mark.parametrize("kwargs", [dict(num_replicas=2, rank=2), dict(num_replicas=2, rank=-1),
                                    dict(num_replicas=0, rank=0), dict()])
def test_errors_are_torch_s(kwargs):
    with pytest.raises(ValueError) as theirs:
        TorchSampler(range(5), **kwargs)
    with pytest.raises(ValueError) as ours:
        DistributedSampler(range(5), **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_a_non_int_argument_is_named():
    with pytest.raises(ValueError, match=r"DistributedSampler\(seed\): expected an int, got 0.5"):
        DistributedSampler(range(5), num_replicas=1, rank=0, seed=0.5)


def test_docstring_examples_run():
    result = doctest.testmod(sampler_module, extraglobs={"genesis": genesis},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
