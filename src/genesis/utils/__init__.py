"""Utilities (``genesis.utils.data``, ``genesis.utils.tensorboard``,
``genesis.utils.checkpoint``)."""

_SUBPACKAGES = ("data", "tensorboard", "checkpoint")


def __getattr__(name: str):
    # ``genesis.utils.data`` works after ``import genesis``, as ``torch.utils.data`` does; both
    # load on first use (``tensorboard`` loads the tensorboard package only for its writers).
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
