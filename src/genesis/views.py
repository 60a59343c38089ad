"""Views: tensors that share another tensor's storage, and how in-place ops reach through them.

A view op (``reshape`` when NumPy can, ``permute``, ``expand``, basic indexing) marks its result
with :func:`viewing`: ``out._view = (base, view_fn)``, where ``view_fn`` maps an array shaped
like ``base`` to the view, and ``base._views`` keeps weak references to its views. Without a graph an
in-place op simply writes into the shared array. With one, Genesis records the op in new storage
(so the arrays the graph saved stay intact), and then, as in PyTorch, the op reaches the tensor
the view looks into (:func:`copy_slices`, PyTorch's CopySlices) and every view of that tensor is
re-pointed at the new storage (:func:`refresh_views`), so that all of them see the new values.
"""
from __future__ import annotations

import weakref

from .autograd import record
from .backend import xp
from .tensor_base import _wrap


def viewing(out, a, view_fn):
    """Mark ``out`` as the view ``view_fn`` of ``a``'s storage; views of views keep the first
    tensor viewed (their ``base``)."""
    outer = a._view
    if outer is None:
        out._view = (a, view_fn)
        base = a
    else:
        base, outer_fn = outer[0], outer[1]
        out._view = (base, lambda arr: view_fn(outer_fn(arr))) + outer[2:]
    views = base._views
    if views is None:
        base._views = [weakref.ref(out)]
    else:
        if len(views) >= 16 and not len(views) & (len(views) - 1):
            views[:] = [ref for ref in views if ref() is not None]  # drop dead views now and then
        views.append(weakref.ref(out))
    return out


def multiple_views(pieces, op):
    """Mark views returned together (``split``, ``chunk``, iteration) as PyTorch does: an
    in-place op on one of them that needs the graph is refused (``tensor_inplace``)."""
    for i, piece in enumerate(pieces):
        piece._view = piece._view[:2] + (f"Output {i} of {op}",)
    return pieces


def copy_slices(base, view_fn, value):
    """``base`` with its view ``view_fn`` replaced by ``value``, in new storage."""
    z = base._array.copy()
    view_fn(z)[...] = value._array
    rb, rv = base._rg, value._rg

    def backward(g):
        gb = None
        if rb:
            gb = g.copy()
            view_fn(gb)[...] = 0
        return gb, (xp.array(view_fn(g)) if rv else None)
    return record(_wrap(z), backward, (base, value), "CopySlices")


def refresh_views(base):
    """Point every live view of ``base`` at its current storage, through a graph node."""
    for ref in base._views or ():
        view = ref()
        if view is None:
            continue
        view_fn = view._view[1]

        def backward(g, view_fn=view_fn):
            full = xp.zeros_like(base._array)
            view_fn(full)[...] = g
            return (full,)
        fresh = record(_wrap(view_fn(base._array)), backward, (base,), "AsStridedBackward0")
        view._array, view._node, view._rg = fresh._array, fresh._node, fresh._rg
