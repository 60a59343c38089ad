"""``nn.functional``: stateless forms of the layers and losses (``F.linear``, ``F.cross_entropy``).

Ops on the hot path of a training step (``linear``, ``layer_norm``, ``embedding``, ``dropout``,
``gelu``) are single fused graph nodes, written the way ``genesis/ops.py`` writes a primitive:
the forward computes the output array and, when a gradient is needed, ``record`` attaches the
backward closure right below it (array in, one array per input out). That skips the per-call
cost of ``autograd.Function`` (a context object, Tensor wrapping of every gradient), which is
a large share of a small model's step. Simple activations reuse the core's primitives. The loss
functions live in ``genesis.nn.loss`` and are re-exported here.
"""
from __future__ import annotations

import math
import warnings
from typing import Sequence

from genesis import random as _random
from genesis.autograd import attach, needs_grad
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


def record(out: Tensor, backward, inputs: tuple, name: str) -> Tensor:
    """Make ``out`` a graph node over ``inputs`` when grad mode is on and one of them needs it.

    ``backward(g)`` maps the output's gradient array to one array (or None) per input.
    """
    if needs_grad(*inputs):
        attach(out, backward, inputs, name)
    return out


# ---------------------------------------------------------------------------------- linear
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Affine map ``input @ weight.T + bias``; ``weight`` is ``(out_features, in_features)``.

    Example:
        >>> x, w = genesis.tensor([[1.0, 2.0]]), genesis.tensor([[3.0, 4.0]])
        >>> F.linear(x, w, genesis.tensor([0.5]))
        tensor([[11.5000]])
    """
    _check_tensor("input", input)
    _check_tensor("weight", weight)
    w_shape, x_shape = weight._array.shape, input._array.shape
    if len(w_shape) != 2 or not x_shape or x_shape[-1] != w_shape[1]:
        raise ValueError(
            f"linear: input of shape {tuple(x_shape)} cannot be multiplied by weight.T; weight "
            f"has shape {tuple(w_shape)} = (out_features, in_features), so input must be "
            f"(*, {w_shape[-1]})"
        )
    if input._array.dtype != weight._array.dtype:
        # PyTorch refuses too; silently promoting would train a float32 model in float64.
        raise TypeError(
            f"linear: input dtype {input.dtype} does not match weight dtype {weight.dtype}; "
            f"convert the input (e.g. x.float()) or the model (e.g. model.double())"
        )
    if bias is not None:
        _check_tensor("bias", bias)
        if tuple(bias._array.shape) != (w_shape[0],) or bias._array.dtype != weight._array.dtype:
            raise ValueError(f"linear: bias must have shape ({w_shape[0]},) and dtype "
                             f"{weight.dtype}, got {tuple(bias._array.shape)} and {bias.dtype}")
    x, w = input._array, weight._array
    out = x @ w.T
    if bias is not None:
        out += bias._array
    inputs = (input, weight) if bias is None else (input, weight, bias)
    need_x, need_w = input.requires_grad, weight.requires_grad
    need_b = bias is not None and bias.requires_grad

    def backward(g):
        # Flatten leading dims so one 2-D matmul gives the weight grad for any batch shape.
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gx = g @ w if need_x else None
        gw = g2.T @ (x if x.ndim == 2 else x.reshape(-1, x.shape[-1])) if need_w else None
        if bias is None:
            return gx, gw
        return gx, gw, g2.sum(axis=0) if need_b else None
    return record(_wrap(out), backward, inputs, "AddmmBackward0")


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


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x); ``approximate='tanh'`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Example:
        >>> F.gelu(genesis.tensor([1.0]))
        tensor([0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    x = input._array
    if approximate == "tanh":
        t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
        out = 0.5 * x * (1.0 + t)

        def backward(g):
            d_inner = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)
            return (g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_inner),)
    else:
        cdf = 0.5 * (1.0 + _erf(x * _SQRT_HALF))
        out = x * cdf

        def backward(g):
            # d/dx x Phi(x) = Phi(x) + x phi(x)
            return (g * (cdf + x * _INV_SQRT_2PI * xp.exp(-0.5 * x * x)),)
    return record(_wrap(out), backward, (input,), "GeluBackward0")


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
    x = input._array
    if p == 1.0:
        mask = xp.zeros(x.shape, dtype=x.dtype)
    else:
        keep = _random.generator_for(None).random(x.shape) >= p
        mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return record(_wrap(x * mask), lambda g: (g * mask,), (input,), "MulBackward0")


# ---------------------------------------------------------------------------------- layer norm
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
    x_shape = tuple(input._array.shape)
    if not shape or x_shape[len(x_shape) - len(shape):] != shape or len(x_shape) < len(shape):
        raise ValueError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(x_shape)}"
        )
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(value._array.shape) != shape:
            raise ValueError(
                f"layer_norm: {name} must have shape {shape}, got {tuple(value._array.shape)}"
            )
    axes = tuple(range(len(x_shape) - len(shape), len(x_shape)))
    lead = tuple(range(len(x_shape) - len(shape)))
    x = input._array
    centered = x - x.mean(axis=axes, keepdims=True)
    rstd = 1.0 / xp.sqrt((centered * centered).mean(axis=axes, keepdims=True) + eps)
    xhat = centered * rstd
    out = xhat * weight._array if weight is not None else xhat.copy()
    if bias is not None:
        out += bias._array
    inputs = tuple(t for t in (input, weight, bias) if t is not None)
    flags = [t.requires_grad for t in inputs]

    def backward(g):
        grads = []
        if flags[0]:
            gxhat = g * weight._array if weight is not None else g
            grads.append(rstd * (gxhat - gxhat.mean(axis=axes, keepdims=True)
                                 - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True)))
        else:
            grads.append(None)
        if weight is not None:
            grads.append((g * xhat).sum(axis=lead) if flags[1] else None)
        if bias is not None:
            grads.append(g.sum(axis=lead) if flags[-1] else None)
        return tuple(grads)
    return record(_wrap(out), backward, inputs, "NativeLayerNormBackward0")


# ---------------------------------------------------------------------------------- embedding
def _check_indices(name: str, indices: Tensor, size: int) -> object:
    _check_tensor(name, indices)
    idx = indices._array
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
    rows = weight._array.shape[0]
    idx = _check_indices("input", input, rows)
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(
                f"padding_idx must be within num_embeddings ({rows}), got {padding_idx}"
            )
        padding_idx %= rows

    def backward(g):
        full = xp.zeros(weight._array.shape, dtype=g.dtype)
        xp.add.at(full, idx.reshape(-1), g.reshape(-1, full.shape[1]))  # repeats accumulate
        if padding_idx is not None:
            full[padding_idx] = 0
        return (full,)
    return record(_wrap(weight._array[idx]), backward, (weight,), "EmbeddingBackward0")


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape ``tensor.shape + (num_classes,)``; -1 means max + 1.

    Example:
        >>> F.one_hot(genesis.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    _check_tensor("tensor", tensor)
    idx = tensor._array
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
