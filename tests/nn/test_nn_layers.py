"""Layers against PyTorch: same outputs and input/parameter gradients given the same weights."""
import math
import zlib

import numpy as np
import pytest
import torch

import genesis
from genesis import nn
from nn_testing import (
    GENESIS_DTYPE, TOLERANCE, TORCH_DTYPE, assert_close, central_difference, numpy_state, pair,
    randomize_,
)

# (id, builder taking the nn namespace, trailing input dims)
LAYERS = [
    ("linear", lambda m: m.Linear(5, 3), (5,)),
    ("linear_nobias", lambda m: m.Linear(4, 6, bias=False), (4,)),
    ("relu", lambda m: m.ReLU(), (7,)),
    ("gelu", lambda m: m.GELU(), (6,)),
    ("gelu_tanh", lambda m: m.GELU(approximate="tanh"), (6,)),
    ("silu", lambda m: m.SiLU(), (5,)),
    ("tanh", lambda m: m.Tanh(), (5,)),
    ("sigmoid", lambda m: m.Sigmoid(), (5,)),
    ("softmax", lambda m: m.Softmax(dim=1), (4, 3)),
    ("logsoftmax", lambda m: m.LogSoftmax(dim=-1), (6,)),
    ("layernorm", lambda m: m.LayerNorm(6), (6,)),
    ("layernorm_2d", lambda m: m.LayerNorm((3, 4), eps=1e-3), (3, 4)),
    ("layernorm_noaffine", lambda m: m.LayerNorm(5, elementwise_affine=False), (5,)),
    ("layernorm_nobias", lambda m: m.LayerNorm(5, bias=False), (5,)),
    ("flatten", lambda m: m.Flatten(), (3, 4)),
    ("flatten_range", lambda m: m.Flatten(0, 1), (2, 3)),
    ("identity", lambda m: m.Identity(), (3,)),
    ("mlp", lambda m: m.Sequential(m.Linear(6, 8), m.GELU(), m.LayerNorm(8), m.Linear(8, 3)), (6,)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,build,trailing", LAYERS, ids=[case[0] for case in LAYERS])
def test_layer_matches_torch(name, build, trailing, dtype):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    ref = build(torch.nn).to(TORCH_DTYPE[dtype])
    randomize_(ref, rng)
    ours = build(nn).to(GENESIS_DTYPE[dtype])
    ours.load_state_dict(numpy_state(ref))
    lead = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 3)))
    x = rng.standard_normal(lead + trailing).astype(dtype)
    gx, tx = pair(x)
    gy, ty = ours(gx), ref(tx)
    rtol = TOLERANCE[dtype]
    assert_close(gy, ty, rtol, f"{name} forward")
    assert gy.dtype == GENESIS_DTYPE[dtype]
    upstream = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    gy.backward(genesis.tensor(upstream))
    ty.backward(torch.from_numpy(upstream))
    assert_close(gx.grad, tx.grad, rtol, f"{name} input grad")
    ref_params = dict(ref.named_parameters())
    for key, param in ours.named_parameters():
        assert_close(param.grad, ref_params[key].grad, rtol, f"{name} grad of {key}")


def test_linear_on_1d_and_3d_inputs_matches_torch():
    rng = np.random.default_rng(0)
    ref = torch.nn.Linear(4, 2).double()
    ours = nn.Linear(4, 2).double()
    ours.load_state_dict(ref.state_dict())
    for shape in [(4,), (2, 3, 4)]:
        gx, tx = pair(rng.standard_normal(shape))
        ours.zero_grad(), ref.zero_grad()
        gy, ty = ours(gx), ref(tx)
        assert_close(gy, ty, 1e-12)
        (gy * gy).sum().backward()
        (ty * ty).sum().backward()
        assert_close(gx.grad, tx.grad, 1e-12)
        assert_close(ours.weight.grad, ref.weight.grad, 1e-12)
        assert_close(ours.bias.grad, ref.bias.grad, 1e-12)


def test_linear_rejects_wrong_input_width():
    layer = nn.Linear(4, 2)
    with pytest.raises(ValueError, match=r"\(3, 5\).*\(2, 4\)"):
        layer(genesis.zeros(3, 5))


def test_linear_default_init_follows_the_formula():
    genesis.manual_seed(0)
    fan_in = 400
    layer = nn.Linear(fan_in, 300)
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives the same bound as the bias
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.shape == (300, fan_in) and b.shape == (300,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound
    assert abs(w.var() - bound**2 / 3) < 0.02 * bound**2 / 3  # variance of U(-b, b)
    assert abs(w.mean()) < 0.01 * bound
    assert w.dtype == np.float32 and layer.weight.requires_grad and layer.weight.is_leaf


def test_linear_dtype_argument_and_reproducible_init():
    genesis.manual_seed(3)
    a = nn.Linear(3, 2, dtype=genesis.float64)
    genesis.manual_seed(3)
    b = nn.Linear(3, 2, dtype=genesis.float64)
    assert a.weight.dtype == genesis.float64
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())


def test_gelu_exact_against_math_erf_and_finite_differences():
    x = np.linspace(-6, 6, 41)
    y = nn.GELU()(genesis.tensor(x)).numpy()
    expected = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x]
    # 1 + erf(x) cancels for negative x (PyTorch's formula too): exact to ~1e-16 absolute there.
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-15)
    for approximate in ("none", "tanh"):
        xs = np.random.default_rng(1).standard_normal(7)
        g = genesis.tensor(xs, requires_grad=True)
        nn.GELU(approximate)(g).sum().backward()
        fd = central_difference(
            lambda a: nn.GELU(approximate)(genesis.tensor(a)).sum().item(), xs.copy())
        np.testing.assert_allclose(g.grad.numpy(), fd, rtol=1e-7, atol=1e-9)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")


def test_layer_norm_gradients_by_finite_differences():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 5))
    layer = nn.LayerNorm(5).double()
    layer.weight.data[...] = rng.standard_normal(5)
    upstream = rng.standard_normal((3, 5))
    g = genesis.tensor(x, requires_grad=True)
    (layer(g) * genesis.tensor(upstream)).sum().backward()
    fd = central_difference(
        lambda a: float((layer(genesis.tensor(a)).detach().numpy() * upstream).sum()), x.copy())
    np.testing.assert_allclose(g.grad.numpy(), fd, rtol=1e-6, atol=1e-8)


def test_layer_norm_rejects_mismatched_input():
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm(4)(genesis.zeros(2, 5))


def test_dropout_train_scales_survivors_and_eval_is_identity():
    genesis.manual_seed(0)
    drop = nn.Dropout(p=0.25)
    x = genesis.tensor(np.full((200, 50), 2.0), requires_grad=True)
    y = drop(x)
    values = y.detach().numpy()
    kept = values != 0
    assert abs(1 - kept.mean() - 0.25) < 0.02
    np.testing.assert_allclose(values[kept], 2.0 / 0.75)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75)  # grad is the same mask, same scale
    drop.eval()
    assert drop(x) is x or np.array_equal(drop(x).detach().numpy(), x.detach().numpy())
    assert not drop.training


def test_dropout_uses_genesis_rng_and_edge_probabilities():
    x = genesis.ones(64)
    genesis.manual_seed(7)
    a = nn.Dropout(0.5)(x).numpy()
    genesis.manual_seed(7)
    b = nn.Dropout(0.5)(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert np.all(nn.Dropout(1.0)(x).numpy() == 0)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(bad)


def test_embedding_matches_torch_with_padding_and_repeats():
    rng = np.random.default_rng(5)
    ref = torch.nn.Embedding(10, 4, padding_idx=2).double()
    ours = nn.Embedding(10, 4, padding_idx=2).double()
    ours.load_state_dict(numpy_state(ref))
    idx = np.array([[1, 2, 2], [9, 1, 0]])
    gy = ours(genesis.tensor(idx))
    ty = ref(torch.from_numpy(idx))
    assert_close(gy, ty, 1e-12)
    upstream = rng.standard_normal((2, 3, 4))
    gy.backward(genesis.tensor(upstream))
    ty.backward(torch.from_numpy(upstream))
    assert_close(ours.weight.grad, ref.weight.grad, 1e-12)
    assert np.all(ours.weight.grad.numpy()[2] == 0)


def test_embedding_init_and_errors():
    genesis.manual_seed(0)
    emb = nn.Embedding(1000, 20, padding_idx=-1)
    w = emb.weight.detach().numpy()
    assert emb.padding_idx == 999 and np.all(w[999] == 0)
    assert abs(w[:999].std() - 1) < 0.03 and abs(w[:999].mean()) < 0.03  # N(0, 1)
    with pytest.raises(IndexError, match="10"):
        emb(genesis.tensor([1000]))
    with pytest.raises(TypeError, match="integer"):
        emb(genesis.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(5, 2, padding_idx=5)


def test_flatten_and_identity_shapes():
    x = genesis.zeros(2, 3, 4, 5)
    assert tuple(nn.Flatten()(x).shape) == (2, 60)
    assert tuple(nn.Flatten(1, 2)(x).shape) == (2, 12, 5)
    assert nn.Identity(54, unused="x")(x) is x
