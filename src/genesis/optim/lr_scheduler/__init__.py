"""Learning-rate schedulers with PyTorch's API and numbers (``genesis.optim.lr_scheduler``).

``base`` is the protocol, one module per family holds the classes (``hf``: the Hugging Face
family), ``schedules`` the closed forms, ``preview`` and ``config`` the tools around them.
Importing this package loads no tensor, autograd or ``nn`` module: it needs only NumPy.
"""
from . import schedules
from .annealing import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .base import LRList, LRScheduler, ScheduleChangedWarning, _LRScheduler
from .composite import ChainedScheduler, SequentialLR
from .config import describe, from_config
from .cyclic import CyclicLR, OneCycleLR
from .hf import (SCHEDULER_NAMES, get_constant_schedule, get_constant_schedule_with_warmup,
                 get_cosine_schedule_with_warmup,
                 get_cosine_with_hard_restarts_schedule_with_warmup,
                 get_cosine_with_min_lr_schedule_with_warmup, get_inverse_sqrt_schedule,
                 get_linear_schedule_with_warmup, get_polynomial_decay_schedule_with_warmup,
                 get_scheduler, get_wsd_schedule)
from .multiplicative import LambdaLR, MultiplicativeLR
from .plateau import ReduceLROnPlateau
from .preview import plot_schedule, preview
from .schedules import Schedule, register_schedule
from .step import ConstantLR, ExponentialLR, LinearLR, MultiStepLR, PolynomialLR, StepLR

__all__ = [
    "LRList", "LRScheduler", "_LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR",
    "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "SequentialLR", "CosineAnnealingLR",
    "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts",
    "OneCycleLR", "PolynomialLR", "preview", "plot_schedule", "from_config", "describe",
    "Schedule", "register_schedule", "ScheduleChangedWarning", "SCHEDULER_NAMES",
    "get_constant_schedule", "get_constant_schedule_with_warmup", "get_linear_schedule_with_warmup",
    "get_cosine_schedule_with_warmup", "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup", "get_inverse_sqrt_schedule",
    "get_cosine_with_min_lr_schedule_with_warmup", "get_wsd_schedule", "get_scheduler",
]

# The classes report their public path, as PyTorch's do: scripts test it (the d2l.ai chapter
# steps a scheduler only when ``scheduler.__module__ == lr_scheduler.__name__``).
for _name in __all__:
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__
del _name
