"""Edge cases a differential comparison with PyTorch 2.13 found (issue 10): empty dimensions,
integer powers and divisions, gradients at zero, ``Tensor.grad`` assignment, custom Functions
with several outputs, in-place ops through views. Each runs the same code with torch and genesis.
"""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import genesis
import genesis.nn.functional as GF
from test_ops import run_both

F = {torch: TF, genesis: GF}


def _same(g, t):
    """Same dtype, shape and values (NaN and inf included)."""
    assert str(g.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert tuple(g.shape) == tuple(t.shape)
    np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), rtol=1e-9, atol=0)


def both(fn):
    """``fn(m)`` with genesis and torch; compare the tensors (or lists of tensors) returned."""
    g, t = fn(genesis), fn(torch)
    if isinstance(t, (tuple, list)):
        assert len(g) == len(t)
    for gi, ti in zip(g, t) if isinstance(t, (tuple, list)) else [(g, t)]:
        _same(gi, ti)


def grads(fn, array):
    """``fn(m, x)`` summed and backpropagated: (value, x.grad) for genesis and torch, compared."""
    out = {}
    for m in (genesis, torch):
        x = m.tensor(np.array(array, dtype=np.float64), requires_grad=True)
        y = fn(m, x)
        y.sum().backward()
        out[m] = (y, x.grad)
    for g, t in zip(out[genesis], out[torch]):
        _same(g, t)


# ------------------------------------------------------------------ NaN gradients (high)
def test_std_of_a_constant_row_has_zero_gradient_not_nan():
    grads(lambda m, x: x.std(dim=1), [[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]])
    grads(lambda m, x: x.std(), [2.0, 2.0])


def test_norm_of_a_zero_vector_or_row_has_zero_gradient_not_nan():
    grads(lambda m, x: x.norm(), [0.0, 0.0, 0.0])
    grads(lambda m, x: x.norm(dim=1), [[0.0, 0.0], [3.0, 4.0]])
    grads(lambda m, x: x.norm(p=3, dim=0), [[0.0, 1.0], [0.0, 2.0]])


def test_var_with_correction_at_least_n_gives_torchs_inf_and_nan_both_ways():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        grads(lambda m, x: x.var(dim=1, correction=2), [[1.0], [2.0]])  # 0/0: NaN, grad -0
        grads(lambda m, x: x.var(dim=1, correction=2), [[1.0, 2.0], [2.0, 4.0]])  # x/0: inf
        grads(lambda m, x: x.std(dim=1, correction=1), [[1.0], [2.0]])


def test_var_warns_like_torch_when_degrees_of_freedom_are_not_positive():
    for m in (torch, genesis):
        for name in ("var", "std"):
            with pytest.warns(UserWarning, match=rf"^{name}\(\): degrees of freedom is <= 0\. "
                                                 r"Correction should be strictly less than the "
                                                 r"reduction factor \(input numel divided by "
                                                 r"output numel\)\."):
                getattr(m.ones(2, 1), name)(dim=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        genesis.ones(2, 2).var(dim=1)


def test_var_and_std_refuse_integer_tensors_as_torch():
    for m in (torch, genesis):
        with pytest.raises(RuntimeError, match="^std and var only support floating point and "
                                               "complex dtypes$"):
            m.tensor([1, 2]).var()


def test_cumsum_has_a_gradient():
    """The issue's program: PyTorch gives [5, 6, 7], the gradient of cumsum was dropped."""
    grads(lambda m, x: x.cumsum(0).sum() + (x * x).sum(), [1.0, 2.0, 3.0])
    both(lambda m: m.tensor([1, 2], dtype=m.int32).cumsum(0))  # int64, as sums are
    both(lambda m: m.tensor([True, True]).cumsum(0))
    both(lambda m: m.tensor(3.0).cumsum(0))


# ------------------------------------------------------------------ Tensor.grad (high)
@pytest.mark.parametrize("value,kind", [([1.0], "shape"), ([[1.0, 2.0, 3.0]], "shape"),
                                        ([1.0, 2.0, 3.0], "float64"), ([1, 2, 3], "int64"),
                                        ([1.0, 2.0], "float16")])
def test_assigning_a_grad_of_another_shape_or_dtype_is_refused_as_torch(value, kind):
    messages = []
    for m in (torch, genesis):
        p = m.zeros(3, requires_grad=True)
        dtype = getattr(m, kind) if kind != "shape" else m.float32
        with pytest.raises(RuntimeError) as raised:
            p.grad = m.tensor(value, dtype=dtype)
        assert p.grad is None
        messages.append(str(raised.value))
    # PyTorch's words, up to its advice about a grad_dtype attribute Genesis does not have
    assert messages[0].startswith(messages[1])
    assert messages[1].startswith("attempting to assign a gradient")


def test_grad_assignment_accepts_what_torch_accepts_and_refuses_the_rest_alike():
    for m in (torch, genesis):
        p = m.zeros(2, requires_grad=True)
        p.grad = m.ones(2)
        p.grad = None
        p.grad = m.ones(2)
        del p.grad
        assert p.grad is None
        with pytest.raises(TypeError, match="^assigned grad expected to be a Tensor or None but "
                                            "got grad of type list$"):
            p.grad = [1.0, 2.0]
        with pytest.raises(RuntimeError, match="^can't assign Variable as its own grad$"):
            p.grad = p


def test_sgd_and_adam_can_no_longer_broadcast_a_wrong_grad():
    p = genesis.nn.Parameter(genesis.zeros(3))
    with pytest.raises(RuntimeError):
        p.grad = genesis.tensor([1.0])
    for opt in (genesis.optim.SGD([p], lr=1.0), genesis.optim.Adam([p], lr=1.0)):
        opt.step()  # no gradient: nothing moves
    assert p.tolist() == [0.0, 0.0, 0.0]


# ------------------------------------------------------------------ empty dims (medium, low)
@pytest.mark.parametrize("shape,dim", [((2, 0), 1), ((0, 3), 0), ((0, 3), 1), ((2, 0, 3), (1, 2))])
def test_softmax_family_over_an_empty_dim_gives_torchs_empty_or_minus_inf(shape, dim):
    if not isinstance(dim, tuple):
        for name in ("softmax", "log_softmax"):
            both(lambda m: getattr(m.ones(shape), name)(dim))
            both(lambda m: getattr(F[m], name)(m.ones(shape), dim=dim))
    both(lambda m: m.ones(shape).logsumexp(dim))
    grads(lambda m, x: x.logsumexp(dim, keepdim=True), np.ones(shape))


def test_logsumexp_over_no_dims_reduces_all_and_has_a_gradient():
    grads(lambda m, x: x.logsumexp(dim=(), keepdim=True), [[1.0, 2.0], [3.0, 4.0]])
    # PyTorch 2.13 fails inside its forward without keepdim (shape [] vs [1, 1]); Genesis gives
    # the same reduction (docs/en/migrating-from-pytorch.md), with the same gradient.
    x = genesis.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x.logsumexp(dim=())
    y.backward()
    t = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    t.logsumexp(dim=(), keepdim=True).sum().backward()
    assert y.shape == ()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("shape,args", [((0, 2, 3), (1,)), ((2, 3, 0), (0, 1)), ((0,), ()),
                                        ((2, 0, 3), (1, 2))])
def test_flatten_with_a_size_0_dim(shape, args):
    both(lambda m: m.ones(shape).flatten(*args))


@pytest.mark.parametrize("shape,dim,sizes", [((2, 0), 1, (-1, 5)), ((0, 4), 1, (-1, 2)),
                                             ((0, 4), 1, (2, 2)), ((2, 6), -1, (3, -1))])
def test_unflatten_with_a_size_0_dim(shape, dim, sizes):
    both(lambda m: m.ones(shape).unflatten(dim, sizes))


@pytest.mark.parametrize("shape,dim,sizes,message", [
    ((2, 6), 1, (4, 2), r"^unflatten: Provided sizes \[4, 2\] don't multiply up to the size of "
                        r"dim 1 \(6\) in the input tensor"),
    ((2, 0), 1, (0, -1), r"^unflatten got an unexpected error:\ncannot reshape tensor of 0 "
                         r"elements into shape \[0, -1\] because the unspecified dimension size "
                         r"-1 can be any value and is ambiguous")])
def test_unflatten_refuses_like_torch(shape, dim, sizes, message):
    for m in (torch, genesis):
        with pytest.raises(RuntimeError, match=message):
            m.ones(shape).unflatten(dim, sizes)


@pytest.mark.parametrize("index", [[], ([], []), (slice(None), [])])
def test_indexing_with_an_empty_list(index):
    both(lambda m: m.ones(3, 2)[index])
    grads(lambda m, x: x[index] * 2, np.ones((3, 2)))

    def assign(m):
        x = m.ones(3, 2)
        x[index] = 5.0
        return x
    both(assign)


@pytest.mark.parametrize("shape,args", [((0, 2), (2,)), ((0, 2), (1,)), ((2, 0), (2, 1)),
                                        ((0, 2), ([0, 0],)), ((0, 2), (0,))])
def test_split_along_a_size_0_dim(shape, args):
    both(lambda m: m.ones(shape).split(*args))


@pytest.mark.parametrize("shape,args", [((0, 2), (2,)), ((0, 2), (1,)), ((2, 0), (3, 1))])
def test_chunk_along_a_size_0_dim(shape, args):
    both(lambda m: m.ones(shape).chunk(*args))


def test_split_size_errors_are_torchs():
    for m in (torch, genesis):
        with pytest.raises(RuntimeError, match=r"^split expects split_size be non-negative, but "
                                               r"got split_size=-1$"):
            m.ones(3, 2).split(-1)


@pytest.mark.parametrize("x_shape,bias", [((2, 0), True), ((2, 0), False), ((4, 2, 0), True),
                                          ((0,), True), ((0,), False)])
def test_linear_with_zero_in_features_has_a_gradient(x_shape, bias):
    arrays = [np.ones(x_shape), np.ones((3, 0))] + ([np.arange(3.0)] if bias else [])
    run_both(lambda m, *ts: F[m].linear(*ts), arrays)


# ------------------------------------------------------------------ integer arithmetic
def test_integer_negative_powers_follow_torch():
    both(lambda m: 3 ** m.tensor([[1], [-2], [3]]))
    both(lambda m: m.tensor([2, 3]).pow(m.tensor([-1, 2])))
    both(lambda m: m.tensor([0, 1, -1, -1, 2, -2]).pow(m.tensor([-1, -3, -3, -2, -1, -2])))
    both(lambda m: m.tensor([2, 3], dtype=m.int32).pow(m.tensor([-1, 2])))
    both(lambda m: m.pow(2, m.tensor([-1, 2])))
    for m in (torch, genesis):
        with pytest.raises(RuntimeError, match=r"^Integers to negative integer powers are not "
                                               r"allowed\.$"):
            m.tensor([2, 3]) ** -1


def test_integer_floor_and_trunc_division_by_a_float_is_float32():
    for mode in ("floor", "trunc"):
        both(lambda m: m.tensor([7, -7]).div(2.5, rounding_mode=mode))
        both(lambda m: m.tensor([7, -7, 7, -7]).div(m.tensor([2, 2, -2, -2]), rounding_mode=mode))
    both(lambda m: m.tensor([7, -7]) // 2.5)
    both(lambda m: 2.5 // m.tensor([7, -7]))
    both(lambda m: m.tensor([7, -7], dtype=m.int32) // m.tensor(2))
    both(lambda m: m.tensor([7, -7]) % 2.5)
    both(lambda m: 5 % m.tensor([7, -7]))


def test_large_integers_divide_exactly():
    big = [2 ** 53 + 1, -(2 ** 53) - 3]
    for mode in ("floor", "trunc"):
        both(lambda m: m.tensor(big).div(3, rounding_mode=mode))


def test_integer_division_by_zero_raises_like_torch():
    for m in (torch, genesis):
        for fn in (lambda x: x // 0, lambda x: x % 0,
                   lambda x: x.div(0, rounding_mode="trunc")):
            with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
                fn(m.tensor([5, -5]))


def test_rounding_ops_keep_integer_dtypes():
    for name in ("floor", "ceil", "round", "trunc"):
        both(lambda m: getattr(m.tensor([1, -2]), name)())


# ------------------------------------------------------------------ autograd.Function
def _functions(m):
    class MaxWithIndex(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            values, indices = x.max(0)
            ctx.mark_non_differentiable(indices)
            ctx.save_for_backward(x, indices)
            return values, indices

        @staticmethod
        def backward(ctx, grad_values, grad_indices):
            x, indices = ctx.saved_tensors
            ctx.seen = grad_indices
            out = m.zeros_like(x)
            out[indices] = grad_values
            return out

    class Marked(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            ctx.mark_non_differentiable(y)
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class TwoOutputs(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            ctx.seen = gb
            return ga * 2 + gb * 3
    return MaxWithIndex, Marked, TwoOutputs


def test_mark_non_differentiable_as_torch():
    for m in (torch, genesis):
        max_with_index, marked, two = _functions(m)
        x = m.tensor([1.0, 3.0, 2.0], requires_grad=True)
        values, indices = max_with_index.apply(x)
        assert values.requires_grad and not indices.requires_grad
        (values * 3).backward()
        assert x.grad.tolist() == [0.0, 3.0, 0.0]
        assert not marked.apply(x).requires_grad
        with pytest.raises(RuntimeError, match="^element 0 of tensors does not require grad"):
            marked.apply(x).sum().backward()


def test_a_function_with_two_outputs_gets_both_gradients_as_torch():
    results = []
    for m in (torch, genesis):
        _, _, two = _functions(m)
        x = m.tensor([1.0, 3.0, 2.0], requires_grad=True)
        a, b = two.apply(x)
        a.sum().backward()  # b unused: backward receives zeros for it
        first = x.grad.tolist()
        x.grad = None
        a, b = two.apply(x)
        (a * b).sum().backward()
        results.append((first, x.grad.tolist()))
    assert results[0] == results[1]


def test_set_materialize_grads_false_passes_none():
    class Two(genesis.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            assert gb is None
            return ga * 2
    x = genesis.tensor([1.0, 2.0], requires_grad=True)
    Two.apply(x)[0].sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


# ------------------------------------------------------------------ in-place through views
def _view_programs():
    def slice_of_nonleaf(m, x, w):
        y = x * 1
        y[0:2].mul_(w[:2])
        return y

    def view_of_plain_tensor(m, x, w):
        y = m.zeros(3, dtype=m.float64)
        y[0:2].add_(w[:2] * x[:2])
        return y * 10

    def chain_of_views(m, x, w):
        y = (x * 1).reshape(3, 1)
        y.t()[0, 1:].sub_(w[1:])
        return y.exp()

    def setitem_on_a_view(m, x, w):
        y = x * 1
        v = y[1:]
        v[0] = w[0] * 2
        return y * w

    def inplace_then_the_view(m, x, w):
        y = x * 1
        v = y[:2]
        v.mul_(w[:2])
        return v * y[1:]
    def inplace_on_the_base_then_an_older_view(m, x, w):
        y = x * 1
        v = y[1:]
        y.mul_(w)
        return v * w[:2]

    def overlapping_sibling_views(m, x, w):
        y = x * 1
        a, b = y[:2], y[1:]
        a.mul_(w[:2])
        return b * w[1:]
    return [slice_of_nonleaf, view_of_plain_tensor, chain_of_views, setitem_on_a_view,
            inplace_then_the_view, inplace_on_the_base_then_an_older_view,
            overlapping_sibling_views]


@pytest.mark.parametrize("program", _view_programs(), ids=lambda p: p.__name__)
def test_inplace_through_a_view_updates_the_viewed_tensor_and_its_gradient(program):
    rng = np.random.default_rng(0)
    run_both(program, [rng.standard_normal(3), rng.standard_normal(3)])


@pytest.mark.parametrize("view", [lambda w: w.view(-1), lambda w: w[0], lambda w: w.T,
                                  lambda w: w.expand(2, 3)])
def test_inplace_on_a_view_of_a_grad_leaf_is_refused_as_torch(view):
    for m in (torch, genesis):
        w = m.ones(1, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match=r"^a view of a leaf Variable that requires grad is "
                                               r"being used in an in-place operation\.$"):
            view(w).add_(1)


def test_inplace_on_an_expanded_tensor_is_refused_as_torch():
    for m in (torch, genesis):
        with pytest.raises(RuntimeError, match=r"^unsupported operation: more than one element "
                                               r"of the written-to tensor refers to a single "
                                               r"memory location"):
            m.ones(3).expand(2, 3).add_(1)


@pytest.mark.parametrize("pieces", [lambda y: y.split(1), lambda y: y.chunk(2, 1), list,
                                    lambda y: y.split([1, 1])])
def test_inplace_on_split_chunk_or_iterated_views_is_refused_as_torch(pieces):
    messages = []
    for m in (torch, genesis):
        x = m.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError) as with_grad:
            pieces(x * 1)[1].mul_(2)
        with pytest.raises(RuntimeError) as other_needs_grad:
            pieces(m.ones(2, 3))[0].mul_(x[0, 0])
        plain = m.ones(2, 3)
        pieces(plain)[0].mul_(2)  # nothing needs the graph: allowed, and writes through
        messages.append((str(with_grad.value), str(other_needs_grad.value), plain.tolist()))
    assert messages[0] == messages[1]


def test_a_single_element_is_a_view_as_in_torch():
    for m in (torch, genesis):
        x = m.zeros(3)
        x[1].add_(5)
        x[2][...] = 7  # noqa: the element view writes through
        assert x.tolist() == [0.0, 5.0, 7.0]


def test_normal_and_uniform_on_a_nonleaf_give_zero_gradients_as_torch():
    for m in (torch, genesis):
        x = m.ones(3, requires_grad=True)
        for method in ("normal_", "uniform_"):
            y = x * 2
            getattr(y, method)()
            assert y.requires_grad
            (y + x).sum().backward()
        assert x.grad.tolist() == [2.0, 2.0, 2.0]


# ------------------------------------------------------------------ found by a differential fuzz
def test_sign_and_the_gradient_of_abs_are_0_at_nan_as_torch():
    grads(lambda m, x: x.abs() + x.sign(), [float("nan"), -0.0, 0.0, -2.0])
    both(lambda m: m.tensor([True, False]).sign())


def test_rsqrt_of_negative_zero_is_minus_inf_as_torch():
    grads(lambda m, x: x.rsqrt(), [-0.0, 4.0])
    grads(lambda m, x: x.rsqrt(), [0.0, 4.0])


@pytest.mark.parametrize("name,call", [
    ("amax", lambda x: x.amax(1)), ("amin", lambda x: x.amin((0, 1))), ("amax", lambda x: x.amax()),
    ("max", lambda x: x.max(1)), ("min", lambda x: x.min()), ("min", lambda x: x.min(-1)),
    ("argmax", lambda x: x.argmax()), ("argmin", lambda x: x.argmin(1))])
def test_max_min_and_arg_reductions_over_nothing_are_refused_as_torch(name, call):
    raised = []
    for m in (torch, genesis):
        with pytest.raises((IndexError, RuntimeError)) as info:
            call(m.ones(2, 0))
        raised.append((type(info.value), str(info.value)))
    assert raised[1] == raised[0]
    assert raised[1][1].startswith(f"{name}(): Expected reduction dim")
    both(lambda m: m.ones(2, 0).amax(0))  # over a non-empty dim: an empty result
    both(lambda m: m.ones(2, 0).argmin(0))


def test_max_with_dim_of_a_0d_tensor_as_torch():
    for keepdim in (False, True):
        grads(lambda m, x: x.max(0, keepdim=keepdim).values * 3, 2.0)
        both(lambda m: m.tensor(2.0).min(-1, keepdim=keepdim).indices)


def test_logical_not_is_bool_for_every_dtype_and_invert_refuses_floats():
    for dtype in ("float32", "int64", "bool"):
        both(lambda m: m.tensor([1.5, 0.0, -2.0]).to(getattr(m, dtype)).logical_not())
    both(lambda m: ~m.tensor([1, 0, -2]))
    for m in (torch, genesis):
        with pytest.raises(TypeError, match=r"^~ \(operator.invert\) is only implemented on integer "
                                            r"and Boolean-type tensors$"):
            ~m.tensor([1.5])


@pytest.mark.parametrize("op", ["__and__", "__or__", "__xor__"])
def test_bitwise_ops_refuse_floats_as_torch(op):
    for other in ("float32", "float64", "bool"):
        messages = []
        for m in (torch, genesis):
            with pytest.raises(NotImplementedError) as info:
                getattr(m.tensor([1.5]), op)(m.tensor([True]).to(getattr(m, other)))
            messages.append(str(info.value))
        assert messages[1] == messages[0]
    both(lambda m: getattr(m.tensor([True, False]), op)(m.tensor([True, True])))
    both(lambda m: getattr(m.tensor([6, 3]), op)(5))


@pytest.mark.parametrize("fn", [lambda m: m.tensor([True]) - m.tensor([True]),
                                lambda m: m.tensor([1]) - m.tensor([True]),
                                lambda m: m.tensor([True]) - 1, lambda m: 1 - m.tensor([True]),
                                lambda m: m.tensor([1.0]).sub(m.tensor([True]))])
def test_subtraction_with_bool_tensors_is_refused_as_torch(fn):
    messages = []
    for m in (torch, genesis):
        with pytest.raises(RuntimeError) as info:
            fn(m)
        messages.append(str(info.value))
    assert messages[1] == messages[0]


NAN = float("nan")


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_and_minimum_pass_the_gradient_through_a_nan_as_torch(name):
    run_both(lambda m, a, b: getattr(m, name)(a, b),
             [np.array([1.0, NAN, NAN, -1.0, 2.0]), np.array([0.5, 0.5, NAN, -1.0, 3.0])])


@pytest.mark.parametrize("call", [lambda x: x.max(), lambda x: x.min(), lambda x: x.amax(),
                                  lambda x: x.amin(1), lambda x: x.amax(0),
                                  lambda x: x.max(1).values, lambda x: x.norm(float("inf"), 1)])
def test_max_family_gradients_with_nans_as_torch(call):
    with np.errstate(invalid="ignore"):
        grads(lambda m, x: call(x), [[NAN, 1.0, NAN], [2.0, 3.0, 3.0]])


@pytest.mark.parametrize("p,dim", [(-3, None), (-0.5, None), (float("-inf"), None),
                                   (float("inf"), None), (-1, 1), (float("inf"), (0, 1))])
def test_norms_without_an_identity_refuse_empty_reductions_as_torch(p, dim):
    messages = []
    for m in (torch, genesis):
        with pytest.raises(RuntimeError) as info:
            m.ones(2, 0).norm(p, dim=dim)
        messages.append(str(info.value))
    assert messages[1] == messages[0]
    both(lambda m: m.ones(2, 0).norm(p, dim=0))  # a non-empty dimension: an empty result
    both(lambda m: m.ones(2, 0).norm(2))  # p = 2 has an identity: 0


def test_remainder_of_bools_and_subtracting_a_python_bool_are_refused_as_torch():
    for m in (torch, genesis):
        with pytest.raises(NotImplementedError, match="\"remainder_cpu\" not implemented for "
                                                      "'Bool'"):
            m.tensor([True]) % m.tensor([True])
        with pytest.raises(RuntimeError, match="^Subtraction, the `-` operator, with a bool"):
            m.tensor([1]) - True


def test_power_minus_one_half_of_negative_zero_is_minus_inf_as_torch():
    both(lambda m: m.tensor([-0.0, 0.0, 4.0], dtype=m.float64) ** -0.5)


def test_float32_variance_does_not_overflow_where_torch_accumulates_in_double():
    both(lambda m: m.tensor([-2.5, 1e30, 1e30, 0.0]).std())
    both(lambda m: m.tensor([[1e25, -1e25], [1.0, 2.0]]).var(dim=1))


def test_a_recorded_copy_gets_storage_of_its_own_as_torch():
    def program(m, x, w):
        y = m.zeros(2, 3, dtype=m.float64)
        y.copy_(w)
        with m.no_grad():
            w.add_(5)  # the source changes later: y keeps what it copied
        return y * x
    rng = np.random.default_rng(1)
    run_both(program, [rng.standard_normal((2, 3)), rng.standard_normal(3)])
    for m in (torch, genesis):
        y = m.zeros(2, 3)
        y.copy_(m.ones(3, requires_grad=True))
        with m.no_grad():
            y.add_(1)  # writable, not a broadcast view
        assert y.tolist() == [[2.0] * 3] * 2
