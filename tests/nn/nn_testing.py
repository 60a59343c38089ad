"""Shared helpers for the nn tests: move weights and tensors between Genesis and PyTorch, compare."""
from __future__ import annotations

import numpy as np
import torch

import genesis

TOLERANCE = {np.float64: 1e-9, np.float32: 1e-5}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}
GENESIS_DTYPE = {np.float64: genesis.float64, np.float32: genesis.float32}


def numpy_state(torch_module: torch.nn.Module) -> dict:
    """A torch state_dict with every value converted to a NumPy array."""
    return {k: v.detach().cpu().numpy().copy() for k, v in torch_module.state_dict().items()}


def randomize_(torch_module: torch.nn.Module, rng: np.random.Generator) -> None:
    """Give every torch parameter random values (so ones/zeros inits don't hide bugs)."""
    with torch.no_grad():
        for p in torch_module.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape))))


def pair(array: np.ndarray, requires_grad: bool = True) -> tuple:
    """The same values as a Genesis tensor and a torch tensor (both leaves)."""
    g = genesis.tensor(array.copy(), requires_grad=requires_grad)
    t = torch.tensor(array.copy(), requires_grad=requires_grad)
    return g, t


def assert_close(actual, expected, rtol: float, what: str = "") -> None:
    """Compare a Genesis tensor (or array) with a torch tensor (or array) elementwise."""
    a = actual.detach().numpy() if isinstance(actual, genesis.Tensor) else np.asarray(actual)
    e = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    scale = max(float(np.max(np.abs(e))) if e.size else 0.0, 1e-30)
    np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * scale, err_msg=what)


def central_difference(fn, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d fn(x) / dx of a scalar float64 function of an array, by central differences."""
    grad = np.zeros_like(array)
    flat, gflat = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        up = fn(array)
        flat[i] = saved - eps
        down = fn(array)
        flat[i] = saved
        gflat[i] = (up - down) / (2 * eps)
    return grad
