"""The layers under ``genesis.autocast("cpu", dtype=float16)`` against PyTorch 2.13's CPU autocast.

Every op that PyTorch's CPU autocast lists in lower precision and Genesis has (convolutions and
transposed convolutions, the recurrent layers' gate matmuls, scaled dot-product and multi-head
attention, and the Transformer layers built of them) and the float32 ones (reflection and
replication padding), plus the layers PyTorch computes in float32 for a float16 input without
autocast rules (normalisations, softmaxes). For each: every output has PyTorch's dtype, values
agree within float16 rounding, and backward gives float32 parameters float32 gradients close to
PyTorch's.

PyTorch 2.13's oneDNN LSTM refuses float16 on the CPU ("could not create a primitive descriptor
for the LSTM forward propagation primitive"), so PyTorch runs here with oneDNN off: its native
path, which is its own decomposition of each cell into ``linear`` calls under autocast. That
decomposition is why PyTorch's outputs differ by layer (float16 for RNN and a projected LSTM,
float32 for LSTM and GRU, whose cell formulas combine float16 gates with the float32 state).
"""
import contextlib
import warnings

import numpy as np
import pytest
import torch

import genesis

RNG = np.random.default_rng(0)


@contextlib.contextmanager
def native_kernels():
    """PyTorch without oneDNN (see the module docstring), its notes on kernel choices hushed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.backends.mkldnn.flags(enabled=False):
            yield


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for item in out for t in _flat(item)]
    if out is None:
        return []
    if hasattr(out, "batch_sizes"):  # a PackedSequence: its data
        return [out.data]
    return [out]


def _packed(m, mod, x):
    pack = m.nn.utils.rnn.pack_padded_sequence
    return mod(pack(x, m.tensor([3, 2]), enforce_sorted=True))


def _mha(**kwargs):
    return lambda m, mod, q, k: mod(q, k, k, **kwargs)


def _causal(m, mod, q):
    mask = m.nn.Transformer.generate_square_subsequent_mask(q.shape[0])
    return mod(q, q, q, attn_mask=mask, need_weights=False, is_causal=True)


def _call(m, mod, *inputs):
    return mod(*inputs)


F32, F16 = np.float32, np.float16
# name: (layer class, args, kwargs, inputs as (shape, dtype), how to call)
LAYERS = {
    "conv1d": ("Conv1d", (3, 4, 3), {"padding": 1}, [((2, 3, 8), F32)], _call),
    "conv2d": ("Conv2d", (3, 4, 3), {"padding": 1}, [((2, 3, 6, 6), F32)], _call),
    "conv2d_reflect": ("Conv2d", (3, 4, 3), {"padding": 1, "padding_mode": "reflect"},
                       [((2, 3, 6, 6), F32)], _call),
    "conv_transpose1d": ("ConvTranspose1d", (3, 4, 3), {"stride": 2}, [((2, 3, 5), F32)], _call),
    "conv_transpose2d": ("ConvTranspose2d", (3, 4, 3), {"stride": 2}, [((2, 3, 4, 4), F32)],
                         _call),
    "lstm": ("LSTM", (4, 5), {}, [((3, 2, 4), F32)], _call),
    "lstm_2layer_bidirectional": ("LSTM", (4, 5), {"num_layers": 2, "bidirectional": True,
                                                   "batch_first": True},
                                  [((2, 3, 4), F32)], _call),
    "lstm_proj": ("LSTM", (4, 6), {"proj_size": 3}, [((3, 2, 4), F32)], _call),
    "lstm_half_input": ("LSTM", (4, 5), {}, [((3, 2, 4), F16)], _call),
    "lstm_float16_h_float32_c": ("LSTM", (4, 5), {}, [((3, 2, 4), F32), ((1, 2, 5), F16),
                                                      ((1, 2, 5), F32)],
                                 lambda m, mod, x, h, c: mod(x, (h, c))),
    "lstm_packed": ("LSTM", (4, 5), {}, [((3, 2, 4), F32)], _packed),
    "gru": ("GRU", (4, 5), {"num_layers": 2}, [((3, 2, 4), F32)], _call),
    "gru_float16_h0": ("GRU", (4, 5), {}, [((3, 2, 4), F32), ((1, 2, 5), F16)], _call),
    "rnn_tanh": ("RNN", (4, 5), {}, [((3, 2, 4), F32), ((1, 2, 5), F32)], _call),
    "rnn_relu_bidirectional": ("RNN", (4, 5), {"nonlinearity": "relu", "bidirectional": True},
                               [((3, 2, 4), F32)], _call),
    "lstm_cell": ("LSTMCell", (4, 5), {}, [((2, 4), F32)], _call),
    "gru_cell": ("GRUCell", (4, 5), {}, [((2, 4), F32), ((2, 5), F32)], _call),
    "rnn_cell": ("RNNCell", (4, 5), {}, [((2, 4), F32)], _call),
    "mha": ("MultiheadAttention", (8, 2), {}, [((3, 2, 8), F32), ((4, 2, 8), F32)], _mha()),
    "mha_bias_kv_zero_attn": ("MultiheadAttention", (8, 2), {"add_bias_kv": True,
                                                            "add_zero_attn": True},
                              [((3, 2, 8), F32), ((4, 2, 8), F32)], _mha()),
    "mha_batch_first_no_weights": ("MultiheadAttention", (8, 2), {"batch_first": True},
                                   [((2, 3, 8), F32), ((2, 4, 8), F32)],
                                   _mha(need_weights=False)),
    "mha_causal": ("MultiheadAttention", (8, 2), {}, [((3, 2, 8), F32)], _causal),
    "encoder_layer": ("TransformerEncoderLayer", (8, 2, 16), {"dropout": 0.0},
                      [((3, 2, 8), F32)], _call),
    "encoder_layer_norm_first_gelu": ("TransformerEncoderLayer", (8, 2, 16),
                                      {"dropout": 0.0, "norm_first": True,
                                       "activation": "gelu", "batch_first": True},
                                      [((2, 3, 8), F32)], _call),
    "decoder_layer": ("TransformerDecoderLayer", (8, 2, 16), {"dropout": 0.0},
                      [((3, 2, 8), F32), ((4, 2, 8), F32)], _call),
    "batch_norm_float16_input": ("BatchNorm2d", (3,), {}, [((2, 3, 4, 4), F16)], _call),
    "layer_norm_float16_input": ("LayerNorm", (8,), {}, [((2, 3, 8), F16)], _call),
    "group_norm_float16_input": ("GroupNorm", (2, 4), {}, [((2, 4, 3), F16)], _call),
    "instance_norm_float16_input": ("InstanceNorm2d", (3,), {"affine": True},
                                    [((2, 3, 4, 4), F16)], _call),
}


def _fn(body):
    return (None, (), {}) + body


FUNCTIONS = {
    "sdpa_bool_mask": _fn(([((2, 3, 4), F32)] * 3, lambda m, mod, q, k, v:
                           m.nn.functional.scaled_dot_product_attention(
                               q, k, v, attn_mask=m.tensor(np.tril(np.ones((3, 3), bool)))))),
    "reflection_pad1d": _fn(([((2, 3, 5), F16)],
                             lambda m, mod, x: m.nn.functional.pad(x, (2, 1), "reflect"))),
    "reflection_pad2d": _fn(([((2, 3, 5, 5), F16)],
                             lambda m, mod, x: m.nn.functional.pad(x, (2, 1, 1, 2), "reflect"))),
    "reflection_pad3d_stays_float16": _fn(([((1, 2, 3, 3, 3), F16)], lambda m, mod, x:
                                           m.nn.functional.pad(x, (1,) * 6, "reflect"))),
    "replication_pad3d": _fn(([((1, 2, 3, 3, 3), F16)], lambda m, mod, x:
                              m.nn.functional.pad(x, (1, 0, 0, 1, 1, 1), "replicate"))),
    "circular_pad_stays_float16": _fn(([((2, 3, 5), F16)], lambda m, mod, x:
                                       m.nn.functional.pad(x, (2, 1), "circular"))),
    "softmax_float16": _fn(([((3, 7), F16)], lambda m, mod, x: m.softmax(x * 4, -1))),
    "log_softmax_float16": _fn(([((3, 7), F16)],
                                lambda m, mod, x: m.nn.functional.log_softmax(x * 4, -1))),
}
CASES = {**LAYERS, **FUNCTIONS}


def _build(m, name):
    cls, args, kwargs, _, _ = CASES[name]
    if cls is None:
        return None
    torch.manual_seed(0)
    layer = getattr(torch.nn, cls)(*args, **kwargs)
    if m is torch:
        return layer
    ours = getattr(genesis.nn, cls)(*args, **kwargs)
    ours.load_state_dict({k: genesis.tensor(v.numpy()) for k, v in layer.state_dict().items()})
    return ours


INPUTS = {name: [RNG.standard_normal(shape).astype(dtype) for shape, dtype in spec[3]]
          for name, spec in CASES.items()}


def run(m, name, autocast=True):
    """Outputs, parameter gradients, input gradients and buffers of one case."""
    layer = _build(m, name)
    inputs = [m.tensor(a, requires_grad=True) for a in INPUTS[name]]
    with native_kernels(), m.autocast("cpu", dtype=m.float16, enabled=autocast):
        outputs = _flat(CASES[name][4](m, layer, *inputs))
    # squares: every gradient depends on the values (a plain sum leaves a norm's weight none)
    sum((o.float() ** 2).sum() for o in outputs if o.dtype.is_floating_point).backward()
    params = [] if layer is None else [(k, p.grad) for k, p in layer.named_parameters()]
    buffers = [] if layer is None else [(k, b) for k, b in layer.named_buffers()]
    return outputs, params, [x.grad for x in inputs], buffers


def _in_float16(grad):
    values = grad.numpy()
    return bool((values.astype(np.float16).astype(values.dtype) == values).all())


def _name(dtype):
    return str(dtype).split(".")[1]


def _close(ours, theirs, rtol):
    ours, theirs = ours.detach().float().numpy(), theirs.detach().float().numpy()
    scale = max(float(np.abs(theirs).max(initial=0.0)), 1.0)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale)


def compare(name, autocast=True):
    ours, theirs = run(genesis, name, autocast), run(torch, name, autocast)
    (outs, params, input_grads, buffers), (t_outs, t_params, t_input_grads, t_buffers) = \
        ours, theirs
    assert [_name(o.dtype) for o in outs] == [_name(o.dtype) for o in t_outs]
    for o, t in zip(outs, t_outs):
        _close(o, t, 5e-3)
    assert [k for k, _ in params] == [k for k, _ in t_params]
    for (key, g), (_, t) in zip(params, t_params):
        assert g.dtype == genesis.float32 and t.dtype == torch.float32, key
        _close(g, t, 2e-2)
        # A weight used by a float16 op gets its gradient computed in float16 and then cast:
        # float16 values stored in float32. Where PyTorch computes it in float16, so must we.
        # (PyTorch casts an LSTM's projection weight afresh at every step, through a view
        # that autocast's cast cache skips, so it sums the steps' float16 gradients in float32;
        # Genesis computes that gradient as one float16 matmul over all steps.)
        if not key.startswith("weight_hr"):
            assert _in_float16(g) == _in_float16(t), key
    for x, g, t in zip(INPUTS[name], input_grads, t_input_grads):
        assert g is not None and _name(g.dtype) == _name(t.dtype) == str(x.dtype)
        _close(g, t, 2e-2)
    for (key, b), (_, t) in zip(buffers, t_buffers):
        assert _name(b.dtype) == _name(t.dtype), key
        _close(b, t, 2e-3)
    return outs


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_under_float16_autocast_matches_torch(name):
    compare(name)


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.endswith("float16_input")
                                         or n.startswith(("softmax", "log_softmax", "reflection",
                                                          "replication", "circular"))))
def test_float16_inputs_outside_autocast_match_torch(name):
    compare(name, autocast=False)


def test_lower_precision_layers_really_compute_in_float16():
    """1 + 2**-11 is not a float16: a layer that computes in float16 rounds it to 1."""
    x = 1.0 + 2.0 ** -11
    rnn = genesis.nn.RNNCell(1, 1, bias=False, nonlinearity="relu")
    conv = genesis.nn.Conv1d(1, 1, 1, bias=False)
    for layer in (rnn, conv):
        with genesis.no_grad():
            for p in layer.parameters():
                p.fill_(1.0)
    with genesis.autocast("cpu", dtype=genesis.float16):
        seen = [rnn(genesis.tensor([[x]])), conv(genesis.tensor([[[x]]]))]
    assert [(t.dtype, t.item()) for t in seen] == [(genesis.float16, 1.0)] * 2
    assert rnn(genesis.tensor([[x]])).item() == conv(genesis.tensor([[[x]]])).item() == x


def test_recurrent_dtype_checks_relax_under_autocast_only():
    lstm = genesis.nn.LSTM(2, 3)
    x = genesis.ones(4, 1, 2, dtype=genesis.float16)
    with pytest.raises(ValueError, match=r"RNN input dtype \(genesis.float16\) does not match"):
        lstm(x)
    with genesis.autocast("cpu", dtype=genesis.float16):
        out, (h, c) = lstm(x)
        assert (out.dtype, h.dtype, c.dtype) == (genesis.float16,) * 3
        with pytest.raises(ValueError, match="does not match weight dtype"):
            lstm(x.double())  # float64 is never lowered: PyTorch refuses it too


def test_cnn_lstm_transformer_trains_under_autocast_with_grad_scaler_like_torch():
    """A small CNN -> LSTM -> TransformerEncoderLayer classifier, five steps of Adam under
    float16 autocast with GradScaler('cpu'), against the same model in PyTorch."""
    images = RNG.standard_normal((4, 1, 8, 8)).astype(np.float32)
    labels = np.array([0, 1, 2, 1])

    def train(m):
        torch.manual_seed(0)
        layers = [torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                  torch.nn.LSTM(16, 8, batch_first=True),
                  torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
                  torch.nn.Linear(8, 3)]
        if m is genesis:
            state = [{k: genesis.tensor(v.numpy()) for k, v in t.state_dict().items()}
                     for t in layers]
            layers = [genesis.nn.Conv2d(1, 4, 3, padding=1), genesis.nn.BatchNorm2d(4),
                      genesis.nn.LSTM(16, 8, batch_first=True),
                      genesis.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0,
                                                         batch_first=True),
                      genesis.nn.Linear(8, 3)]
            for layer, s in zip(layers, state):
                layer.load_state_dict(s)
        conv, norm, lstm, encoder, head = layers
        params = [p for layer in layers for p in layer.parameters()]
        opt = m.optim.Adam(params, lr=1e-2)
        scaler = m.amp.GradScaler("cpu", init_scale=2.0 ** 8)
        losses, dtypes = [], None
        for _ in range(5):
            opt.zero_grad()
            with native_kernels(), m.autocast("cpu", dtype=m.float16):
                features = m.relu(norm(conv(m.tensor(images))))   # (4, 4, 8, 8)
                seq = features.reshape(4, 4, 64).transpose(1, 2).reshape(4, 16, 16)
                hidden, _ = lstm(seq)
                logits = head(encoder(hidden).mean(1))
                loss = m.nn.functional.cross_entropy(logits, m.tensor(labels))
            dtypes = [_name(t.dtype) for t in (features, hidden, logits, loss)]
            scaler.scale(loss).backward()
            assert {str(p.grad.dtype).split(".")[1] for p in params} == {"float32"}
            scaler.step(opt)
            scaler.update()
            losses.append(loss.item())
        return losses, dtypes, scaler.get_scale()
    (ours, our_dtypes, our_scale), (theirs, their_dtypes, their_scale) = train(genesis), \
        train(torch)
    assert our_dtypes == their_dtypes == ["float16", "float16", "float16", "float32"]
    assert our_scale == their_scale
    np.testing.assert_allclose(ours, theirs, rtol=2e-2)
    assert ours[-1] < ours[0]
