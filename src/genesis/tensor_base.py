"""The storage half of ``genesis.Tensor`` and the helpers every core module shares.

A leaf of the core: it imports only the backend and the dtypes.  ``ops.py``, ``autograd.py``,
``factories.py`` and the Tensor mixins build and recognise tensors through this module, so none
of them imports ``tensor.py``, which imports them.  ``tensor.py`` defines the full class (the
mixins' methods on top of :class:`TensorBase`) and registers it as the class ``_wrap`` builds.
"""
from __future__ import annotations

import collections
import functools
import numbers

from . import dtypes
from .backend import xp

_ndarray = xp.ndarray
_new = object.__new__
_to_dtype = dtypes._BY_NP.__getitem__
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}

max_result = collections.namedtuple("max", ["values", "indices"])
min_result = collections.namedtuple("min", ["values", "indices"])
topk_result = collections.namedtuple("topk", ["values", "indices"])


def dim_alias(method):
    """Accept ``axis=`` as an alias of ``dim=``, as PyTorch's argument parser does for its
    native functions (``x.sum(axis=0)``, ``torch.cat(ts, axis=1)``); the one place of that rule.

    PyTorch's Python-level functions (``split``, ``norm``, ``flatten``, ``F.softmax``) take no
    ``axis``, and neither do Genesis's.
    """
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        if "axis" in kwargs:
            if "dim" in kwargs:
                raise TypeError(f"{method.__name__}() got an unexpected keyword argument 'axis' "
                                f"(axis is an alias of dim: pass one of them)")
            kwargs["dim"] = kwargs.pop("axis")
        return method(*args, **kwargs)
    return wrapper


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``genesis.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"genesis.Size([{', '.join(str(n) for n in self)}])"

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for d in self:
            n *= d
        return n


def _dim_error(dim, ndim):
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    return IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                      f"but got {dim})")


def _axis(dim, ndim):
    """Normalise a PyTorch ``dim`` (int, tuple or None) to a NumPy ``axis``."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        axes = tuple(_axis(d, ndim) for d in dim)
        return axes if axes else None
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"dim must be an int, a tuple of ints or None, got {dim!r}")
    span = ndim or 1
    if not -span <= dim < span:
        raise _dim_error(dim, ndim)
    return int(dim) % span if ndim else None


def _promoted(a_arr, b_arr):
    """PyTorch's result dtype for two arrays of different dtypes (0-d ones defer)."""
    da, db = a_arr.dtype, b_arr.dtype
    ca, cb = _CATEGORY[da.kind], _CATEGORY[db.kind]
    a0, b0 = a_arr.ndim == 0, b_arr.ndim == 0
    if a0 != b0:
        dim_arr, zero_cat, dim_cat = (b_arr, ca, cb) if a0 else (a_arr, cb, ca)
        # A 0-d operand of a higher category decides (int64 tensor * 0-d float64 -> float64);
        # Python numbers arrive here already given PyTorch's scalar dtype (operands.scalar_dtype).
        return dim_arr.dtype if dim_cat >= zero_cat else (a_arr if a0 else b_arr).dtype
    if ca != cb:
        return da if ca > cb else db
    return xp.promote_types(da, db)


class TensorBase:
    """What every tensor stores; ``genesis.Tensor`` adds the methods.

    ``_array`` is the backend array (the one accessor for storage), ``_grad`` the accumulated
    gradient (a tensor or None; users reach it through the checked ``Tensor.grad``), ``_rg``
    the requires_grad flag and ``_node`` the graph node that produced the tensor (None for
    leaves). ``_view`` is ``(base, view_fn)`` for a tensor that views another's storage and
    ``_views`` a base's list of weak references to its views (both None until a view op,
    ``views.viewing``, sets them). ``_hooks`` is a leaf's (pre, post) gradient hooks, set only
    when one is registered (read it with ``getattr(t, "_hooks", None)``).
    """

    __slots__ = ("_array", "_grad", "_rg", "_node", "_view", "_views", "_hooks", "__weakref__")


# The class _wrap builds: genesis.Tensor once tensor.py has been imported (which
# genesis/__init__.py does before anything can build a tensor).
_tensor_class = TensorBase


def register_tensor_class(cls: type) -> None:
    """Make ``_wrap`` build ``cls`` (called once, by ``genesis.tensor``)."""
    global _tensor_class
    _tensor_class = cls


def _wrap(array) -> TensorBase:
    """A new tensor around ``array`` (no copy, no checks): the hot path for op results."""
    t = _new(_tensor_class)
    t._array = array if type(array) is _ndarray else xp.asarray(array)
    t._grad = None
    t._rg = False
    t._node = None
    t._view = t._views = None
    return t
