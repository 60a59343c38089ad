"""Genesis: a deep-learning framework on NumPy with PyTorch's API.

Explicit re-exports only; no logic lives here.
"""
from . import backend
# "2.13.0+genesis.0.1.0": the PyTorch API followed, then Genesis's own release (version.py).
from .version import __version__

# --- tensors, dtypes, autograd, random (core) ---
from . import autograd, dtypes, random
# The Tensor class first: importing the submodule genesis.tensor binds the name "tensor" here,
# and the factory genesis.tensor imported below must be what that name finally means.
from .tensor import Size, Tensor
from .autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                       no_grad, set_grad_enabled)
from .devices import (channels_last, channels_last_3d, contiguous_format, device, memory_format,
                      preserve_format)
from .dtypes import (DType, bfloat16, bool, double, float, float16, float32, float64,
                     get_default_dtype, half, int, int32, int64, long)
from .factories import (arange, as_tensor, cat, concat, concatenate, empty, empty_like,
                        from_numpy, full, full_like, is_tensor, linspace, numel, ones, ones_like,
                        rand, rand_like, randint, randint_like, randn, randn_like, randperm,
                        stack, tensor, where, zeros, zeros_like)
from .functions import (abs, amax, amin, argmax, argmin, bernoulli, clamp, clip, cos, einsum, erf,
                        exp, expm1, flatten, gather, index_select, isfinite, isinf, isnan, log,
                        log1p, log_softmax, logsumexp, masked_fill, matmul, max, maximum, mean,
                        min, minimum, multinomial, narrow, permute, pow, relu, reshape, sigmoid,
                        sign, sin, softmax, sqrt, squeeze, std, sum, take_along_dim, tanh, topk,
                        transpose, tril, triu, unsqueeze, var)
from .tensor_types import (BoolTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
                           LongTensor)
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

# --- mixed precision, compilation (autocast and compile as PyTorch has them at top level) ---
from . import amp
from .amp import autocast
from .compiler import compile
from .cuda import OutOfMemoryError
from .mixed_precision import get_autocast_dtype, is_autocast_enabled

# --- checkpoints ---
from . import serialization
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .serialization import load, save

# --- subpackages ---
# Imported on first use (as ``torch.nn`` is there after ``import torch``), so that
# ``import genesis`` stays cheap for code that needs only tensors or checkpoints.
_SUBPACKAGES = ("nn", "optim", "utils", "distributed", "backends", "accelerator", "onnx")


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
