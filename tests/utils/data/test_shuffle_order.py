"""A shuffling DataLoader draws exactly the order its RandomSampler yields (same RNG draws)."""
import numpy as np

import genesis
from genesis.utils.data import DataLoader, RandomSampler, TensorDataset


def test_shuffled_batches_follow_the_sampler_order():
    data = genesis.arange(23)
    dataset = TensorDataset(data, data * 10)
    generator = genesis.Generator().manual_seed(5)
    loader = DataLoader(dataset, batch_size=4, shuffle=True, generator=generator)
    for _ in range(3):  # each epoch draws a fresh permutation from the same generator
        state = generator.get_state()
        expected = list(RandomSampler(dataset, generator=generator))
        generator.set_state(state)
        batches = [(x.numpy(), y.numpy()) for x, y in loader]
        np.testing.assert_array_equal(np.concatenate([x for x, _ in batches]), expected)
        np.testing.assert_array_equal(np.concatenate([y for _, y in batches]),
                                      np.array(expected) * 10)
        assert [len(x) for x, _ in batches] == [4, 4, 4, 4, 4, 3]


def test_global_rng_order_matches_the_sampler():
    dataset = TensorDataset(genesis.arange(10))
    genesis.manual_seed(11)
    expected = list(RandomSampler(dataset))
    genesis.manual_seed(11)
    got = np.concatenate([x.numpy() for (x,) in DataLoader(dataset, batch_size=3, shuffle=True)])
    np.testing.assert_array_equal(got, expected)
