"""Batch normalisation: ``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d`` and ``F.batch_norm``
(one fused node), with PyTorch's running statistics.

In training the batch's mean and biased variance normalise the input, and the running
statistics move towards the batch's mean and *unbiased* variance:
running = (1 - momentum) * running + momentum * batch. ``momentum=None`` makes that a
cumulative average (momentum = 1 / num_batches_tracked). In evaluation the running statistics
normalise, unless the layer does not track them (then the batch's are used, as in training).
"""
from __future__ import annotations

from typing import Any

import genesis
from genesis.autograd import no_grad, record
from genesis.backend import scratch as _scratch
from genesis.backend import xp
from genesis.dtypes import opmath_dtype
from genesis.nn.modules.module import Module
from genesis.nn.modules.normalization import (
    _affine_parameters, _channel_norm, _check_channels, _reset_affine,
)
from genesis.nn.modules.utils import _check_positive_int, _check_tensor
from genesis.tensor import Tensor

_wrap = Tensor._wrap


def _update_running(running_mean: Tensor, running_var: Tensor, mean: Any, var: Any,
                    count: int, momentum: float) -> None:
    """Move the running statistics (in place) towards a batch's mean and unbiased variance."""
    unbiased = var * (count / (count - 1)) if count > 1 else var
    for running, value in ((running_mean, mean), (running_var, unbiased)):
        array = running._array
        array *= 1.0 - momentum
        array += (momentum * value.reshape(array.shape)).astype(array.dtype)


def _batch_norm_train(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                      eps: float) -> tuple:
    """Training-mode batch norm (inputs computed in their own dtype) as one node on the (C, N * positions) rows (no copy for a
    convolution's channel-major output). Returns the output and the batch's (mean, var) as
    (C, 1) arrays.

    Written for few passes over memory, since it runs after every convolution: the forward
    keeps the centred rows c = x - mean, not x_hat = c * rstd, and writes the output into the
    buffer that held c * c; with k = weight * rstd, the input gradient is
    k * (g - mean(g)) - k * rstd**2 * mean(g * c) * c, the same formula as
    ``_normalized_grad`` regrouped into one per-channel affine map of c, applied in place on
    the buffer that held g * c. Sums are NumPy's pairwise ones, as before.
    """
    x = input._array
    shape, channels = x.shape, x.shape[1]
    rows = x.swapaxes(0, 1).reshape(channels, -1)
    count = rows.shape[1]
    mean = rows.mean(axis=1, keepdims=True)
    # kept by the backward alone (never a view of it): pooled memory, no fresh pages per step
    centered = _scratch.empty(rows.shape, rows.dtype)
    xp.subtract(rows, mean, out=centered)
    out = centered * centered
    var = out.sum(axis=1, keepdims=True) / count
    rstd = 1.0 / xp.sqrt(var + eps)
    scale = rstd if weight is None else weight._array.reshape(channels, 1) * rstd
    xp.multiply(centered, scale, out=out)
    if bias is not None:
        out += bias._array.reshape(channels, 1)
    inputs = tuple(t for t in (input, weight, bias) if t is not None)
    flags = [t.requires_grad for t in inputs]

    def backward(g):
        g = g.swapaxes(0, 1).reshape(channels, -1)
        grads = [None] * len(inputs)
        g_sum = g.sum(axis=1, keepdims=True)
        buffer = g * centered
        gc_sum = buffer.sum(axis=1, keepdims=True)
        if weight is not None and flags[1]:
            grads[1] = (gc_sum * rstd).reshape(-1)
        if bias is not None and flags[-1]:
            grads[-1] = g_sum.reshape(-1)
        if flags[0]:
            xp.multiply(centered, (-rstd * rstd / count) * gc_sum, out=buffer)
            buffer += g
            buffer -= g_sum / count
            buffer *= scale
            grads[0] = buffer.reshape((channels, shape[0]) + shape[2:]).swapaxes(0, 1)
        return tuple(grads)
    y = out.reshape((channels, shape[0]) + shape[2:]).swapaxes(0, 1)
    return record(_wrap(y), backward, inputs, "NativeBatchNormBackward0"), (mean, var)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of (N, C, *) ``input`` with the batch's statistics (``training``,
    updating ``running_mean``/``running_var`` in place when given) or with the running ones,
    then scale by ``weight`` and shift by ``bias``.

    Example:
        >>> x = genesis.tensor([[1.0], [3.0]])
        >>> mean, var = genesis.zeros(1), genesis.ones(1)
        >>> F.batch_norm(x, mean, var, training=True)
        tensor([[-1.0000],
                [ 1.0000]])
        >>> mean, var
        (tensor([0.2000]), tensor([1.1000]))
    """
    _check_tensor("input", input)
    shape = tuple(input.shape)
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, *), got {list(shape)}")
    if (running_mean is None) != (running_var is None):
        raise ValueError(
            "running_mean and running_var must either both be None or neither be None")
    channels = shape[1]
    for what, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        if value is not None and tuple(value.shape) != (channels,):
            raise RuntimeError(f"{what} should contain {channels} elements not "
                               f"{value.numel()}")
    if not training:
        if running_mean is None:
            raise RuntimeError("running_mean must be defined in evaluation mode")
        stats = (running_mean._array, running_var._array)
        return _channel_norm(input, weight, bias, eps, None, "NativeBatchNormBackward0",
                             stats)[0]
    count = input.numel() // channels
    if count == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {genesis.Size(shape)}")
    if opmath_dtype(input._array.dtype) == input._array.dtype:
        out, (mean, var) = _batch_norm_train(input, weight, bias, eps)
    else:  # float16: statistics and gradients in float32, as PyTorch's CPU kernel
        out, (mean, var) = _channel_norm(input, weight, bias, eps, None,
                                         "NativeBatchNormBackward0")
    if running_mean is not None:
        _update_running(running_mean, running_var, mean, var, count, momentum)
    return out


class _NormBase(Module):
    """What batch and instance normalisation share: affine parameters, running statistics
    (``running_mean``, ``running_var``, ``num_batches_tracked`` buffers), repr."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        _check_positive_int("num_features", num_features, allow_zero=False)
        if momentum is not None and not (isinstance(momentum, (int, float))
                                         and not isinstance(momentum, bool)):
            raise ValueError(f"momentum must be a float or None, got {momentum!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_parameters(self, (num_features,), affine, bias, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", genesis.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", genesis.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", genesis.tensor(0, dtype=genesis.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean to zeros, running variance to ones, batch count to 0."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics, weight to ones and bias to zeros."""
        self.reset_running_stats()
        _reset_affine(self)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    _dims: tuple = (4,)

    def _check_input_dim(self, input: Tensor) -> None:
        _check_tensor("input", input)
        if input.ndim not in self._dims:
            expected = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"expected {expected} input (got {input.ndim}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._array += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._array)
        use_batch = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if keep else None,
                          self.running_var if keep else None, self.weight, self.bias,
                          use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs over the batch (and L): per-channel
    ``weight``/``bias``, running statistics in ``train()``, used in ``eval()``.

    Example:
        >>> bn = nn.BatchNorm1d(3)
        >>> bn
        BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
        >>> list(bn.state_dict())
        ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    """

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs over N, H and W: per-channel
    ``weight``/``bias``, running statistics in ``train()``, used in ``eval()``.

    Example:
        >>> bn = nn.BatchNorm2d(2)
        >>> y = bn(genesis.tensor([[[[1.0]], [[2.0]]], [[[3.0]], [[6.0]]]]))
        >>> bn.running_mean, bn.num_batches_tracked
        (tensor([0.2000, 0.4000]), tensor(1))
    """


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) inputs over N, D, H and W."""

    _dims = (5,)


__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "batch_norm"]
