"""``genesis.autocast`` against PyTorch 2.13's CPU autocast: disabled it is an exact no-op;
enabled with float16 the same ops run in float16 (matmul-like), in float32 (losses) or by
ordinary promotion, with values within float16 rounding of PyTorch's and gradients reaching
float32 weights in float32; requests Genesis cannot honour fail loudly."""
import warnings

import numpy as np
import pytest
import torch

import genesis

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4)).astype(np.float32)
W = RNG.standard_normal((5, 4)).astype(np.float32)
B = RNG.standard_normal(5).astype(np.float32)

OPS = {
    "linear": lambda m, x, w, b: m.nn.functional.linear(x, w, b),
    "matmul": lambda m, x, w, b: x @ w.T,
    "mm": lambda m, x, w, b: x.mm(w.T),
    "bmm": lambda m, x, w, b: x[None].bmm(w.T[None]),
    "torch_matmul": lambda m, x, w, b: m.matmul(x, w.T),
    "einsum": lambda m, x, w, b: m.einsum("ij,kj->ik", x, w),
    "conv1d": lambda m, x, w, b: m.nn.functional.conv1d(x[:, None], w[:, None], b),
    "conv2d": lambda m, x, w, b: m.nn.functional.conv2d(x[None, None], w.reshape(5, 1, 2, 2), b,
                                                        padding=1),
    "conv_transpose2d": lambda m, x, w, b: m.nn.functional.conv_transpose2d(
        x[None, None], w.reshape(1, 5, 2, 2), b, stride=2),
    "dot": lambda m, x, w, b: x[0].dot(w[0]),
    "sdpa_causal": lambda m, x, w, b: m.nn.functional.scaled_dot_product_attention(
        (x @ w.T)[None], (x @ w.T)[None], x[None, :, :4].repeat(1, 1, 1), is_causal=True),
    "sdpa_float_mask": lambda m, x, w, b: m.nn.functional.scaled_dot_product_attention(
        (x @ w.T)[None], (x @ w.T)[None], (x @ w.T + b)[None], attn_mask=m.tril(m.ones(3, 3))),
    "softmax_of_linear": lambda m, x, w, b: m.nn.functional.linear(x, w, b).softmax(-1),
    "cross_entropy": lambda m, x, w, b: m.nn.functional.cross_entropy(
        m.nn.functional.linear(x, w, b), m.tensor([0, 1, 2])),
    "nll_loss": lambda m, x, w, b: m.nn.functional.nll_loss(
        m.nn.functional.linear(x, w, b).log_softmax(-1), m.tensor([4, 1, 2])),
    "mse_loss": lambda m, x, w, b: m.nn.functional.mse_loss(x @ w.T, m.ones(3, 5)),
    "l1_loss": lambda m, x, w, b: m.nn.functional.l1_loss(x @ w.T, m.ones(3, 5)),
    "bce_with_logits": lambda m, x, w, b: m.nn.functional.binary_cross_entropy_with_logits(
        x @ w.T, m.ones(3, 5)),
    "layer_norm": lambda m, x, w, b: m.nn.functional.layer_norm(x @ w.T, (5,)),
    "gelu_sum": lambda m, x, w, b: m.nn.functional.gelu(x @ w.T).sum(),
    "cat_promotes": lambda m, x, w, b: m.cat([x @ w.T, b[None]]),
    "stack_promotes": lambda m, x, w, b: m.stack([x @ w.T, m.zeros(3, 5)]),
    "embedding": lambda m, x, w, b: m.nn.functional.embedding(m.tensor([1, 0]), w),
    "float64_linear": lambda m, x, w, b: m.nn.functional.linear(x.double(), w.double()),
    "int_matmul": lambda m, x, w, b: m.ones(2, 2, dtype=m.int64) @ m.ones(2, 2, dtype=m.int64),
}


def run(m, name, autocast=True, enabled=True):
    x = m.tensor(X)
    w, b = m.tensor(W, requires_grad=True), m.tensor(B, requires_grad=True)
    with m.autocast("cpu", dtype=m.float16, enabled=enabled) if autocast else \
            warnings.catch_warnings():
        out = OPS[name](m, x, w, b)
    if out.dtype.is_floating_point:
        out.float().sum().backward()
    return out, w.grad, b.grad


@pytest.mark.parametrize("name", sorted(OPS))
def test_enabled_float16_matches_torch_cpu_autocast(name):
    (g, gw, gb), (t, tw, tb) = run(genesis, name), run(torch, name)
    assert str(g.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    # float16 results: the two libraries may round the last bit of a few sums differently.
    np.testing.assert_allclose(g.detach().float().numpy(), t.detach().float().numpy(),
                               rtol=4e-3, atol=4e-3)
    for ours, theirs in ((gw, tw), (gb, tb)):
        assert (ours is None) == (theirs is None)
        if theirs is not None:
            assert ours.dtype == genesis.float32 and theirs.dtype == torch.float32
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("name", ["linear", "einsum", "cross_entropy", "layer_norm", "dot"])
def test_disabled_autocast_is_an_exact_no_op(name):
    plain = run(genesis, name, autocast=False)
    off = run(genesis, name, enabled=False)
    for a, b in zip(plain, off):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype and (a.detach().numpy() == b.detach().numpy()).all()


def test_float16_really_computes_in_float16():
    x = genesis.tensor([[1.0 + 2 ** -11]])  # not representable in float16: rounds to 1.0
    with genesis.autocast("cpu", dtype=genesis.float16):
        y = x @ genesis.ones(1, 1)
    assert y.dtype == genesis.float16 and y.item() == 1.0
    assert (x @ genesis.ones(1, 1)).item() == 1.0 + 2 ** -11


def test_bfloat16_is_refused_naming_what_works():
    for make in (lambda: genesis.autocast("cpu"), lambda: genesis.amp.autocast("cpu"),
                 lambda: genesis.autocast("cpu", dtype=genesis.bfloat16)):
        with pytest.raises(NotImplementedError, match="no bfloat16.*dtype=genesis.float16"):
            make()
    with genesis.autocast("cpu", enabled=False):  # disabled: nothing to compute, no error
        assert not genesis.is_autocast_enabled("cpu")
    with pytest.raises(NotImplementedError, match="NumPy has no bfloat16"):
        genesis.zeros(2, dtype=genesis.bfloat16)
    with pytest.raises(NotImplementedError, match="NumPy has no bfloat16"):
        genesis.ones(2).to(genesis.bfloat16)
    assert repr(genesis.bfloat16) == "genesis.bfloat16" and genesis.bfloat16.is_floating_point


def caught(make):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        obj = make()
    return obj, [(w.category, str(w.message)) for w in seen]


@pytest.mark.parametrize("args", [("cuda",), ("cpu", "float32"), ("cpu", "float64")])
def test_requests_pytorch_disables_warn_and_disable_alike(args):
    def make(m):
        return m.autocast(args[0], dtype=getattr(m, args[1]) if len(args) > 1 else None)
    (ours, our_warnings), (theirs, their_warnings) = caught(lambda: make(genesis)), \
        caught(lambda: make(torch))
    assert ours._enabled is theirs._enabled is False
    assert [c for c, _ in our_warnings] == [c for c, _ in their_warnings]
    for (_, mine), (_, pytorch) in zip(our_warnings, their_warnings):
        assert mine == pytorch.replace("torch.", "genesis.")
    with ours:
        assert genesis.nn.functional.linear(genesis.ones(1, 2), genesis.ones(1, 2)).dtype == \
            genesis.float32


def test_deprecated_cuda_spelling_warns_as_torch_and_runs_disabled():
    ours, our_warnings = caught(lambda: genesis.cuda.amp.autocast())
    theirs, their_warnings = caught(lambda: torch.cuda.amp.autocast())
    assert our_warnings == their_warnings and ours._enabled is theirs._enabled is False


def test_state_queries_nesting_and_decorator_match_torch():
    for m in (genesis, torch):
        seen = [m.is_autocast_enabled("cpu"), str(m.get_autocast_dtype("cpu")).split(".")[1],
                str(m.get_autocast_dtype("cuda")).split(".")[1]]
        with m.autocast("cpu", dtype=m.float16):
            seen += [m.is_autocast_enabled("cpu"), str(m.get_autocast_dtype("cpu"))[-7:]]
            with m.autocast("cpu", enabled=False):
                seen.append(m.is_autocast_enabled("cpu"))
            seen.append(m.is_autocast_enabled("cpu"))

        @m.autocast("cpu", dtype=m.float16)
        def f(a):
            return str((a @ a).dtype).split(".")[1]
        seen += [f(m.ones(2, 2)), m.is_autocast_enabled("cpu"), m.is_autocast_enabled()]
        if m is genesis:
            ours = seen
    assert ours == seen
    for m in (genesis, torch):
        with pytest.raises(ValueError, match="^Expected `device_type` of type `str`"):
            m.autocast(m.device("cpu"))
        with pytest.raises(RuntimeError, match="^Expected one of cpu, cuda"):
            m.autocast("foo")


def test_training_under_autocast_with_a_grad_scaler_follows_torch():
    """A small regression model trained in float16 autocast with GradScaler('cpu')."""
    data_x = RNG.standard_normal((16, 4)).astype(np.float32)
    data_y = data_x @ np.array([1.0, -2.0, 0.5, 3.0], np.float32)

    def train(m):
        model = m.nn.Linear(4, 1)
        with m.no_grad():
            model.weight.copy_(m.tensor(W[:1]))
            model.bias.zero_()
        opt = m.optim.SGD(model.parameters(), lr=0.05)
        scaler = m.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_interval=4)
        losses = []
        for _ in range(12):
            opt.zero_grad()
            with m.autocast("cpu", dtype=m.float16):
                loss = m.nn.functional.mse_loss(model(m.tensor(data_x)).squeeze(1),
                                                m.tensor(data_y))
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            losses.append(loss.item())
        return losses, scaler.get_scale()
    (ours, our_scale), (theirs, their_scale) = train(genesis), train(torch)
    assert our_scale == their_scale
    np.testing.assert_allclose(ours, theirs, rtol=2e-2)
    assert ours[-1] < ours[0] / 4


def test_autocast_docstring_examples_run():
    import doctest

    import genesis.amp.autocast_mode
    result = doctest.testmod(genesis.amp.autocast_mode, extraglobs={"genesis": genesis})
    assert result.failed == 0 and result.attempted > 0
