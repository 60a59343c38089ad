"""genesis.utils.data.dataloader: batching, shuffling and splits.

Batch contents are checked against NumPy indexing with an independently computed order
(``numpy.random.default_rng(seed).permutation(n)``: Genesis' RNG is NumPy's PCG64 seeded the same
way); collation is checked against PyTorch in test_collate.py.
"""
import doctest

import numpy as np
import pytest
import torch

import genesis
from genesis.utils.data import (
    DataLoader,
    Dataset,
    RandomSampler,
    Subset,
    TensorDataset,
    random_split,
)

N, D = 10, 3


def _data():
    X = np.arange(N * D, dtype=np.float32).reshape(N, D)
    y = np.arange(N, dtype=np.int64) * 10
    return X, y


def _loader(**kwargs):
    X, y = _data()
    return DataLoader(TensorDataset(genesis.tensor(X), genesis.tensor(y)), **kwargs)


def _epoch(loader):
    return [(data.numpy().copy(), targets.numpy().copy()) for data, targets in loader]


def _expected(order, batch_size, drop_last=False):
    X, y = _data()
    stop = len(order) - len(order) % batch_size if drop_last else len(order)
    return [(X[order[i:i + batch_size]], y[order[i:i + batch_size]])
            for i in range(0, stop, batch_size)]


def _assert_batches(got, expected):
    assert len(got) == len(expected)
    for (data, targets), (x, t) in zip(got, expected):
        np.testing.assert_array_equal(data, x)
        np.testing.assert_array_equal(targets, t)
        assert data.dtype == x.dtype and targets.dtype == t.dtype


@pytest.mark.parametrize("batch_size,drop_last,length", [(4, False, 3), (4, True, 2), (5, True, 2),
                                                         (1, False, 10), (32, False, 1),
                                                         (32, True, 0)])
def test_sequential_batches_len_and_drop_last(batch_size, drop_last, length):
    loader = _loader(batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == length
    _assert_batches(_epoch(loader), _expected(np.arange(N), batch_size, drop_last))


def test_shuffle_with_generator_follows_numpy_permutations_per_epoch():
    loader = _loader(batch_size=4, shuffle=True, generator=genesis.Generator().manual_seed(7))
    reference = np.random.default_rng(7)
    for _ in range(3):  # every epoch draws the next permutation from the same generator
        _assert_batches(_epoch(loader), _expected(reference.permutation(N), 4))


def test_shuffle_with_global_seed_is_reproducible():
    genesis.manual_seed(123)
    first = _epoch(_loader(batch_size=3, shuffle=True))
    _assert_batches(first, _expected(np.random.default_rng(123).permutation(N), 3))
    genesis.manual_seed(123)
    _assert_batches(_epoch(_loader(batch_size=3, shuffle=True)), first)


def test_rng_state_checkpoint_reproduces_the_data_order():
    genesis.manual_seed(5)
    loader = _loader(batch_size=4, shuffle=True)
    _epoch(loader)
    state = genesis.get_rng_state()
    second = _epoch(loader)
    genesis.manual_seed(99)
    genesis.set_rng_state(state)
    _assert_batches(_epoch(loader), second)


def test_fast_path_equals_generic_collate_path():
    X, y = _data()

    class Pairs(Dataset):  # a plain map-style dataset takes the per-sample collate path
        def __len__(self):
            return N

        def __getitem__(self, i):
            return genesis.tensor(X[i]), int(y[i])

    order = np.random.default_rng(3).permutation(N)
    fast = _epoch(DataLoader(TensorDataset(genesis.tensor(X), genesis.tensor(y)), batch_size=4,
                             sampler=order.tolist()))
    generic = _epoch(DataLoader(Pairs(), batch_size=4, sampler=order.tolist()))
    _assert_batches(generic, _expected(order, 4))
    _assert_batches(fast, generic)


def test_subset_of_tensor_dataset_maps_indices():
    X, y = _data()
    subset = Subset(TensorDataset(genesis.tensor(X), genesis.tensor(y)), [9, 2, 5, 0, 7])
    nested = Subset(subset, [4, 0, 1])
    got = _epoch(DataLoader(nested, batch_size=2))
    order = np.array([7, 9, 2])
    _assert_batches(got, _expected(order, 2))
    data, target = nested[1]
    np.testing.assert_array_equal(data.numpy(), X[9])


def test_collate_fn_is_used():
    loader = _loader(batch_size=5, collate_fn=lambda batch: len(batch))
    assert list(loader) == [5, 5]


@pytest.mark.parametrize("lengths,sizes", [([0.7, 0.3], [7, 3]), ([3, 7], [3, 7]),
                                           ([0.25, 0.25, 0.5], [3, 2, 5]), ([10, 0], [10, 0])])
def test_random_split_sizes_disjoint_and_reproducible(lengths, sizes):
    dataset = list(range(100, 110))
    parts = random_split(dataset, lengths, generator=genesis.Generator().manual_seed(11))
    assert [len(p) for p in parts] == sizes
    items = [p[i] for p in parts for i in range(len(p))]
    assert sorted(items) == dataset  # disjoint and complete
    order = np.random.default_rng(11).permutation(10)
    assert items == [dataset[i] for i in order]
    again = random_split(dataset, lengths, generator=genesis.Generator().manual_seed(11))
    assert [list(p.indices) for p in again] == [list(p.indices) for p in parts]


def test_random_split_matches_torch_lengths_for_fractions():
    fractions = [0.33, 0.33, 0.34]
    ours = random_split(range(17), fractions)
    theirs = torch.utils.data.random_split(range(17), fractions)
    assert [len(p) for p in ours] == [len(p) for p in theirs]


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="index 1"):
        random_split(range(10), [0.5, 1.5, -1.0])


def test_tensor_dataset_size_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match=r"Size mismatch.*\[3, 4\]"):
        TensorDataset(genesis.zeros(3, 2), genesis.zeros(4))
    with pytest.raises(TypeError, match="argument 1"):
        TensorDataset(genesis.zeros(3), np.zeros(3))


def test_loader_argument_errors():
    with pytest.raises(ValueError, match="batch_size"):
        _loader(batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive"):
        _loader(shuffle=True, sampler=[0, 1])
    with pytest.raises(TypeError, match="generator"):
        _loader(shuffle=True, generator=np.random.default_rng(0))


def test_custom_sampler_and_random_sampler():
    X, y = _data()
    order = [3, 1, 4, 1, 5]
    _assert_batches(_epoch(_loader(batch_size=2, sampler=order)), _expected(np.array(order), 2))
    sampler = RandomSampler(range(N), generator=genesis.Generator().manual_seed(2))
    assert list(sampler) == np.random.default_rng(2).permutation(N).tolist()
    assert len(_loader(batch_size=2, sampler=order)) == 3


def test_batch_size_none_yields_samples():
    X, y = _data()
    samples = list(_loader(batch_size=None))
    assert len(samples) == N
    np.testing.assert_array_equal(samples[4][0].numpy(), X[4])


@pytest.mark.parametrize("name", ["dataloader", "dataset", "sampler", "_utils.collate"])
def test_docstring_examples_run(name):
    import importlib

    module = importlib.import_module(f"genesis.utils.data.{name}")
    result = doctest.testmod(module, extraglobs={"genesis": genesis, "np": np},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
