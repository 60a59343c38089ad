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


def _as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def functional_pair(fn, arrays, rtol: float, seed: int = 0, what: str = ""):
    """Run ``fn(F, *tensors)`` with ``torch.nn.functional`` and ``genesis.nn.functional`` on the
    same float arrays; compare every output and, after one backward of the first output with a
    random upstream gradient, the gradient of every input. Returns both outputs."""
    gs = [genesis.tensor(a.copy(), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    gout, tout = _as_tuple(fn(genesis.nn.functional, *gs)), _as_tuple(fn(torch.nn.functional, *ts))
    assert len(gout) == len(tout), what
    for i, (g, t) in enumerate(zip(gout, tout)):
        if t.dtype in (torch.int64, torch.int32):
            assert g.dtype == genesis.int64, f"{what} output {i} dtype {g.dtype}"
            np.testing.assert_array_equal(g.numpy(), t.numpy(), err_msg=f"{what} output {i}")
        else:
            assert_close(g, t, rtol, f"{what} output {i}")
    upstream = np.random.default_rng(seed).standard_normal(tuple(tout[0].shape))
    upstream = upstream.astype(arrays[0].dtype)
    gout[0].backward(genesis.tensor(upstream))
    tout[0].backward(torch.from_numpy(upstream))
    for i, (g, t) in enumerate(zip(gs, ts)):
        assert_close(g.grad, t.grad, rtol, f"{what} grad of input {i}")
    return gout, tout


def module_pair(build, dtype, rng: np.random.Generator):
    """The same layer in PyTorch (random parameters) and Genesis (loaded from PyTorch's
    state_dict, which checks that names and shapes match)."""
    ref = build(torch.nn).to(TORCH_DTYPE[dtype])
    randomize_(ref, rng)
    ours = build(genesis.nn).to(GENESIS_DTYPE[dtype])
    ours.load_state_dict(numpy_state(ref))
    return ours, ref


def compare_modules(ours, ref, x: np.ndarray, rtol: float, rng: np.random.Generator,
                    what: str = "") -> None:
    """One forward and backward of both layers on ``x``: outputs, input gradients, parameter
    gradients and buffers (running statistics) must agree."""
    gx, tx = pair(x)
    gy, ty = ours(gx), ref(tx)
    assert_close(gy, ty, rtol, f"{what} forward")
    upstream = rng.standard_normal(tuple(ty.shape)).astype(x.dtype)
    gy.backward(genesis.tensor(upstream))
    ty.backward(torch.from_numpy(upstream))
    assert_close(gx.grad, tx.grad, rtol, f"{what} input grad")
    ref_params = dict(ref.named_parameters())
    assert [k for k, _ in ours.named_parameters()] == list(ref_params), what
    for key, param in ours.named_parameters():
        assert_close(param.grad, ref_params[key].grad, rtol, f"{what} grad of {key}")
    ref_buffers = dict(ref.named_buffers())
    assert [k for k, _ in ours.named_buffers()] == list(ref_buffers), what
    for key, buffer in ours.named_buffers():
        assert_close(buffer, ref_buffers[key], rtol, f"{what} buffer {key}")


def raises_like_torch(call, exact: bool = True):
    """``call(namespace)`` must raise in PyTorch and in Genesis: the same exception type, and
    Genesis's message starts with PyTorch's (``exact``; a shape printed as ``torch.Size`` is
    ``genesis.Size`` in Genesis). Returns Genesis's message."""
    import pytest

    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(expected.type) as actual:
        call(genesis)
    if exact:
        wanted = str(expected.value).replace("torch.Size(", "genesis.Size(")
        assert str(actual.value).startswith(wanted), (
            f"\n{actual.value}\n{expected.value}")
    return str(actual.value)
