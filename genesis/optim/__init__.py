"""Optimizers and learning-rate schedulers (``genesis.optim``)."""

# --- optimizers ---

# --- learning-rate schedulers (PyTorch family) ---
from . import lr_scheduler
from .lr_scheduler import LambdaLR, LRScheduler, MultiplicativeLR, _LRScheduler

# --- Hugging Face schedule family ---
