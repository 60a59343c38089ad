"""Genesis: a deep-learning framework on NumPy with PyTorch's API.

Explicit re-exports only; no logic lives here.
"""
__version__ = "0.1.0"

from . import backend

# --- tensors, dtypes, autograd, random (core) ---

# --- checkpoints ---
from .checkpoint import CheckpointError, load, load_checkpoint, save, save_checkpoint

# --- subpackages ---
