"""Loss functions (``F.cross_entropy``, ...) and their modules (``nn.CrossEntropyLoss``, ...).

Cross-entropy and NLL are one fused graph node each. Both reduce to the same form: for rows i
(samples, with any spatial dims flattened in) and classes c, loss_i = -sum_c a_ic * z_ic, where z
is log-probabilities and the "target weight" a_ic folds together the class index, the class
``weight``, ``ignore_index`` and ``label_smoothing``:

    a_ic = w_c * ((1 - eps) * [c == t_i] + eps / C) * [t_i != ignore_index]

(probability targets: a_ic = w_c * ((1 - eps) * q_ic + eps / C)). The 'mean' reduction divides by
D = sum_i w_{t_i} over kept rows (probability targets: by the number of rows), exactly as PyTorch
does. Then d loss_i / d logits_ic = (sum_c a_ic) * softmax_ic - a_ic.
"""
from __future__ import annotations

import warnings
from typing import Any

from genesis.autograd import Function, attach, needs_grad
from genesis.backend import quiet, xp
from genesis.mixed_precision import autocast_inputs
from genesis.nn.modules.module import Module
from genesis.nn.modules.utils import _check_tensor
from genesis.ops import unbroadcast
from genesis.tensor import Tensor

_wrap = Tensor._wrap
_REDUCTIONS = ("mean", "sum", "none")


def _resolve_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """Map PyTorch's deprecated ``size_average``/``reduce`` flags onto ``reduction``."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        return "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{reduction} is not a valid value for reduction; expected one of {_REDUCTIONS}"
        )
    return reduction


def _rows(x: Any) -> Any:
    """(N, C, d1, ...) -> (N*d1*..., C); (C,) -> (1, C); (N, C) unchanged."""
    if x.ndim == 1:
        return x[None, :]
    if x.ndim == 2:
        return x
    return xp.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(g2: Any, shape: tuple) -> Any:
    """Inverse of ``_rows`` for a gradient."""
    if len(shape) <= 2:
        return g2.reshape(shape)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return xp.moveaxis(g2.reshape(moved), -1, 1)


def _target_weights(
    input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int, label_smoothing: float,
) -> tuple[Any, Any, tuple]:
    """Check arguments; return ``a`` (rows, C), the mean's denominator D and the 'none' shape."""
    _check_tensor("input", input)
    _check_tensor("target", target)
    x, t = input._array, target._array
    if x.dtype.kind != "f":
        raise TypeError(f"input must be a floating point tensor of scores (N, C, ...), got dtype "
                        f"{x.dtype}; convert it with .float()")
    if x.ndim == 0:
        raise ValueError("input must have a class dimension: shape (C,), (N, C) or "
                         "(N, C, d1, ...), got a scalar")
    classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    dtype = x.dtype
    w = None
    if weight is not None:
        _check_tensor("weight", weight)
        if tuple(weight._array.shape) != (classes,):
            raise ValueError(f"weight must have shape ({classes},) (one entry per class), "
                             f"got {tuple(weight._array.shape)}")
        w = weight._array.astype(dtype, copy=False)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    smooth = label_smoothing / classes

    if t.dtype.kind == "f" and t.shape == x.shape:
        # Probability targets (soft labels): the mean is over rows, whatever the weights.
        a = _rows(t).astype(dtype, copy=True)
        if label_smoothing:
            a = a * (1.0 - label_smoothing) + smooth
        if w is not None:
            a *= w
        return a, float(a.shape[0]), x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()

    expected = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    if weight is not None and needs_grad(weight):
        # PyTorch's nll_loss has no derivative for the class weights: refuse, never drop it.
        raise RuntimeError("The function 'nll_loss_forward' is not differentiable with respect "
                           "to argument 'weight'. This input cannot have requires_grad True.")
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"target must hold class indices as an integer tensor (e.g. genesis.int64) of shape "
            f"{expected}, or class probabilities as a float tensor of shape {tuple(x.shape)}; "
            f"got dtype {t.dtype} with shape {tuple(t.shape)}"
        )
    if tuple(t.shape) != tuple(expected):
        raise ValueError(f"target shape {tuple(t.shape)} does not match input shape "
                         f"{tuple(x.shape)}: expected target of shape {expected}")
    flat = t.reshape(-1)
    keep = flat != ignore_index
    kept = flat[keep]
    if kept.size and (kept.min() < 0 or kept.max() >= classes):
        bad = int(kept.min()) if kept.min() < 0 else int(kept.max())
        raise ValueError(f"Target {bad} is out of bounds: class targets must lie in [0, {classes}) "
                         f"(C={classes}) or equal ignore_index={ignore_index}")
    safe = xp.where(keep, flat, 0)
    row_w = (w[safe] if w is not None else xp.ones(flat.shape, dtype=dtype)) * keep
    a = xp.zeros((flat.shape[0], classes), dtype=dtype)
    a[xp.arange(flat.shape[0]), safe] = row_w * (1.0 - label_smoothing)
    if label_smoothing:
        a += smooth * (w if w is not None else 1.0) * keep[:, None].astype(dtype)
    return a, row_w.sum(), expected


def _reduce(per_row: Any, denom: Any, reduction: str, shape: tuple) -> Any:
    if reduction == "mean":
        with xp.errstate(invalid="ignore", divide="ignore"):  # all rows ignored: NaN, as PyTorch
            return xp.asarray(per_row.sum() / denom)
    if reduction == "sum":
        return xp.asarray(per_row.sum())
    return per_row.reshape(shape)


def _grad_scale(g: Any, denom: Any, reduction: str) -> Any:
    """The incoming gradient as a column to multiply each row's local gradient by."""
    if reduction == "none":
        return g.reshape(-1, 1)
    if reduction == "mean":
        # denom == 0 only when every row has zero weight (all ignored); their gradient is 0.
        return g / denom if denom else g * 0
    return g


class _CrossEntropy(Function):
    """Fused log-softmax + weighted NLL; backward (sum_c a_ic) * softmax - a, scaled. With
    probability targets q (and smoothing eps over C classes), a = w * ((1 - eps) q + eps / C)
    is differentiable too: d/dq_ic = -w_c (1 - eps) logp_ic, d/dw_c = -sum_i (a_ic / w_c) logp_ic
    (each scaled like the loss)."""

    @staticmethod
    def forward(ctx, input, a, denom, reduction, shape, target=None, weight=None, smoothing=0.0):
        z = _rows(input._array)
        shifted = z - z.max(axis=1, keepdims=True)
        logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        ctx.logp, ctx.a, ctx.denom, ctx.reduction = logp, a, denom, reduction
        ctx.x_shape = input._array.shape
        ctx.target, ctx.weight, ctx.smoothing = target, weight, smoothing
        loss = _reduce(-(a * logp).sum(axis=1), denom, reduction, shape)
        return _wrap(loss.astype(z.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad):
        a = ctx.a
        scale = _grad_scale(grad._array, ctx.denom, ctx.reduction)
        local = xp.exp(ctx.logp) * a.sum(axis=1, keepdims=True) - a
        local *= scale
        g_target = g_weight = None
        need_target, need_weight = (ctx.needs_input_grad + (False, False))[5:7]
        if need_target or need_weight:
            eps, classes = ctx.smoothing, ctx.logp.shape[1]
            scaled_logp = -ctx.logp * scale
            w = 1.0 if ctx.weight is None else ctx.weight._array
            if need_target:
                rows = scaled_logp * (w * (1.0 - eps))
                g_target = _wrap(_unrows(rows, ctx.x_shape).astype(a.dtype, copy=False))
            if need_weight:
                b = _rows(ctx.target._array) * (1.0 - eps) + eps / classes
                g_weight = _wrap((b * scaled_logp).sum(axis=0).astype(a.dtype, copy=False))
        grads = (_wrap(_unrows(local, ctx.x_shape)), None, None, None, None, g_target, g_weight,
                 None)
        return grads if ctx.target is not None else grads[:5]


class _NLL(Function):
    """Weighted negative log-likelihood of log-probabilities; backward -a, scaled."""

    @staticmethod
    def forward(ctx, input, a, denom, reduction, shape):
        ctx.a, ctx.denom, ctx.reduction, ctx.x_shape = a, denom, reduction, input._array.shape
        per_row = -(a * _rows(input._array)).sum(axis=1)
        return _wrap(_reduce(per_row, denom, reduction, shape).astype(input._array.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad):
        local = -ctx.a * _grad_scale(grad._array, ctx.denom, ctx.reduction)
        return _wrap(_unrows(local, ctx.x_shape)), None, None, None, None


@quiet
def cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
    ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between logits ``input`` (N, C[, d1...]) and class-index (or probability)
    ``target``: mean_i of -w_{t_i} log softmax(x_i)[t_i], with PyTorch's weighted mean,
    ``ignore_index`` and ``label_smoothing``.

    Example:
        >>> F.cross_entropy(genesis.tensor([[0.0, 0.0]]), genesis.tensor([1]))
        tensor(0.6931)
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    input, target, weight = autocast_inputs("fp32", input, target, weight)  # a float32 op
    if weight is None and not label_smoothing:
        fast = _cross_entropy_class_indices(input, target, ignore_index, reduction)
        if fast is not None:
            return fast
    a, denom, shape = _target_weights(input, target, weight, ignore_index, label_smoothing)
    if target._array.dtype.kind == "f":  # probability targets: target and weight get gradients
        return _CrossEntropy.apply(input, a, denom, reduction, shape, target, weight,
                                   label_smoothing)
    return _CrossEntropy.apply(input, a, denom, reduction, shape)


def _cross_entropy_class_indices(input: Any, target: Any, ignore_index: int,
                                 reduction: str) -> Tensor | None:
    """The common case of :func:`cross_entropy` without the one-hot ``a``, or None if it does not
    apply: (N, C) float logits, (N,) integer targets all in ``[0, C)``, ``ignore_index`` outside
    that range, no ``weight``, no smoothing. Each row's ``a`` would be one-hot, so ``-(a * logp)``
    summed over a row is ``-logp[i, t_i]`` and the backward ``softmax - a`` subtracts 1 at the
    target: the same floats as the general path (one node, a few NumPy calls, per training step).
    """
    if not (isinstance(input, Tensor) and isinstance(target, Tensor)):
        return None
    x, t = input._array, target._array
    if x.ndim != 2 or t.ndim != 1 or x.dtype.kind != "f" or t.dtype.kind not in "iu" \
            or len(t) != len(x) or not len(t):
        return None
    classes = x.shape[1]
    if 0 <= ignore_index < classes or t.min() < 0 or t.max() >= classes:
        return None  # rows to ignore, or a bad target the general path reports
    rows = xp.arange(len(t))
    shifted = x - x.max(axis=1, keepdims=True)
    logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
    denom = x.dtype.type(len(t))  # the general path's sum of N unit weights
    loss = _wrap(_reduce(-logp[rows, t], denom, reduction, t.shape).astype(x.dtype, copy=False))
    if not needs_grad(input):
        return loss

    def backward(g):
        local = xp.exp(logp)
        local[rows, t] -= 1
        local *= _grad_scale(g, denom, reduction)
        return (local,)

    return attach(loss, backward, (input,), "_CrossEntropyBackward")


@quiet
def nll_loss(
    input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
    ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` at class indices ``target``:
    -sum_i w_{t_i} x_i[t_i] / sum_i w_{t_i} for 'mean'.

    Example:
        >>> F.nll_loss(genesis.tensor([[-1.0, -2.0]]), genesis.tensor([1]))
        tensor(2.)
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    input, weight = autocast_inputs("fp32", input, weight)  # a float32 op under autocast
    if isinstance(target, Tensor) and target._array.dtype.kind == "f":
        raise TypeError("nll_loss: target must be an integer tensor of class indices, "
                        f"got dtype {target._array.dtype}")
    a, denom, shape = _target_weights(input, target, weight, ignore_index, 0.0)
    return _NLL.apply(input, a, denom, reduction, shape)


def _elementwise_loss(name: str, input: Tensor, target: Tensor, reduction: str,
                      weight: Tensor | None = None) -> Tensor:
    input, target, weight = autocast_inputs("fp32", input, target, weight)  # float32 ops
    _check_tensor("input", input)
    _check_tensor("target", target)
    if weight is not None:
        _check_tensor("weight", weight)
        if weight._array.shape != input._array.shape:
            raise ValueError(f"Weights and input must have the same size: weight has shape "
                             f"{tuple(weight._array.shape)}, input {tuple(input._array.shape)}")
    if input._array.shape != target._array.shape:
        # PyTorch's warning: a (N, 1) prediction against an (N,) target silently becomes N x N.
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", stacklevel=3)
    diff = input - target
    loss = diff * diff if name == "mse_loss" else diff.abs()
    if weight is not None:
        loss = loss * weight  # PyTorch 2.13: 'mean' is then the weighted mean
        if reduction == "mean":
            return loss.sum() / weight.sum()
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error mean((x - y)^2) (or 'sum'/'none'); with ``weight`` (input's shape)
    each term is weighted and 'mean' divides by the sum of the weights, as in PyTorch.

    Example:
        >>> F.mse_loss(genesis.tensor([1.0, 3.0]), genesis.tensor([0.0, 0.0]))
        tensor(5.)
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    return _elementwise_loss("mse_loss", input, target, reduction, weight)


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error mean(|x - y|) (or 'sum'/'none'); ``weight`` as in ``mse_loss``.

    Example:
        >>> F.l1_loss(genesis.tensor([1.0, -3.0]), genesis.tensor([0.0, 0.0]))
        tensor(2.)
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    return _elementwise_loss("l1_loss", input, target, reduction, weight)


class _BCEWithLogits(Function):
    """Elementwise w * ((1 - y) x + (1 + (p - 1) y) softplus(-x)); like PyTorch, differentiable
    in the logits x and the target y only (``weight`` w and ``pos_weight`` p are constants)."""

    @staticmethod
    def forward(ctx, x, y, w, pw):
        xd, yd = x._array, y._array
        softplus_neg = xp.logaddexp(0.0, -xd)  # log(1 + exp(-x)) without overflow
        log_weight = 1.0 if pw is None else (pw._array - 1.0) * yd + 1.0
        out = (1.0 - yd) * xd + log_weight * softplus_neg
        if w is not None:
            out = out * w._array
        ctx.saved = (xd, yd, softplus_neg, log_weight, w, pw)
        return _wrap(out.astype(xd.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad):
        xd, yd, softplus_neg, log_weight, w, pw = ctx.saved
        g = grad._array if w is None else grad._array * w._array
        need_x, need_y = ctx.needs_input_grad[:2]
        gx = gy = None
        if need_x:
            sigmoid_neg = xp.exp(-xp.logaddexp(0.0, xd))
            gx = _wrap(unbroadcast(g * ((1.0 - yd) - log_weight * sigmoid_neg), xd.shape))
        if need_y:
            slope = -xd if pw is None else -xd + (pw._array - 1.0) * softplus_neg
            gy = _wrap(unbroadcast(g * slope, yd.shape))
        return gx, gy, None, None


@quiet
def binary_cross_entropy_with_logits(
    input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
    reduce: Any = None, reduction: str = "mean", pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid + binary cross-entropy, stable: -w [p y log s(x) + (1 - y) log(1 - s(x))], with
    ``pos_weight`` p weighting the positive term.

    Example:
        >>> F.binary_cross_entropy_with_logits(genesis.tensor([0.0]), genesis.tensor([1.0]))
        tensor(0.6931)
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    input, target, weight, pos_weight = autocast_inputs("fp32", input, target, weight, pos_weight)
    _check_tensor("input", input)
    _check_tensor("target", target)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({tuple(target.shape)}) must be the same as input size "
                         f"({tuple(input.shape)})")
    if target._array.dtype.kind != "f":
        raise TypeError(f"binary_cross_entropy_with_logits: target must be a float tensor of 0/1 "
                        f"labels or probabilities, got dtype {target._array.dtype}")
    for name, extra in (("weight", weight), ("pos_weight", pos_weight)):
        if extra is not None:
            _check_tensor(name, extra)
            if needs_grad(extra):  # PyTorch has no derivative for these: refuse, never drop it
                raise RuntimeError(f"The function 'binary_cross_entropy_with_logits' is not "
                                   f"differentiable with respect to argument '{name}'. This "
                                   f"input cannot have requires_grad True.")
            try:
                xp.broadcast_shapes(extra._array.shape, input._array.shape)
            except ValueError:
                raise ValueError(f"{name} of shape {tuple(extra.shape)} does not broadcast to "
                                 f"input shape {tuple(input.shape)}") from None
    loss = _BCEWithLogits.apply(input, target, weight, pos_weight)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


# ---------------------------------------------------------------------------------- modules
class _Loss(Module):
    def __init__(self, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _resolve_reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if weight is not None:
            _check_tensor("weight", weight)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Module form of :func:`cross_entropy` (logits in, class indices as targets).

    Example:
        >>> nn.CrossEntropyLoss()(genesis.tensor([[2.0, 0.0]]), genesis.tensor([0]))
        tensor(0.1269)
    """

    def __init__(self, weight: Tensor | None = None, size_average: Any = None,
                 ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Module form of :func:`nll_loss` (log-probabilities in, e.g. after ``LogSoftmax``)."""

    def __init__(self, weight: Tensor | None = None, size_average: Any = None,
                 ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                        reduction=self.reduction)


class MSELoss(_Loss):
    """Module form of :func:`mse_loss`: mean((x - y)^2)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Module form of :func:`l1_loss`: mean(|x - y|)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return l1_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Module form of :func:`binary_cross_entropy_with_logits` (weight, pos_weight as buffers)."""

    def __init__(self, weight: Tensor | None = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, self.weight,
                                                reduction=self.reduction,
                                                pos_weight=self.pos_weight)


__all__ = [
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy_with_logits",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCEWithLogitsLoss",
]
