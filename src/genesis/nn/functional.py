"""``nn.functional``: stateless forms of the layers and losses (``F.linear``, ``F.cross_entropy``).

Each functional form lives beside its layer in ``genesis/nn/modules/<concept>.py``; this module
is the ``F`` namespace that gathers them. Ops on the hot path of a training step (``linear``,
``layer_norm``, ``embedding``, ``dropout``, ``gelu``, the losses) are single fused graph nodes,
written the way ``genesis/ops_*.py`` write a primitive: the forward computes the output array and,
when a gradient is needed, ``genesis.autograd.record`` attaches the backward closure right below
it (array in, one array per input out). That skips the per-call cost of ``autograd.Function``
(a context object, Tensor wrapping of every gradient), which is a large share of a small
model's step. Simple activations reuse the core's primitives.
"""
from __future__ import annotations

from genesis.backend import xp
from genesis.nn.modules.activation import (
    gelu, log_softmax, multi_head_attention_forward, relu, sigmoid, silu, softmax, tanh,
)
from genesis.nn.modules.attention import scaled_dot_product_attention
from genesis.nn.modules.batchnorm import batch_norm
from genesis.nn.modules.conv import (
    conv1d, conv2d, conv_transpose1d, conv_transpose2d,
)
from genesis.nn.modules.dropout import dropout, dropout1d, dropout2d
from genesis.nn.modules.instancenorm import instance_norm
from genesis.nn.modules.linear import linear
from genesis.nn.modules.loss import (
    binary_cross_entropy_with_logits, cross_entropy, l1_loss, mse_loss, nll_loss,
)
from genesis.nn.modules.normalization import group_norm, layer_norm
from genesis.nn.modules.padding import pad
from genesis.nn.modules.pooling import (
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d,
    avg_pool1d, avg_pool2d, max_pool1d, max_pool1d_with_indices, max_pool2d,
    max_pool2d_with_indices,
)
from genesis.nn.modules.sparse import embedding
from genesis.nn.modules.upsampling import interpolate
from genesis.nn.modules.utils import _check_tensor
from genesis.tensor import Tensor

_wrap = Tensor._wrap


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
    "binary_cross_entropy_with_logits", "scaled_dot_product_attention",
    "multi_head_attention_forward",
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "pad", "interpolate", "batch_norm", "instance_norm", "group_norm", "dropout1d", "dropout2d",
]
