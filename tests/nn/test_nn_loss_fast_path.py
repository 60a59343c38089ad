"""cross_entropy's class-index fast path gives the general path's floats, and PyTorch's values.

``weight=ones`` forces the general (one-hot) path with the same arithmetic, so the two must agree
bit for bit, forward and backward; PyTorch is the independent truth.
"""
import numpy as np
import pytest
import torch

import genesis
import genesis.nn.functional as F


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_path_matches_general_path_and_torch(reduction, dtype):
    rng = np.random.default_rng(7)
    for _ in range(10):
        rows, classes = int(rng.integers(1, 70)), int(rng.integers(2, 12))
        logits = (rng.standard_normal((rows, classes)) * rng.uniform(0.1, 30)).astype(dtype)
        target = rng.integers(0, classes, rows)
        grad_out = rng.standard_normal(() if reduction != "none" else (rows,)).astype(dtype)
        results = []
        for weight in (None, genesis.tensor(np.ones(classes, dtype))):
            x = genesis.tensor(logits, requires_grad=True)
            loss = F.cross_entropy(x, genesis.tensor(target), weight=weight, reduction=reduction)
            loss.backward(genesis.tensor(grad_out))
            results.append((loss.detach().numpy(), x.grad.numpy()))
        (fast_loss, fast_grad), (general_loss, general_grad) = results
        assert fast_loss.dtype == general_loss.dtype and fast_loss.shape == general_loss.shape
        np.testing.assert_array_equal(fast_loss, general_loss)
        np.testing.assert_array_equal(fast_grad, general_grad)
        tx = torch.tensor(logits, requires_grad=True)
        tloss = torch.nn.functional.cross_entropy(tx, torch.tensor(target), reduction=reduction)
        tloss.backward(torch.tensor(grad_out))
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(fast_loss, tloss.detach().numpy(), rtol=rtol, atol=rtol)
        np.testing.assert_allclose(fast_grad, tx.grad.numpy(), rtol=rtol, atol=rtol)


def test_ignored_and_bad_targets_still_take_the_general_path():
    logits = genesis.tensor([[1.0, 2.0], [0.5, -1.0]])
    ignored = F.cross_entropy(logits, genesis.tensor([1, -100]))
    expected = torch.nn.functional.cross_entropy(torch.tensor([[1.0, 2.0], [0.5, -1.0]]),
                                                 torch.tensor([1, -100]))
    np.testing.assert_allclose(ignored.item(), expected.item(), rtol=1e-6)
    with pytest.raises(ValueError, match="Target 2 is out of bounds"):
        F.cross_entropy(logits, genesis.tensor([1, 2]))
