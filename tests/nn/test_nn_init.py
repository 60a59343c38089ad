"""nn.init against PyTorch's formulas: gains, fans, bounds and spreads of each initialiser."""
import math

import numpy as np
import pytest
import torch

import genesis
from genesis import nn
from genesis.nn import init


@pytest.mark.parametrize("nonlinearity,param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None),
])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


def test_calculate_gain_rejects_unknown_inputs():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(3, 5), (4, 2, 3), (6, 3, 2, 2)])
def test_fans_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(genesis.empty(*shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(genesis.empty(5))


def _bound_and_std(fill, shape):
    genesis.manual_seed(0)
    values = fill(genesis.empty(*shape)).numpy()
    return np.abs(values).max(), values.std(), values.mean()


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("leaky_relu", 0), ("relu", 0), ("leaky_relu", math.sqrt(5))])
def test_kaiming_spreads_follow_the_formula(mode, nonlinearity, a):
    shape = (300, 200)
    fan = 200 if mode == "fan_in" else 300
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    top, spread, centre = _bound_and_std(lambda t: init.kaiming_uniform_(t, a, mode, nonlinearity), shape)
    assert math.sqrt(3) * std * 0.99 < top <= math.sqrt(3) * std
    assert spread == pytest.approx(std, rel=0.02) and abs(centre) < 0.02 * std
    _, spread, centre = _bound_and_std(lambda t: init.kaiming_normal_(t, a, mode, nonlinearity), shape)
    assert spread == pytest.approx(std, rel=0.02) and abs(centre) < 0.02 * std


def test_kaiming_rejects_unknown_mode():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(genesis.empty(2, 2), mode="fan_avg")


def test_xavier_spreads_follow_the_formula():
    gain = 1.7
    std = gain * math.sqrt(2.0 / (200 + 300))
    top, spread, _ = _bound_and_std(lambda t: init.xavier_uniform_(t, gain), (300, 200))
    assert math.sqrt(3) * std * 0.99 < top <= math.sqrt(3) * std
    assert spread == pytest.approx(std, rel=0.02)
    _, spread, _ = _bound_and_std(lambda t: init.xavier_normal_(t, gain), (300, 200))
    assert spread == pytest.approx(std, rel=0.02)


def test_simple_fills_return_the_tensor_and_record_no_graph():
    p = nn.Parameter(genesis.empty(4, 3))
    assert init.uniform_(p, -2.0, -1.0) is p
    values = p.detach().numpy()
    assert values.min() >= -2.0 and values.max() < -1.0
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    genesis.manual_seed(1)
    init.normal_(p, mean=3.0, std=0.5)
    assert p.is_leaf and abs(p.detach().numpy().mean() - 3.0) < 0.5
    np.testing.assert_array_equal(init.constant_(p, 0.25).detach().numpy(), np.full((4, 3), 0.25))
    np.testing.assert_array_equal(init.zeros_(p).detach().numpy(), np.zeros((4, 3)))
    np.testing.assert_array_equal(init.ones_(p).detach().numpy(), np.ones((4, 3)))
    assert p.dtype == genesis.float32


def test_initialisers_are_reproducible_with_seed_and_generator():
    genesis.manual_seed(5)
    a = init.kaiming_uniform_(genesis.empty(3, 4)).numpy()
    genesis.manual_seed(5)
    b = init.kaiming_uniform_(genesis.empty(3, 4)).numpy()
    np.testing.assert_array_equal(a, b)
    g1, g2 = genesis.Generator().manual_seed(9), genesis.Generator().manual_seed(9)
    np.testing.assert_array_equal(init.xavier_normal_(genesis.empty(3, 4), generator=g1).numpy(),
                                  init.xavier_normal_(genesis.empty(3, 4), generator=g2).numpy())
