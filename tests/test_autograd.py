"""The autograd engine: backward semantics, graph freeing, grad mode, Function, in-place rules."""
import numpy as np
import pytest
import torch

import genesis
from genesis.autograd import Function


def test_deep_chain_backward_is_iterative():
    x = genesis.tensor(1.0, dtype=genesis.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.00001 ** 100_000, rtol=1e-9)


def test_gradients_accumulate_across_backward_calls_and_shared_inputs():
    x = genesis.tensor([1.0, 2.0], requires_grad=True)
    (x * x + x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1.0, 2.0]) + 1 + 3)


def test_diamond_graph_matches_torch():
    def f(m, a):
        b = a.exp()
        c = b * a
        d = b + c.sin()
        return (d * c).sum()
    a = np.array([0.3, -0.2, 0.5])
    ga, ta = genesis.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    f(genesis, ga).backward()
    f(torch, ta).backward()
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-12)


def test_non_scalar_backward_needs_gradient():
    x = genesis.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        (x * 2).backward()
    (x * 2).backward(genesis.tensor([1.0, 2.0, 3.0]))
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(genesis.ones(2))


def test_backward_without_grad_raises_like_torch():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        genesis.ones(2).sum().backward()


def test_graph_is_freed_after_backward_unless_retained():
    x = genesis.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 4.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_leaf_grads_are_private_copies():
    # a + b hands the same gradient array to both leaves; updating one must not touch the other.
    a, b = genesis.ones(3, requires_grad=True), genesis.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.data *= 10
    assert b.grad.tolist() == [1.0, 1.0, 1.0]


def test_no_grad_enable_grad_set_grad_enabled():
    x = genesis.ones(2, requires_grad=True)
    with genesis.no_grad():
        assert not (x * 2).requires_grad
        assert not genesis.is_grad_enabled()
        with genesis.enable_grad():
            assert (x * 2).requires_grad
    assert genesis.is_grad_enabled()

    @genesis.no_grad()
    def doubled(t):
        return t * 2
    assert not doubled(x).requires_grad and genesis.is_grad_enabled()

    with genesis.set_grad_enabled(False):
        assert not (x + 1).requires_grad
    assert genesis.is_grad_enabled()
    genesis.set_grad_enabled(False)
    assert not genesis.is_grad_enabled()
    genesis.set_grad_enabled(True)

    @genesis.set_grad_enabled(False)
    def undecorated_mode_unchanged(t):
        return t * 2
    assert genesis.is_grad_enabled()
    assert not undecorated_mode_unchanged(x).requires_grad


def test_detach_and_requires_grad_flags():
    x = genesis.ones(2, requires_grad=True)
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    d.data[0] = 5  # shares memory, as in PyTorch
    assert y.data[0] == 5
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating point"):
        genesis.tensor([1, 2]).requires_grad_()
    z = genesis.zeros(2).requires_grad_()
    assert z.requires_grad and z.is_leaf


def test_retain_grad_keeps_non_leaf_grad():
    x = genesis.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    assert y.grad.tolist() == [6.0, 12.0]
    assert x.grad.tolist() == [18.0, 36.0]
    z = x * 2
    (z * 1).sum().backward()
    assert z.grad is None


def test_unused_branches_and_integer_outputs_are_pruned():
    x = genesis.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    _unused = x.exp()
    (values * 2).sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0], [2.0, 0.0]]
    assert not indices.requires_grad


def test_inplace_on_leaf_requiring_grad_raises_like_torch():
    w = genesis.ones(2, requires_grad=True)
    for op in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(), lambda: w.copy_(w),
               lambda: w.uniform_(), lambda: w.__setitem__(0, 3.0)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being "
                                               "used in an in-place operation."):
            op()
    for m in (genesis, torch):  # an int tensor cannot hold a float result in place
        with pytest.raises(RuntimeError, match="(?i)cast"):
            m.ones(2, dtype=m.int64).clamp_(0.5, 2)
        with pytest.raises(RuntimeError, match="(?i)cast"):
            m.ones(2, dtype=m.int64).add_(1.5)
    with genesis.no_grad():
        w.mul_(3).add_(genesis.ones(2), alpha=0.5).sub_(1).div_(2)
    assert w.tolist() == [1.25, 1.25]
    assert w.is_leaf and w.requires_grad


def test_inplace_on_non_leaf_is_differentiable():
    def f(m, a):
        b = a * 2
        b.mul_(a)
        b.add_(a, alpha=3)
        b[1] = a[0] * 10
        b.clamp_(max=5.0)
        return b.sum()
    a = np.array([0.5, -1.0, 2.0])
    ga, ta = genesis.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    np.testing.assert_allclose(f(genesis, ga).item(), f(torch, ta).item())
    f(genesis, ga).backward()
    f(torch, ta).backward()
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy())


def test_optimizer_style_inplace_updates_match_torch():
    rng = np.random.default_rng(0)
    p0, g0 = rng.standard_normal(4), rng.standard_normal(4)
    results = []
    for m in (genesis, torch):
        p, g = m.tensor(p0.copy()), m.tensor(g0)
        v, s = m.zeros_like(p), m.zeros_like(p)
        v.mul_(0.9).add_(g, alpha=0.1)
        s.mul_(0.99).addcmul_(g, g, value=0.01)
        p.addcdiv_(v, s.sqrt().add_(1e-8), value=-0.01)
        p.lerp_(v, 0.5).clamp_(-0.5, 0.5)
        results.append(p.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


class _Cube(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * x * scale

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x * ctx.scale, None


def test_custom_function_forward_and_backward():
    x = genesis.tensor([1.0, 2.0], requires_grad=True)
    y = _Cube.apply(x, 2.0)
    assert y.grad_fn.name == "_CubeBackward"
    (y * genesis.tensor([1.0, 0.5])).sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]
    with genesis.no_grad():
        assert not _Cube.apply(x, 1.0).requires_grad


def test_custom_function_backward_must_match_arguments():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, grad):
            return grad
    with pytest.raises(RuntimeError, match="returned 1 gradients"):
        Bad.apply(genesis.ones(1, requires_grad=True), genesis.ones(1)).sum().backward()


def test_dtype_conversion_is_differentiable():
    x = genesis.tensor([1.5, 2.5], dtype=genesis.float64, requires_grad=True)
    y = x.float()
    assert y.dtype == genesis.float32
    (y * 2).sum().backward()
    assert x.grad.dtype == genesis.float64 and x.grad.tolist() == [2.0, 2.0]


def test_enable_grad_decorates_and_nests_inside_no_grad_like_torch():
    for m in (genesis, torch):
        @m.enable_grad()
        def doubled(t):
            return t * 2

        x = m.ones(2, requires_grad=True)
        with m.no_grad():
            y = doubled(x)
            assert not m.is_grad_enabled()
        assert y.requires_grad and m.is_grad_enabled()


def test_no_grad_decorates_without_parentheses():
    @genesis.no_grad
    def doubled(t):
        return t * 2
    assert not doubled(genesis.ones(1, requires_grad=True)).requires_grad
    assert genesis.is_grad_enabled()


@pytest.mark.parametrize("module", ["genesis.autograd", "genesis.tensor", "genesis.random",
                                    "genesis.nn.parameter", "genesis.tensor_math",
                                    "genesis.dtypes", "genesis.factories", "genesis.special"])
def test_docstring_examples_run(module):
    import doctest
    import importlib
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, extraglobs={"genesis": genesis, "Function": Function},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_gradient_of_a_0d_leaf_stays_an_array_when_it_accumulates():
    x = genesis.tensor(2.0, requires_grad=True)
    (x * x).backward()  # x feeds the product twice: its gradient is accumulated
    (x * 3).backward()
    assert type(x.grad.numpy()) is np.ndarray and x.grad.item() == 7.0
    x.grad.data[...] = 0  # what zero_grad(set_to_none=False) and the optimizers do
    assert x.grad.item() == 0.0


_UNARY_STEPS = [
    lambda m, a: a.exp() * 0.1, lambda m, a: a.tanh(), lambda m, a: a.sigmoid(), lambda m, a: a * a,
    lambda m, a: a.abs() + 0.5, lambda m, a: a.sum(-1, keepdim=True) * a, lambda m, a: a.softmax(-1),
    lambda m, a: a.relu(), lambda m, a: -a, lambda m, a: a.mean(0, keepdim=True) - a,
    lambda m, a: a.clamp(-0.5, 0.5), lambda m, a: (a.abs() + 1).log(),
    lambda m, a: a.unsqueeze(0).squeeze(0), lambda m, a: a.T * 1,
]
_BINARY_STEPS = [
    lambda m, a, b: a + b, lambda m, a, b: a * b, lambda m, a, b: a - b * 0.5,
    lambda m, a, b: a / (b.abs() + 1), lambda m, a, b: m.maximum(a, b.T.T),
    lambda m, a, b: m.where(a > b, a, b * 2),
]


def test_random_graphs_with_shared_nodes_match_torch():
    """Random DAGs over three leaves (nodes reused by later steps and by the loss): the engine's
    accumulation and ordering give torch's gradients."""
    import random
    for seed in range(120):
        rng = random.Random(seed)
        leaves = [np.random.default_rng(seed + k).standard_normal((3, 3)) for k in range(3)]
        plan, count = [], len(leaves)
        for _ in range(rng.randint(3, 12)):
            if rng.random() < 0.5:
                plan.append((rng.choice(_UNARY_STEPS), rng.randrange(count)))
            else:
                plan.append((rng.choice(_BINARY_STEPS), rng.randrange(count), rng.randrange(count)))
            count += 1
        picks = rng.sample(range(count), 4)
        results = []
        for m in (genesis, torch):
            inputs = [m.tensor(a, requires_grad=True) for a in leaves]
            nodes = list(inputs)
            for fn, *args in plan:
                nodes.append(fn(m, *(nodes[i] for i in args)))
            loss = sum((nodes[i] * (i + 1)).sum() for i in picks)
            loss.backward()
            results.append([loss.item()] + [np.zeros((3, 3)) if x.grad is None else x.grad.numpy()
                                            for x in inputs])
        for ours, theirs in zip(*results):
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12, err_msg=f"seed {seed}")
