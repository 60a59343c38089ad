"""``genesis.amp``: automatic mixed precision, at PyTorch's paths (``torch.amp.autocast``,
``torch.amp.GradScaler``). The autocast state itself lives in ``genesis/mixed_precision.py``."""
from genesis.mixed_precision import get_autocast_dtype, is_autocast_enabled

from .autocast_mode import autocast, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "is_autocast_available", "is_autocast_enabled",
           "get_autocast_dtype"]
