"""``genesis.backends.cuda``: PyTorch's CUDA backend flags (``matmul.allow_tf32`` and the
attention-kernel switches), accepted and readable; CUDA itself is absent (``is_built()`` is
False), so the flags change no result (see ``flags.py``)."""
from __future__ import annotations

from .flags import Flag


class _Matmul:
    """``genesis.backends.cuda.matmul``: the cuBLAS TF32 flag; unknown names are refused."""

    allow_tf32 = Flag(False, "set_allow_tf32_cublas")

    def __setattr__(self, name: str, value) -> None:
        if not isinstance(getattr(type(self), name, None), Flag):
            raise AttributeError(f"Unknown attribute {name}")
        super().__setattr__(name, value)


matmul = _Matmul()
_SDP = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def is_built() -> bool:
    """Whether PyTorch was built with CUDA: False (Genesis computes with NumPy)."""
    return False


def _sdp_switch(kind: str):
    def enable(enabled: bool) -> None:
        if not isinstance(enabled, bool):
            raise TypeError(f"enable_{kind}_sdp expects a bool, got {enabled!r}")
        _SDP[kind] = enabled

    def is_enabled() -> bool:
        return _SDP[kind]

    enable.__doc__ = f"Allow the {kind} attention kernel (recorded; Genesis has one kernel)."
    is_enabled.__doc__ = f"Whether the {kind} attention kernel is allowed."
    return enable, is_enabled


enable_flash_sdp, flash_sdp_enabled = _sdp_switch("flash")
enable_mem_efficient_sdp, mem_efficient_sdp_enabled = _sdp_switch("mem_efficient")
enable_math_sdp, math_sdp_enabled = _sdp_switch("math")
enable_cudnn_sdp, cudnn_sdp_enabled = _sdp_switch("cudnn")

__all__ = ["matmul", "is_built", "enable_flash_sdp", "flash_sdp_enabled",
           "enable_mem_efficient_sdp", "mem_efficient_sdp_enabled", "enable_math_sdp",
           "math_sdp_enabled", "enable_cudnn_sdp", "cudnn_sdp_enabled"]
