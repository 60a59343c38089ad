"""The methods of ``genesis.Tensor`` that move, pick or tile whole dimensions (a mixin):
movedim, swapdims, select, unbind, tile, diagonal.  Each is built on the view primitives of
``ops.py`` (permute, indexing, diagonal) or on ``repeat``, so gradients and in-place ops
through the views come from those."""
from __future__ import annotations

import numbers

from . import ops, views
from .tensor_base import TensorBase, _axis
from .tensor_shape import _sizes


def _int(method: str, name: str, position: int, value) -> int:
    """``value`` as an int, or PyTorch's TypeError for a bool, float or other object."""
    if isinstance(value, TensorBase) and value._array.ndim == 0 \
            and value._array.dtype.kind in "iu":
        return int(value._array)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{method}(): argument '{name}' (position {position}) must be int, not "
                        f"{type(value).__name__}")
    return int(value)


def _dim(dim: int, ndim: int) -> int:
    """``dim`` wrapped into ``range(ndim)`` (a 0-d tensor takes -1 and 0 as 0, as in PyTorch),
    or PyTorch's IndexError: :func:`_axis`'s rule, which answers None for a 0-d tensor."""
    return _axis(dim, ndim) or 0


def _dims(method: str, name: str, position: int, value) -> list:
    """An int or a sequence of ints as a list, or PyTorch's TypeError."""
    if isinstance(value, (tuple, list)):
        return [int(item) for item in _sizes((value,), method, name, position)]
    return [_int(method, name, position, value)]


class TensorDims:
    """Dimension moves, selections and tiling of :class:`genesis.Tensor`."""

    __slots__ = ()

    def movedim(self, source, destination):
        """Move the dimensions ``source`` (an int or a sequence) to the positions
        ``destination``; the other dimensions keep their order.  A view."""
        ndim = self._array.ndim
        try:
            if isinstance(source, (tuple, list)) != isinstance(destination, (tuple, list)):
                raise TypeError  # one int and one sequence
            src = _dims("movedim", "source", 1, source)
            dst = _dims("movedim", "destination", 2, destination)
        except TypeError:
            raise TypeError(f"movedim() received an invalid combination of arguments - got "
                            f"({type(source).__name__}, {type(destination).__name__}), but "
                            f"expected one of:\n * (int source, int destination)\n * (tuple of "
                            f"ints source, tuple of ints destination)") from None
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} "
                               f"dims) should contain the same number of dims as destination "
                               f"({dst} dims)")
        src = [_dim(d, ndim) for d in src]
        dst = [_dim(d, ndim) for d in dst]
        for name, dims in (("source", src), ("destination", dst)):
            if len(set(dims)) != len(dims):
                raise RuntimeError(f"movedim: repeated dim in `{name}` ({dims})")
        if not ndim:
            return ops.permute(self, ())
        order = [None] * ndim
        for s, d in zip(src, dst):
            order[d] = s
        rest = iter(d for d in range(ndim) if d not in src)
        return ops.permute(self, tuple(s if s is not None else next(rest) for s in order))

    moveaxis = movedim

    def swapdims(self, dim0: int, dim1: int):
        """``transpose(dim0, dim1)`` (NumPy's name)."""
        return self.transpose(dim0, dim1)

    def select(self, dim: int, index: int):
        """The slice at ``index`` along ``dim``, that dimension removed: ``x.select(1, 2)`` is
        ``x[:, 2]``.  A view."""
        dim = _int("select", "dim", 1, dim)
        index = _int("select", "index", 2, index)
        shape = self._array.shape
        if not shape:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        axis = _dim(dim, len(shape))
        if not -shape[axis] <= index < shape[axis]:
            raise IndexError(f"select(): index {index} out of range for tensor of size "
                             f"{list(shape)} at dimension {axis}")
        return ops.getitem(self, (slice(None),) * axis + (index, Ellipsis), False)

    def unbind(self, dim: int = 0):
        """The slices along ``dim``, as a tuple of views (``select(dim, i)`` for each ``i``)."""
        dim = _int("unbind", "dim", 1, dim)
        shape = self._array.shape
        if not shape:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        axis = _dim(dim, len(shape))
        pieces = [ops.getitem(self, (slice(None),) * axis + (i, Ellipsis), False)
                  for i in range(shape[axis])]
        return tuple(views.multiple_views(pieces, "Unbind"))

    def tile(self, *dims):
        """Repeat the tensor ``dims[i]`` times along each dimension; fewer ``dims`` than
        dimensions are padded with 1s on the left (unlike ``repeat``)."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = dims[0]
        if len(dims) == 1 and (isinstance(dims[0], bool)
                               or not isinstance(dims[0], numbers.Integral)):
            raise TypeError(f"tile(): argument 'dims' (position 1) must be tuple of ints, not "
                            f"{type(dims[0]).__name__}")
        dims = _dims("tile", "dims", 1, list(dims))
        missing = self._array.ndim - len(dims)
        return self.repeat(*([1] * missing + dims))

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1):
        """The ``offset``-th diagonal of the planes ``dim1``, ``dim2`` (above the main diagonal
        when ``offset`` > 0), as a view: those two dimensions go, the diagonal comes last."""
        offset = _int("diagonal", "offset", 1, offset)
        ndim = self._array.ndim
        a, b = _dim(_int("diagonal", "dim1", 2, dim1), ndim), \
            _dim(_int("diagonal", "dim2", 3, dim2), ndim)
        if a == b:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return ops.diagonal(self, offset, a, b)
