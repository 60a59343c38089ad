"""Optimizers and learning-rate schedulers (``genesis.optim``).

The optimizers, ``LRFinder`` and ``swa_utils`` are imported on first use, so that the schedulers
(``genesis.optim.lr_scheduler``, NumPy only) can be used without loading the tensor core.
"""
import importlib

from . import lr_scheduler
from .lr_scheduler import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiplicativeLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
    _LRScheduler,
    get_constant_schedule,
    get_constant_schedule_with_warmup,
    get_cosine_schedule_with_warmup,
    get_cosine_with_hard_restarts_schedule_with_warmup,
    get_cosine_with_min_lr_schedule_with_warmup,
    get_inverse_sqrt_schedule,
    get_linear_schedule_with_warmup,
    get_polynomial_decay_schedule_with_warmup,
    get_scheduler,
    get_wsd_schedule,
)

# name -> the module that defines it, imported on first use (these need tensors)
_LAZY = {"Adadelta": "adadelta", "Adagrad": "adagrad", "Adam": "adam", "Adamax": "adamax",
         "AdamW": "adamw", "NAdam": "nadam", "Optimizer": "optimizer", "RAdam": "radam",
         "RMSprop": "rmsprop", "SGD": "sgd", "LRFinder": "lr_finder"}


# submodules imported on first use (they need tensors): PyTorch's torch.optim.swa_utils
_LAZY_MODULES = ("swa_utils",)


def __getattr__(name: str):
    if name in _LAZY_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_LAZY_MODULES})
