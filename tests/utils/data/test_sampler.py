"""genesis.utils.data.sampler against torch.utils.data.sampler.

Samplers without randomness must yield PyTorch's indices exactly.  Random ones draw from
Genesis's generator (NumPy's PCG64), so their indices are checked against the same draws made
directly with NumPy (``default_rng(seed)``, PyTorch's call structure: whole permutations,
``randint`` in chunks of 32), and their structure and errors against PyTorch's.
"""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import genesis
from genesis.utils.data import (BatchSampler, DataLoader, RandomSampler, Sampler, SequentialSampler,
                                SubsetRandomSampler, TensorDataset, WeightedRandomSampler)


def seeded(seed):
    return genesis.Generator().manual_seed(seed)


@pytest.mark.parametrize("n", [0, 1, 7])
def test_sequential_sampler_matches_torch(n):
    assert list(SequentialSampler(range(n))) == list(tdata.SequentialSampler(range(n)))
    assert len(SequentialSampler(range(n))) == n


@pytest.mark.parametrize("source", [range(10), [4, 1, 3], range(0)])
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 11])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_torch(source, batch_size, drop_last):
    ours = BatchSampler(source, batch_size, drop_last)
    theirs = tdata.BatchSampler(source, batch_size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)


@pytest.mark.parametrize("kwargs,error", [
    ({"batch_size": 0, "drop_last": False}, ValueError),
    ({"batch_size": 2.0, "drop_last": False}, ValueError),
    ({"batch_size": True, "drop_last": False}, ValueError),
    ({"batch_size": 2, "drop_last": 1}, ValueError),
])
def test_batch_sampler_errors_match_torch(kwargs, error):
    with pytest.raises(error) as theirs:
        tdata.BatchSampler(range(3), **kwargs)
    with pytest.raises(error) as ours:
        BatchSampler(range(3), **kwargs)
    assert str(ours.value) == str(theirs.value)


def _reference_without_replacement(seed, n, count):
    rng = np.random.default_rng(seed)
    blocks = [rng.permutation(n) for _ in range(count // n)]
    if count % n:
        blocks.append(rng.permutation(n)[:count % n])
    return np.concatenate(blocks).tolist()


def _reference_with_replacement(seed, n, count):
    rng = np.random.default_rng(seed)
    sizes = [32] * (count // 32) + ([count % 32] if count % 32 else [])
    return np.concatenate([rng.integers(0, n, size) for size in sizes]).tolist()


@pytest.mark.parametrize("n,num_samples", [(5, None), (5, 3), (5, 12), (4, 8), (1, 3)])
def test_random_sampler_without_replacement(n, num_samples):
    ours = RandomSampler(range(n), num_samples=num_samples, generator=seeded(3))
    theirs = tdata.RandomSampler(range(n), num_samples=num_samples,
                                 generator=torch.Generator().manual_seed(3))
    count = n if num_samples is None else num_samples
    drawn = list(ours)
    assert drawn == _reference_without_replacement(3, n, count)
    assert len(ours) == len(theirs) == len(drawn) == count
    # PyTorch's structure: whole permutations of range(n), then distinct indices
    for sample in (drawn, list(theirs)):
        for start in range(0, count, n):
            block = sample[start:start + n]
            assert len(set(block)) == len(block) and set(block) <= set(range(n))


@pytest.mark.parametrize("n,num_samples", [(5, 3), (5, 32), (7, 70), (3, 100)])
def test_random_sampler_with_replacement(n, num_samples):
    ours = RandomSampler(range(n), replacement=True, num_samples=num_samples, generator=seeded(4))
    theirs = tdata.RandomSampler(range(n), replacement=True, num_samples=num_samples)
    drawn = list(ours)
    assert drawn == _reference_with_replacement(4, n, num_samples)
    assert len(ours) == len(theirs) == len(list(theirs)) == num_samples
    assert set(drawn) <= set(range(n))


def test_random_sampler_global_generator_and_fresh_passes():
    genesis.manual_seed(9)
    sampler = RandomSampler(range(6))
    first, second = list(sampler), list(sampler)
    rng = np.random.default_rng(9)
    assert first == rng.permutation(6).tolist() and second == rng.permutation(6).tolist()


def test_random_sampler_num_samples_follows_the_dataset_size():
    data = [1, 2, 3]
    sampler = RandomSampler(data)
    data.append(4)
    assert len(sampler) == 4 and sorted(sampler) == [0, 1, 2, 3]


@pytest.mark.parametrize("kwargs,error", [
    ({"replacement": 1}, TypeError),
    ({"num_samples": 0}, ValueError),
    ({"num_samples": -2}, ValueError),
    ({"num_samples": 2.5}, ValueError),
])
def test_random_sampler_errors_match_torch(kwargs, error):
    with pytest.raises(error) as theirs:
        tdata.RandomSampler(range(3), **kwargs)
    with pytest.raises(error) as ours:
        RandomSampler(range(3), **kwargs)
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(TypeError, match="generator"):
        RandomSampler(range(3), generator=np.random.default_rng(0))


def test_subset_random_sampler():
    indices = [10, 20, 30, 40]
    ours = SubsetRandomSampler(indices, generator=seeded(5))
    order = np.random.default_rng(5).permutation(4)
    assert list(ours) == [indices[i] for i in order]
    assert len(ours) == len(tdata.SubsetRandomSampler(indices)) == 4
    assert sorted(ours) == sorted(tdata.SubsetRandomSampler(indices)) == indices


def test_weighted_sampler_with_replacement_follows_the_weights():
    weights = [1.0, 0.0, 3.0, 6.0]
    drawn = np.array(list(WeightedRandomSampler(weights, 20000, generator=seeded(0))))
    counts = np.bincount(drawn, minlength=4) / len(drawn)
    # 20000 draws: the standard error of each frequency is below 0.0035; 5 of them is 0.018
    np.testing.assert_allclose(counts, np.array(weights) / 10, atol=0.018)
    assert counts[1] == 0
    again = list(WeightedRandomSampler(weights, 20000, generator=seeded(0)))
    assert again == drawn.tolist()


def test_weighted_sampler_without_replacement_draws_each_index_once():
    weights = genesis.tensor([0.5, 2.0, 0.0, 1.0, 4.0])
    for seed in range(20):
        drawn = list(WeightedRandomSampler(weights, 4, replacement=False, generator=seeded(seed)))
        assert sorted(drawn) == [0, 1, 3, 4]
    # the heaviest index comes first most often (4 / 7.5 of the time)
    firsts = [list(WeightedRandomSampler(weights, 1, replacement=False, generator=seeded(s)))[0]
              for s in range(400)]
    assert abs(firsts.count(4) / 400 - 4 / 7.5) < 0.08


def test_weighted_sampler_without_replacement_draws_zero_weights_last_like_torch():
    weights = [1.0, 0.0, 2.0, 0.0]
    theirs = list(tdata.WeightedRandomSampler(weights, 4, replacement=False))
    for seed in range(10):
        ours = list(WeightedRandomSampler(weights, 4, replacement=False, generator=seeded(seed)))
        for drawn in (ours, theirs):
            assert sorted(drawn[:2]) == [0, 2] and sorted(drawn[2:]) == [1, 3]


def test_weighted_sampler_len_and_weights_match_torch():
    ours = WeightedRandomSampler([1, 2, 3], 5)
    theirs = tdata.WeightedRandomSampler([1, 2, 3], 5)
    assert len(ours) == len(theirs) == 5
    assert ours.weights.dtype == genesis.float64 and theirs.weights.dtype == torch.float64
    assert ours.weights.tolist() == theirs.weights.tolist()


@pytest.mark.parametrize("args,kwargs", [
    (([1, 2], 0), {}),
    (([1, 2], 2.0), {}),
    (([1, 2], 2), {"replacement": "yes"}),
    (([[1, 2]], 2), {}),
])
def test_weighted_sampler_errors_match_torch(args, kwargs):
    with pytest.raises(ValueError) as theirs:
        tdata.WeightedRandomSampler(*args, **kwargs)
    with pytest.raises(ValueError) as ours:
        WeightedRandomSampler(*args, **kwargs)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("weights,num_samples,replacement,match", [
    ([1.0, -1.0], 2, True, "weights must be finite and non-negative"),
    ([1.0, float("nan")], 2, True, "weights must be finite and non-negative"),
    ([0.0, 0.0], 2, True, "positive sum"),
])
def test_weighted_sampler_refuses_at_construction_what_torch_refuses_when_drawing(
        weights, num_samples, replacement, match):
    theirs = tdata.WeightedRandomSampler(weights, num_samples, replacement)
    with pytest.raises(RuntimeError):
        list(theirs)
    with pytest.raises(ValueError, match=match):
        WeightedRandomSampler(weights, num_samples, replacement)


def test_a_custom_sampler_subclass_and_batch_sampler_drive_the_loader_like_torch():
    class Backwards(Sampler[int]):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n - 1, -1, -1))

        def __len__(self):
            return self.n

    x = np.arange(7.0)
    ours = DataLoader(TensorDataset(genesis.tensor(x)), batch_sampler=BatchSampler(Backwards(7), 3, False))
    theirs = tdata.DataLoader(tdata.TensorDataset(torch.tensor(x)),
                              batch_sampler=tdata.BatchSampler(Backwards(7), 3, False))
    assert [b[0].tolist() for b in ours] == [b[0].tolist() for b in theirs]
    assert len(ours) == len(theirs) == 3
    ours = DataLoader(TensorDataset(genesis.tensor(x)), sampler=Backwards(7), batch_size=2, drop_last=True)
    theirs = tdata.DataLoader(tdata.TensorDataset(torch.tensor(x)), sampler=Backwards(7), batch_size=2,
                              drop_last=True)
    assert [b[0].tolist() for b in ours] == [b[0].tolist() for b in theirs]


def test_loader_with_random_sampler_options_reads_the_sampler_order():
    x = genesis.arange(10)
    sampler = RandomSampler(range(10), replacement=True, num_samples=25, generator=seeded(1))
    batches = [b[0].tolist() for b in DataLoader(TensorDataset(x), sampler=sampler, batch_size=8)]
    assert [len(b) for b in batches] == [8, 8, 8, 1]
    assert sum(batches, []) == _reference_with_replacement(1, 10, 25)


def test_sampler_base_is_generic_and_abstract_like_torch():
    assert Sampler[int] is not None
    with pytest.raises(NotImplementedError):
        iter(Sampler())
    with pytest.raises(TypeError):
        len(Sampler())
    assert collections.abc.Iterable.__subclasshook__(SequentialSampler) is True


def test_an_endless_random_sampler_draws_as_it_is_read():
    """minGPT's Trainer: RandomSampler(replacement=True, num_samples=int(1e10)) under a
    DataLoader; the draws are made 32 at a time as the loader is read, as in PyTorch."""
    import itertools

    import genesis
    from genesis.utils.data import DataLoader, RandomSampler, TensorDataset

    data = TensorDataset(genesis.arange(10))
    sampler = RandomSampler(data, replacement=True, num_samples=int(1e10))
    assert len(sampler) == int(1e10)
    first = list(itertools.islice(sampler, 70))
    assert len(first) == 70 and all(0 <= i < 10 for i in first)
    loader = DataLoader(data, sampler=sampler, batch_size=8)
    batches = list(itertools.islice(iter(loader), 5))
    assert [tuple(b[0].shape) for b in batches] == [(8,)] * 5
    genesis.manual_seed(3)
    eager = [int(i) for i in RandomSampler(data, replacement=True, num_samples=40)]
    genesis.manual_seed(3)
    batched = [int(i) for b in DataLoader(data, sampler=RandomSampler(
        data, replacement=True, num_samples=40), batch_size=8) for i in b[0]]
    assert eager == batched
