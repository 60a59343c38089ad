"""Learning-rate schedulers with PyTorch's API and numbers (``genesis.optim.lr_scheduler``).

One module per family: ``base`` (the protocol), ``multiplicative`` (lambda-driven), ``step``
(step, multi-step, constant, linear, exponential, polynomial), ``annealing`` (cosine),
``cyclic`` (CyclicLR, OneCycleLR), ``composite`` (SequentialLR, ChainedScheduler) and
``plateau`` (ReduceLROnPlateau).  The formulas themselves live in ``genesis.optim.schedules``.
"""
from .annealing import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .base import LRList, LRScheduler, _LRScheduler
from .composite import ChainedScheduler, SequentialLR
from .cyclic import CyclicLR, OneCycleLR
from .multiplicative import LambdaLR, MultiplicativeLR
from .plateau import ReduceLROnPlateau
from .preview import plot_schedule, preview
from .step import ConstantLR, ExponentialLR, LinearLR, MultiStepLR, PolynomialLR, StepLR

__all__ = [
    "LRList",
    "LRScheduler",
    "_LRScheduler",
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "PolynomialLR",
    "preview",
    "plot_schedule",
]

# The classes report their public path, as PyTorch's do: scripts test it (the d2l.ai chapter
# steps a scheduler only when ``scheduler.__module__ == lr_scheduler.__name__``).
for _name in __all__:
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__
del _name
