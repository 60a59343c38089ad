"""nn.utils.clip_grad_norm_ / clip_grad_value_ against PyTorch."""
import math

import numpy as np
import pytest
import torch

import genesis
from genesis import nn


def _grads_pair(rng, shapes, dtype, scale):
    ours, ref = [], []
    for shape in shapes:
        grad = (scale * rng.standard_normal(shape)).astype(dtype)
        p = nn.Parameter(genesis.zeros(*shape, dtype=genesis.float64 if dtype == np.float64 else genesis.float32))
        p.grad = genesis.tensor(grad.copy())
        t = torch.zeros(shape, dtype=torch.float64 if dtype == np.float64 else torch.float32, requires_grad=True)
        t.grad = torch.from_numpy(grad.copy())
        ours.append(p)
        ref.append(t)
    return ours, ref


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 1e-6)])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm,scale", [(1.0, 5.0), (100.0, 0.1)])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, scale, dtype, rtol):
    rng = np.random.default_rng(0)
    ours, ref = _grads_pair(rng, [(3, 4), (5,), (2, 2, 2)], dtype, scale)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ref_total = torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type=norm_type)
    assert isinstance(total, genesis.Tensor) and total.ndim == 0
    assert total.item() == pytest.approx(ref_total.item(), rel=rtol)
    for p, t in zip(ours, ref):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=0)


def test_clip_grad_norm_closed_form_and_edge_cases():
    p = nn.Parameter(genesis.zeros(2, dtype=genesis.float64))
    p.grad = genesis.tensor(np.array([3.0, 4.0]))
    total = nn.utils.clip_grad_norm_(p, 1.0)  # a single tensor is accepted too
    assert total.item() == 5.0
    np.testing.assert_allclose(p.grad.numpy(), np.array([3.0, 4.0]) / (5.0 + 1e-6), rtol=1e-15)
    q = nn.Parameter(genesis.zeros(2))  # no grad: skipped
    assert nn.utils.clip_grad_norm_([q], 1.0).item() == 0.0
    p.grad = genesis.tensor(np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_takes_numbers_tensors_and_inf_and_names_bad_arguments():
    layer = nn.Linear(2, 2)
    layer(genesis.ones(1, 2)).sum().backward()
    assert np.isfinite(nn.utils.clip_grad_norm_(layer.parameters(), genesis.tensor(5.0)).item())
    assert np.isfinite(nn.utils.clip_grad_norm_(layer.parameters(), 5, norm_type="inf").item())
    with pytest.raises(TypeError, match="max_norm and norm_type must be real numbers, got max_norm='a'"):
        nn.utils.clip_grad_norm_(layer.parameters(), "a")


def test_clip_grad_value_matches_torch():
    rng = np.random.default_rng(1)
    ours, ref = _grads_pair(rng, [(4, 3), (6,)], np.float64, 2.0)
    assert nn.utils.clip_grad_value_(ours, 0.7) is None
    torch.nn.utils.clip_grad_value_(ref, 0.7)
    for p, t in zip(ours, ref):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())
