"""F.scaled_dot_product_attention and nn.MultiheadAttention against PyTorch: outputs, attention
weights and the gradients of queries, keys, values, float masks and every parameter."""
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import genesis
from genesis import nn
from genesis.nn import functional as F
from nn_testing import assert_close, central_difference
from seq_testing import assert_same_layout, compare_calls, leaf_pair, same_error, twins

SDPA_CASES = st.fixed_dictionaries({
    "batch": st.sampled_from([(), (2,), (2, 3)]), "length": st.integers(1, 4),
    "source": st.integers(1, 5), "dim": st.integers(1, 4), "value_dim": st.integers(1, 3),
    "mask": st.sampled_from([None, "bool", "float", "float_grad", "causal"]),
    "mask_shape": st.sampled_from(["full", "rows", "broadcast"]),
    "scale": st.sampled_from([None, 0.3]),
})


def _sdpa_case(batch, length, source, dim, value_dim, mask, mask_shape, scale, dtype, seed,
               gqa=1):
    rng = np.random.default_rng(seed)
    heads = (3 * gqa,) if gqa > 1 else ()
    kv_heads = (3,) if gqa > 1 else ()
    q = leaf_pair(rng.standard_normal(batch + heads + (length, dim)).astype(dtype))
    k = leaf_pair(rng.standard_normal(batch + kv_heads + (source, dim)).astype(dtype))
    v = leaf_pair(rng.standard_normal(batch + kv_heads + (source, value_dim)).astype(dtype))
    g_kw, t_kw = {"scale": scale}, {"scale": scale}
    leaves = [q, k, v]
    if gqa > 1:
        g_kw["enable_gqa"] = t_kw["enable_gqa"] = True
    if mask == "causal":
        g_kw["is_causal"] = t_kw["is_causal"] = True
    elif mask is not None:
        shape = {"full": batch + heads + (length, source), "rows": (length, source),
                 "broadcast": (1, source)}[mask_shape]
        if mask == "bool":
            m = rng.random(shape) > 0.4
            pair = (genesis.tensor(m), torch.tensor(m))
        else:
            pair = leaf_pair(rng.standard_normal(shape).astype(dtype), mask == "float_grad")
            if mask == "float_grad":
                leaves.append(pair)
        g_kw["attn_mask"], t_kw["attn_mask"] = pair
    ours = F.scaled_dot_product_attention(q[0], k[0], v[0], **g_kw)
    ref = TF.scaled_dot_product_attention(q[1], k[1], v[1], **t_kw)
    rtol = 1e-9 if dtype == np.float64 else 2e-5
    assert_close(ours, ref, rtol, "sdpa")
    upstream = rng.standard_normal(tuple(ref.shape)).astype(dtype)
    ours.backward(genesis.tensor(upstream))
    ref.backward(torch.from_numpy(upstream))
    for name, (a, b) in zip("qkvm", leaves):
        assert_close(a.grad, b.grad, rtol, f"sdpa grad of {name}")


@settings(max_examples=30, deadline=None, derandomize=True)
@given(SDPA_CASES)
def test_sdpa_matches_torch_float64(case):
    _sdpa_case(**case, dtype=np.float64, seed=0)


def test_sdpa_float32_and_grouped_query_attention():
    _sdpa_case((2,), 4, 5, 8, 6, "float_grad", "full", None, np.float32, 1)
    _sdpa_case((2,), 4, 5, 8, 6, "bool", "rows", None, np.float64, 2, gqa=2)
    _sdpa_case((), 3, 3, 4, 4, "causal", "full", None, np.float64, 3, gqa=3)


def test_sdpa_fully_masked_rows_give_zeros_and_zero_grads():
    rng = np.random.default_rng(4)
    q, k, v = (leaf_pair(rng.standard_normal((2, 3, 4))) for _ in range(3))
    m = rng.random((3, 3)) > 0.3
    m[1] = False
    ours = F.scaled_dot_product_attention(q[0], k[0], v[0], attn_mask=genesis.tensor(m))
    ref = TF.scaled_dot_product_attention(q[1], k[1], v[1], attn_mask=torch.tensor(m))
    assert_close(ours, ref, 1e-12)
    assert not np.any(ours.detach().numpy()[:, 1])
    ours.sum().backward()
    ref.sum().backward()
    for a, b in (q, k, v):
        assert_close(a.grad, b.grad, 1e-9)


def test_sdpa_gradient_by_central_differences():
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((2, 3, 4)) for _ in range(3))
    upstream = rng.standard_normal((2, 3, 4))

    def loss(array):
        out = F.scaled_dot_product_attention(genesis.tensor(array), genesis.tensor(k),
                                             genesis.tensor(v), is_causal=True)
        return float((out.numpy() * upstream).sum())

    g = genesis.tensor(q, requires_grad=True)
    out = F.scaled_dot_product_attention(g, genesis.tensor(k), genesis.tensor(v), is_causal=True)
    (out * genesis.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(g.grad.numpy(), central_difference(loss, q.copy()), rtol=1e-6,
                               atol=1e-9)


def test_sdpa_dropout_zeroes_weights_and_scales_the_rest():
    # With v the identity, the output rows are the (dropped-out) attention weights themselves.
    genesis.manual_seed(0)
    length = 400
    q = k = genesis.zeros(1, length, 4)  # uniform weights 1/length
    v = genesis.tensor(np.eye(length))[None].float()
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25).numpy()
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(out[kept], 1 / length / 0.75, rtol=1e-5)
    same = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0).numpy()
    np.testing.assert_allclose(same, 1 / length, rtol=1e-5)


@pytest.mark.parametrize("call", [
    lambda F, lib: F.scaled_dot_product_attention(lib.zeros(2, 3, 4), lib.zeros(2, 5, 3),
                                                  lib.zeros(2, 5, 4)),
    lambda F, lib: F.scaled_dot_product_attention(
        lib.zeros(2, 3, 4), lib.zeros(2, 5, 4), lib.zeros(2, 5, 4),
        attn_mask=lib.ones(3, 5, dtype=lib.bool), is_causal=True),
    lambda F, lib: F.scaled_dot_product_attention(lib.zeros(2, 3, 4), lib.zeros(2, 5, 4),
                                                  lib.zeros(2, 5, 4, dtype=lib.float64)),
    lambda F, lib: F.scaled_dot_product_attention(lib.zeros(4), lib.zeros(4), lib.zeros(4)),
    lambda F, lib: F.scaled_dot_product_attention(lib.zeros(2, 3, 4), lib.zeros(2, 5, 4),
                                                  lib.zeros(2, 5, 4), dropout_p=1.5),
    lambda F, lib: F.scaled_dot_product_attention(
        lib.zeros(2, 3, 4), lib.zeros(2, 5, 4), lib.zeros(2, 5, 4),
        attn_mask=lib.zeros(3, 5, dtype=lib.int64)),
])
def test_sdpa_errors_have_torchs_type(call):
    same_error(lambda: call(F, genesis), lambda: call(TF, torch))


MHA_CASES = st.fixed_dictionaries({
    "batch_first": st.booleans(), "batched": st.booleans(),
    "kind": st.sampled_from(["self", "shared_kv", "cross", "kdim"]),
    "options": st.sampled_from([{}, {"bias": False}, {"add_bias_kv": True},
                                {"add_zero_attn": True}]),
    "need_weights": st.booleans(), "average": st.booleans(),
    "masks": st.sampled_from([None, "padding", "attn_bool", "attn_float", "attn_3d", "both",
                              "causal"]),
    "use": st.sampled_from(["all", "output"]),
})
E, HEADS = 6, 2


def _mha_case(batch_first, batched, kind, options, need_weights, average, masks, use, seed=0,
              dtype=np.float64):
    rng = np.random.default_rng(seed)
    dims = {"kdim": 4, "vdim": 5} if kind == "kdim" else {}
    ours, ref = twins(lambda m: m.MultiheadAttention(E, HEADS, batch_first=batch_first, **dims,
                                                     **options), dtype, rng)
    length, source, batch = 3, (3 if kind == "self" else 4), 2

    def tokens(n, width):
        shape = ((batch, n) if batch_first else (n, batch)) if batched else (n,)
        return leaf_pair(rng.standard_normal(shape + (width,)).astype(dtype))

    q = tokens(length, E)
    k = q if kind == "self" else tokens(source, dims.get("kdim", E))
    v = k if kind in ("self", "shared_kv") else tokens(source, dims.get("vdim", E))
    g_kw, t_kw = {}, {}
    if masks in ("padding", "both"):
        pad = rng.random((batch, source) if batched else (source,)) > 0.6
        pad[..., 0] = False
        g_kw["key_padding_mask"], t_kw["key_padding_mask"] = genesis.tensor(pad), torch.tensor(pad)
    if masks in ("attn_bool", "both", "causal"):
        m = rng.random((length, source)) > 0.7
        m[:, 0] = False
        if masks == "causal":
            m = np.triu(np.ones((length, source), dtype=bool), 1)
            g_kw["is_causal"] = t_kw["is_causal"] = True
        g_kw["attn_mask"], t_kw["attn_mask"] = genesis.tensor(m), torch.tensor(m)
    if masks in ("attn_float", "attn_3d"):
        shape = ((batch * HEADS if batched else HEADS, length, source) if masks == "attn_3d"
                 else (length, source))
        m = rng.standard_normal(shape).astype(dtype)
        g_kw["attn_mask"], t_kw["attn_mask"] = genesis.tensor(m), torch.tensor(m)
    leaves = [pair for pair in {id(p): p for p in (q, k, v)}.values()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's mismatched-mask-type deprecation
        compare_calls(ours, ref, [q[0], k[0], v[0]], [q[1], k[1], v[1]],
                      1e-9 if dtype == np.float64 else 2e-5, rng,
                      use=None if use == "all" else [0], what="mha",
                      g_leaves=[p[0] for p in leaves], t_leaves=[p[1] for p in leaves],
                      kwargs={"need_weights": need_weights, "average_attn_weights": average},
                      g_kwargs=g_kw, t_kwargs=t_kw)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(MHA_CASES)
def test_multihead_attention_matches_torch_float64(case):
    _mha_case(**case)


def test_multihead_attention_float32():
    _mha_case(True, True, "self", {}, True, False, "both", "all", seed=1, dtype=np.float32)
    _mha_case(False, True, "cross", {"add_bias_kv": True}, False, True, "padding", "all",
              seed=2, dtype=np.float32)


def test_need_weights_path_gives_nan_for_fully_masked_rows_as_torch():
    # PyTorch's need_weights=True path uses a plain softmax (NaN rows); need_weights=False
    # goes through scaled_dot_product_attention (zero rows). Genesis does the same.
    rng = np.random.default_rng(6)
    ours, ref = twins(lambda m: m.MultiheadAttention(E, HEADS), np.float64, rng)
    x = rng.standard_normal((3, 2, E))
    pad = np.array([[True, True, True], [False, False, True]])
    for need in (True, False):
        a = ours(*(genesis.tensor(x),) * 3, key_padding_mask=genesis.tensor(pad),
                 need_weights=need)[0].detach().numpy()
        b = ref(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(pad),
                need_weights=need)[0].detach().numpy()
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=1e-9, atol=1e-12)


def test_functional_form_matches_torch():
    rng = np.random.default_rng(7)
    ref = torch.nn.MultiheadAttention(E, HEADS).double()
    x = rng.standard_normal((4, 2, E))
    params = [p.detach().numpy() for p in (ref.in_proj_weight, ref.in_proj_bias,
                                           ref.out_proj.weight, ref.out_proj.bias)]
    ours = F.multi_head_attention_forward(
        *(genesis.tensor(x),) * 3, E, HEADS, genesis.tensor(params[0]),
        genesis.tensor(params[1]), None, None, False, 0.0, genesis.tensor(params[2]),
        genesis.tensor(params[3]))
    theirs = TF.multi_head_attention_forward(
        *(torch.tensor(x),) * 3, E, HEADS, ref.in_proj_weight, ref.in_proj_bias, None, None,
        False, 0.0, ref.out_proj.weight, ref.out_proj.bias)
    for a, b in zip(ours, theirs):
        assert_close(a, b, 1e-9)


def test_static_keys_and_values_match_torch():
    rng = np.random.default_rng(8)
    ref = torch.nn.MultiheadAttention(E, HEADS).double()
    ours = nn.MultiheadAttention(E, HEADS).double()
    ours.load_state_dict(ref.state_dict())
    x = rng.standard_normal((3, 2, E))
    sk, sv = rng.standard_normal((2 * HEADS, 5, 3)), rng.standard_normal((2 * HEADS, 5, 3))
    gx, tx = leaf_pair(x)
    gk, tk = leaf_pair(sk)
    a, _ = F.multi_head_attention_forward(
        gx, gx, gx, E, HEADS, ours.in_proj_weight, ours.in_proj_bias, None, None, False, 0.0,
        ours.out_proj.weight, ours.out_proj.bias, static_k=gk, static_v=genesis.tensor(sv))
    b, _ = TF.multi_head_attention_forward(
        tx, tx, tx, E, HEADS, ref.in_proj_weight, ref.in_proj_bias, None, None, False, 0.0,
        ref.out_proj.weight, ref.out_proj.bias, static_k=tk, static_v=torch.tensor(sv))
    assert_close(a, b, 1e-9)
    a.sum().backward()
    b.sum().backward()
    assert_close(gx.grad, tx.grad, 1e-9)
    assert_close(gk.grad, tk.grad, 1e-9)


def test_attention_weights_follow_dropout_in_training_only():
    genesis.manual_seed(0)
    mha = nn.MultiheadAttention(4, 1, dropout=0.5)
    x = genesis.zeros(50, 1, 4)
    _, weights = mha(x, x, x)
    values = weights.detach().numpy()
    assert 0.4 < (values == 0).mean() < 0.6
    np.testing.assert_allclose(values[values != 0], 1 / 50 / 0.5, rtol=1e-5)
    mha.eval()
    _, weights = mha(x, x, x)
    np.testing.assert_allclose(weights.detach().numpy(), 1 / 50, rtol=1e-5)


@pytest.mark.parametrize("build", [
    lambda m: m.MultiheadAttention(8, 2),
    lambda m: m.MultiheadAttention(8, 4, bias=False, add_bias_kv=True, batch_first=True),
    lambda m: m.MultiheadAttention(8, 2, kdim=3, vdim=5, dropout=0.1),
])
def test_mha_state_dict_repr_and_init_are_torchs(build):
    genesis.manual_seed(0)
    ours, ref = build(nn), build(torch.nn)
    assert_same_layout(ours, ref)
    for name, param in ours.named_parameters():
        values = param.detach().numpy()
        if name.endswith("proj_weight"):
            fan_out, fan_in = values.shape[0], values.shape[1]
            if name == "in_proj_weight":
                fan_out = values.shape[0]
            bound = math.sqrt(6 / (fan_in + fan_out))
            assert np.abs(values).max() <= bound and np.abs(values).max() > 0.8 * bound, name
        elif name in ("in_proj_bias", "out_proj.bias"):
            assert not np.any(values), name
        elif name == "out_proj.weight":
            assert np.abs(values).max() <= 1 / math.sqrt(values.shape[1])


@pytest.mark.parametrize("call", [
    lambda m, lib, x: m.MultiheadAttention(8, 3),
    lambda m, lib, x: m.MultiheadAttention(0, 3),
    lambda m, lib, x: m.MultiheadAttention(8, 2)(x, x[:, :, :4], x),
    lambda m, lib, x: m.MultiheadAttention(8, 2)(x, x, x, attn_mask=lib.zeros(3, 3)),
    lambda m, lib, x: m.MultiheadAttention(8, 2)(
        x, x, x, key_padding_mask=lib.zeros(3, 5, dtype=lib.bool)),
    lambda m, lib, x: m.MultiheadAttention(8, 2)(
        x, x, x, key_padding_mask=lib.zeros(3, 4, dtype=lib.int64)),
    lambda m, lib, x: m.MultiheadAttention(8, 2)(x, x, x[0]),
    lambda m, lib, x: m.MultiheadAttention(8, 2)(x[..., :6], x[..., :6], x[..., :6]),
    lambda m, lib, x: m.MultiheadAttention(8, 2)(x, x, x, is_causal=True),
])
def test_mha_errors_have_torchs_type_and_words(call):
    ours, ref = same_error(lambda: call(nn, genesis, genesis.zeros(4, 3, 8)),
                           lambda: call(torch.nn, torch, torch.zeros(4, 3, 8)))
    assert ours == ref.replace("torch.Size", "genesis.Size")


def test_mismatched_mask_types_warn_as_torch():
    mha = nn.MultiheadAttention(8, 2)
    x = genesis.zeros(4, 3, 8)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask"):
        mha(x, x, x, key_padding_mask=genesis.zeros(3, 4, dtype=genesis.bool),
            attn_mask=genesis.zeros(4, 4))


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("options", [{}, {"add_zero_attn": True}, {"add_bias_kv": True}])
def test_float_masks_of_multihead_attention_get_torchs_gradients(need_weights, options):
    rng = np.random.default_rng(9)
    ours, ref = twins(lambda m: m.MultiheadAttention(E, HEADS, **options), np.float64, rng)
    x = leaf_pair(rng.standard_normal((3, 2, E)))
    attn = leaf_pair(rng.standard_normal((2 * HEADS, 3, 3)))
    pad = leaf_pair(rng.standard_normal((2, 3)))
    compare_calls(ours, ref, [x[0]] * 3, [x[1]] * 3, 1e-9, rng, what="float masks",
                  g_leaves=[x[0], attn[0], pad[0]], t_leaves=[x[1], attn[1], pad[1]],
                  kwargs={"need_weights": need_weights},
                  g_kwargs={"attn_mask": attn[0], "key_padding_mask": pad[0]},
                  t_kwargs={"attn_mask": attn[1], "key_padding_mask": pad[1]})
