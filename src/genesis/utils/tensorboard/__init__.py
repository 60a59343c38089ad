"""TensorBoard logging at PyTorch's path: ``from genesis.utils.tensorboard import SummaryWriter``.

``SummaryWriter`` and ``FileWriter`` (``writer.py``) need the tensorboard package, the
``tensorboard`` extra (``pip install -e ".[tensorboard]"`` in the source checkout); importing
them without it raises ModuleNotFoundError with that command, as PyTorch's import fails.
The rest imports nothing optional: ``log_lr`` (``rates.py``) logs the rates of a scheduler or
optimizer to any writer, PyTorch's included, and ``TrainingLog`` with ``add_logdir_argument``
(``training_log.py``) gives a training script a ``--logdir`` option that costs nothing when
it is not given.  ``import genesis`` never imports this package.
"""
from .rates import log_lr
from .training_log import TrainingLog, add_logdir_argument

__all__ = ["SummaryWriter", "FileWriter", "log_lr", "TrainingLog", "add_logdir_argument"]

_WRITERS = ("SummaryWriter", "FileWriter")


def __getattr__(name: str):
    # The writers load tensorboard (about 0.2 s, and it may be missing): only when asked for.
    if name in _WRITERS:
        from . import writer

        return getattr(writer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
