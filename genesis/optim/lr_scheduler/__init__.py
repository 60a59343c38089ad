"""Learning-rate schedulers with PyTorch's API and numbers (``genesis.optim.lr_scheduler``).

One module per family: ``base`` (the protocol), ``multiplicative`` (lambda-driven), ``step``
(step, multi-step, constant, linear, exponential, polynomial), ``annealing`` (cosine),
``cyclic`` (CyclicLR, OneCycleLR), ``composite`` (SequentialLR, ChainedScheduler) and
``plateau`` (ReduceLROnPlateau).  The formulas themselves live in ``genesis.optim.schedules``.
"""
from .base import LRList, LRScheduler, _LRScheduler
from .multiplicative import LambdaLR, MultiplicativeLR

__all__ = [
    "LRList",
    "LRScheduler",
    "_LRScheduler",
    "LambdaLR",
    "MultiplicativeLR",
]
