"""Where PyTorch computes inf and NaN silently (``log(0)``, ``x / 0``, ``sqrt(-1)``, ``0 * inf``,
``exp`` overflow, a NaN cast to an integer), Genesis gives the same values without NumPy's
RuntimeWarnings: every case runs with warnings turned into errors, forward and backward, and
is compared with PyTorch 2.13."""
import warnings

import numpy as np
import pytest
import torch

import genesis
import genesis.nn.functional as GF
import torch.nn.functional as TF
from test_devices import outcome

SPECIAL = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e38, -1e38, 100.0, -100.0, 3e4]

# one lambda per case, run with (module, functional, x, y) of both libraries
UNARY = {
    "log": lambda m, F, x, y: x.log(), "log1p": lambda m, F, x, y: x.log1p(),
    "sqrt": lambda m, F, x, y: x.sqrt(), "rsqrt": lambda m, F, x, y: x.rsqrt(),
    "exp": lambda m, F, x, y: x.exp(), "expm1": lambda m, F, x, y: x.expm1(),
    "sin": lambda m, F, x, y: x.sin(), "cos": lambda m, F, x, y: x.cos(),
    "tanh": lambda m, F, x, y: x.tanh(), "sigmoid": lambda m, F, x, y: x.sigmoid(),
    "erf": lambda m, F, x, y: x.erf(), "reciprocal": lambda m, F, x, y: x.reciprocal(),
    "square": lambda m, F, x, y: x.square(), "pow2": lambda m, F, x, y: x ** 2,
    "pow_half": lambda m, F, x, y: x ** 0.5, "pow_minus1": lambda m, F, x, y: x ** -1,
    "rpow": lambda m, F, x, y: 2.0 ** x, "abs": lambda m, F, x, y: x.abs(),
    "sum": lambda m, F, x, y: x.sum(), "mean": lambda m, F, x, y: x.mean(),
    "var": lambda m, F, x, y: x.var(), "std": lambda m, F, x, y: x.std(),
    "norm": lambda m, F, x, y: x.norm(), "cumsum": lambda m, F, x, y: x.cumsum(0),
    "logsumexp": lambda m, F, x, y: x.logsumexp(0), "softmax": lambda m, F, x, y: x.softmax(0),
    "log_softmax": lambda m, F, x, y: x.log_softmax(0), "amax": lambda m, F, x, y: x.amax(),
    "gelu": lambda m, F, x, y: F.gelu(x),
    "gelu_tanh": lambda m, F, x, y: F.gelu(x, approximate="tanh"),
    "silu": lambda m, F, x, y: F.silu(x), "half": lambda m, F, x, y: x.half().float(),
    "layer_norm": lambda m, F, x, y: F.layer_norm(x, (x.shape[0],)),
}
BINARY = {
    "add": lambda m, F, x, y: x + y, "sub": lambda m, F, x, y: x - y,
    "mul": lambda m, F, x, y: x * y, "div": lambda m, F, x, y: x / y,
    "div_zero": lambda m, F, x, y: x / 0, "times_big": lambda m, F, x, y: x * 1e38,
    "pow": lambda m, F, x, y: x ** y, "floordiv": lambda m, F, x, y: x // y,
    "mod": lambda m, F, x, y: x % y, "lerp": lambda m, F, x, y: x.lerp(y, 0.5),
    "div_floor": lambda m, F, x, y: x.div(y, rounding_mode="floor"),
    "div_trunc": lambda m, F, x, y: x.div(y, rounding_mode="trunc"),
    "matmul": lambda m, F, x, y: x @ y, "mse": lambda m, F, x, y: F.mse_loss(x, y),
    "bce_logits": lambda m, F, x, y: F.binary_cross_entropy_with_logits(x, (y > 0).to(x.dtype)),
}
CASTS = ["int64", "int32", "int16", "int8", "uint8", "bool", "float16"]


def _run(m, F, fn, dtype, grad):
    x = m.tensor(SPECIAL, dtype=getattr(m, dtype), requires_grad=grad)
    y = m.tensor(SPECIAL[::-1], dtype=getattr(m, dtype), requires_grad=grad)
    out = fn(m, F, x, y)
    if not grad:
        return out.detach().numpy(), None, None
    out.sum().backward() if out.ndim else out.backward()
    grads = [None if t.grad is None else t.grad.numpy() for t in (x, y)]
    return out.detach().numpy(), *grads


def _same(ours, theirs, rtol):
    if theirs is None or ours is None:
        assert ours is None and theirs is None
        return
    assert ours.dtype == theirs.dtype
    # atol: float32 denormals, which PyTorch's vectorised kernels may flush to 0
    np.testing.assert_allclose(ours.astype(np.float64), theirs.astype(np.float64), rtol=rtol,
                               atol=1e-37, equal_nan=True)


# floor_divide has no derivative in either library (tests/test_grad_coverage.py): forward only
CASES = [(name, grad) for name in sorted(UNARY) + sorted(BINARY) for grad in (False, True)
         if not (name == "floordiv" and grad)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, grad", CASES,
                         ids=[f"{n}-{'backward' if g else 'forward'}" for n, g in CASES])
def test_special_values_silently_as_torch(name, dtype, grad):
    fn = UNARY.get(name) or BINARY[name]
    expected = _run(torch, TF, fn, dtype, grad)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _run(genesis, GF, fn, dtype, grad)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    if name == "gelu" and dtype == "float32":
        # PyTorch's float32 kernel gives NaN at +-inf; its float64 one gives inf and NaN, as
        # Genesis does in both (checked by the float64 case)
        finite = np.isfinite(SPECIAL) | np.isnan(SPECIAL)
        got, expected = ([None if a is None else a[finite] for a in r] for r in (got, expected))
    for ours, theirs in zip(got, expected):
        _same(ours, theirs, rtol)


@pytest.mark.parametrize("source", ["float32", "float64"])
@pytest.mark.parametrize("target", CASTS)
def test_casts_of_nan_inf_and_out_of_range_floats(source, target):
    values = [np.nan, np.inf, -np.inf, -1.5, 300.7, 1e10, -1e10, 3e9, 1e38]
    expected = torch.tensor(values, dtype=getattr(torch, source)).to(getattr(torch, target))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = genesis.tensor(values, dtype=getattr(genesis, source)).to(getattr(genesis, target))
    assert got.tolist() == expected.tolist() or target == "float16" and np.array_equal(
        got.numpy(), expected.numpy(), equal_nan=True)


@pytest.mark.parametrize("call", [
    "m.tensor([1e38, -1e38, 70000.0], dtype=m.float16)", "m.full((2,), 1e39, dtype=m.float32)",
    "m.full((2,), 70000.0, dtype=m.float16)", "m.zeros(2).fill_(-1e39)", "m.full((1,), np.inf)",
    "m.tensor([1.0, 2.0], dtype=m.float16) + 70000", "m.tensor([1.0], dtype=m.float16) * 1e10",
    "m.tensor([0.0, 1.0]).log()", "m.tensor([1.0, -1.0]).sqrt()",
    "m.ones(2).div_(0)", "m.ones(2).mul_(1e38).mul_(1e38)",
    "m.tensor([np.inf]).sub_(np.inf)",
])
def test_factories_and_in_place_ops_are_quiet(call):
    expected = outcome(lambda: eval(call, {"m": torch, "np": np}).numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = outcome(lambda: eval(call, {"m": genesis, "np": np}).numpy())
    assert got[0] == expected[0], (got, expected)
    if expected[0] == "ok":
        np.testing.assert_array_equal(got[1], expected[1])
    else:  # an overflowing fill value: PyTorch's error
        assert got[1:] == expected[1:]


@pytest.mark.parametrize("name", ["linear", "conv2d", "avg_pool2d", "dropout", "group_norm",
                                  "cross_entropy", "nll_loss", "attention", "interpolate", "rnn"])
def test_fused_layers_with_inf_and_nan_inputs_are_quiet(name):
    calls = {
        "linear": lambda m, F, t: F.linear(t((3, 4)), t((5, 4), 1), t((5,), 2)),
        "conv2d": lambda m, F, t: F.conv2d(t((2, 3, 6, 6)), t((4, 3, 3, 3), 1), padding=1),
        "avg_pool2d": lambda m, F, t: F.avg_pool2d(t((2, 3, 6, 6)), 2),
        "dropout": lambda m, F, t: F.dropout(t((4, 6)), 0.5, training=True) * 0,
        "group_norm": lambda m, F, t: F.group_norm(t((2, 4, 5)), 2),
        "cross_entropy": lambda m, F, t: F.cross_entropy(t((4, 5)), m.tensor([0, 1, 2, 3])),
        "nll_loss": lambda m, F, t: F.nll_loss(t((4, 5)), m.tensor([0, 1, 2, 3])),
        "attention": lambda m, F, t: F.scaled_dot_product_attention(t((2, 3, 4)), t((2, 3, 4), 1),
                                                                   t((2, 3, 4), 2)),
        "interpolate": lambda m, F, t: F.interpolate(t((1, 2, 4, 4)), scale_factor=2,
                                                     mode="bilinear"),
        "rnn": lambda m, F, t: m.nn.RNN(4, 3)(t((5, 2, 4)))[0],
    }

    def run(m, F):
        m.manual_seed(0)
        made = []

        def t(shape, seed=0):
            rng = np.random.default_rng(seed)
            a = rng.standard_normal(shape).reshape(-1)
            a[:8] = [0.0, 1e38, -1e38, np.inf, -np.inf, np.nan, 3e38, -3e38][: min(8, a.size)]
            rng.shuffle(a)
            made.append(m.tensor(a.reshape(shape), dtype=m.float32, requires_grad=True))
            return made[-1]
        out = calls[name](m, F, t)
        out.sum().backward()
        return out.detach().numpy(), [x.grad.numpy() for x in made if x.grad is not None]

    expected = run(torch, TF)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = run(genesis, GF)
    # where inf meets 0 (in a matrix product, a dropped unit) the NaNs depend on the kernel, so
    # only the shapes are compared; the point is that no warning was raised
    assert got[0].shape == expected[0].shape
    assert [g.shape for g in got[1]] == [g.shape for g in expected[1]]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam", "RAdam"])
@pytest.mark.parametrize("grads", [[np.inf, -np.inf, np.nan, 1e38, 0.0],
                                   [1e30, 1e30, 1e-30, -1e30, 3e38]], ids=["inf-nan", "huge"])
def test_optimizer_steps_on_inf_and_nan_gradients_are_quiet(name, grads):
    def run(m):
        p = m.nn.Parameter(m.tensor([1.0, -1.0, 0.0, 2.0, 1e38]))
        options = {"lr": 0.1, **({"momentum": 0.9, "weight_decay": 0.1} if name == "SGD" else {})}
        optimizer = getattr(m.optim, name)([p], **options)
        for _ in range(2):
            p.grad = m.tensor(grads)
            optimizer.step()
        return p.detach().numpy()

    expected = run(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = run(genesis)
    np.testing.assert_allclose(got, expected, rtol=1e-5, equal_nan=True)
