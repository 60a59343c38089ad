"""``genesis.onnx``: present so that a script's ``import torch.onnx`` line runs.

Genesis has no graph tracer, so it cannot export ONNX; ``export`` says so and what to do.
"""
from __future__ import annotations


def export(model, args=(), f=None, **kwargs) -> None:
    """Refuse clearly: Genesis cannot export ONNX graphs."""
    raise NotImplementedError(
        "genesis.onnx.export: Genesis cannot export ONNX (it has no graph tracer); save the "
        "weights with model.state_dict(), load them into the same model in PyTorch and export "
        "it with torch.onnx.export there")


def is_in_onnx_export() -> bool:
    """Whether an ONNX export is running: always False."""
    return False


__all__ = ["export", "is_in_onnx_export"]
