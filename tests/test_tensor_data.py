"""``Tensor.data`` is a Tensor sharing storage, as in PyTorch: each pattern training scripts use
on it runs the same code with ``torch`` and with ``genesis`` and compares the results."""
import numpy as np
import pytest
import torch

import genesis

LIBS = [torch, genesis]


def leaf(lib, values):
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_data_is_a_tensor_outside_the_graph(lib):
    x = leaf(lib, [1.0, 2.0])
    y = x * 2
    for t in (x, y):
        d = t.data
        assert type(d) is lib.Tensor
        assert not d.requires_grad and d.is_leaf and d.grad_fn is None
        assert d.dtype == t.dtype and tuple(d.shape) == tuple(t.shape)
    p = lib.nn.Parameter(lib.ones(2))
    assert type(p.data) is lib.Tensor  # not a Parameter


def manual_sgd(lib, pattern):
    """Three steps of hand-written SGD on sum((w - target)^2), through ``.data``."""
    w = leaf(lib, [1.0, -2.0, 0.5])
    target = lib.tensor([0.25, 0.5, -1.0], dtype=lib.float64)
    for _ in range(3):
        loss = ((w - target) ** 2).sum()
        w.grad = None
        loss.backward()
        if pattern == "add_":
            w.data.add_(w.grad, alpha=-0.1)
        elif pattern == "isub":
            w.data -= 0.1 * w.grad.data
        elif pattern == "copy_":
            w.data.copy_(w.data - 0.1 * w.grad)
        elif pattern == "assign":
            w.data = w.data - 0.1 * w.grad
        elif pattern == "setitem":
            w.data[:] = (w - 0.1 * w.grad).detach()
    return w


@pytest.mark.parametrize("pattern", ["add_", "isub", "copy_", "assign", "setitem"])
def test_updates_through_data_match_torch(pattern):
    ours, theirs = manual_sgd(genesis, pattern), manual_sgd(torch, pattern)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    assert ours.requires_grad and ours.is_leaf  # a parameter stays a parameter


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_data_shares_storage_both_ways(lib):
    x = leaf(lib, [1.0, 2.0, 3.0])
    d = x.data
    d[0] = 10.0
    x.data.mul_(2)
    assert x.tolist() == [20.0, 4.0, 6.0] and d.tolist() == [20.0, 4.0, 6.0]
    assert x.data.cpu().numpy().tolist() == [20.0, 4.0, 6.0]
    assert x.data.data_ptr() == x.data_ptr()


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_assigning_data_takes_the_other_storage_shape_and_dtype(lib):
    x = leaf(lib, [1.0, 2.0, 3.0])
    other = lib.zeros(2, 2, dtype=lib.float32)
    x.data = other
    assert tuple(x.shape) == (2, 2) and x.dtype == lib.float32 and x.requires_grad
    other[0, 0] = 7.0
    assert x[0, 0].item() == 7.0  # shares other's storage


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_assigning_a_non_tensor_is_refused_with_torch_text(lib):
    x = leaf(lib, [1.0])
    with pytest.raises(TypeError, match="^Variable data has to be a tensor, but got list"):
        x.data = [1.0]
