"""Instance normalisation: ``InstanceNorm1d``, ``InstanceNorm2d``, ``InstanceNorm3d`` and
``F.instance_norm`` (one fused node): each channel of each sample is normalised over its own
positions. With ``track_running_stats`` the running statistics average the per-instance ones
over the batch (PyTorch's rule), and ``eval()`` uses them.
"""
from __future__ import annotations

import warnings

import genesis
from genesis.nn.modules.batchnorm import _NormBase, _update_running
from genesis.nn.modules.normalization import _channel_norm, _check_channels
from genesis.nn.modules.utils import _check_tensor
from genesis.tensor import Tensor


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) of (N, C, *) ``input`` over its positions (or with the
    running statistics when not ``use_input_stats``), then scale and shift each channel.

    Example:
        >>> F.instance_norm(genesis.tensor([[[1.0, 3.0], [2.0, 6.0]]]))
        tensor([[[-1.0000,  1.0000],
                 [-1.0000,  1.0000]]])
    """
    _check_tensor("input", input)
    shape = tuple(input.shape)
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected input of shape (N, C, *) with at least one "
                         f"spatial dimension, got {list(shape)}")
    channels = shape[1]
    _check_channels("weight", weight, channels, shape)
    _check_channels("bias", bias, channels, shape)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when "
                               "use_input_stats is false")
        stats = (running_mean._array, running_var._array)
        return _channel_norm(input, weight, bias, eps, channels, "NativeBatchNormBackward0",
                             stats)[0]
    count = input.numel() // (shape[0] * channels) if shape[0] * channels else 0
    if count == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{genesis.Size(shape)}")
    out, (mean, var) = _channel_norm(input, weight, bias, eps, channels,
                                     "NativeBatchNormBackward0")
    if running_mean is not None:
        per_sample = (shape[0], channels)
        unbiased = var.reshape(per_sample) * (count / (count - 1))
        # PyTorch updates one copy of the running statistics per sample, then averages them.
        _update_running(running_mean, running_var, mean.reshape(per_sample).mean(axis=0),
                        unbiased.mean(axis=0), 1, momentum)
    return out


class _InstanceNorm(_NormBase):
    _spatial = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        _check_tensor("input", input)
        unbatched_dims = self._spatial + 1
        if input.ndim not in (unbatched_dims, unbatched_dims + 1):
            raise ValueError(f"expected {unbatched_dims}D or {unbatched_dims + 1}D input "
                             f"(got {input.ndim}D input)")
        feature_dim = input.ndim - unbatched_dims
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features "
                    f"({self.num_features}), but got: {input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You "
                          f"can silence this warning by not passing in num_features, which is "
                          f"not used because affine=False", stacklevel=2)
        batched = input if feature_dim == 1 else input.unsqueeze(0)
        out = instance_norm(batched, self.running_mean, self.running_var, self.weight,
                            self.bias, self.training or not self.track_running_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return out if feature_dim == 1 else out.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) inputs; no affine parameters and no
    running statistics by default (``affine=False``, ``track_running_stats=False``)."""

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) inputs: each channel of each sample
    over its H * W positions; ``affine`` and ``track_running_stats`` default to False.

    Example:
        >>> nn.InstanceNorm2d(3)
        InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)
    """


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) or (C, D, H, W) inputs."""

    _spatial = 3


__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "instance_norm"]
