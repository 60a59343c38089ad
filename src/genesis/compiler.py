"""``genesis.compile`` and ``genesis.compiler``: Genesis has no compiler, so compiling is the
identity.

``torch.compile`` promises the same results as eager execution, only faster. Genesis runs
eagerly on NumPy; ``compile(model)`` returns ``model`` itself (not a wrapper: its
``state_dict`` keys carry no ``_orig_mod.`` prefix). Arguments are checked as PyTorch checks
them, so a typo still fails.
"""
from __future__ import annotations

from typing import Any, Callable

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def compile(model: Callable | None = None, *, fullgraph: bool = False,  # noqa: A001
            dynamic: bool | None = None, backend: str | Callable = "inductor",
            mode: str | None = None, options: dict[str, Any] | None = None,
            disable: bool = False) -> Any:
    """Return ``model`` unchanged (Genesis executes eagerly); without ``model``, a decorator.

    Example::

        >>> net = genesis.nn.Linear(2, 1)
        >>> genesis.compile(net) is net
        True
    """
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if model is None:
        return lambda fn: compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                  mode=mode, options=options, disable=disable)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    return model


def is_compiling() -> bool:
    """Whether code is being traced by a compiler: always False."""
    return False


def disable(fn: Callable | None = None, recursive: bool = True) -> Any:
    """Exclude ``fn`` from compilation: the identity (nothing is compiled)."""
    return (lambda f: f) if fn is None else fn


def reset() -> None:
    """Clear compilation caches: there are none."""


__all__ = ["compile", "is_compiling", "disable", "reset"]
