"""The transformer family against PyTorch: a PyTorch state dict loads (and the reverse) and gives
the same outputs and gradients, for every combination of norm_first, batch_first, activation
and masks; defaults, init, repr, dropout in training only, errors."""
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import genesis
from genesis import nn
from nn_testing import assert_close
from seq_testing import assert_same_layout, compare_calls, leaf_pair, same_error, twins

D, HEADS, FF = 8, 2, 12
# PyTorch warns that it cannot use its nested-tensor fast path: not our concern here.
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True:UserWarning")

CASES = st.fixed_dictionaries({
    "part": st.sampled_from(["encoder_layer", "decoder_layer", "encoder", "decoder",
                             "transformer"]),
    "norm_first": st.booleans(), "batch_first": st.booleans(),
    "activation": st.sampled_from(["relu", "gelu", "module_gelu", "callable"]),
    "bias": st.booleans(), "masks": st.sampled_from([None, "causal", "padding", "both"]),
    "batched": st.booleans(),
})


def _activation(name, m):
    if name == "module_gelu":
        return m.GELU(approximate="tanh")
    if name == "callable":
        return lambda x: x.tanh() * 2
    return name


def _layer_kwargs(norm_first, batch_first, activation, bias, m):
    return dict(dim_feedforward=FF, dropout=0.1, activation=_activation(activation, m),
                batch_first=batch_first, norm_first=norm_first, bias=bias)


def _builder(part, norm_first, batch_first, activation, bias):
    def build(m):
        kw = _layer_kwargs(norm_first, batch_first, activation, bias, m)
        if part == "encoder_layer":
            return m.TransformerEncoderLayer(D, HEADS, **kw)
        if part == "decoder_layer":
            return m.TransformerDecoderLayer(D, HEADS, **kw)
        if part == "encoder":
            return m.TransformerEncoder(m.TransformerEncoderLayer(D, HEADS, **kw), 2,
                                        norm=m.LayerNorm(D))
        if part == "decoder":
            return m.TransformerDecoder(m.TransformerDecoderLayer(D, HEADS, **kw), 2)
        return m.Transformer(D, HEADS, 2, 1, **kw)
    return build


def run_case(part, norm_first, batch_first, activation, bias, masks, batched, seed=0,
             dtype=np.float64):
    rng = np.random.default_rng(seed)
    ours, ref = twins(_builder(part, norm_first, batch_first, activation, bias), dtype, rng)
    ours.eval(), ref.eval()  # dropout off: outputs comparable
    batch, src_len, tgt_len = 2, 4, 3

    def tokens(n):
        shape = ((batch, n) if batch_first else (n, batch)) if batched else (n,)
        return leaf_pair(rng.standard_normal(shape + (D,)).astype(dtype))

    decoding = part in ("decoder_layer", "decoder", "transformer")
    target = tokens(tgt_len)
    memory = tokens(src_len) if decoding else None
    g_args, t_args = [target[0]], [target[1]]
    if part == "transformer":
        g_args, t_args = [memory[0], target[0]], [memory[1], target[1]]
    elif decoding:
        g_args, t_args = [target[0], memory[0]], [target[1], memory[1]]
    g_kw, t_kw = {}, {}
    mask_name = {"encoder_layer": "src_mask", "encoder": "mask"}.get(part, "tgt_mask")
    pad_name = {"encoder_layer": "src_key_padding_mask",
                "encoder": "src_key_padding_mask"}.get(part, "tgt_key_padding_mask")
    if masks in ("causal", "both"):
        g_kw[mask_name] = nn.Transformer.generate_square_subsequent_mask(
            tgt_len, dtype=genesis.float64 if dtype == np.float64 else genesis.float32)
        t_kw[mask_name] = torch.nn.Transformer.generate_square_subsequent_mask(
            tgt_len, dtype=torch.float64 if dtype == np.float64 else torch.float32)
    if masks in ("padding", "both"):
        pad = rng.random((batch, tgt_len) if batched else (tgt_len,)) > 0.6
        pad[..., 0] = False
        if masks == "both":
            pad = pad.astype(dtype) * -1e9  # same (float) type as the causal mask
        g_kw[pad_name], t_kw[pad_name] = genesis.tensor(pad), torch.tensor(pad)
        if decoding:
            mem_pad = rng.random((batch, src_len) if batched else (src_len,)) > 0.6
            mem_pad[..., 0] = False
            g_kw["memory_key_padding_mask"] = genesis.tensor(mem_pad)
            t_kw["memory_key_padding_mask"] = torch.tensor(mem_pad)
    leaves = [target] + ([memory] if decoding else [])
    compare_calls(ours, ref, g_args, t_args, 1e-9 if dtype == np.float64 else 3e-5, rng,
                  what=part, g_leaves=[p[0] for p in leaves], t_leaves=[p[1] for p in leaves],
                  g_kwargs=g_kw, t_kwargs=t_kw)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(CASES)
def test_transformer_family_matches_torch_float64(case):
    run_case(**case)


def test_full_transformer_float32_with_every_mask():
    run_case("transformer", False, True, "relu", True, "both", True, seed=1, dtype=np.float32)
    run_case("encoder", True, False, "gelu", True, "causal", True, seed=2, dtype=np.float32)


def test_default_transformer_state_dict_loads_both_ways_and_agrees():
    # PyTorch's defaults (d_model 512, 8 heads, 6 + 6 layers) shrunk only in depth.
    torch.manual_seed(0)
    ref = torch.nn.Transformer(d_model=32, nhead=4, num_encoder_layers=2,
                               num_decoder_layers=2).eval()
    ours = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=2, num_decoder_layers=2).eval()
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict(ref.state_dict())
    rng = np.random.default_rng(3)
    src, tgt = rng.standard_normal((6, 2, 32)), rng.standard_normal((5, 2, 32))
    src, tgt = src.astype(np.float32), tgt.astype(np.float32)
    mask = ref.generate_square_subsequent_mask(5)
    expected = ref(torch.from_numpy(src), torch.from_numpy(tgt), tgt_mask=mask)
    got = ours(genesis.tensor(src), genesis.tensor(tgt),
               tgt_mask=nn.Transformer.generate_square_subsequent_mask(5))
    assert_close(got, expected, 2e-5)
    # and the reverse: a Genesis-trained state dict in PyTorch
    genesis.manual_seed(1)
    fresh = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=2, num_decoder_layers=2)
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                         for k, v in fresh.state_dict().items()})
    assert_close(fresh.eval()(genesis.tensor(src), genesis.tensor(tgt)),
                 ref(torch.from_numpy(src), torch.from_numpy(tgt)), 2e-5)


@pytest.mark.parametrize("build", [
    lambda m: m.TransformerEncoderLayer(D, HEADS),
    lambda m: m.TransformerEncoderLayer(D, HEADS, 16, 0.2, m.GELU(), 1e-6, True, True, False),
    lambda m: m.TransformerDecoderLayer(D, HEADS, 16, activation="gelu"),
    lambda m: m.TransformerEncoder(m.TransformerEncoderLayer(D, HEADS, 16), 3, m.LayerNorm(D),
                                   enable_nested_tensor=False),
    lambda m: m.TransformerDecoder(m.TransformerDecoderLayer(D, HEADS, 16), 2),
    lambda m: m.Transformer(D, HEADS, 1, 1, 16),
])
def test_names_shapes_and_repr_are_torchs(build):
    assert_same_layout(build(nn), build(torch.nn))


def test_transformer_init_is_xavier_uniform_for_matrices():
    genesis.manual_seed(0)
    model = nn.Transformer(d_model=64, nhead=4, num_encoder_layers=1, num_decoder_layers=1,
                           dim_feedforward=128)
    for name, p in model.named_parameters():
        values = p.detach().numpy()
        if values.ndim > 1:
            bound = math.sqrt(6 / (values.shape[0] + values.shape[1]))
            assert np.abs(values).max() <= bound, name
            assert abs(values.var() - bound**2 / 3) < 0.1 * bound**2 / 3, name
        elif "norm" in name and name.endswith("weight"):
            assert np.all(values == 1), name


def test_layers_are_deep_copies():
    layer = nn.TransformerEncoderLayer(D, HEADS, FF)
    encoder = nn.TransformerEncoder(layer, 2)
    weights = [m.linear1.weight for m in encoder.layers] + [layer.linear1.weight]
    assert len({id(w) for w in weights}) == 3
    np.testing.assert_array_equal(weights[0].detach().numpy(), weights[1].detach().numpy())


def test_dropout_only_in_training():
    genesis.manual_seed(0)
    layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.5)
    x = genesis.randn(5, 3, D)
    a, b = layer(x).detach().numpy(), layer(x).detach().numpy()
    assert not np.allclose(a, b)
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())


def test_generate_square_subsequent_mask_is_torchs():
    for size in (1, 4):
        ours = nn.Transformer.generate_square_subsequent_mask(size)
        ref = torch.nn.Transformer.generate_square_subsequent_mask(size)
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
        assert ours.dtype == genesis.float32
    assert nn.Transformer.generate_square_subsequent_mask(
        3, dtype=genesis.float64).dtype == genesis.float64


def test_causal_mask_is_detected_and_matches_an_explicit_causal_run():
    rng = np.random.default_rng(4)
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0), 2)
    x = genesis.tensor(rng.standard_normal((5, 2, D)).astype(np.float32))
    mask = nn.Transformer.generate_square_subsequent_mask(5)
    by_mask = encoder(x, mask=mask).detach().numpy()
    by_flag = encoder(x, mask=mask, is_causal=True).detach().numpy()
    np.testing.assert_allclose(by_mask, by_flag, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call", [
    lambda m, lib: m.TransformerEncoderLayer(8, 2, activation="tanh"),
    lambda m, lib: m.TransformerEncoderLayer(8, 3),
    lambda m, lib: m.Transformer(8, 2, 1, 1, 16)(lib.zeros(4, 3, 8), lib.zeros(4, 2, 8)),
    lambda m, lib: m.Transformer(8, 2, 1, 1, 16)(lib.zeros(4, 3, 8), lib.zeros(4, 3, 6)),
    lambda m, lib: m.TransformerEncoderLayer(8, 2, 16)(lib.zeros(4, 3, 6)),
])
def test_errors_have_torchs_type_and_words(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, ref = same_error(lambda: call(nn, genesis), lambda: call(torch.nn, torch))
    assert ours == ref.replace("torch.Size", "genesis.Size")


def test_encoder_language_model_trains():
    # A next-token task on a repeating sequence: the causal encoder learns it.
    import genesis.optim
    genesis.manual_seed(0)
    vocab, length = 5, 12
    embed = nn.Embedding(vocab, 16)
    encoder = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True), 1)
    head = nn.Linear(16, vocab)
    params = [*embed.parameters(), *encoder.parameters(), *head.parameters()]
    optimizer = genesis.optim.Adam(params, lr=0.01)
    sequence = np.tile(np.arange(vocab), 8)[:length + 1]
    x = genesis.tensor(np.stack([np.roll(sequence, -i)[:length] for i in range(4)]))
    y = genesis.tensor(np.stack([np.roll(sequence, -i)[1:length + 1] for i in range(4)]))
    mask = nn.Transformer.generate_square_subsequent_mask(length)
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        logits = head(encoder(embed(x), mask=mask, is_causal=True))
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
