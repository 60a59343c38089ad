"""RNN, LSTM, GRU and their cells against PyTorch: outputs, final states and the gradients of
inputs, initial states and every weight, for PyTorch's weights loaded by state_dict."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import genesis
import genesis.optim
from genesis import nn
from nn_testing import assert_close, central_difference, numpy_state
from seq_testing import assert_same_layout, compare_calls, leaf_pair, same_error, twins

IN, HIDDEN, PROJ = 3, 5, 2
# PyTorch notes that it computes projected LSTMs without oneDNN: not our concern here.
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections:UserWarning")


def build_recurrent(mode, layers=1, bidirectional=False, batch_first=False, bias=True, proj=0,
                    dropout=0.0):
    """A builder taking the nn namespace (torch.nn or genesis.nn)."""
    def build(m):
        options = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first,
                       bias=bias, dropout=dropout)
        if mode == "LSTM":
            return m.LSTM(IN, HIDDEN, proj_size=proj, **options)
        if mode == "GRU":
            return m.GRU(IN, HIDDEN, **options)
        return m.RNN(IN, HIDDEN, nonlinearity=mode, **options)
    return build


def run_case(mode, layers, bidirectional, batch_first, bias, proj, state, batched, seq, batch,
             use, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    proj = proj if mode == "LSTM" else 0
    ours, ref = twins(build_recurrent(mode, layers, bidirectional, batch_first, bias, proj),
                      dtype, rng)
    shape = ((batch, seq) if batch_first else (seq, batch)) if batched else (seq,)
    gx, tx = leaf_pair(rng.standard_normal(shape + (IN,)).astype(dtype))
    g_args, t_args, g_leaves, t_leaves = [gx], [tx], [gx], [tx]
    if state:
        lead = (layers * (2 if bidirectional else 1),) + ((batch,) if batched else ())
        h0 = leaf_pair(rng.standard_normal(lead + (proj or HIDDEN,)).astype(dtype))
        if mode == "LSTM":
            c0 = leaf_pair(rng.standard_normal(lead + (HIDDEN,)).astype(dtype))
            g_args.append((h0[0], c0[0]))
            t_args.append((h0[1], c0[1]))
            g_leaves += [h0[0], c0[0]]
            t_leaves += [h0[1], c0[1]]
        else:
            g_args.append(h0[0])
            t_args.append(h0[1])
            g_leaves.append(h0[0])
            t_leaves.append(h0[1])
    states = 2 if mode == "LSTM" else 1
    picked = {"all": None, "output": [0], "state": list(range(1, 1 + states))}[use]
    rtol = 1e-9 if dtype == np.float64 else 2e-5
    compare_calls(ours, ref, g_args, t_args, rtol, rng, use=picked, what=mode,
                  g_leaves=g_leaves, t_leaves=t_leaves)


CONFIGS = st.fixed_dictionaries({
    "mode": st.sampled_from(["tanh", "relu", "LSTM", "GRU"]),
    "layers": st.integers(1, 2), "bidirectional": st.booleans(), "batch_first": st.booleans(),
    "bias": st.booleans(), "proj": st.sampled_from([0, PROJ]), "state": st.booleans(),
    "batched": st.booleans(), "seq": st.integers(1, 4), "batch": st.integers(1, 3),
    "use": st.sampled_from(["all", "output", "state"]),
})


@settings(max_examples=30, deadline=None, derandomize=True)
@given(CONFIGS)
def test_recurrent_layers_match_torch_float64(config):
    run_case(**config)


@pytest.mark.parametrize("mode", ["tanh", "LSTM", "GRU"])
def test_recurrent_layers_match_torch_float32(mode):
    run_case(mode, 2, True, False, True, PROJ, True, True, 6, 3, "all", dtype=np.float32, seed=1)


def test_lstm_with_projection_everything_at_once():
    run_case("LSTM", 2, True, True, True, PROJ, True, True, 4, 3, "all")


def test_loss_on_final_state_only_still_reaches_the_weights():
    # The final states are side outputs of the layer node: a loss on h_n alone must train it.
    run_case("LSTM", 1, False, False, True, 0, False, True, 3, 2, "state")
    run_case("GRU", 2, True, False, True, 0, False, True, 3, 2, "state")


def test_lstm_gradient_by_central_differences():
    rng = np.random.default_rng(3)
    lstm = nn.LSTM(2, 3, proj_size=2).double()
    x = rng.standard_normal((3, 2, 2))
    upstream = rng.standard_normal((3, 2, 2))

    def loss(array):
        out, (h, c) = lstm(genesis.tensor(array))
        return float((out.detach().numpy() * upstream).sum() + c.detach().numpy().sum())

    g = genesis.tensor(x, requires_grad=True)
    out, (_, c) = lstm(g)
    ((out * genesis.tensor(upstream)).sum() + c.sum()).backward()
    np.testing.assert_allclose(g.grad.numpy(), central_difference(loss, x.copy()),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("mode", ["tanh", "LSTM", "GRU"])
def test_graphs_alive_together_keep_their_own_buffers(mode):
    # The layer's sequence-long buffers are recycled between calls (genesis.backend.scratch):
    # graphs built on same-shaped inputs, then backpropagated in reverse order, must each see
    # their own saved gates and states, call after call.
    rng = np.random.default_rng(4)
    ours, ref = twins(build_recurrent(mode, layers=2), np.float64, rng)
    inputs = [leaf_pair(rng.standard_normal((4, 3, IN))) for _ in range(3)]
    for _ in range(2):
        g_outs = [ours(gx)[0] for gx, _ in inputs]
        t_outs = [ref(tx)[0] for _, tx in inputs]
        for g_out, t_out, (gx, tx) in reversed(list(zip(g_outs, t_outs, inputs))):
            weight = rng.standard_normal(g_out.shape)
            (g_out * genesis.tensor(weight)).sum().backward()
            (t_out * torch.tensor(weight)).sum().backward()
            assert_close(gx.grad, tx.grad, 1e-9, f"{mode} input grad")
        for (name, g_param), t_param in zip(ours.named_parameters(), ref.parameters()):
            assert_close(g_param.grad, t_param.grad, 1e-9, f"{mode} {name} grad")


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
def test_cells_match_torch(cell, batched, with_state):
    rng = np.random.default_rng(4)
    options = {"nonlinearity": "relu"} if cell == "RNNCell" else {}
    ours, ref = twins(lambda m: getattr(m, cell)(IN, HIDDEN, **options), np.float64, rng)
    lead = (3,) if batched else ()
    gx, tx = leaf_pair(rng.standard_normal(lead + (IN,)))
    g_args, t_args, g_leaves, t_leaves = [gx], [tx], [gx], [tx]
    if with_state:
        pairs = [leaf_pair(rng.standard_normal(lead + (HIDDEN,)))
                 for _ in range(2 if cell == "LSTMCell" else 1)]
        g_leaves += [p[0] for p in pairs]
        t_leaves += [p[1] for p in pairs]
        if cell == "LSTMCell":
            g_args.append(tuple(p[0] for p in pairs))
            t_args.append(tuple(p[1] for p in pairs))
        else:
            g_args.append(pairs[0][0])
            t_args.append(pairs[0][1])
    compare_calls(ours, ref, g_args, t_args, 1e-9, rng, what=cell, g_leaves=g_leaves,
                  t_leaves=t_leaves)


def test_cell_steps_equal_the_sequence_layer():
    # An LSTMCell stepped by hand equals the one-layer LSTM with the same weights.
    rng = np.random.default_rng(5)
    lstm = nn.LSTM(IN, HIDDEN).double()
    cell = nn.LSTMCell(IN, HIDDEN).double()
    cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})
    x = genesis.tensor(rng.standard_normal((4, 2, IN)))
    out, (h_n, c_n) = lstm(x)
    h = c = genesis.zeros(2, HIDDEN, dtype=genesis.float64)
    for t in range(4):
        h, c = cell(x[t], (h, c))
        np.testing.assert_allclose(h.detach().numpy(), out[t].detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(c.detach().numpy(), c_n[0].detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("build", [
    build_recurrent("LSTM", 2, True, True, False, PROJ, 0.5),
    build_recurrent("GRU", 3, False, False, True, 0, 0.25),
    build_recurrent("relu", 1, True),
    lambda m: m.RNN(IN, HIDDEN, nonlinearity="relu"),
    lambda m: m.LSTMCell(IN, HIDDEN, bias=False),
    lambda m: m.RNNCell(IN, HIDDEN, nonlinearity="relu"),
    lambda m: m.GRUCell(IN, HIDDEN),
])
def test_state_dict_names_shapes_and_repr_are_torchs(build):
    ours, ref = build(nn), build(torch.nn)
    assert_same_layout(ours, ref)
    if hasattr(ref, "all_weights"):
        assert [[tuple(p.shape) for p in ws] for ws in ours.all_weights] == \
            [[tuple(p.shape) for p in ws] for ws in ref.all_weights]
        ours.flatten_parameters()


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN", "LSTMCell"])
def test_default_init_is_uniform_in_one_over_sqrt_hidden(kind):
    genesis.manual_seed(0)
    hidden = 64
    module = getattr(nn, kind)(32, hidden)
    bound = 1 / math.sqrt(hidden)
    values = np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
    assert values.dtype == np.float32
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound
    assert abs(values.var() - bound**2 / 3) < 0.03 * bound**2 / 3
    assert abs(values.mean()) < 0.02 * bound


def test_dropout_acts_between_layers_in_training_only():
    rng = np.random.default_rng(6)
    lstm = nn.LSTM(IN, HIDDEN, num_layers=2, dropout=0.5).double()
    first, second = nn.LSTM(IN, HIDDEN).double(), nn.LSTM(HIDDEN, HIDDEN).double()
    state = lstm.state_dict()
    first.load_state_dict({k.replace("_l0", "_l0"): v for k, v in state.items() if "_l0" in k})
    second.load_state_dict({k.replace("_l1", "_l0"): v for k, v in state.items() if "_l1" in k})
    x = genesis.tensor(rng.standard_normal((4, 3, IN)))
    genesis.manual_seed(11)
    trained, _ = lstm(x)
    genesis.manual_seed(11)
    middle, _ = first(x)
    by_hand, _ = second(nn.functional.dropout(middle, 0.5, training=True))
    np.testing.assert_allclose(trained.detach().numpy(), by_hand.detach().numpy(), rtol=1e-12)
    lstm.eval()
    evaluated, _ = lstm(x)
    np.testing.assert_allclose(evaluated.detach().numpy(),
                               second(first(x)[0])[0].detach().numpy(), rtol=1e-12)


def test_eval_outputs_match_torch_with_dropout_configured():
    rng = np.random.default_rng(7)
    ours, ref = twins(build_recurrent("GRU", 2, dropout=0.3), np.float64, rng)
    ours.eval(), ref.eval()
    x = rng.standard_normal((4, 2, IN))
    assert_close(ours(genesis.tensor(x))[0], ref(torch.from_numpy(x))[0], 1e-9)


def test_zero_batch_and_double_conversion():
    lstm = nn.LSTM(IN, HIDDEN, 2)
    out, (h, c) = lstm(genesis.zeros(4, 0, IN))
    assert tuple(out.shape) == (4, 0, HIDDEN) and tuple(h.shape) == (2, 0, HIDDEN)
    out, _ = lstm.double()(genesis.zeros(2, 1, IN, dtype=genesis.float64))
    assert out.dtype == genesis.float64


@pytest.mark.parametrize("case", [
    # (constructor, call args as shapes / dtypes) -> both raise the same type; ours starts with
    # PyTorch's words where they name the problem
    ("lstm_input_size", lambda m, lib: m.LSTM(4, 3)(lib.zeros(5, 2, 6))),
    ("lstm_hidden_shape", lambda m, lib: m.LSTM(4, 3, 2)(
        lib.zeros(5, 2, 4), (lib.zeros(2, 3, 3), lib.zeros(2, 2, 3)))),
    ("lstm_cell_state_shape", lambda m, lib: m.LSTM(4, 3, 2)(
        lib.zeros(5, 2, 4), (lib.zeros(2, 2, 3), lib.zeros(1, 2, 3)))),
    ("gru_hidden_shape", lambda m, lib: m.GRU(4, 3)(lib.zeros(5, 2, 4), lib.zeros(1, 3, 3))),
    ("rnn_4d", lambda m, lib: m.RNN(4, 3)(lib.zeros(1, 5, 2, 4))),
    ("lstm_4d", lambda m, lib: m.LSTM(4, 3)(lib.zeros(1, 5, 2, 4))),
    ("hx_dims", lambda m, lib: m.GRU(4, 3)(lib.zeros(5, 2, 4), lib.zeros(2, 3))),
    ("dtype", lambda m, lib: m.LSTM(4, 3)(lib.zeros(5, 2, 4, dtype=lib.float64))),
    ("empty_sequence", lambda m, lib: m.LSTM(4, 3)(lib.zeros(0, 2, 4))),
    ("cell_input_size", lambda m, lib: m.LSTMCell(4, 3)(lib.zeros(2, 5))),
    ("cell_batch", lambda m, lib: m.GRUCell(4, 3)(lib.zeros(2, 4), lib.zeros(3, 3))),
    ("cell_hidden", lambda m, lib: m.RNNCell(4, 3)(lib.zeros(2, 4), lib.zeros(2, 5))),
    ("cell_3d", lambda m, lib: m.LSTMCell(4, 3)(lib.zeros(3, 2, 4))),
    ("cell_nonlinearity", lambda m, lib: m.RNNCell(4, 3, nonlinearity="gelu")(lib.zeros(2, 4))),
    ("state_dtype", lambda m, lib: m.GRU(4, 3)(lib.zeros(5, 2, 4),
                                               lib.zeros(1, 2, 3, dtype=lib.float64))),
    ("cell_state_dtype", lambda m, lib: m.GRUCell(4, 3)(lib.zeros(2, 4),
                                                       lib.zeros(2, 3, dtype=lib.float64))),
    ("dropout_range", lambda m, lib: m.LSTM(4, 3, dropout=1.5)),
    ("proj_too_big", lambda m, lib: m.LSTM(4, 3, proj_size=3)),
    ("proj_for_gru", lambda m, lib: m.GRU(4, 3, proj_size=2)),
    ("float_size", lambda m, lib: m.LSTM(4.0, 3)),
    ("zero_layers", lambda m, lib: m.LSTM(4, 3, num_layers=0)),
    ("nonlinearity", lambda m, lib: m.RNN(4, 3, nonlinearity="gelu")),
], ids=lambda case: case[0])
def test_errors_have_torchs_type_and_words(case):
    _, call = case
    ours, ref = same_error(lambda: call(nn, genesis), lambda: call(torch.nn, torch))
    if case[0] not in ("dtype", "cell_3d", "state_dtype", "cell_state_dtype"):
        # PyTorch's message first (dtype and 3-D cell messages name torch.* dtypes / shapes).
        assert ours.startswith(ref.replace("torch.", "genesis.").split(" (")[0][:40]), (ours, ref)


def test_shape_errors_name_the_expected_shape():
    with pytest.raises(RuntimeError, match=r"\(L, N, 4\)"):
        nn.LSTM(4, 3)(genesis.zeros(5, 2, 6))
    with pytest.raises(RuntimeError, match=r"\(2, 2, 3\), got \[2, 3, 3\]"):
        nn.LSTM(4, 3, 2)(genesis.zeros(5, 2, 4), (genesis.zeros(2, 3, 3), genesis.zeros(2, 2, 3)))
    with pytest.raises(RuntimeError, match=r"\(N, 4\)"):
        nn.GRUCell(4, 3)(genesis.zeros(2, 5))
    with pytest.raises(RuntimeError, match=r"tuple \(h_0, c_0\)"):
        nn.LSTM(4, 3)(genesis.zeros(5, 2, 4), genesis.zeros(1, 2, 3))


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(4, 3, dropout=0.5)


def test_training_reduces_loss_and_state_dict_round_trip():
    # A tiny sequence task learned end to end, then the weights load into PyTorch and agree.
    rng = np.random.default_rng(8)
    genesis.manual_seed(0)
    model = nn.LSTM(2, 8, batch_first=True)
    head = nn.Linear(8, 1)
    params = list(model.parameters()) + list(head.parameters())
    optimizer = genesis.optim.Adam(params, lr=0.02)
    x = rng.standard_normal((16, 5, 2)).astype(np.float32)
    target = x[:, :, 0].cumsum(axis=1)[:, -1:]
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        out, (h, _) = model(genesis.tensor(x))
        loss = ((head(h[0]) - genesis.tensor(target)) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    ref = torch.nn.LSTM(2, 8, batch_first=True)
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                         for k, v in model.state_dict().items()})
    assert_close(model(genesis.tensor(x))[0], ref(torch.from_numpy(x))[0], 1e-5)
    assert numpy_state(ref).keys() == model.state_dict().keys()
