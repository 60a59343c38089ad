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

# The classes report the public module they are used from (as PyTorch's report
# torch.optim.lr_scheduler): code tells built-in schedulers apart by it, and pickles name it.
for _value in list(globals().values()):
    if isinstance(_value, type) and _value.__name__ in __all__:
        _value.__module__ = __name__
del _value
