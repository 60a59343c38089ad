"""How to install Genesis's optional extras: the one hint every "not installed" message uses.

The extras are declared in ``pyproject.toml``: ``plot`` (matplotlib), ``demo`` (scikit-learn and
matplotlib), ``distributed`` (mpi4py and Open MPI), ``test``.  The requirement is quoted (an unquoted ``genesis[plot]`` is a glob
pattern in zsh, which fails with "no matches found"), and the editable form for a source
checkout is given beside it.
"""
from __future__ import annotations

__all__ = ["install_hint"]


def install_hint(extra: str) -> str:
    """The command that installs the optional extra ``extra``, for an error message.

    >>> print(install_hint("plot"))
    pip install "genesis[plot]" (from a source checkout: pip install -e ".[plot]")
    """
    return f'pip install "genesis[{extra}]" (from a source checkout: pip install -e ".[{extra}]")'
