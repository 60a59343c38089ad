"""Shape and indexing primitive ops (reshape, permute, expand, indexing, gather, cat, stack):
each forward with its backward right below it; a result that shares its input's storage is
marked with ``views.viewing``."""
from __future__ import annotations

from .autograd import attach, grad_mode
from .backend import xp
from .ops_common import _needs, _unary, unbroadcast
from .tensor_base import _wrap
from .views import viewing


def reshape(a, shape):
    """``a`` in ``shape`` (Tensor.reshape checks the sizes first, in PyTorch's words): a view
    where one can express it, else a copy."""
    x = a._array
    try:
        z = x.reshape(shape)
    except ValueError:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {x.size}") from None
    src = x.shape
    out = _unary(a, z, lambda g: (g.reshape(src),), "ViewBackward0")
    # NumPy (like PyTorch's reshape) copies when no view can express the new shape; a view's
    # base is x or the array x views.
    owner = z.base
    if owner is not None and (owner is x or owner is x.base):
        return viewing(out, a, lambda arr: arr.reshape(shape))
    return out


def permute(a, dims):
    inverse = tuple(int(i) for i in xp.argsort(dims))
    out = _unary(a, a._array.transpose(dims), lambda g: (g.transpose(inverse),),
                 "PermuteBackward0")
    return viewing(out, a, lambda arr: arr.transpose(dims))


def diagonal(a, offset, axis1, axis2):
    """The ``offset``-th diagonal of the planes ``axis1``, ``axis2`` of ``a`` (distinct, already
    wrapped), as a writable view with the diagonal last (PyTorch's ``diagonal``)."""
    def view_fn(arr):
        rest = [d for d in range(arr.ndim) if d not in (axis1, axis2)]
        plane = arr.transpose(rest + [axis1, axis2])
        plane = plane[..., max(-offset, 0):, max(offset, 0):]
        n = max(min(plane.shape[-2], plane.shape[-1]), 0)
        strides = plane.strides
        return xp.lib.stride_tricks.as_strided(plane, plane.shape[:-2] + (n,),
                                               strides[:-2] + (strides[-2] + strides[-1],))

    shape, dtype = a._array.shape, a._array.dtype

    def backward(g):
        full = xp.zeros(shape, dtype)
        view_fn(full)[...] = g
        return (full,)
    out = _unary(a, view_fn(a._array), backward, "DiagonalBackward0")
    return viewing(out, a, view_fn)


def expand(a, shape):
    x = a._array
    try:
        z = xp.broadcast_to(x, shape)  # Tensor.expand checks the sizes first, in PyTorch's words
    except ValueError:
        raise RuntimeError(f"expand: the shape {tuple(x.shape)} cannot be expanded to "
                           f"{tuple(shape)}") from None
    src = x.shape
    out = _unary(a, z, lambda g: (unbroadcast(g, src),), "ExpandBackward0")
    return viewing(out, a, lambda arr: xp.broadcast_to(arr, shape))  # read-only: never written


def getitem(a, index, advanced):
    """``a[index]`` (``index`` already converted to arrays); repeated indices accumulate."""
    x = a._array
    try:
        z = x[index]
    except IndexError as e:
        raise IndexError(f"index {index!r} is out of range for a tensor of shape "
                         f"{tuple(x.shape)}: {e}") from None
    if not advanced and type(z) is not xp.ndarray:
        # A single element: a 0-d view (with Ellipsis NumPy gives one), like PyTorch's.
        index = (index if type(index) is tuple else (index,)) + (Ellipsis,)
        z = x[index]
    elif type(z) is not xp.ndarray:
        z = xp.asarray(z)

    def backward(g):
        full = xp.zeros_like(x)
        if advanced:
            xp.add.at(full, index, g)
        else:
            full[index] = g
        return (full,)
    out = _unary(a, z, backward, "IndexBackward0")
    return out if advanced else viewing(out, a, lambda arr: arr[index])


def setitem(a, index, value, advanced):
    """Out-of-place ``a[index] = value``: a new tensor; ``value`` gets the written slots' grad."""
    x = a._array.copy()
    x[index] = value._array
    out = _wrap(x)
    if _needs(a, value):
        ra, rb, vshape = a._rg, value._rg, value._array.shape

        def backward(g):
            ga = gv = None
            if ra:
                ga = g.copy()
                ga[index] = 0
            if rb:
                gv = unbroadcast(g[index], vshape)
            return ga, gv
        attach(out, backward, (a, value), "CopySlices")
    return out


def gather(a, axis, index):
    """Values of ``a`` at ``index`` along ``axis`` (PyTorch's ``gather``)."""
    x = a._array
    z = xp.take_along_axis(x, index, axis=axis)

    def backward(g):
        full = xp.zeros_like(x)
        grids = list(xp.ix_(*[xp.arange(n) for n in index.shape]))
        grids[axis] = index
        xp.add.at(full, tuple(grids), g)
        return (full,)
    return _unary(a, z, backward, "GatherBackward0")


def cat(tensors, axis):
    arrays = [t._array for t in tensors]
    z = xp.concatenate(arrays, axis=axis)
    out = _wrap(z)
    if grad_mode.enabled and any(t._rg for t in tensors):
        bounds = xp.cumsum([arr.shape[axis] for arr in arrays])[:-1]
        flags = [t._rg for t in tensors]
        attach(out, lambda g: tuple(p if f else None
                                    for p, f in zip(xp.split(g, bounds, axis=axis), flags)),
               tensors, "CatBackward0")
    return out


def stack(tensors, axis):
    z = xp.stack([t._array for t in tensors], axis=axis)
    out = _wrap(z)
    if grad_mode.enabled and any(t._rg for t in tensors):
        flags = [t._rg for t in tensors]
        attach(out, lambda g: tuple(xp.take(g, i, axis=axis) if f else None
                                    for i, f in enumerate(flags)),
               tensors, "StackBackward0")
    return out
