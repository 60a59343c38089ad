"""Genesis: a deep-learning framework on NumPy with PyTorch's API.

Explicit re-exports only; no logic lives here.
"""
__version__ = "0.1.0"

from . import backend

# --- tensors, dtypes, autograd, random (core) ---
from . import autograd, dtypes, random
# The Tensor class first: importing the submodule genesis.tensor binds the name "tensor" here,
# and the factory genesis.tensor imported below must be what that name finally means.
from .tensor import Size, Tensor
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .dtypes import (DType, bool, double, float, float16, float32, float64, get_default_dtype,
                     half, int, int32, int64, long)
from .factories import (arange, as_tensor, cat, concat, concatenate, empty, empty_like,
                        from_numpy, full, full_like, is_tensor, linspace, numel, ones, ones_like,
                        rand, rand_like, randint, randint_like, randn, randn_like, randperm,
                        stack, tensor, where, zeros, zeros_like)
from .functions import (abs, amax, amin, argmax, argmin, clamp, clip, cos, erf, exp, expm1,
                        flatten, gather, log, log1p, log_softmax, logsumexp, matmul, max, maximum,
                        mean, min, minimum, permute, pow, relu, reshape, sigmoid, sign, sin,
                        softmax, sqrt, squeeze, std, sum, take_along_dim, tanh, transpose,
                        unsqueeze, var)
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

# --- checkpoints ---
from . import serialization
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .serialization import load, save

# --- subpackages ---
# Imported on first use (as ``torch.nn`` is there after ``import torch``), so that
# ``import genesis`` stays cheap for code that needs only tensors or checkpoints.
_SUBPACKAGES = ("nn", "optim", "utils")


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
