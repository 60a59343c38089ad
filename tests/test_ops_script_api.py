"""The tensor API the nine migrated training scripts call (issue 11), in ``test_ops.py``'s
style: forward and gradients against PyTorch (float64, rel 1e-9) and central differences;
sampling ops by their distribution; errors by PyTorch's type and words."""
import numpy as np
import pytest
import torch

import genesis
from test_devices import outcome
from test_ops import _inputs, finite_difference_check, run_both

OPS = {
    "tril": lambda m, a: a.tril(),
    "tril_pos": lambda m, a: m.tril(a, diagonal=1),
    "tril_neg": lambda m, a: a.tril(-2),
    "triu": lambda m, a: m.triu(a),
    "triu_pos": lambda m, a: a.triu(2),
    "tril_inplace": lambda m, a: (a * 1).tril_(1),
    "triu_inplace": lambda m, a: (a * 1).triu_(-1),
    "masked_fill_neg_inf_softmax": lambda m, a: a.masked_fill(
        m.tril(m.ones(4, 5)) == 0, float("-inf")).softmax(-1),
    "masked_fill_function": lambda m, a: m.masked_fill(a, a > 0.2, 0.5),
    "masked_fill_inplace": lambda m, a: (a * 2).masked_fill_(a < 0, -1.0),
    "narrow": lambda m, a: a.narrow(1, 1, 2),
    "narrow_negative": lambda m, a: m.narrow(a, -1, -3, 2),
    "narrow_tensor_start": lambda m, a: a.narrow(0, m.tensor(1), 2),
    "index_select": lambda m, a: a.index_select(1, m.tensor([3, 0, 3])),
    "index_select_function": lambda m, a: m.index_select(a, 0, m.tensor([2, 2])),
    "index_select_int32": lambda m, a: a.index_select(-1, m.tensor([1], dtype=m.int32)),
    "topk_values": lambda m, a: m.topk(a, 2).values,
    "topk_dim0_smallest": lambda m, a: a.topk(2, dim=0, largest=False)[0],
    "topk_indices_gather": lambda m, a: a.gather(-1, a.topk(3).indices) * 2,
    "view_as": lambda m, a: a.view_as(m.zeros(20, 3)),
    "expand_as": lambda m, a: a[:, :1].expand_as(a) * a,
    "repeat": lambda m, a: a.repeat(1, 2, 1),
    "einsum_matmul": lambda m, a: m.einsum("bij,bjk->bik", a, a.transpose(1, 2)),
    "einsum_list": lambda m, a: m.einsum("ijk,ijk->i", [a, a.exp()]),
    "einsum_implicit": lambda m, a: m.einsum("bij,bkj", a, a),
    "einsum_sum": lambda m, a: m.einsum("ijk->", a),
    "einsum_transpose": lambda m, a: m.einsum("ijk->kji", a),
    "einsum_ellipsis": lambda m, a: m.einsum("...ij,...kj->...ik", a, a),
    "einsum_ellipsis_broadcast": lambda m, a: m.einsum("...j,...j->...", a, a[0, 0]),
    "einsum_diagonal": lambda m, a: m.einsum("ii->i", a[0, :, :4]),
    "einsum_trace_outer": lambda m, a: m.einsum("bii,bj->bj", a[:, :, :4], a[:, 0]),
    "einsum_size_one_broadcast": lambda m, a: m.einsum("ij,jk->ik", a[0, :, :1], a[1]),
    "einsum_attention": lambda m, a: m.einsum("hqd,hkd->hqk", a, a).softmax(-1),
    "einsum_three": lambda m, a: m.einsum("ij,jk,kl->il", a[0], a[1].T, a[2]),
    "type_double": lambda m, a: a.type(m.float64) * 1,
    "new_tensor_mix": lambda m, a: a * a.new_tensor([1.0, 2.0, 3.0, 4.0, 5.0]),
    "pow_function": lambda m, a: m.pow(a, 3.0),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_script_ops_match_torch(name):
    run_both(OPS[name], _inputs([(3, 4, 5)], seed=len(name)))


@pytest.mark.parametrize("name", ["tril_pos", "triu_pos", "narrow", "index_select",
                                  "topk_values", "einsum_matmul", "einsum_diagonal",
                                  "einsum_size_one_broadcast", "einsum_trace_outer",
                                  "masked_fill_neg_inf_softmax"])
def test_script_op_grads_match_finite_differences(name):
    finite_difference_check(OPS[name], _inputs([(3, 4, 5)], seed=3))


def test_topk_returns_a_named_pair_sorted_as_torch():
    a = _inputs([(3, 6)], seed=9)[0]
    for kwargs in ({"k": 3}, {"k": 2, "dim": 0}, {"k": 4, "largest": False}, {"k": 0},
                   {"k": 6, "dim": -1}):
        g, t = genesis.tensor(a).topk(**kwargs), torch.tensor(a).topk(**kwargs)
        np.testing.assert_array_equal(g.values.numpy(), t.values.numpy())
        np.testing.assert_array_equal(g.indices.numpy(), t.indices.numpy())
        assert g.indices.dtype == genesis.int64 and type(g).__name__ == "topk"
    nan = [1.0, float("nan"), 3.0]  # NaN counts as the largest, as in PyTorch
    g, t = genesis.tensor(nan).topk(2), torch.tensor(nan).topk(2)
    assert g.indices.tolist() == t.indices.tolist() == [1, 2]
    scalar = genesis.tensor(3.0).topk(1)
    assert scalar.values.shape == () and scalar.indices.item() == 0


def test_isnan_isinf_isfinite_functions_and_methods_match_torch():
    data = [1.0, float("nan"), float("inf"), -float("inf"), 0.0]
    for name in ("isnan", "isinf", "isfinite"):
        t = getattr(torch, name)(torch.tensor(data)).tolist()
        assert getattr(genesis, name)(genesis.tensor(data)).tolist() == t
        assert getattr(genesis.tensor(data), name)().tolist() == t
        assert getattr(genesis, name)(genesis.tensor([1, 2])).tolist() == \
            getattr(torch, name)(torch.tensor([1, 2])).tolist()
    g = genesis.tensor(data)
    assert (genesis.isinf(g) | genesis.isnan(g)).any().item() is True
    with pytest.raises(TypeError, match="argument 'input' must be a Tensor"):
        genesis.isnan(1.0)


def frequencies(draws, n):
    return np.bincount(np.asarray(draws).reshape(-1), minlength=n) / np.asarray(draws).size


def test_multinomial_draws_follow_the_weights():
    genesis.manual_seed(0)
    weights = genesis.tensor([1.0, 0.0, 3.0, 6.0])  # unnormalised, as scripts pass exp(logits)
    with_replacement = genesis.multinomial(weights, 20000, replacement=True)
    assert with_replacement.dtype == genesis.int64 and with_replacement.shape == (20000,)
    np.testing.assert_allclose(frequencies(with_replacement.numpy(), 4), [0.1, 0, 0.3, 0.6],
                               atol=0.015)
    # Without replacement, the first pick has the same law, and picks within a row differ.
    rows = genesis.tensor(np.tile([1.0, 0.0, 3.0, 6.0], (4000, 1)))
    picks = rows.multinomial(3).numpy()
    np.testing.assert_allclose(frequencies(picks[:, 0], 4), [0.1, 0, 0.3, 0.6], atol=0.02)
    assert all(len(set(row)) == 3 for row in picks)
    assert 1 not in picks[:, :2]  # the zero-weight class only once nothing else is left
    single = genesis.tensor([0.0, 2.0, 0.0]).multinomial(1)
    assert single.tolist() == [1] and genesis.ones(2, 3).multinomial(2).shape == (2, 2)


def test_multinomial_uses_the_generator_and_the_seed():
    weights = genesis.tensor([0.2, 0.3, 0.5])
    a = weights.multinomial(8, True, generator=genesis.Generator().manual_seed(5))
    b = weights.multinomial(8, True, generator=genesis.Generator().manual_seed(5))
    genesis.manual_seed(1)
    c = weights.multinomial(8, True)
    genesis.manual_seed(1)
    assert a.tolist() == b.tolist() and c.tolist() == weights.multinomial(8, True).tolist()


MULTINOMIAL_ERRORS = [
    lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1),
    lambda m: m.multinomial(m.tensor([1.0, -1.0]), 1),
    lambda m: m.multinomial(m.tensor([1.0, float("nan")]), 1),
    lambda m: m.multinomial(m.tensor([1.0, float("inf")]), 1),
    lambda m: m.multinomial(m.tensor([1.0, 1.0]), 3),
    lambda m: m.multinomial(m.ones(2, 2, 2), 1),
    lambda m: m.multinomial(m.tensor([1, 2]), 1),
    lambda m: m.multinomial(m.ones(3), 0),
    lambda m: m.multinomial(m.ones(3), -1),
    lambda m: m.multinomial(m.ones(3), 1.5),
]


@pytest.mark.parametrize("call", range(len(MULTINOMIAL_ERRORS)))
def test_multinomial_refuses_as_torch(call):
    ours, theirs = (outcome(lambda: MULTINOMIAL_ERRORS[call](m)) for m in (genesis, torch))
    assert ours[:2] == theirs[:2]
    if theirs[1] != "TypeError":
        assert ours[2] == theirs[2]


ERRORS = [
    lambda m, x: m.tril(m.ones(3)), lambda m, x: x.triu(1.5), lambda m, x: x.topk(5),
    lambda m, x: x.topk(-1), lambda m, x: x.topk(2.0), lambda m, x: x.narrow(1, 3, 2),
    lambda m, x: x.narrow(1, 5, 0), lambda m, x: x.narrow(1, -5, 1), lambda m, x: x.narrow(2, 0, 1),
    lambda m, x: x.narrow(1, 0, -1), lambda m, x: x.narrow(1, 1.0, 1),
    lambda m, x: x.index_select(1, m.tensor([[0]])), lambda m, x: x.index_select(1, m.tensor([4])),
    lambda m, x: x.index_select(1, m.tensor([-1])), lambda m, x: x.index_select(1, m.tensor([0.0])),
    lambda m, x: x.index_select(1, [0]),
    lambda m, x: m.einsum("ij,jk->ik", x, x), lambda m, x: m.einsum("ij->ik", x),
    lambda m, x: m.einsum("ij,j->i", x), lambda m, x: m.einsum("i,j->ij", x, x),
    lambda m, x: m.einsum("ij", x, x), lambda m, x: m.einsum("ii->i", x),
    lambda m, x: m.einsum("ij->ii", x), lambda m, x: m.einsum("ijk->i", x),
    lambda m, x: m.ones(2).bernoulli_(1.5), lambda m, x: m.bernoulli(m.tensor([1.5])),
]


@pytest.mark.parametrize("call", range(len(ERRORS)))
def test_bad_arguments_raise_torch_errors(call):
    def make(m):
        return ERRORS[call](m, m.arange(12.0).reshape(3, 4))
    ours, theirs = outcome(lambda: make(genesis)), outcome(lambda: make(torch))
    assert ours[:2] == theirs[:2], (ours, theirs)
    if theirs[0] == "raised" and theirs[1] != "TypeError":
        assert ours[2][:40] == theirs[2][:40], (ours, theirs)


def test_narrow_is_a_view_and_index_select_a_copy_as_in_torch():
    for m in (genesis, torch):
        x = m.arange(6.0).reshape(2, 3)
        x.narrow(1, 1, 1).fill_(-1)
        x.index_select(1, m.tensor([0])).fill_(-2)
        assert x.tolist() == [[0.0, -1.0, 2.0], [3.0, -1.0, 5.0]]


def test_bernoulli_draws_and_drop_connect_pattern():
    genesis.manual_seed(0)
    mask = genesis.empty([20000, 1, 1, 1], dtype=genesis.float32, device=genesis.device("cpu"))
    mask.bernoulli_(0.8)
    assert set(np.unique(mask.numpy())) <= {0.0, 1.0} and abs(mask.mean().item() - 0.8) < 0.01
    probs = genesis.tensor([[0.0, 1.0, 0.25]]).expand(20000, 3)
    draws = genesis.bernoulli(probs).numpy()
    np.testing.assert_allclose(draws.mean(axis=0), [0.0, 1.0, 0.25], atol=0.01)
    x = genesis.ones(4, 2)
    x.div_(0.5).mul_(genesis.tensor([[1.0], [0.0], [1.0], [0.0]]))  # EfficientNet's drop_connect
    assert x.tolist() == [[2.0, 2.0], [0.0, 0.0], [2.0, 2.0], [0.0, 0.0]]


def test_script_api_docstring_examples_run():
    import doctest

    import genesis.functions
    result = doctest.testmod(genesis.functions, extraglobs={"genesis": genesis})
    assert result.failed == 0 and result.attempted > 0
