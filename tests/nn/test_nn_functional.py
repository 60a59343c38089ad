"""nn.functional forms against torch.nn.functional, and the fused ops' graph shape."""
import numpy as np
import pytest
import torch

import genesis
from genesis.nn import functional as F
from nn_testing import assert_close, pair

# (id, genesis call, torch call, input shape)
ACTIVATIONS = [
    ("relu", F.relu, torch.nn.functional.relu),
    ("gelu", F.gelu, torch.nn.functional.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: torch.nn.functional.gelu(x, approximate="tanh")),
    ("silu", F.silu, torch.nn.functional.silu),
    ("sigmoid", F.sigmoid, torch.sigmoid),
    ("tanh", F.tanh, torch.tanh),
    ("softmax0", lambda x: F.softmax(x, dim=0), lambda x: torch.softmax(x, dim=0)),
    ("log_softmax", lambda x: F.log_softmax(x, dim=-1), lambda x: torch.log_softmax(x, dim=-1)),
]


@pytest.mark.parametrize("name,ours,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_matches_torch(name, ours, ref):
    rng = np.random.default_rng(len(name))
    gx, tx = pair(3 * rng.standard_normal((4, 5)))
    gy, ty = ours(gx), ref(tx)
    assert_close(gy, ty, 1e-12, name)
    upstream = rng.standard_normal((4, 5))
    gy.backward(genesis.tensor(upstream))
    ty.backward(torch.from_numpy(upstream))
    assert_close(gx.grad, tx.grad, 1e-12, name)


@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_torch_and_is_one_graph_node(with_bias):
    rng = np.random.default_rng(1)
    gx, tx = pair(rng.standard_normal((3, 4)))
    gw, tw = pair(rng.standard_normal((2, 4)))
    gb, tb = pair(rng.standard_normal(2)) if with_bias else (None, None)
    gy, ty = F.linear(gx, gw, gb), torch.nn.functional.linear(tx, tw, tb)
    assert_close(gy, ty, 1e-12)
    # fused: the output's node points straight at the leaves, no intermediate matmul/add nodes
    assert all(edge is None or isinstance(edge, genesis.Tensor) for edge in gy.grad_fn.next_functions())
    gy.sum().backward()
    ty.sum().backward()
    for ours, ref in [(gx, tx), (gw, tw), (gb, tb)]:
        if ours is not None:
            assert_close(ours.grad, ref.grad, 1e-12)


def test_linear_rejects_mixed_dtypes_like_torch():
    with pytest.raises(TypeError, match="dtype"):
        F.linear(genesis.zeros(2, 3, dtype=genesis.float64), genesis.zeros(4, 3))


def test_layer_norm_and_embedding_functional_forms_match_torch():
    rng = np.random.default_rng(2)
    gx, tx = pair(rng.standard_normal((2, 3, 4)))
    gw, tw = pair(rng.standard_normal((3, 4)))
    gy = F.layer_norm(gx, (3, 4), gw, None, eps=1e-6)
    ty = torch.nn.functional.layer_norm(tx, (3, 4), tw, None, eps=1e-6)
    assert_close(gy, ty, 1e-12)
    (gy * gy).sum().backward()
    (ty * ty).sum().backward()
    assert_close(gx.grad, tx.grad, 1e-10)
    assert_close(gw.grad, tw.grad, 1e-10)
    idx = np.array([3, 0, 3])
    gt, tt = pair(rng.standard_normal((5, 2)))
    ge, te = F.embedding(genesis.tensor(idx), gt), torch.nn.functional.embedding(torch.from_numpy(idx), tt)
    assert_close(ge, te, 1e-15)
    ge.sum().backward()
    te.sum().backward()
    assert_close(gt.grad, tt.grad, 1e-15)


def test_dropout_functional_respects_training_flag():
    x = genesis.ones(10)
    assert F.dropout(x, 0.9, training=False) is x
    genesis.manual_seed(0)
    kept = F.dropout(x, 0.5).numpy()
    assert set(np.unique(kept)) <= {0.0, 2.0}
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, p=2)
