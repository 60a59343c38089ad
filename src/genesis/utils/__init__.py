"""Utilities (``genesis.utils.data``)."""


def __getattr__(name: str):
    # ``genesis.utils.data`` works after ``import genesis``, as ``torch.utils.data`` does.
    if name == "data":
        import importlib

        return importlib.import_module(f"{__name__}.data")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
