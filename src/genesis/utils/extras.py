"""How to install Genesis's optional extras: the one hint every "not installed" message uses.

The extras are declared in ``pyproject.toml``: ``plot`` (matplotlib), ``demo`` (scikit-learn and
matplotlib), ``distributed`` (mpi4py and Open MPI), ``tensorboard`` (tensorboard and pillow),
``test``.  Genesis is not published on the package index under its own name (the name
``genesis`` there belongs to an unrelated project), so the hint is the command that works: an
install from the source checkout.  The requirement is quoted (an unquoted ``.[plot]`` is a glob
pattern in zsh, which fails with "no matches found").
"""
from __future__ import annotations

__all__ = ["install_hint"]


def install_hint(extra: str) -> str:
    """The command that installs the optional extra ``extra``, for an error message.

    >>> print(install_hint("plot"))
    pip install -e ".[plot]" (in the Genesis source checkout)
    """
    return f'pip install -e ".[{extra}]" (in the Genesis source checkout)'
