"""Dropout1d / Dropout2d: whole channels are zeroed, the rest scaled by 1/(1-p), the gradient
is the same mask; identity in eval(); PyTorch's errors, warnings and repr. The masks come from
Genesis's generator, so they are checked by their properties, not against PyTorch's draws."""
import numpy as np
import pytest
import torch

import genesis
from genesis import nn
from nn_testing import raises_like_torch


@pytest.mark.parametrize("layer,shape", [
    (nn.Dropout2d(0.3), (64, 16, 3, 4)), (nn.Dropout1d(0.3), (64, 16, 5)),
    (nn.Dropout1d(0.3), (200, 5)),
])
def test_whole_channels_are_dropped_and_the_rest_scaled(layer, shape):
    genesis.manual_seed(0)
    x = genesis.tensor(np.random.default_rng(0).random(shape) + 1.0, requires_grad=True)
    y = layer(x)
    ratio = (y / x).detach().numpy().reshape(shape[:2] + (-1,)) if len(shape) > 2 else \
        (y / x).detach().numpy()[..., None]
    # every channel is all-zero or all-scaled
    np.testing.assert_allclose(ratio.min(axis=-1), ratio.max(axis=-1), rtol=1e-6)
    kept = ratio[..., 0]
    assert set(np.round(np.unique(kept), 6)) == {0.0, round(1 / 0.7, 6)}
    assert abs((kept == 0).mean() - 0.3) < 0.05
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (y / x).detach().numpy(), rtol=1e-6)


def test_eval_and_p_zero_are_the_identity_and_p_one_zeroes():
    x = genesis.randn(2, 3, 4, 4)
    assert nn.Dropout2d(0.5).eval()(x) is x
    assert nn.Dropout2d(0.0)(x) is x
    assert float(nn.Dropout2d(1.0)(x).abs().sum()) == 0.0


def test_same_seed_same_mask():
    genesis.manual_seed(3)
    first = nn.Dropout2d()(genesis.ones(4, 8, 2, 2)).numpy()
    genesis.manual_seed(3)
    np.testing.assert_array_equal(first, nn.Dropout2d()(genesis.ones(4, 8, 2, 2)).numpy())


def test_dropout2d_on_3d_input_warns_like_torch_and_drops_channels_of_n_c_l():
    genesis.manual_seed(1)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        y = nn.Dropout2d(0.5)(genesis.ones(8, 6, 5))
    per_channel = y.numpy()
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        torch.nn.Dropout2d(0.5)(torch.ones(8, 6, 5))


@pytest.mark.parametrize("build", [lambda m: m.Dropout2d(), lambda m: m.Dropout1d(0.2,
                                                                                  inplace=True)])
def test_repr_matches_torch(build):
    assert repr(build(nn)) == repr(build(torch.nn))


@pytest.mark.parametrize("call", [
    lambda ns: ns.nn.Dropout1d(0.5)(ns.zeros(2, 3, 4, 5)),
    lambda ns: ns.nn.Dropout2d(1.5),
    lambda ns: ns.nn.functional.dropout2d(ns.zeros(2, 3, 4, 5), p=-0.1),
])
def test_errors_match_torch(call):
    raises_like_torch(call)
