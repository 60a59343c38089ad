"""``nn.utils.clip_grad``: in-place gradient clipping, ``clip_grad_norm_`` and ``clip_grad_value_``."""
from __future__ import annotations

import math
import warnings
from types import GeneratorType
from typing import Iterable

from genesis.backend import xp
from genesis.tensor import Tensor


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters.grad] if parameters.grad is not None else []
    was_generator = isinstance(parameters, GeneratorType)
    parameters = list(parameters)
    if was_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      stacklevel=3)
    return [p.grad for p in parameters if p.grad is not None]


def _vector_norm(array, norm_type: float):
    magnitude = xp.abs(array)
    if norm_type == math.inf:
        return magnitude.max() if magnitude.size else xp.zeros((), dtype=array.dtype)
    if norm_type == -math.inf:
        return magnitude.min()
    if norm_type == 0:
        return xp.asarray(xp.count_nonzero(array), dtype=array.dtype)
    return (magnitude**norm_type).sum() ** (1.0 / norm_type)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
    error_if_nonfinite: bool = False, foreach: bool | None = None,
) -> Tensor:
    """Scale all gradients by min(1, max_norm / (total_norm + 1e-6)) in place, where total_norm is
    the ``norm_type``-norm of all gradients viewed as one vector; returns total_norm.

    Example:
        >>> w = genesis.zeros(2, requires_grad=True); w.grad = genesis.tensor([3.0, 4.0])
        >>> nn.utils.clip_grad_norm_([w], max_norm=1.0)
        tensor(5.)
        >>> w.grad  # scaled by 1 / (5 + 1e-6)
        tensor([0.6000, 0.8000])
    """
    grads = _grads(parameters)
    try:
        norm_type = float(norm_type)  # as in PyTorch, also "inf"
        max_norm = float(max_norm)
    except (TypeError, ValueError):
        raise TypeError(f"clip_grad_norm_: max_norm and norm_type must be real numbers, got "
                        f"max_norm={max_norm!r}, norm_type={norm_type!r}") from None
    if not grads:
        return Tensor._wrap(xp.zeros((), dtype=xp.float32))
    dtype = grads[0]._array.dtype
    # inf/NaN gradients (a GradScaler step about to be skipped) give an inf/NaN norm and NaN
    # gradients, quietly, as in PyTorch.
    with xp.errstate(over="ignore", invalid="ignore"):
        norms = xp.stack([_vector_norm(g._array, norm_type).astype(dtype) for g in grads])
        total = _vector_norm(norms, norm_type).astype(dtype)
    if error_if_nonfinite and not xp.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    # Multiply even when the coefficient is 1, as PyTorch does (same rounding, no branch).
    coef = min(max_norm / (total + 1e-6), 1.0)
    with xp.errstate(over="ignore", invalid="ignore"):
        for g in grads:
            g._array *= xp.asarray(coef, dtype=g._array.dtype)
    return Tensor._wrap(xp.asarray(total))


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None,
) -> None:
    """Clamp every gradient element into [-clip_value, clip_value] in place.

    Example:
        >>> w = genesis.zeros(2, requires_grad=True); w.grad = genesis.tensor([-3.0, 0.5])
        >>> nn.utils.clip_grad_value_([w], 1.0); w.grad
        tensor([-1.0000,  0.5000])
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp.clip(g._array, -clip_value, clip_value, out=g._array)


__all__ = ["clip_grad_norm_", "clip_grad_value_"]
