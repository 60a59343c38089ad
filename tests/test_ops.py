"""Every differentiable op against PyTorch (float64, forward and gradients, rel 1e-9) and
against central finite differences, on random shapes with broadcasting."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import genesis

RTOL = 1e-9


def _inputs(shapes, seed, positive=False):
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        a = rng.standard_normal(shape)
        if positive:
            a = np.abs(a) + 0.5
        arrays.append(a)
    return arrays


def run_both(fn, arrays, seed=0):
    """Run ``fn(module, *tensors)`` with genesis and torch; compare outputs and gradients."""
    g_in = [genesis.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    g_out, t_out = fn(genesis, *g_in), fn(torch, *t_in)
    np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), rtol=RTOL,
                               atol=1e-12)
    assert g_out.requires_grad == t_out.requires_grad  # an op PyTorch differentiates records
    upstream = np.random.default_rng(seed + 1).standard_normal(t_out.shape)
    g_out.backward(genesis.tensor(upstream))
    t_out.backward(torch.tensor(upstream))
    for g, t in zip(g_in, t_in):
        t_grad = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        g_grad = np.zeros(g.shape) if g.grad is None else g.grad.numpy()
        assert g_grad.shape == t_grad.shape
        np.testing.assert_allclose(g_grad, t_grad, rtol=RTOL, atol=1e-12)


def finite_difference_check(fn, arrays, eps=1e-6):
    """Gradients of sum(fn(...) * w) against central differences."""
    g_in = [genesis.tensor(a, requires_grad=True) for a in arrays]
    out = fn(genesis, *g_in)
    weights = np.random.default_rng(7).standard_normal(out.shape)
    (out * genesis.tensor(weights)).sum().backward()
    for k, a in enumerate(arrays):
        numeric = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            values = []
            for delta in (eps, -eps):
                shifted = [x.copy() for x in arrays]
                shifted[k][idx] += delta
                res = fn(genesis, *[genesis.tensor(x) for x in shifted]).numpy()
                values.append((res * weights).sum())
            numeric[idx] = (values[0] - values[1]) / (2 * eps)
        analytic = np.zeros_like(a) if g_in[k].grad is None else g_in[k].grad.numpy()
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


BINARY = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / b,
    "pow": lambda m, a, b: a.abs() ** b,
    "maximum": lambda m, a, b: m.maximum(a, b),
    "minimum": lambda m, a, b: m.minimum(a, b),
    "where": lambda m, a, b: m.where(a > b, a, b),
    "add_alpha": lambda m, a, b: a.add(b, alpha=2.5),
    "sub_alpha": lambda m, a, b: a.sub(b, alpha=-0.5),
}

BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)),
                    ((5, 1), (1, 6))]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES)
def test_binary_ops_match_torch(name, shapes):
    run_both(BINARY[name], _inputs(shapes, seed=len(name)))


SCALAR = {
    "radd": lambda m, a: 2.5 + a,
    "rsub": lambda m, a: 2.5 - a,
    "rmul": lambda m, a: 3 * a,
    "rdiv": lambda m, a: 2.0 / a,
    "rpow": lambda m, a: 2.0 ** a,
    "pow2": lambda m, a: a ** 2,
    "pow_frac": lambda m, a: a.abs() ** 1.5,
    "pow_neg": lambda m, a: a ** -1,
    "sub_scalar": lambda m, a: a - 1,
    "div_scalar": lambda m, a: a / 4,
}

UNARY = {
    "neg": lambda m, a: -a,
    "exp": lambda m, a: a.exp(),
    "expm1": lambda m, a: a.expm1(),
    "log": lambda m, a: (a.abs() + 0.1).log(),
    "log1p": lambda m, a: a.abs().log1p(),
    "sqrt": lambda m, a: (a.abs() + 0.1).sqrt(),
    "rsqrt": lambda m, a: (a.abs() + 0.1).rsqrt(),
    "reciprocal": lambda m, a: a.reciprocal(),
    "abs": lambda m, a: a.abs(),
    "sin": lambda m, a: a.sin(),
    "cos": lambda m, a: a.cos(),
    "tanh": lambda m, a: a.tanh(),
    "sigmoid": lambda m, a: a.sigmoid(),
    "relu": lambda m, a: a.relu(),
    "erf": lambda m, a: m.erf(a),
    "square": lambda m, a: a.square(),
    "sign": lambda m, a: a.sign() * a,
    "clamp": lambda m, a: a.clamp(-0.5, 0.7),
    "clamp_min": lambda m, a: a.clamp(min=-0.2),
    "clamp_max": lambda m, a: a.clamp(max=0.3),
    "clip_tensor": lambda m, a: a.clip(a * 0 - 0.5, a * 0 + 0.5),
    "masked_fill": lambda m, a: a.masked_fill(a > 0.3, -2.0),
    "lerp": lambda m, a: a.lerp(a * a, 0.25),
    "clone": lambda m, a: a.clone() * 2,
    "to_float32_back": lambda m, a: a.float().double() * 1,
}


@pytest.mark.parametrize("name", sorted(SCALAR) + sorted(UNARY))
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4)])
def test_unary_ops_match_torch(name, shape):
    fn = SCALAR.get(name) or UNARY[name]
    run_both(fn, _inputs([shape], seed=len(name)))


REDUCTIONS = {
    "sum": lambda m, a: a.sum(),
    "sum_dim": lambda m, a: a.sum(1),
    "sum_neg_dim_keep": lambda m, a: a.sum(-1, keepdim=True),
    "sum_tuple": lambda m, a: a.sum((0, 2)),
    "mean": lambda m, a: a.mean(),
    "mean_dim": lambda m, a: a.mean(dim=0),
    "mean_tuple_keep": lambda m, a: a.mean(dim=(1, 2), keepdim=True),
    "max": lambda m, a: a.max(),
    "min": lambda m, a: a.min(),
    "max_dim": lambda m, a: a.max(dim=1).values,
    "max_dim_keep": lambda m, a: a.max(1, keepdim=True)[0],
    "min_dim": lambda m, a: a.min(dim=-1).values,
    "amax": lambda m, a: a.amax(dim=(0, 1)),
    "amin": lambda m, a: a.amin(dim=2, keepdim=True),
    "var": lambda m, a: a.var(),
    "var_dim": lambda m, a: a.var(dim=1),
    "var_unbiased_false": lambda m, a: a.var(1, unbiased=False, keepdim=True),
    "var_correction0": lambda m, a: a.var(dim=(0, 2), correction=0),
    "std": lambda m, a: a.std(),
    "std_dim": lambda m, a: a.std(dim=0, keepdim=True),
    "logsumexp": lambda m, a: a.logsumexp(dim=1),
    "logsumexp_keep": lambda m, a: a.logsumexp(dim=-1, keepdim=True),
    "softmax": lambda m, a: a.softmax(dim=1),
    "softmax_last": lambda m, a: a.softmax(-1),
    "log_softmax": lambda m, a: a.log_softmax(dim=0),
    "norm": lambda m, a: a.norm(),
    "norm_dim": lambda m, a: a.norm(dim=1),
    "norm_p1": lambda m, a: a.norm(p=1),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions_match_torch(name):
    run_both(REDUCTIONS[name], _inputs([(3, 4, 5)], seed=len(name)))


SHAPE_OPS = {
    "reshape": lambda m, a: a.reshape(4, 15),
    "reshape_tuple": lambda m, a: a.reshape((-1, 5)),
    "view": lambda m, a: a.view(12, 5),
    "flatten": lambda m, a: a.flatten(),
    "flatten_1": lambda m, a: a.flatten(1),
    "transpose": lambda m, a: a.transpose(0, 2),
    "T": lambda m, a: a[0].T * 1,
    "mT": lambda m, a: a.mT * 1,
    "permute": lambda m, a: a.permute(2, 0, 1),
    "unsqueeze": lambda m, a: a.unsqueeze(1),
    "unsqueeze_neg": lambda m, a: a.unsqueeze(-1),
    "squeeze": lambda m, a: a[:, :1].squeeze(),
    "squeeze_dim": lambda m, a: a[:1].squeeze(0),
    "expand": lambda m, a: a[:, :1].expand(3, 4, 5) * a,
    "expand_new": lambda m, a: a.expand(2, 3, 4, 5),
    "expand_minus1": lambda m, a: a[:1].expand(6, -1, -1),
    "repeat": lambda m, a: a.repeat(2, 1, 3),
    "index_int": lambda m, a: a[1],
    "index_slice": lambda m, a: a[1:, ::2, -2:],
    "index_none_ellipsis": lambda m, a: a[None, ..., 1],
    "index_neg": lambda m, a: a[-1, -2],
    "index_int_array_repeat": lambda m, a: a[[0, 2, 0, 0]],
    "index_tensor": lambda m, a: a[m.tensor([1, 1, 2])],
    "index_two_arrays": lambda m, a: a[[0, 1, 1], :, [2, 2, 3]],
    "index_bool_mask": lambda m, a: a[a > 0],
    "index_bool_rows": lambda m, a: a[m.tensor([True, False, True])],
    "gather": lambda m, a: a.gather(1, m.tensor([[[0, 1, 0, 0, 3]] * 2] * 3)),
    "gather_last": lambda m, a: a.gather(-1, m.tensor([[[4, 4], [0, 1], [2, 2], [3, 3]]] * 3)),
    "take_along_dim": lambda m, a: m.take_along_dim(a, m.tensor([[[1]] * 4] * 3), dim=2),
    "split": lambda m, a: a.split(2, dim=2)[2] * 1,
    "chunk": lambda m, a: a.chunk(2, dim=1)[1] * 1,
    "cat": lambda m, a: m.cat([a, a * 2, a[:, :1]], dim=1),
    "stack": lambda m, a: m.stack([a, a.exp()], dim=1),
    "setitem": lambda m, a: _setitem(a),
}


def _setitem(a):
    b = a * 1
    b[0, 1:3] = a[1, :2] * 5
    return b


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_and_index_ops_match_torch(name):
    run_both(SHAPE_OPS[name], _inputs([(3, 4, 5)], seed=len(name)))


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
                 ((2, 1, 2, 3), (4, 3, 2)), ((5, 2, 3), (3,))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES)
def test_matmul_matches_torch(shapes):
    run_both(lambda m, a, b: a @ b, _inputs(shapes, seed=3))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 4), min_size=0, max_size=3),
       st.lists(st.booleans(), min_size=3, max_size=3),
       st.lists(st.booleans(), min_size=3, max_size=3),
       st.sampled_from(sorted(BINARY)))
def test_broadcasting_hypothesis(shape, drop_a, drop_b, name):
    """Random broadcast pairs: each operand has some axes set to 1 or removed."""
    sa = tuple(1 if d else n for n, d in zip(shape, drop_a))
    sb = tuple(1 if d else n for n, d in zip(shape, drop_b))[len(shape) // 2:]
    run_both(BINARY[name], _inputs([sa, sb], seed=len(shape)))


FD_OPS = {**{k: BINARY[k] for k in ("add", "mul", "div", "pow")},
          "matmul": lambda m, a, b: a @ b.T}


@pytest.mark.parametrize("name", sorted(FD_OPS))
def test_binary_grads_match_finite_differences(name):
    shapes = [(2, 3), (2, 3)] if name == "matmul" else [(2, 3), (3,)]
    finite_difference_check(FD_OPS[name], _inputs(shapes, seed=5, positive=True))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid", "erf", "sin",
                                  "expm1", "log1p"])
def test_unary_grads_match_finite_differences(name):
    finite_difference_check(UNARY[name], _inputs([(2, 3)], seed=11, positive=True))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp", "var_dim", "norm_dim",
                                  "max_dim", "mean_tuple_keep"])
def test_reduction_grads_match_finite_differences(name):
    finite_difference_check(REDUCTIONS[name], _inputs([(3, 4, 2)], seed=13))


def test_indexing_grad_accumulates_repeated_indices_by_finite_differences():
    finite_difference_check(lambda m, a: a[[0, 0, 1, 0]] * a[[1, 1, 1, 0]],
                            _inputs([(2, 3)], seed=2))


def test_softmax_family_is_stable_for_large_inputs():
    x = np.array([[1000.0, 0.0, -1000.0], [-1e4, -1e4, -1e4]])
    for name in ("softmax", "log_softmax", "logsumexp"):
        g = getattr(genesis.tensor(x), name)(dim=1).numpy()
        t = getattr(torch.tensor(x), name)(dim=1).numpy()
        assert np.isfinite(g).all()
        np.testing.assert_allclose(g, t, rtol=RTOL)


def test_max_with_dim_returns_values_and_indices_like_torch():
    a = _inputs([(3, 4)], seed=1)[0]
    g, t = genesis.tensor(a).max(dim=1), torch.tensor(a).max(dim=1)
    np.testing.assert_array_equal(g.indices.numpy(), t.indices.numpy())
    np.testing.assert_array_equal(g.values.numpy(), t.values.numpy())
    values, indices = genesis.tensor(a).min(0, keepdim=True)
    assert values.shape == (1, 4) and indices.dtype == genesis.int64


def test_argmax_argmin_match_torch():
    a = _inputs([(3, 4, 5)], seed=4)[0]
    for kwargs in ({}, {"dim": 1}, {"dim": -1, "keepdim": True}):
        for name in ("argmax", "argmin"):
            g = getattr(genesis.tensor(a), name)(**kwargs)
            t = getattr(torch.tensor(a), name)(**kwargs)
            np.testing.assert_array_equal(g.numpy(), t.numpy())
            assert g.dtype == genesis.int64


def test_comparisons_give_bool_tensors_without_grad():
    a = genesis.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in ((a > 2, [False, False, True]), (a <= 2, [True, True, False]),
                             (a == 2, [False, True, False]), (a != 2, [True, False, True]),
                             (2 < a, [False, False, True]), (a >= a, [True, True, True])):
        assert result.dtype == genesis.bool and not result.requires_grad
        assert result.tolist() == expected


def test_maximum_ties_split_the_gradient_like_torch():
    run_both(lambda m, a, b: m.maximum(a, b) + m.minimum(a, b) * 3,
             [np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])])
    run_both(lambda m, a: a.max() + a.amax(dim=0).sum(), [np.array([[2.0, 2.0], [2.0, 1.0]])])


def test_erf_matches_math_erf_to_float64_precision():
    import math
    x = np.concatenate([np.linspace(-7, 7, 2001), [0.0, 1e-300, -1e-10, 2.5, -2.5, 30, np.inf]])
    got = genesis.erf(genesis.tensor(x)).numpy()
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(got, expected, rtol=4e-15, atol=0)
    assert np.isnan(genesis.erf(genesis.tensor([np.nan], dtype=genesis.float64)).item())


def test_float32_ops_stay_float32_and_python_scalars_do_not_upcast():
    a = genesis.ones(3, requires_grad=True)
    for out in (a + 1.5, 2.0 * a, a / 3, a ** 2, a.exp(), a.sum(), a.mean(), a @ a):
        assert out.dtype == genesis.float32
    (a * 2.0).sum().backward()
    assert a.grad.dtype == genesis.float32


def test_dtype_promotion_follows_torch():
    cases = [(np.float32, np.float64), (np.int64, np.float32), (np.int64, np.int32),
             (np.bool_, np.int64), (np.float32, np.int64)]
    for da, db in cases:
        a, b = np.ones(2, da), np.ones(2, db)
        assert str((genesis.tensor(a) + genesis.tensor(b)).dtype).split(".")[1] == \
            str((torch.tensor(a) + torch.tensor(b)).dtype).split(".")[1]
    for scalar in (2, 2.5, True):
        for dt in (np.int64, np.float32, np.bool_):
            g = genesis.tensor(np.ones(2, dt)) * scalar
            t = torch.tensor(np.ones(2, dt)) * scalar
            assert str(g.dtype).split(".")[1] == str(t.dtype).split(".")[1], (scalar, dt)
    g = genesis.tensor(np.ones(2, np.float32)) + genesis.tensor(np.float64(1.0))
    assert g.dtype == genesis.float32  # a 0-d tensor does not promote, as in torch
    grad_check = genesis.ones(2, requires_grad=True)
    (grad_check * genesis.tensor(np.ones(2))).sum().backward()
    assert grad_check.grad.dtype == genesis.float32


def test_bad_shapes_give_clear_errors():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\)"):
        genesis.ones(2, 3) @ genesis.ones(4, 5)
    with pytest.raises(ValueError, match=r"size of tensor a \(3\) must match the size of "
                                         r"tensor b \(4\) at non-singleton dimension 1"):
        genesis.ones(2, 3) + genesis.ones(4)
    for m in (genesis, torch):  # the view family raises PyTorch's errors (test_view_errors.py)
        with pytest.raises(RuntimeError, match=r"^shape '\[4, 2\]' is invalid for input of size 6"):
            m.ones(2, 3).reshape(4, 2)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range "
                                         r"of \[-2, 1\], but got 2\)"):
        genesis.ones(2, 3).sum(2)
    for m in (genesis, torch):
        with pytest.raises(RuntimeError, match="^The expanded size of the tensor"):
            m.ones(2, 3).expand(4, 4)
        with pytest.raises(RuntimeError, match="^permute\\(\\): duplicate dims are not allowed"):
            m.ones(2, 3).permute(0, 0)
    with pytest.raises(ValueError, match="sizes of tensors must match"):
        genesis.cat([genesis.ones(2, 3), genesis.ones(3, 2)], dim=0)
    with pytest.raises(ValueError, match="equal size"):
        genesis.stack([genesis.ones(2), genesis.ones(3)])
    with pytest.raises(RuntimeError, match="mean"):
        genesis.tensor([1, 2]).mean()
    for m in (genesis, torch):  # PyTorch's words: a split size of 0 only for an empty dimension
        with pytest.raises(RuntimeError, match=r"^split_size can only be 0 if dimension size is "
                                               r"0, but got dimension size of 2$"):
            m.ones(2, 3).split(0)
    for m in (genesis, torch):
        with pytest.raises(RuntimeError, match=r"^chunk expects `chunks` to be greater than 0, "
                                               r"got: 0"):
            m.ones(2, 3).chunk(0)
        with pytest.raises(RuntimeError, match=r"^Number of dimensions of repeat dims can not be "
                                               r"smaller than number of dimensions of tensor"):
            m.ones(2, 3).repeat(2)
    for m in (genesis, torch):  # a float mask is refused by both, in place or not
        with pytest.raises((TypeError, RuntimeError), match="only supports boolean masks"):
            m.ones(2).masked_fill(m.ones(2), 0.0)
        with pytest.raises((TypeError, RuntimeError), match="only supports boolean masks"):
            m.ones(2).masked_fill_(m.ones(2), 0.0)
    for m in (genesis, torch):
        with pytest.raises(RuntimeError, match=r"^Negation, the `-` operator, on a bool tensor is "
                                               r"not supported\. If you are trying to invert a "
                                               r"mask, use the `~` or `logical_not\(\)` operator"):
            -m.tensor([True, False])


def test_erf_float32_matches_torch_to_one_ulp():
    x = np.random.default_rng(0).standard_normal(10000).astype(np.float32) * 3
    np.testing.assert_allclose(genesis.erf(genesis.tensor(x)).numpy(),
                               torch.erf(torch.tensor(x)).numpy(), rtol=2.4e-7, atol=1e-30)


def test_numpy_operands_defer_to_tensor_operators():
    # ``ndarray * Tensor`` is a Tensor, promoted as torch promotes the converted array.
    for left in (np.ones(2), np.float64(2.0), np.ones(2, np.float32)):
        g, t = left * genesis.ones(2), torch.as_tensor(left) * torch.ones(2)
        assert isinstance(g, genesis.Tensor)
        assert g.dtype.name == str(t.dtype).split(".")[1]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
def test_reductions_over_random_dims_hypothesis(shape, data):
    ndim = len(shape)
    dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                              unique_by=lambda d: d % ndim))
    dim = dims[0] if len(dims) == 1 else tuple(dims)
    keepdim = data.draw(st.booleans())
    name = data.draw(st.sampled_from(["sum", "mean", "amax", "var", "logsumexp"]))
    if name == "var":
        fn = lambda m, a: a.var(dim=dim, keepdim=keepdim, correction=0)  # noqa: E731
    else:
        fn = lambda m, a: getattr(a, name)(dim, keepdim=keepdim)  # noqa: E731
    run_both(fn, _inputs([tuple(shape)], seed=ndim))


FD_DONE = set(FD_OPS) | {"exp", "log", "sqrt", "tanh", "sigmoid", "erf", "sin", "expm1", "log1p",
                         "softmax", "log_softmax", "logsumexp", "var_dim", "norm_dim", "max_dim",
                         "mean_tuple_keep"}
FD_REST = ([("binary", n) for n in sorted(BINARY) if n not in FD_DONE]
           + [("unary", n) for n in sorted(SCALAR) + sorted(UNARY)
              if n not in FD_DONE | {"to_float32_back"}]  # float32 rounding swamps eps
           + [("reduction", n) for n in sorted(REDUCTIONS) if n not in FD_DONE]
           + [("shape", n) for n in sorted(SHAPE_OPS)])


@pytest.mark.parametrize("kind,name", FD_REST, ids=[n for _, n in FD_REST])
def test_every_other_op_matches_finite_differences(kind, name):
    """The ops not checked above, each against central differences too (inputs away from kinks)."""
    if kind == "binary":
        finite_difference_check(BINARY[name], _inputs([(2, 1, 3), (2, 1)], seed=17))
    elif kind == "unary":
        finite_difference_check({**SCALAR, **UNARY}[name], _inputs([(2, 3)], seed=19))
    elif kind == "reduction":
        finite_difference_check(REDUCTIONS[name], _inputs([(2, 3, 2)], seed=23))
    else:
        finite_difference_check(SHAPE_OPS[name], _inputs([(3, 4, 5)], seed=29))


PROMOTION_DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]


def _dtype_name(t):
    return str(t.dtype).split(".")[1]


@pytest.mark.parametrize("da", PROMOTION_DTYPES)
def test_result_dtypes_follow_torch_for_every_pair_and_0d_operand(da):
    """Every dtype pair, with 0-d operands on either side (a 0-d tensor of a higher category
    decides: int64 * 0-d float64 is float64), and Python/NumPy scalars (which never widen)."""
    binary = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
              "maximum": lambda a, b: type(a).maximum(a, b)}
    for db in PROMOTION_DTYPES:
        for sa, sb in [((2,), ()), ((), (2,)), ((2,), (2,)), ((), ())]:
            for name, fn in binary.items():
                got = fn(genesis.ones(sa, dtype=getattr(genesis, da)),
                         genesis.ones(sb, dtype=getattr(genesis, db)))
                want = fn(torch.ones(sa, dtype=getattr(torch, da)),
                          torch.ones(sb, dtype=getattr(torch, db)))
                assert _dtype_name(got) == _dtype_name(want), (da, db, sa, sb, name)
    for scalar in (2, 2.5, np.float64(2.5), np.int64(2)):
        for name, fn in {"add": lambda a, s: a + s, "rsub": lambda a, s: s - a,
                         "clamp": lambda a, s: a.clamp(min=s), "pow": lambda a, s: a ** s}.items():
            if da == "bool" and name == "rsub":
                continue  # PyTorch refuses bool subtraction
            got = fn(genesis.ones(2, dtype=getattr(genesis, da)), scalar)
            want = fn(torch.ones(2, dtype=getattr(torch, da)), scalar)
            assert _dtype_name(got) == _dtype_name(want), (da, repr(scalar), name)


F32_CASES = ([("binary", n) for n in sorted(BINARY)] + [("unary", n) for n in sorted(SCALAR) + sorted(UNARY)]
             + [("reduction", n) for n in sorted(REDUCTIONS)] + [("shape", n) for n in sorted(SHAPE_OPS)])


def test_every_op_in_float32_keeps_float32_and_matches_torch():
    """float32 in, float32 out (values and gradients), close to PyTorch's float32 results."""
    tables = {"binary": (BINARY, [(3, 4), (4,)]), "unary": ({**SCALAR, **UNARY}, [(3, 4)]),
              "reduction": (REDUCTIONS, [(3, 4, 5)]), "shape": (SHAPE_OPS, [(3, 4, 5)])}
    for kind, name in F32_CASES:
        table, shapes = tables[kind]
        arrays = [a.astype(np.float32) for a in _inputs(shapes, seed=3)]
        g_in = [genesis.tensor(a, requires_grad=True) for a in arrays]
        t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
        g_out, t_out = table[name](genesis, *g_in), table[name](torch, *t_in)
        assert g_out.dtype.name == str(t_out.dtype).split(".")[1], name
        np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), rtol=2e-5,
                                   atol=1e-6, err_msg=name)
        upstream = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(np.float32)
        g_out.backward(genesis.tensor(upstream))
        t_out.backward(torch.tensor(upstream))
        for g, t in zip(g_in, t_in):
            if t.grad is not None:
                assert g.grad.dtype == genesis.float32, name
                np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=2e-5, atol=1e-5,
                                           err_msg=name)


def _random_index(rng, shape, m):
    """A random mix of ints (some 0-d tensors), slices, integer arrays (one length), a boolean mask,
    None and Ellipsis for a tensor of ``shape``, built with module ``m``."""
    parts, length, used_mask, used_array = [], None, False, False
    for n in shape:
        k = rng.random()
        if k < 0.2:
            position = rng.randrange(-n, n)
            parts.append(m.tensor(position) if rng.random() < 0.25 else position)
        elif k < 0.45:
            parts.append(slice(rng.choice([None, rng.randrange(-n, n)]),
                               rng.choice([None, rng.randrange(-n, n + 2)]),
                               rng.choice([None, 1, 2, 3])))
        elif k < 0.7 and not used_mask:
            length = length or rng.randint(1, 5)
            parts.append(m.tensor([rng.randrange(-n, n) for _ in range(length)]))
            used_array = True
        elif k < 0.8 and not (used_array or used_mask):
            parts.append(m.tensor([rng.random() < 0.5 for _ in range(n)]))
            used_mask = True
        elif k < 0.9:
            parts += [None, slice(None)]
        else:
            parts.append(slice(None))
    if rng.random() < 0.3:
        parts = parts[:rng.randrange(0, len(parts) + 1)] + [Ellipsis]
    return tuple(parts)


def test_random_indexing_matches_torch_forward_and_backward():
    """Integers mixed with arrays follow PyTorch (integers select first), not NumPy (which moves
    the array dimensions to the front): ``x[0, :, [1, 2]]`` has shape (5, 2) for x (4, 5, 3)."""
    import random
    checked = 0
    for seed in range(200):
        a = np.random.default_rng(seed).standard_normal((4, 5, 3))
        t_index = _random_index(random.Random(seed), a.shape, torch)
        try:
            torch.tensor(a)[t_index]
        except (IndexError, RuntimeError):
            continue  # out of range for torch too
        g_index = _random_index(random.Random(seed), a.shape, genesis)
        run_both(lambda m, x: x[g_index if m is genesis else t_index], [a], seed=seed)
        checked += 1
    assert checked > 130


def test_random_index_assignment_matches_torch_with_and_without_grad():
    import random
    checked = 0
    for seed in range(300):
        rng = random.Random(seed)
        a = np.random.default_rng(seed).standard_normal((4, 5, 3))
        t_index = _random_index(rng, a.shape, torch)
        arrays = [t for t in t_index if isinstance(t, torch.Tensor) and t.dtype != torch.bool
                  and t.dim() == 1]
        if any(len(set((t % 5).tolist())) != len(t) for t in arrays):
            continue  # torch leaves the winner of repeated writes unspecified
        try:
            shape = tuple(torch.tensor(a)[t_index].shape)
        except (IndexError, RuntimeError):
            continue
        g_index = _random_index(random.Random(seed), a.shape, genesis)
        value = np.random.default_rng(seed + 1).standard_normal(shape)
        plain_g, plain_t = genesis.tensor(a), torch.tensor(a)
        plain_g[g_index], plain_t[t_index] = genesis.tensor(value), torch.tensor(value)
        np.testing.assert_array_equal(plain_g.numpy(), plain_t.numpy())

        def assign(m, x, v):
            y = x * 1
            y[g_index if m is genesis else t_index] = v
            return y
        run_both(assign, [a, value], seed=seed)
        checked += 1
    assert checked > 100
