"""``genesis.utils.checkpoint``: activation checkpointing, at PyTorch's path.

``checkpoint(function, *args)`` trades compute for memory. The forward runs ``function`` and keeps
only its inputs and outputs: the whole call is one custom autograd node
(:class:`CheckpointFunction`), so none of the arrays that ``function``'s own ops would save for
backward outlive the call. When backward reaches the node, it runs ``function`` again on the
saved inputs, with grad enabled, the RNG state of the forward (so dropout draws the same masks)
and the autocast state of the forward, and backpropagates the output gradients through that
recomputed graph: parameters used inside get their gradients there, and the inputs' gradients
leave the node. The gradients are those of the plain call.

Both of PyTorch's variants are here, with their observable differences:

* ``use_reentrant=True`` (the default when the argument is left out, after PyTorch's warning):
  the forward runs under ``no_grad``; keyword arguments for ``function`` are refused; when no
  tensor argument requires grad, PyTorch's warning says gradients will be None, and parameters
  used inside get none.
* ``use_reentrant=False``: the forward records as usual (the graph is dropped at the end of the
  call), so the outputs require grad exactly when the plain call's would, parameters used inside
  get gradients even when no argument requires grad, keyword arguments reach ``function``, and
  ``determinism_check="default"`` compares the recomputed outputs' shapes and dtypes with the
  forward's.

Genesis recomputes all of ``function`` (``early_stop`` changes nothing but speed in PyTorch and
is accepted for that reason). A tensor with a graph history that ``function`` uses without
receiving it as an argument is backpropagated into during the recomputation, as PyTorch's
reentrant variant does; pass such tensors as arguments.
"""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from genesis import random as _random
from genesis.amp import autocast
from genesis.autograd import Function, enable_grad, is_grad_enabled, no_grad
from genesis.backend import xp
from genesis.mixed_precision import autocast_mode, get_autocast_dtype
from genesis.nn.modules.container import Sequential
from genesis.tensor_base import TensorBase, _wrap

_DETERMINISM_CHECKS = ("default", "none")


class CheckpointError(RuntimeError):
    """A recomputation that differs from the forward it replays (PyTorch's name)."""


def _warn_use_reentrant(sequential: bool) -> None:
    """PyTorch 2.13's warning when ``use_reentrant`` is left out (it then defaults to True)."""
    if sequential:
        message = ("genesis.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter "
                   "should be passed explicitly. In version 2.9 we will raise an exception if "
                   "use_reentrant is not passed.")
    else:
        message = ("genesis.utils.checkpoint: the use_reentrant parameter should be passed "
                   "explicitly. Starting in PyTorch 2.9, calling checkpoint without "
                   "use_reentrant will raise an exception.")
    warnings.warn(message + " use_reentrant=False is recommended, but if you need to preserve "
                  "the current default behavior, you can pass use_reentrant=True. Refer to docs "
                  "for more details on the differences between the two variants.", stacklevel=3)


def _stand_in(value: Any) -> Any:
    """A new leaf sharing ``value``'s data and its ``requires_grad`` (non-tensors as they are)."""
    if not isinstance(value, TensorBase):
        return value
    leaf = _wrap(value._array)
    leaf._rg = value._rg
    return leaf


class CheckpointFunction(Function):
    """The checkpointed call as one graph node: ``apply(run_function, preserve_rng_state,
    reentrant, determinism_check, *args)``; see the module docstring."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, reentrant, determinism_check, *args):
        ctx.run_function, ctx.preserve_rng_state = run_function, preserve_rng_state
        ctx.determinism_check = determinism_check
        ctx.autocast = (autocast_mode.cpu_enabled, get_autocast_dtype("cpu"))
        if preserve_rng_state:
            ctx.rng_state = _random.get_rng_state()
        ctx.inputs = list(args)
        if reentrant:
            if not any(isinstance(a, TensorBase) and a._rg for a in args):
                warnings.warn("None of the inputs have requires_grad=True. Gradients will be "
                              "None", stacklevel=4)
            outputs = run_function(*args)  # Function.apply runs this under no_grad
        else:
            with enable_grad():
                outputs = run_function(*args)
            # The recorded graph goes with ``outputs``; what needed grad is all that is kept.
            single = isinstance(outputs, TensorBase)
            parts = [outputs] if single else list(outputs) if isinstance(
                outputs, (tuple, list)) else [outputs]
            detached = []
            for part in parts:
                if isinstance(part, TensorBase):
                    needs = part._rg
                    part = _wrap(part._array)
                    if not needs:
                        ctx.mark_non_differentiable(part)
                detached.append(part)
            outputs = detached[0] if single else tuple(detached)
        ctx.metadata = _metadata((outputs,) if isinstance(outputs, TensorBase) else outputs)
        return outputs

    @staticmethod
    def backward(ctx, *grad_outputs):
        inputs = [_stand_in(a) for a in ctx.inputs]
        outer_state = _random.get_rng_state() if ctx.preserve_rng_state else None
        enabled, dtype = ctx.autocast
        try:
            if outer_state is not None:
                _random.set_rng_state(ctx.rng_state)
            with enable_grad(), autocast("cpu", dtype=dtype, enabled=enabled):
                outputs = ctx.run_function(*inputs)
        finally:
            if outer_state is not None:
                _random.set_rng_state(outer_state)
        outputs = (outputs,) if isinstance(outputs, TensorBase) else tuple(outputs)
        if ctx.determinism_check == "default":
            _check_metadata(ctx.metadata, outputs)
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs)
                 if isinstance(o, TensorBase) and o._rg and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                               "necessary")
        with enable_grad():
            # One root for every output: d/d(o) of sum(o * g) is exactly g.
            root = pairs[0][0].mul(pairs[0][1]).sum()
            for output, grad in pairs[1:]:
                root = root + output.mul(grad).sum()
        root.backward()
        return (None, None, None, None) + tuple(
            a.grad if isinstance(a, TensorBase) else None for a in inputs)


def _metadata(outputs) -> list:
    """Each output's (shape, dtype), None for a non-tensor: what the determinism check compares."""
    return [(o._array.shape, o._array.dtype) if isinstance(o, TensorBase) else None
            for o in outputs]


def _check_metadata(saved: list, outputs: tuple) -> None:
    recomputed = _metadata(outputs)
    if recomputed != saved:
        differing = [f"output {i}: saved metadata {a}, recomputed metadata {b}"
                     for i, (a, b) in enumerate(zip(saved, recomputed)) if a != b]
        if len(saved) != len(recomputed):
            differing.append(f"{len(saved)} outputs saved, {len(recomputed)} recomputed")
        raise CheckpointError(
            "genesis.utils.checkpoint: Recomputed values for the following tensors have "
            "different metadata than during the forward pass.\n" + "\n".join(differing))


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable | None = None, determinism_check: str = "default",
               debug: bool = False, early_stop: bool = True, **kwargs: Any) -> Any:
    """Run ``function(*args, **kwargs)`` without keeping its activations; backward recomputes
    them (keyword ``preserve_rng_state=True``: replay the forward's RNG state, so dropout masks
    repeat). See the module docstring for the two variants.

    Example::

        >>> layer = genesis.nn.Linear(3, 3)
        >>> x = genesis.ones(2, 3, requires_grad=True)
        >>> y = checkpoint(layer, x, use_reentrant=False)
        >>> y.sum().backward()
        >>> x.grad.shape, layer.weight.grad.shape
        (genesis.Size([2, 3]), genesis.Size([3, 3]))
    """
    if use_reentrant is None:
        _warn_use_reentrant(sequential=False)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not None or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return CheckpointFunction.apply(function, bool(preserve), True, "none", *args)
    if determinism_check not in _DETERMINISM_CHECKS:
        raise ValueError(f"determinism_check should be one of {list(_DETERMINISM_CHECKS)}, but "
                         f"got {determinism_check}")
    if context_fn is not None or debug:
        raise NotImplementedError(
            "checkpoint(context_fn=..., debug=True) is not supported by Genesis: its "
            "recomputation runs `function` as it is, under the forward's RNG and autocast state")
    run = functools.partial(function, **kwargs) if kwargs else function
    if not is_grad_enabled():
        with no_grad():
            return run(*args)
    # A leaf that requires grad, so the node is recorded even when no argument requires grad
    # (parameters used inside still need their gradients); it receives none.
    anchor = _wrap(xp.zeros(()))
    anchor._rg = True
    return CheckpointFunction.apply(lambda _, *a: run(*a), bool(preserve), False,
                                    determinism_check, anchor, *args)


def checkpoint_sequential(functions, segments: int, input: Any, use_reentrant: bool | None = None,
                          **kwargs: Any) -> Any:
    """Run ``functions`` (a ``Sequential`` or a list of modules/callables) on ``input`` in
    ``segments`` chunks, checkpointing every chunk but the last (keyword
    ``preserve_rng_state=True`` as in :func:`checkpoint`).

    Example::

        >>> model = genesis.nn.Sequential(genesis.nn.Linear(2, 2), genesis.nn.ReLU(),
        ...                               genesis.nn.Linear(2, 1))
        >>> out = checkpoint_sequential(model, 2, genesis.ones(1, 2), use_reentrant=False)
        >>> out.shape
        genesis.Size([1, 1])
    """
    if use_reentrant is None:
        _warn_use_reentrant(sequential=True)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start: int, end: int, functions: list):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input
        return forward

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1  # the last chunk runs plainly: its activations are needed at once
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input,
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)


__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointFunction", "CheckpointError"]
