"""The array backend: the one seam between Genesis and the library that stores arrays.

Every module that does math on tensor storage imports ``xp`` from here instead of importing
NumPy itself, so that a later GPU backend (CuPy, or an engine with NumPy's API) replaces this
file and nothing else.  Host-side bookkeeping that never touches tensor storage (schedule
arithmetic on step counts, argument checks) may use NumPy directly.
"""
import numpy as xp

ndarray = xp.ndarray


def asarray(data, dtype=None):
    """Return ``data`` as a backend array (no copy when it already is one of ``dtype``)."""
    return xp.asarray(data, dtype=dtype)


def to_numpy(array):
    """Return a host NumPy view of a backend array (the identity for NumPy)."""
    return array


__all__ = ["xp", "ndarray", "asarray", "to_numpy"]
