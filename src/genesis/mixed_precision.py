"""The autocast mode (one global, like grad mode) and the one casting rule that ops obey.

``genesis.autocast`` (``genesis/amp/autocast_mode.py``) switches the mode on and off; the ops
read it through :func:`autocast_inputs` (the rule itself: :func:`autocast_dtype`), as PyTorch's
autocast dispatch does, with PyTorch's CPU cast policies:

* ``"lower"``: the matmul-like ops (``matmul``/``mm``/``bmm``/``@``, ``F.linear``, ``einsum``,
  the convolutions and transposed convolutions, the gate matmuls of ``RNN``/``LSTM``/``GRU`` and
  their cells, ``F.scaled_dot_product_attention`` and ``MultiheadAttention``'s kernel) cast
  their floating inputs, except float64, to the autocast dtype and compute in it;
* ``"fp32"``: ops that need range (the losses, reflection and replication padding) cast
  half-precision inputs up to float32.

Every other op follows ordinary type promotion; those that PyTorch's CPU kernels compute in
float32 for a float16 input (softmaxes, normalisations) do so with or without autocast
(``dtypes.opmath_dtype``). The casts are graph nodes, so gradients reach float32 weights in
float32. A layer that adds such an op calls the hook on its tensor inputs before computing:
``x, weight, bias = autocast_inputs("lower", x, weight, bias)`` (``None`` entries pass
through); a fused kernel that must know a dtype in advance asks :func:`autocast_dtype`.

Only the CPU's state changes results: every Genesis tensor lives on the CPU. The state of other
device types is kept so that ``is_autocast_enabled("cuda")`` answers as PyTorch does.
"""
from __future__ import annotations

from . import dtypes, ops
from .tensor_base import TensorBase

# PyTorch's default autocast dtypes per device type (torch.get_autocast_dtype).
_DEFAULT_DTYPES = {"cpu": dtypes.bfloat16}
_FLOAT32 = dtypes.float32.np


class _AutocastMode:
    """The one global autocast state: per device type, enabled or not and the dtype."""

    __slots__ = ("cpu_enabled", "cpu_np_dtype", "enabled", "dtype")

    def __init__(self) -> None:
        self.cpu_enabled = False
        self.cpu_np_dtype = None  # the NumPy dtype "lower" casts to while cpu_enabled
        self.enabled: dict[str, bool] = {}
        self.dtype: dict[str, dtypes.DType] = {}

    def set(self, device_type: str, enabled: bool, dtype: dtypes.DType) -> None:
        """Switch autocast for ``device_type`` (called by ``genesis.autocast``)."""
        self.enabled[device_type] = enabled
        self.dtype[device_type] = dtype
        if device_type == "cpu":
            self.cpu_enabled = enabled
            self.cpu_np_dtype = dtype.np if enabled else None


autocast_mode = _AutocastMode()


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on for ``device_type`` (None means "cuda", as in PyTorch)."""
    return autocast_mode.enabled.get("cuda" if device_type is None else device_type, False)


def get_autocast_dtype(device_type: str) -> dtypes.DType:
    """The dtype autocast uses for ``device_type`` (PyTorch's defaults: bfloat16 on the CPU,
    float16 elsewhere)."""
    default = _DEFAULT_DTYPES.get(device_type, dtypes.float16)
    return autocast_mode.dtype.get(device_type, default)


def autocast_dtype(policy: str, np_dtype):
    """The NumPy dtype a tensor of ``np_dtype`` has after :func:`autocast_inputs` (``policy``
    "lower" or "fp32"): the one casting rule, shared by every op under autocast.

    Outside autocast, or for a dtype the policy leaves alone (integers, bool, float64 under
    "lower", float32 and wider under "fp32"), ``np_dtype`` itself.
    """
    if not autocast_mode.cpu_enabled or np_dtype.kind != "f":
        return np_dtype
    if policy == "lower":
        return autocast_mode.cpu_np_dtype if np_dtype.itemsize < 8 else np_dtype
    if policy == "fp32":
        return _FLOAT32 if np_dtype.itemsize < 4 else np_dtype
    raise ValueError(f"autocast_inputs: policy must be 'lower' or 'fp32', got {policy!r}")


def autocast_inputs(policy: str, *tensors) -> tuple:
    """``tensors`` cast as autocast's ``policy`` ("lower" or "fp32") asks, when it is on.

    Outside autocast, returns ``tensors`` unchanged. Non-tensors, ``None`` and non-floating
    tensors pass through, as do float64 tensors under "lower". The casts are graph nodes, so
    gradients return to each tensor in its own dtype.
    """
    if not autocast_mode.cpu_enabled:
        return tensors
    cast = []
    for t in tensors:
        if isinstance(t, TensorBase):
            target = autocast_dtype(policy, t._array.dtype)
            if target != t._array.dtype:
                t = ops.cast(t, target)
        cast.append(t)
    return tuple(cast)


__all__ = ["autocast_mode", "autocast_inputs", "autocast_dtype", "is_autocast_enabled",
           "get_autocast_dtype"]
