"""Helpers for the sequence-layer tests: run a Genesis module and its PyTorch twin on the same
inputs and compare every output and every gradient."""
from __future__ import annotations

import numpy as np
import torch

import genesis
from nn_testing import GENESIS_DTYPE, TORCH_DTYPE, assert_close, numpy_state, randomize_


def flatten(value) -> list:
    """The tensors of a nested tuple/list output, in order (None dropped)."""
    if value is None:
        return []
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in flatten(item)]
    return [value]


def twins(build, dtype, rng: np.random.Generator, randomize: bool = True):
    """``(ours, ref)``: the module ``build(nn)`` in Genesis loaded with PyTorch's weights."""
    ref = build(torch.nn).to(TORCH_DTYPE[dtype])
    if randomize:
        randomize_(ref, rng)
        with torch.no_grad():
            for p in ref.parameters():
                p.mul_(0.5)  # keep saturating gates (tanh, sigmoid) in their sensitive range
    ours = build(genesis.nn).to(GENESIS_DTYPE[dtype])
    result = ours.load_state_dict(numpy_state(ref))
    assert not result.missing_keys and not result.unexpected_keys
    return ours, ref


def leaf_pair(array: np.ndarray, requires_grad: bool = True):
    """The same values as a Genesis leaf and a torch leaf."""
    return (genesis.tensor(array.copy(), requires_grad=requires_grad),
            torch.tensor(array.copy(), requires_grad=requires_grad))


def compare_calls(ours, ref, g_args, t_args, rtol, rng, use=None, what="", g_leaves=(),
                  t_leaves=(), kwargs=None, g_kwargs=None, t_kwargs=None):
    """Call both modules, compare outputs, backpropagate the same random weighting of the
    outputs picked by ``use`` (indices into the flattened outputs; all by default) and compare
    the gradients of the given leaves and of every parameter. ``kwargs`` go to both calls,
    ``g_kwargs``/``t_kwargs`` (tensors) to one each."""
    kwargs = kwargs or {}
    g_out = flatten(ours(*g_args, **kwargs, **(g_kwargs or {})))
    t_out = flatten(ref(*t_args, **kwargs, **(t_kwargs or {})))
    assert len(g_out) == len(t_out), what
    for k, (a, b) in enumerate(zip(g_out, t_out)):
        assert_close(a, b, rtol, f"{what} output {k}")
    picked = range(len(t_out)) if use is None else use
    g_loss = t_loss = 0
    for k in picked:
        weight = rng.standard_normal(tuple(t_out[k].shape)).astype(t_out[k].detach().numpy().dtype)
        g_loss = g_loss + (g_out[k] * genesis.tensor(weight)).sum()
        t_loss = t_loss + (t_out[k] * torch.from_numpy(weight)).sum()
    g_loss.backward()
    t_loss.backward()
    for k, (a, b) in enumerate(zip(g_leaves, t_leaves)):
        if b.grad is None:
            assert a.grad is None or not np.any(a.grad.numpy()), f"{what} leaf {k}"
        else:
            assert_close(a.grad, b.grad, rtol, f"{what} grad of input {k}")
    ref_params = dict(ref.named_parameters())
    for name, param in ours.named_parameters():
        expected = ref_params[name].grad
        if expected is None:
            assert param.grad is None or not np.any(param.grad.numpy()), f"{what} {name}"
        else:
            assert_close(param.grad, expected, rtol, f"{what} grad of {name}")
    return g_out, t_out


def assert_same_layout(ours, ref) -> None:
    """Same repr, same state_dict names and shapes, and Genesis's state loads into PyTorch."""
    assert repr(ours) == repr(ref)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                         for k, v in ours.state_dict().items()})


def same_error(call_ours, call_ref) -> tuple[str, str]:
    """Both calls raise an exception of the same type; their messages."""
    try:
        call_ours()
    except Exception as error:  # noqa: BLE001 - any exception type, compared below
        ours = error
    else:
        raise AssertionError("Genesis raised nothing")
    try:
        call_ref()
    except Exception as error:  # noqa: BLE001
        ref = error
    else:
        raise AssertionError("PyTorch raised nothing")
    assert type(ours) is type(ref), (ours, ref)
    return str(ours), str(ref)
