"""Helpers of ``genesis.utils.data`` at PyTorch's paths (``torch.utils.data._utils.collate``)."""
from . import collate

__all__ = ["collate"]
