"""Losses against PyTorch (values and gradients), finite differences, and bad-target errors."""
import itertools

import numpy as np
import pytest
import torch

import genesis
from genesis import nn
from genesis.nn import functional as F
from nn_testing import TOLERANCE, assert_close, central_difference, pair

CE_OPTIONS = list(itertools.product(
    [False, True],            # class weights
    [-100, 1],                # ignore_index (1 is a real class, so some rows are ignored)
    [0.0, 0.2],               # label_smoothing
    ["mean", "sum", "none"],  # reduction
))


def _targets(rng, shape, classes, ignore_index):
    target = rng.integers(0, classes, size=shape)
    if ignore_index == -100 and target.size > 1:
        target.reshape(-1)[0] = -100
    return target


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("input_shape", [(6, 5), (5,), (3, 4, 2, 3)], ids=["NC", "C", "NCd1d2"])
@pytest.mark.parametrize("weighted,ignore_index,smoothing,reduction", CE_OPTIONS)
def test_cross_entropy_matches_torch(weighted, ignore_index, smoothing, reduction, input_shape, dtype):
    rng = np.random.default_rng(len(input_shape) * 100 + ignore_index % 7)
    classes = input_shape[0] if len(input_shape) == 1 else input_shape[1]
    target_shape = () if len(input_shape) == 1 else input_shape[:1] + input_shape[2:]
    logits = (3 * rng.standard_normal(input_shape)).astype(dtype)
    target = _targets(rng, target_shape, classes, ignore_index)
    weight = rng.uniform(0.2, 2.0, classes).astype(dtype) if weighted else None
    gx, tx = pair(logits)
    kwargs = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    ours = nn.CrossEntropyLoss(weight=None if weight is None else genesis.tensor(weight), **kwargs)
    ref = torch.nn.CrossEntropyLoss(weight=None if weight is None else torch.from_numpy(weight), **kwargs)
    gl, tl = ours(gx, genesis.tensor(target)), ref(tx, torch.from_numpy(target))
    rtol = TOLERANCE[dtype]
    assert_close(gl, tl, rtol, "loss")
    assert gl.dtype == genesis.tensor(logits).dtype
    upstream = rng.standard_normal(tuple(tl.shape)).astype(dtype)
    gl.backward(genesis.tensor(upstream))
    tl.backward(torch.from_numpy(upstream))
    assert_close(gx.grad, tx.grad, rtol, "input grad")


@pytest.mark.parametrize("smoothing,weighted", [(0.0, False), (0.3, True)])
def test_cross_entropy_with_probability_targets_matches_torch(smoothing, weighted):
    rng = np.random.default_rng(11)
    logits = rng.standard_normal((4, 3, 2))
    probs = rng.dirichlet(np.ones(3), size=(4, 2)).transpose(0, 2, 1).copy()
    weight = rng.uniform(0.5, 1.5, 3) if weighted else None
    for reduction in ("mean", "sum", "none"):
        gx, tx = pair(logits)
        gl = F.cross_entropy(gx, genesis.tensor(probs), None if weight is None else genesis.tensor(weight),
                             reduction=reduction, label_smoothing=smoothing)
        tl = torch.nn.functional.cross_entropy(
            tx, torch.from_numpy(probs), None if weight is None else torch.from_numpy(weight),
            reduction=reduction, label_smoothing=smoothing)
        assert_close(gl, tl, 1e-12)
        gl.sum().backward()
        tl.sum().backward()
        assert_close(gx.grad, tx.grad, 1e-12)


def test_cross_entropy_gradient_by_finite_differences():
    rng = np.random.default_rng(4)
    logits = rng.standard_normal((5, 4))
    target = genesis.tensor(np.array([0, 3, 1, 1, -100]))
    weight = genesis.tensor(rng.uniform(0.5, 2, 4))

    def loss(a):
        return F.cross_entropy(genesis.tensor(a), target, weight, label_smoothing=0.1).item()

    g = genesis.tensor(logits, requires_grad=True)
    F.cross_entropy(g, target, weight, label_smoothing=0.1).backward()
    np.testing.assert_allclose(g.grad.numpy(), central_difference(loss, logits.copy()), rtol=1e-6, atol=1e-9)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = genesis.tensor([[1e4, -1e4, 0.0], [-5e3, 5e3, 5e3]], requires_grad=True)
    loss = F.cross_entropy(logits, genesis.tensor([1, 0]))
    ref = torch.nn.functional.cross_entropy(torch.tensor([[1e4, -1e4, 0.0], [-5e3, 5e3, 5e3]]),
                                            torch.tensor([1, 0]))
    assert np.isfinite(loss.item()) and abs(loss.item() - ref.item()) <= 1e-5 * abs(ref.item())
    loss.backward()
    assert np.all(np.isfinite(logits.grad.numpy()))


def test_cross_entropy_bad_targets_give_clear_errors():
    logits = genesis.zeros(3, 10)
    with pytest.raises(ValueError, match=r"Target 10 is out of bounds.*\[0, 10\)"):
        F.cross_entropy(logits, genesis.tensor([1, 10, 2]))
    with pytest.raises(ValueError, match=r"Target -1 is out of bounds.*10"):
        nn.CrossEntropyLoss()(logits, genesis.tensor([1, -1, 2]))
    with pytest.raises(TypeError, match="integer tensor"):
        F.cross_entropy(logits, genesis.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="target shape"):
        F.cross_entropy(logits, genesis.tensor([1, 2]))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="weight must have shape"):
        F.cross_entropy(logits, genesis.tensor([1, 2, 3]), weight=genesis.ones(9))
    # ignore_index values are allowed even though they lie outside [0, C)
    assert np.isfinite(F.cross_entropy(logits, genesis.tensor([1, -100, 2])).item())


@pytest.mark.parametrize("weighted,ignore_index,reduction",
                         list(itertools.product([False, True], [-100, 2], ["mean", "sum", "none"])))
def test_nll_loss_matches_torch(weighted, ignore_index, reduction):
    rng = np.random.default_rng(8)
    logp = np.log(rng.dirichlet(np.ones(4), size=6))
    target = _targets(rng, (6,), 4, ignore_index)
    weight = rng.uniform(0.5, 2, 4) if weighted else None
    gx, tx = pair(logp)
    gl = nn.NLLLoss(None if weight is None else genesis.tensor(weight), ignore_index=ignore_index,
                    reduction=reduction)(gx, genesis.tensor(target))
    tl = torch.nn.NLLLoss(None if weight is None else torch.from_numpy(weight), ignore_index=ignore_index,
                          reduction=reduction)(tx, torch.from_numpy(target))
    assert_close(gl, tl, 1e-12)
    gl.sum().backward()
    tl.sum().backward()
    assert_close(gx.grad, tx.grad, 1e-12)


def test_log_softmax_plus_nll_equals_cross_entropy():
    logits = genesis.tensor(np.random.default_rng(0).standard_normal((4, 3)))
    target = genesis.tensor([0, 2, 1, 2])
    a = F.nll_loss(nn.LogSoftmax(dim=1)(logits), target).item()
    assert abs(a - F.cross_entropy(logits, target).item()) < 1e-12


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["MSELoss", "L1Loss"])
def test_regression_losses_match_torch(name, reduction, dtype):
    rng = np.random.default_rng(3)
    shape = (4, 3, 2)
    gx, tx = pair(rng.standard_normal(shape).astype(dtype))
    gy, ty = pair(rng.standard_normal(shape).astype(dtype))
    gl = getattr(nn, name)(reduction=reduction)(gx, gy)
    tl = getattr(torch.nn, name)(reduction=reduction)(tx, ty)
    assert_close(gl, tl, TOLERANCE[dtype])
    gl.sum().backward()
    tl.sum().backward()
    assert_close(gx.grad, tx.grad, TOLERANCE[dtype])
    assert_close(gy.grad, ty.grad, TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted,pos_weighted", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_matches_torch(weighted, pos_weighted, reduction, dtype):
    rng = np.random.default_rng(9)
    logits = (4 * rng.standard_normal((5, 3))).astype(dtype)
    labels = rng.uniform(0, 1, (5, 3)).astype(dtype)
    gx, tx = pair(logits)
    gy, ty = pair(labels)
    # PyTorch treats weight and pos_weight as constants (it refuses requires_grad on them).
    gw, tw = pair(rng.uniform(0.5, 2, (5, 1)).astype(dtype), False) if weighted else (None, None)
    gp, tp = pair(rng.uniform(0.5, 3, (3,)).astype(dtype), False) if pos_weighted else (None, None)
    gl = nn.BCEWithLogitsLoss(weight=gw, reduction=reduction, pos_weight=gp)(gx, gy)
    tl = torch.nn.BCEWithLogitsLoss(weight=tw, reduction=reduction, pos_weight=tp)(tx, ty)
    rtol = TOLERANCE[dtype]
    assert_close(gl, tl, rtol)
    gl.sum().backward()
    tl.sum().backward()
    assert_close(gx.grad, tx.grad, rtol, "input grad")
    assert_close(gy.grad, ty.grad, rtol, "target grad")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_weighted_regression_losses_match_torch(name, reduction):
    rng = np.random.default_rng(5)
    gx, tx = pair(rng.standard_normal((4, 3)))
    gy, ty = pair(rng.standard_normal((4, 3)))
    gw, tw = pair(rng.uniform(0.1, 2.0, (4, 3)))
    gl = getattr(F, name)(gx, gy, reduction=reduction, weight=gw)
    tl = getattr(torch.nn.functional, name)(tx, ty, reduction=reduction, weight=tw)
    assert_close(gl, tl, 1e-12)
    gl.sum().backward()
    tl.sum().backward()
    for ours, theirs in ((gx, tx), (gy, ty), (gw, tw)):
        assert_close(ours.grad, theirs.grad, 1e-12)
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        getattr(F, name)(gx, gy, weight=genesis.ones(3))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_regression_losses_warn_on_broadcasting_targets_like_torch(name):
    # (N, 1) predictions against (N,) targets broadcast to N x N: PyTorch warns, so do we,
    # and the (wrong) broadcast value is still PyTorch's.
    x, y = np.arange(3.0).reshape(3, 1), np.array([0.5, 2.0, -1.0])
    with pytest.warns(UserWarning, match=r"target size .* different to the input size") as ours:
        got = getattr(F, name)(genesis.tensor(x), genesis.tensor(y))
    with pytest.warns(UserWarning, match=r"target size .* different to the input size"):
        want = getattr(torch.nn.functional, name)(torch.from_numpy(x), torch.from_numpy(y))
    assert ours[0].filename == __file__  # points at the caller's line
    assert_close(got, want, 1e-12)


def test_classification_losses_refuse_integer_scores():
    for loss in (F.cross_entropy, F.nll_loss):
        with pytest.raises(TypeError, match="input must be a floating point tensor .* got dtype int64"):
            loss(genesis.zeros(2, 3, dtype=genesis.int64), genesis.tensor([0, 1]))
    with pytest.raises(NotImplementedError):  # PyTorch refuses them too
        torch.nn.functional.cross_entropy(torch.zeros(2, 3, dtype=torch.int64), torch.tensor([0, 1]))


def test_bce_with_logits_is_stable_and_validates():
    big = genesis.tensor([1000.0, -1000.0])
    loss = F.binary_cross_entropy_with_logits(big, genesis.tensor([0.0, 1.0]))
    assert abs(loss.item() - 1000.0) < 1e-3
    with pytest.raises(ValueError, match="Target size"):
        F.binary_cross_entropy_with_logits(big, genesis.tensor([0.0]))
    with pytest.raises(TypeError, match="float"):
        F.binary_cross_entropy_with_logits(big, genesis.tensor([0, 1]))


def test_one_hot_matches_torch_and_validates():
    idx = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(genesis.tensor(idx)).numpy(),
                                  torch.nn.functional.one_hot(torch.from_numpy(idx)).numpy())
    assert F.one_hot(genesis.tensor([1]), 5).dtype == genesis.int64
    with pytest.raises(TypeError, match="index"):
        F.one_hot(genesis.tensor([1.0]))
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        F.one_hot(genesis.tensor([3]), 2)
