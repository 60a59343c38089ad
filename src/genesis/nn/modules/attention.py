"""Scaled dot-product attention: the fused kernel and ``F.scaled_dot_product_attention``.

softmax(Q K^T * scale + mask) V as batched matmuls over the leading dims, with a numerically
stable softmax (row maximum subtracted) and its fused backward
dS = P * (dP - sum(dP * P)), so no graph of elementwise nodes is built. ``MultiheadAttention``
(``activation.py``) runs the same kernel on views of its projections.
"""
from __future__ import annotations

import math
import numbers

from genesis import random as _random
from genesis.autograd import needs_grad, record
from genesis.backend import quiet, xp
from genesis.mixed_precision import autocast_inputs
from genesis.nn.modules.utils import SideOutputs, _check_tensor
from genesis.ops import unbroadcast
from genesis.tensor import Tensor

_wrap = Tensor._wrap


def check_dropout_p(dropout_p, error: type[Exception] = RuntimeError) -> None:
    """PyTorch's check of a dropout probability: ``error`` outside [0, 1] (RuntimeError from
    the attention kernel, ValueError from ``F.dropout``)."""
    if (not isinstance(dropout_p, numbers.Real) or isinstance(dropout_p, bool)
            or not 0.0 <= dropout_p <= 1.0):
        raise error(f"dropout probability has to be between 0 and 1, but got {dropout_p}")


class Attention:
    """The arrays of one attention call and its backward.

    ``q`` (..., L, E), ``k`` (..., S, E), ``v`` (..., S, Ev) broadcast over the leading dims;
    ``mask`` is an additive float array (-inf where masked) broadcastable to (..., L, S) or None.
    ``safe`` gives fully masked rows zero weights (``scaled_dot_product_attention``); otherwise
    they are NaN, as in ``MultiheadAttention``'s ``need_weights=True`` path.
    """

    def __init__(self, q, k, v, mask, is_causal: bool, scale: float, dropout_p: float,
                 safe: bool) -> None:
        self.q, self.k, self.v, self.scale = q, k, v, scale
        scores = xp.matmul(q * q.dtype.type(scale), xp.swapaxes(k, -1, -2))
        if mask is not None:
            scores += mask
        if is_causal:
            length, source = scores.shape[-2:]
            upper = ~xp.tri(length, source, dtype=bool)
            xp.copyto(scores, -xp.inf, where=upper)
        top = scores.max(axis=-1, keepdims=True)
        if safe:
            top[~xp.isfinite(top)] = 0.0
        with xp.errstate(invalid="ignore"):
            scores -= top
        xp.exp(scores, out=scores)
        total = scores.sum(axis=-1, keepdims=True)
        if safe:
            total[total == 0] = 1.0
        scores /= total
        self.probs = scores
        self.keep = None
        weights = scores
        if dropout_p > 0.0:
            keep = _random.generator_for(None).random(scores.shape) >= dropout_p
            self.keep = keep.astype(scores.dtype) * scores.dtype.type(1.0 / (1.0 - dropout_p)) \
                if dropout_p < 1.0 else xp.zeros(scores.shape, dtype=scores.dtype)
            weights = scores * self.keep
        self.weights = weights

    def output(self, out=None):
        """weights @ v (into ``out`` when given)."""
        return xp.matmul(self.weights, self.v, out=out)

    def backward(self, g, d_weights=None):
        """Gradients ``(dq, dk, dv, d_scores)`` for the output gradient ``g`` (..., L, Ev) and,
        when the weights were an output too, their gradient ``d_weights``."""
        dv = xp.matmul(xp.swapaxes(self.weights, -1, -2), g)
        d_probs = xp.matmul(g, xp.swapaxes(self.v, -1, -2))
        if d_weights is not None:
            d_probs += d_weights
        if self.keep is not None:
            d_probs *= self.keep
        probs = self.probs
        # softmax backward: P * (dP - sum(dP * P)); masked entries have P = 0 and get 0.
        row = (d_probs * probs).sum(axis=-1, keepdims=True)
        d_probs -= row
        d_probs *= probs
        d_scores = d_probs
        d_scaled = d_scores * d_scores.dtype.type(self.scale)
        dq = xp.matmul(d_scaled, self.k)
        dk = xp.matmul(xp.swapaxes(d_scaled, -1, -2), self.q)
        return dq, dk, dv, d_scores


def _check_sdpa(query, key, value, attn_mask, is_causal, enable_gqa):
    for name, t in (("query", query), ("key", key), ("value", value)):
        _check_tensor(name, t)
    q, k, v = query._array, key._array, value._array
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
            f"{q.ndim} key.dim: {k.ndim} and value.dim: {v.ndim} instead.")
    if not (q.dtype == k.dtype == v.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if q.dtype.kind != "f":
        raise RuntimeError(f"scaled_dot_product_attention: expected floating-point query, key and "
                           f"value, got {query.dtype}")
    if k.shape[-1] != q.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: expected key (..., S, {q.shape[-1]}) and value "
            f"(..., S, Ev) with the same S and key's last dim equal to query's; got query "
            f"{tuple(q.shape)}, key {tuple(k.shape)}, value {tuple(v.shape)}")
    if attn_mask is not None:
        _check_tensor("attn_mask", attn_mask)
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        m = attn_mask._array
        if m.dtype != bool and m.dtype != q.dtype:
            raise RuntimeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                f"attn_mask.dtype: {attn_mask.dtype} and  query.dtype: {query.dtype} instead.")
    heads_q = q.shape[-3] if q.ndim >= 3 else 1
    heads_k = k.shape[-3] if k.ndim >= 3 else 1
    if enable_gqa and heads_q != heads_k:
        if heads_q % heads_k or (v.ndim >= 3 and v.shape[-3] != heads_k):
            raise RuntimeError(
                "scaled_dot_product_attention with enable_gqa=True needs the number of query "
                f"heads ({heads_q}) to be a multiple of the number of key/value heads "
                f"({heads_k}), and key and value to have the same number of heads")
        return heads_q // heads_k
    return 1


@quiet
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value over the last two dims, one fused node.

    ``query`` (N, ..., Hq, L, E), ``key`` (N, ..., H, S, E), ``value`` (N, ..., H, S, Ev); the
    leading dims broadcast. ``attn_mask``: a bool mask (True takes part) or a float mask added
    to the scores, broadcastable to (N, ..., L, S). ``is_causal``: the top-left lower triangle
    (no ``attn_mask`` allowed with it). ``scale`` defaults to 1/sqrt(E). ``dropout_p`` applies
    whenever it is positive (pass 0.0 in evaluation). ``enable_gqa``: each key/value head
    serves Hq/H query heads. A fully masked row gives zeros, as in PyTorch.

    Example:
        >>> q = k = v = genesis.ones(1, 2, 3)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        genesis.Size([1, 2, 3])
    """
    query, key, value, attn_mask = autocast_inputs("lower", query, key, value, attn_mask)
    groups = _check_sdpa(query, key, value, attn_mask, is_causal, enable_gqa)
    check_dropout_p(dropout_p)
    q, k, v = query._array, key._array, value._array
    if groups > 1:
        k, v = xp.repeat(k, groups, axis=-3), xp.repeat(v, groups, axis=-3)
    mask, float_mask = None, None
    if attn_mask is not None:
        m = attn_mask._array
        if m.dtype == bool:
            mask = xp.where(m, q.dtype.type(0.0), q.dtype.type(-xp.inf))
        else:
            mask, float_mask = m, attn_mask
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    try:
        attention = Attention(q, k, v, mask, is_causal, scale, float(dropout_p), safe=True)
    except ValueError:
        raise RuntimeError(
            f"scaled_dot_product_attention: attn_mask of shape {tuple(attn_mask.shape)} does not "
            f"broadcast to the attention weights' shape {tuple(q.shape[:-1]) + (k.shape[-2],)}"
        ) from None
    out = attention.output()
    inputs = (query, key, value) + ((float_mask,) if float_mask is not None else ())

    def backward(g):
        dq, dk, dv, d_scores = attention.backward(g)
        if groups > 1:
            dk = dk.reshape(dk.shape[:-3] + (-1, groups) + dk.shape[-2:]).sum(axis=-3)
            dv = dv.reshape(dv.shape[:-3] + (-1, groups) + dv.shape[-2:]).sum(axis=-3)
        grads = (unbroadcast(dq, query._array.shape), unbroadcast(dk, key._array.shape),
                 unbroadcast(dv, value._array.shape))
        if float_mask is not None:
            grads += (unbroadcast(d_scores, float_mask._array.shape),)
        return grads
    return record(_wrap(out), backward, inputs, "ScaledDotProductAttentionBackward0")


class HeadSource:
    """Where one of q, k, v comes from: ``tensor`` holds it as E-wide column ``block`` of its
    tokens (``(L, N, C)``, or ``(N, L, C)`` when ``batch_first``), or, with ``heads=True``,
    already split as ``(N * num_heads, S, head_dim)`` (``static_k``/``static_v``)."""

    def __init__(self, tensor: Tensor, block: int = 0, heads: bool = False) -> None:
        self.tensor, self.block, self.heads = tensor, block, heads

    def view(self, array, num_heads: int, width: int, batch_first: bool):
        """The ``(N, H, S, D)`` view of this role in ``array`` (the tensor's array or its
        gradient's), without copying."""
        if self.heads:
            return array.reshape(-1, num_heads, array.shape[-2], array.shape[-1])
        part = array[..., self.block * width:(self.block + 1) * width]
        split = part.reshape(part.shape[:2] + (num_heads, width // num_heads))
        return split.transpose(0, 2, 1, 3) if batch_first else split.transpose(1, 2, 0, 3)


@quiet
def multihead_attention(sources: tuple[HeadSource, HeadSource, HeadSource], num_heads: int,
                        embed_dim: int, batch_first: bool, mask, is_causal: bool,
                        dropout_p: float, need_weights: bool, add_zero_attn: bool):
    """Attention over heads on views of the projections: ``(output, weights)``.

    ``output`` is the heads merged back into tokens, shaped like the query's projection
    (``(L, N, E)`` or ``(N, L, E)``), ready for the output projection; ``weights`` is
    ``(N, H, L, S)`` after dropout (a side output of the same node) when ``need_weights``, else
    None. ``mask`` is an additive float tensor broadcastable to ``(N, H, L, S)`` (it gets a
    gradient when it requires one). One graph node over the distinct source tensors (and the
    mask); its backward writes each role's gradient into its block.
    """
    # matmul-like under autocast (PyTorch's baddbmm/bmm or its attention kernel): a tensor
    # serving several roles is cast once, so its roles' gradients still meet in one array.
    cast = {}
    for src in sources:
        if id(src.tensor) not in cast:
            cast[id(src.tensor)] = autocast_inputs("lower", src.tensor)[0]
    sources = tuple(HeadSource(cast[id(src.tensor)], src.block, src.heads) for src in sources)
    mask = autocast_inputs("lower", mask)[0]
    views = [src.view(src.tensor._array, num_heads, embed_dim, batch_first) for src in sources]
    q, k, v = views
    mask_tensor, mask = mask, None if mask is None else mask._array
    if add_zero_attn:
        zeros = xp.zeros(k.shape[:2] + (1, k.shape[3]), dtype=k.dtype)
        k, v = xp.concatenate([k, zeros], axis=2), xp.concatenate([v, zeros], axis=2)
    attention = Attention(q, k, v, mask, is_causal, 1.0 / math.sqrt(embed_dim // num_heads),
                          dropout_p, safe=not need_weights)
    q_tokens = sources[0].tensor._array
    merged = xp.empty(q_tokens.shape[:2] + (embed_dim,), dtype=q.dtype)
    merged_heads = sources[0].view(merged, num_heads, embed_dim, batch_first)
    attention.output(out=merged_heads)
    main = _wrap(merged)
    weights = attention.weights if need_weights else None
    tensors = []
    for src in sources:
        if all(src.tensor is not t for t in tensors):
            tensors.append(src.tensor)
    inputs = tensors + ([mask_tensor] if mask_tensor is not None and mask_tensor._rg else [])
    if not needs_grad(*inputs):
        return main, None if weights is None else _wrap(weights)
    sides = SideOutputs(main)

    def backward(g):
        d_weights = sides.take().get("weights")
        g_heads = None if sides.placeholder(g) else sources[0].view(g, num_heads, embed_dim,
                                                                      batch_first)
        if g_heads is None:
            g_heads = xp.zeros(q.shape[:3] + (v.shape[3],), dtype=q.dtype)
        *grads, d_scores = attention.backward(g_heads, d_weights)
        if add_zero_attn:
            grads = (grads[0], grads[1][:, :, :-1], grads[2][:, :, :-1])
        result = {id(t): None for t in tensors}
        for src, grad in zip(sources, grads):
            key = id(src.tensor)
            if result[key] is None:
                result[key] = xp.zeros_like(src.tensor._array)
            src.view(result[key], num_heads, embed_dim, batch_first)[...] += grad
        mask_grad = () if len(inputs) == len(tensors) else (
            unbroadcast(d_scores, mask.shape),)
        return tuple(result[id(t)] for t in tensors) + mask_grad

    record(main, backward, inputs, "MultiheadAttentionBackward0")
    return main, None if weights is None else sides.add("weights", weights,
                                                        "MultiheadAttentionBackward0")


__all__ = ["scaled_dot_product_attention", "Attention", "HeadSource", "multihead_attention",
           "check_dropout_p"]
