"""Genesis: a deep-learning framework on NumPy with PyTorch's API.

Explicit re-exports only.  They are imported on first use (``genesis.zeros`` loads the tensor
core), so that ``import genesis`` is cheap and a part that needs no tensors, such as the
schedulers (``genesis.optim.lr_scheduler``), loads none.
"""
import importlib
import importlib.util
import sys
import types

# "2.13.0+genesis.0.1.0": the PyTorch API followed, then Genesis's own release (version.py).
from .version import __version__

# --- subpackages ---
# Imported on first use (as ``torch.nn`` is there after ``import torch``).
_SUBPACKAGES = ("nn", "optim", "utils", "distributed", "backends", "accelerator", "onnx")


def _load_core() -> None:
    """Import the tensor core and the checkpoints, and bind their public names here."""
    # --- tensors, dtypes, autograd, random (core) ---
    from . import autograd, backend, dtypes, random
    from .tensor import Size, Tensor
    from .autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                           no_grad, set_grad_enabled)
    from .devices import (channels_last, channels_last_3d, contiguous_format, device,
                          memory_format, preserve_format)
    from .dtypes import (DType, bfloat16, bool, double, float, float16, float32, float64,
                         get_default_dtype, half, int, int8, int16, int32, int64, long, short,
                         uint8)
    from .factories import (arange, as_tensor, cat, concat, concatenate, empty, empty_like,
                            from_numpy, full, full_like, is_tensor, linspace, numel, ones,
                            ones_like, rand, rand_like, randint, randint_like, randn, randn_like,
                            randperm, stack, tensor, where, zeros, zeros_like)
    from .functions import (abs, amax, amin, argmax, argmin, bernoulli, clamp, clip, cos,
                            diagonal, einsum, erf, exp, expm1, flatten, gather, index_select,
                            isfinite, isinf, isnan, log, log1p, log_softmax, logsumexp,
                            masked_fill, matmul, max, maximum, mean, min, minimum, moveaxis,
                            movedim, multinomial, narrow, permute, pow, relu, reshape, select,
                            sigmoid, sign, sin, softmax, sqrt, squeeze, std, sum, swapaxes,
                            swapdims, take_along_dim, tanh, tile, topk, transpose, tril, triu,
                            unbind, unsqueeze, var)
    from .tensor_types import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,
                               HalfTensor, IntTensor, LongTensor, ShortTensor)
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

    globals().update(locals())


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # A submodule (genesis.dtypes; `from . import dtypes` in the core asks here too); the name
    # tensor is the factory, not the submodule genesis/tensor.py.
    if name in _SUBPACKAGES or name != "tensor" and importlib.util.find_spec(f"{__name__}.{name}"):
        return importlib.import_module(f"{__name__}.{name}")
    _load_core()
    if name in globals():
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    _load_core()
    return sorted({*globals(), *_SUBPACKAGES})


class _Package(types.ModuleType):
    """The package module: ``genesis.tensor`` stays the factory function (as ``torch.tensor``).

    Python binds every imported submodule as an attribute of its package, and the tensor core
    has a submodule of that name (``genesis/tensor.py``); whichever part imports the core first,
    the name must mean the function.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name == "tensor" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
