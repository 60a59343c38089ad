"""A small seeded differential fuzz: random ops on random shapes (empty ones included) and values
(zeros of both signs, infinities, NaN, huge and tiny numbers), run with torch and genesis.
Either both raise, or both give the same dtype, shape, values, ``requires_grad`` and gradients.
The bugs it found each have a test of their own in test_ops_edge_cases.py; this keeps looking."""
import warnings

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import genesis

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, float("inf"), float("-inf"), float("nan"),
           1e30, -1e-30]
UNARY = ["exp", "log", "sqrt", "rsqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "erf",
         "expm1", "log1p", "reciprocal", "square", "sign", "neg", "floor", "ceil", "round",
         "trunc"]
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder", "where", "clamp"]
SCALARS = [2, -1, 0, 2.5, -0.5, 0.0]
REDUCTIONS = ["sum", "mean", "amax", "amin", "max", "min", "var", "std", "norm", "norm1",
              "norminf", "logsumexp", "softmax", "log_softmax", "cumsum", "max_dim", "argmax"]


def _apply(m, op, a, b, scalar, dim, keepdim):
    if op in UNARY:
        return getattr(a, op)()
    if op == "where":
        return m.where(a > 0, a, b)
    if op == "clamp":
        return a.clamp(min=b) if scalar is None else a.clamp(max=scalar)
    if op == "remainder":
        return a % (b if scalar is None else scalar)
    if op in BINARY:
        return getattr(a, op)(b if scalar is None or op in ("maximum", "minimum") else scalar)
    one = dim if isinstance(dim, int) else 0
    if op in ("softmax", "log_softmax", "cumsum"):
        return getattr(a, op)(one)
    if op == "max_dim":
        return a.max(one, keepdim=keepdim).values
    if op == "argmax":
        return a.argmax(one, keepdim=keepdim)
    if op in ("max", "min"):
        return getattr(a, op)()
    if op.startswith("norm"):
        p = {"norm": 2, "norm1": 1, "norminf": float("inf")}[op]
        return a.norm(p, dim=dim, keepdim=keepdim)
    return getattr(a, op)() if dim is None else getattr(a, op)(dim, keepdim=keepdim)


def _run(m, op, arrays, dtype, scalar, dim, keepdim):
    inputs = [m.tensor(a, dtype=getattr(m, dtype), requires_grad=True) for a in arrays]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = _apply(m, op, *inputs, *([None] * (2 - len(inputs))), scalar, dim, keepdim)
            if out.requires_grad:
                out.backward(m.ones(out.shape, dtype=out.dtype))
    except Exception as error:  # noqa: BLE001 - the test is that both libraries raise
        return type(error)
    grads = [None if t.grad is None else t.grad.numpy().astype(np.float64) for t in inputs]
    return out.detach(), out.requires_grad, grads


def _close(g, t, dtype):
    rtol, atol = (1e-9, 1e-12) if dtype == "float64" else (2e-5, 1e-6)
    np.testing.assert_allclose(g, t, rtol=rtol, atol=atol, equal_nan=True)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_ops_match_torch_forward_and_backward(data):
    op = data.draw(st.sampled_from(UNARY + BINARY + REDUCTIONS))
    shape = tuple(data.draw(st.lists(st.integers(0, 3), max_size=3)))
    shapes = [shape]
    if op in BINARY:
        shapes.append(data.draw(st.sampled_from([shape, shape[1:], ()])))
    special = data.draw(st.booleans())
    values = st.sampled_from(SPECIAL) if special else st.floats(-4, 4).map(lambda v: round(v, 2))
    arrays = [np.array(data.draw(st.lists(values, min_size=int(np.prod(s)),
                                          max_size=int(np.prod(s)))), dtype=np.float64).reshape(s)
              for s in shapes]
    dtype = data.draw(st.sampled_from(["float64", "float32"]))
    scalar = data.draw(st.sampled_from([None] + SCALARS)) if op in BINARY else None
    dim = None
    if op in REDUCTIONS and shape:
        dim = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    keepdim = data.draw(st.booleans())
    got = _run(genesis, op, arrays, dtype, scalar, dim, keepdim)
    want = _run(torch, op, arrays, dtype, scalar, dim, keepdim)
    assert isinstance(got, type) == isinstance(want, type), (got, want)
    if isinstance(want, type):
        return
    (g_out, g_rg, g_grads), (t_out, t_rg, t_grads) = got, want
    assert str(g_out.dtype).split(".")[1] == str(t_out.dtype).split(".")[1]
    assert tuple(g_out.shape) == tuple(t_out.shape)
    _close(g_out.numpy().astype(np.float64), t_out.numpy().astype(np.float64), dtype)
    assert g_rg == t_rg
    for g, t in zip(g_grads, t_grads):
        if g is not None or t is not None:
            _close(np.zeros(1) if g is None else g, np.zeros(1) if t is None else t, dtype)
