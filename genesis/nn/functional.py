"""``nn.functional``: stateless forms of the layers and losses (``F.linear``, ``F.cross_entropy``).

Ops that sit on the hot path of a training step (``linear``, ``layer_norm``, ``embedding``,
``dropout``, ``gelu``) are single fused graph nodes (``genesis.autograd.Function``) whose
backward is a few NumPy calls; simple activations reuse the core's primitives. The loss
functions live in ``genesis.nn.loss`` and are re-exported here.
"""
from __future__ import annotations

import math
import warnings
from typing import Sequence

from genesis import random as _random
from genesis.autograd import Function
from genesis.backend import xp
from genesis.nn.loss import (
    binary_cross_entropy_with_logits, cross_entropy, l1_loss, mse_loss, nll_loss,
)
from genesis.special import erf as _erf
from genesis.tensor import Tensor

_wrap = Tensor._wrap
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _check_tensor(name: str, value: object) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a genesis.Tensor, got {type(value).__name__}")


# ---------------------------------------------------------------------------------- linear
class _Linear(Function):
    """y = x @ W.T + b as one node; backward: gx = g @ W, gW = g.T @ x, gb = sum(g)."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        out = x.data @ weight.data.T
        if bias is not None:
            out += bias.data
        return _wrap(out)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        g = grad.data
        # Flatten leading dims so one 2-D matmul gives the weight grad for any batch shape.
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        gx = _wrap(g @ weight.data) if need_x else None
        gw = gb = None
        if need_w:
            xd = x.data
            gw = _wrap(g2.T @ (xd.reshape(-1, xd.shape[-1]) if xd.ndim != 2 else xd))
        if need_b:
            gb = _wrap(g2.sum(axis=0))
        return gx, gw, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Affine map ``input @ weight.T + bias``; ``weight`` is ``(out_features, in_features)``.

    Example:
        >>> x, w = genesis.tensor([[1.0, 2.0]]), genesis.tensor([[3.0, 4.0]])
        >>> F.linear(x, w, genesis.tensor([0.5]))
        tensor([[11.5000]])
    """
    _check_tensor("input", input)
    _check_tensor("weight", weight)
    w_shape, x_shape = weight.data.shape, input.data.shape
    if len(w_shape) != 2 or not x_shape or x_shape[-1] != w_shape[1]:
        raise ValueError(
            f"linear: input of shape {tuple(x_shape)} cannot be multiplied by weight.T; weight "
            f"has shape {tuple(w_shape)} = (out_features, in_features), so input must be "
            f"(*, {w_shape[-1]})"
        )
    if input.data.dtype != weight.data.dtype:
        # PyTorch refuses too; silently promoting would train a float32 model in float64.
        raise TypeError(
            f"linear: input dtype {input.dtype} does not match weight dtype {weight.dtype}; "
            f"convert the input (e.g. x.float()) or the model (e.g. model.double())"
        )
    if bias is not None and tuple(bias.data.shape) not in ((w_shape[0],), ()):
        raise ValueError(
            f"linear: bias must have shape ({w_shape[0]},), got {tuple(bias.data.shape)}"
        )
    return _Linear.apply(input, weight, bias)


# ---------------------------------------------------------------------------------- activations
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise.

    Example: ``F.relu(genesis.tensor([-1.0, 2.0]))`` is ``tensor([0., 2.])``.
    """
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) elementwise.

    Example: ``F.sigmoid(genesis.tensor([0.0]))`` is ``tensor([0.5000])``.
    """
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent elementwise.

    Example: ``F.tanh(genesis.tensor([0.0]))`` is ``tensor([0.])``.
    """
    return input.tanh()


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (a.k.a. swish).

    Example: ``F.silu(genesis.tensor([1.0]))`` is ``tensor([0.7311])``.
    """
    return input * input.sigmoid()


class _Gelu(Function):
    """Exact GELU x*Phi(x), derivative Phi(x) + x*phi(x); or its tanh approximation."""

    @staticmethod
    def forward(ctx, x, approximate):
        xd = x.data
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (xd + 0.044715 * xd**3)
            return _wrap(0.5 * xd * (1.0 + xp.tanh(inner)))
        return _wrap(0.5 * xd * (1.0 + _erf(xd * _SQRT_HALF)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        xd = x.data
        if ctx.approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (xd + 0.044715 * xd**3))
            d_inner = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * xd**2)
            local = 0.5 * (1.0 + t) + 0.5 * xd * (1.0 - t * t) * d_inner
        else:
            cdf = 0.5 * (1.0 + _erf(xd * _SQRT_HALF))
            local = cdf + xd * _INV_SQRT_2PI * xp.exp(-0.5 * xd * xd)
        return _wrap(grad.data * local), None


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x); ``approximate='tanh'`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Example:
        >>> F.gelu(genesis.tensor([1.0]))
        tensor([0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return _Gelu.apply(input, approximate)


def _implicit_dim(name: str, ndim: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (numerically stable).

    Example:
        >>> F.softmax(genesis.tensor([0.0, 0.0]), dim=0)
        tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x_i - logsumexp(x) along ``dim`` (numerically stable).

    Example:
        >>> F.log_softmax(genesis.tensor([0.0, 0.0]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return input.log_softmax(dim)


# ---------------------------------------------------------------------------------- dropout
class _MaskScale(Function):
    """out = x * mask with a fixed array ``mask`` (already scaled); backward g * mask."""

    @staticmethod
    def forward(ctx, x, mask):
        ctx.mask = mask
        return _wrap(x.data * mask)

    @staticmethod
    def backward(ctx, grad):
        return _wrap(grad.data * ctx.mask), None


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale survivors by 1/(1-p); identity when
    not ``training``. Draws from Genesis's generator (``genesis.manual_seed`` makes it repeatable).

    Example:
        >>> F.dropout(genesis.ones(4), p=0.5, training=False)
        tensor([1., 1., 1., 1.])
    """
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    x = input.data
    if p == 1.0:
        mask = xp.zeros(x.shape, dtype=x.dtype)
    else:
        keep = _random.generator_for(None).random(x.shape) >= p
        mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return _MaskScale.apply(input, mask)


# ---------------------------------------------------------------------------------- layer norm
class _LayerNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b over the trailing ``axes``, as one node."""

    @staticmethod
    def forward(ctx, x, weight, bias, axes, eps):
        xd = x.data
        centered = xd - xd.mean(axis=axes, keepdims=True)
        rstd = 1.0 / xp.sqrt((centered * centered).mean(axis=axes, keepdims=True) + eps)
        xhat = centered * rstd
        ctx.xhat, ctx.rstd, ctx.axes = xhat, rstd, axes
        ctx.save_for_backward(weight)
        out = xhat * weight.data if weight is not None else xhat.copy()
        if bias is not None:
            out += bias.data
        return _wrap(out)

    @staticmethod
    def backward(ctx, grad):
        (weight,) = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        xhat, rstd, axes, g = ctx.xhat, ctx.rstd, ctx.axes, grad.data
        lead = tuple(range(g.ndim - len(axes)))
        gx = gw = gb = None
        if need_x:
            gxhat = g * weight.data if weight is not None else g
            gx = _wrap(rstd * (gxhat - gxhat.mean(axis=axes, keepdims=True)
                               - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True)))
        if need_w:
            gw = _wrap((g * xhat).sum(axis=lead))
        if need_b:
            gb = _wrap(g.sum(axis=lead))
        return gx, gw, gb, None, None


def layer_norm(
    input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
    bias: Tensor | None = None, eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims: (x - mean) / sqrt(var + eps) * w + b
    (biased variance).

    Example:
        >>> F.layer_norm(genesis.tensor([[1.0, 3.0]]), (2,))
        tensor([[-1.0000,  1.0000]])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    x_shape = tuple(input.data.shape)
    if not shape or x_shape[len(x_shape) - len(shape):] != shape or len(x_shape) < len(shape):
        raise ValueError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(x_shape)}"
        )
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(value.data.shape) != shape:
            raise ValueError(
                f"layer_norm: {name} must have shape {shape}, got {tuple(value.data.shape)}"
            )
    axes = tuple(range(len(x_shape) - len(shape), len(x_shape)))
    return _LayerNorm.apply(input, weight, bias, axes, eps)


# ---------------------------------------------------------------------------------- embedding
def _check_indices(name: str, indices: Tensor, size: int) -> object:
    _check_tensor(name, indices)
    idx = indices.data
    if idx.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be an integer tensor (e.g. genesis.int64) of indices, "
            f"got dtype {idx.dtype}"
        )
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < 0 or high >= size:
            bad = low if low < 0 else high
            raise IndexError(f"index {bad} is out of range: {name} must lie in [0, {size})")
    return idx


class _Embedding(Function):
    """Row lookup ``weight[indices]``; backward scatters-adds rows, skipping ``padding_idx``."""

    @staticmethod
    def forward(ctx, weight, idx, padding_idx):
        ctx.idx, ctx.padding_idx, ctx.shape = idx, padding_idx, weight.data.shape
        return _wrap(weight.data[idx])

    @staticmethod
    def backward(ctx, grad):
        g = grad.data
        full = xp.zeros(ctx.shape, dtype=g.dtype)
        xp.add.at(full, ctx.idx.reshape(-1), g.reshape(-1, ctx.shape[1]))
        if ctx.padding_idx is not None:
            full[ctx.padding_idx] = 0
        return _wrap(full), None, None


def embedding(
    input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
    norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False,
) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, dim) at integer ``input``; ``padding_idx`` rows
    get no gradient.

    Example:
        >>> F.embedding(genesis.tensor([1, 0]), genesis.tensor([[0.0, 1.0], [2.0, 3.0]]))
        tensor([[2., 3.],
                [0., 1.]])
    """
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(
            "embedding: max_norm, scale_grad_by_freq and sparse are not supported"
        )
    if weight.ndim != 2:
        raise ValueError("embedding: weight must be 2-D (num_embeddings, embedding_dim), "
                         f"got shape {tuple(weight.shape)}")
    rows = weight.data.shape[0]
    idx = _check_indices("input", input, rows)
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(
                f"padding_idx must be within num_embeddings ({rows}), got {padding_idx}"
            )
        padding_idx %= rows
    return _Embedding.apply(weight, idx, padding_idx)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape ``tensor.shape + (num_classes,)``; -1 means max + 1.

    Example:
        >>> F.one_hot(genesis.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    _check_tensor("tensor", tensor)
    idx = tensor.data
    if idx.dtype.kind not in "iu":
        raise TypeError(
            f"one_hot is only applicable to index tensors (integer dtype), got {idx.dtype}"
        )
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num_classes):
        raise ValueError(f"one_hot: class values must lie in [0, {num_classes}), got values in "
                         f"[{int(idx.min())}, {int(idx.max())}]")
    out = xp.zeros(idx.shape + (num_classes,), dtype=xp.int64)
    xp.put_along_axis(out, idx[..., None].astype(xp.int64), 1, axis=-1)
    return _wrap(out)


__all__ = [
    "linear", "relu", "gelu", "silu", "sigmoid", "tanh", "softmax", "log_softmax", "dropout",
    "layer_norm", "embedding", "one_hot", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
    "binary_cross_entropy_with_logits",
]
