"""The shape and indexing methods of ``genesis.Tensor`` (a mixin): reshape, permute, expand,
squeeze, split, ``__getitem__``, gather.  Each calls the primitives in ``ops.py``."""
from __future__ import annotations

import math
import numbers
import warnings

from . import dtypes, ops, views
from .backend import xp
from .tensor_base import TensorBase, _axis, _wrap, dim_alias, topk_result

_ndarray = xp.ndarray
_INDEX_DTYPES = (xp.dtype(xp.int64), xp.dtype(xp.int32))  # what gather and index_select take


def _array_of(value):
    return value._array if isinstance(value, TensorBase) else value


def _sizes(args, method: str, name: str = "size", position: int = 1) -> tuple:
    """``view(2, 3)`` or ``view((2, 3))``: the sizes as a tuple of ints, or PyTorch's TypeError
    naming ``method``'s argument ``name`` at ``position``."""
    sizes = tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
    for i, n in enumerate(sizes):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"{method}(): argument '{name}' (position {position}) must be tuple "
                            f"of ints, but found element of type {type(n).__name__} at pos {i}")
    return sizes


def _inferred_shape(shape: tuple, numel: int) -> tuple:
    """``shape`` for ``numel`` elements with its one -1 filled in (PyTorch's ``infer_size``),
    or PyTorch's RuntimeError."""
    infer, known = None, 1
    for i, n in enumerate(shape):
        if n == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif n < 0:
            raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape {list(shape)}")
        else:
            known *= n
    if infer is None:
        if known == numel:
            return shape
    elif numel == known or known > 0 and numel % known == 0:
        if known == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} "
                               f"because the unspecified dimension size -1 can be any value and "
                               f"is ambiguous")
        return shape[:infer] + (numel // known,) + shape[infer + 1:]
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def _expanded_shape(tensor, sizes: tuple) -> tuple:
    """The shape ``tensor.expand(*sizes)`` gives (-1 keeps a dimension), or PyTorch's
    RuntimeError (PyTorch's ``infer_expand_geometry``)."""
    shape = tensor._array.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand({tensor.type()}{{{list(shape)}}}, size={list(sizes)}): the "
                           f"number of sizes provided ({len(sizes)}) must be greater or equal to "
                           f"the number of dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = []
    for i in range(len(sizes) - 1, -1, -1):  # from the last dimension, as PyTorch checks
        n, size = sizes[i], shape[i - lead] if i >= lead else 1
        if n == -1:
            if i < lead:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            n = size
        if n != size and size != 1:
            raise RuntimeError(f"The expanded size of the tensor ({n}) must match the existing "
                               f"size ({size}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(shape)}")
        target.append(n)
    target.reverse()
    _check_nonnegative(target)
    return tuple(target)


def _check_nonnegative(shape) -> None:
    for n in shape:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                               f"{list(shape)}")


def _check_tensor_argument(method: str, other) -> None:
    if not isinstance(other, TensorBase):
        raise TypeError(f"{method}(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(other).__name__}")


class TensorShape:
    """Shape changes and indexing of :class:`genesis.Tensor`."""

    __slots__ = ()

    # ------------------------------------------------------------ shape
    def reshape(self, *shape):
        """The same elements in a new shape (one entry may be -1): a view where one can express
        it, else a copy."""
        return ops.reshape(self, _inferred_shape(_sizes(shape, "reshape", "shape"), self._array.size))

    def view(self, *shape):
        """``reshape`` (a view where one can express the shape; where PyTorch's strides cannot,
        PyTorch raises and Genesis copies, since its layouts differ: a convolution's output is
        channel-major here)."""
        return ops.reshape(self, _inferred_shape(_sizes(shape, "view"), self._array.size))

    def view_as(self, other):
        """``view(other.shape)``."""
        _check_tensor_argument("view_as", other)
        return self.view(other._array.shape)

    def reshape_as(self, other):
        """``reshape(other.shape)``."""
        _check_tensor_argument("reshape_as", other)
        return self.reshape(other._array.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        """Merge dimensions ``start_dim..end_dim`` into one."""
        shape = self._array.shape
        start = _axis(start_dim, len(shape))
        end = _axis(end_dim, len(shape))
        if not shape:
            return ops.reshape(self, (1,))
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        # The merged size spelled out: -1 is ambiguous when another dimension is 0.
        merged = math.prod(shape[start:end + 1])
        return ops.reshape(self, shape[:start] + (merged,) + shape[end + 1:])

    def unflatten(self, dim, sizes):
        """Split dimension ``dim`` into ``sizes`` (one entry may be -1)."""
        shape = self._array.shape
        if not shape:
            raise RuntimeError(f"unflatten got an unexpected error:\nDimension specified as {dim} "
                               f"but tensor has no dimensions")
        axis = _axis(dim, len(shape))
        sizes = list(sizes)
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        if sizes.count(-1) > 1:
            raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be "
                               "inferred")
        given = list(sizes)
        if sizes.count(-1) == 1:
            known = -math.prod(sizes)
            if known == 0:
                raise RuntimeError(f"unflatten got an unexpected error:\ncannot reshape tensor "
                                   f"of {self._array.size} elements into shape {sizes} because "
                                   f"the unspecified dimension size -1 can be any value and is "
                                   f"ambiguous")
            sizes[sizes.index(-1)] = shape[axis] // known
        if math.prod(sizes) != shape[axis]:
            raise RuntimeError(f"unflatten: Provided sizes {given} don't multiply up to the size "
                               f"of dim {dim} ({shape[axis]}) in the input tensor")
        return ops.reshape(self, shape[:axis] + tuple(sizes) + shape[axis + 1:])

    def permute(self, *dims):
        """Reorder dimensions, e.g. ``x.permute(2, 0, 1)``."""
        if not dims:
            raise TypeError('permute() missing 1 required positional arguments: "dims"')
        dims = _sizes(dims, "permute", "dims")
        ndim = self._array.ndim
        if len(dims) != ndim:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input "
                               f"does not match the length of the desired ordering of dimensions "
                               f"i.e. input.dim() = {ndim} is not equal to len(dims) = "
                               f"{len(dims)}")
        axes = tuple(_axis(d, ndim) if ndim else 0 for d in dims)
        if len(set(axes)) != ndim:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        return ops.permute(self, axes)

    def transpose(self, dim0: int, dim1: int):
        """Swap dimensions ``dim0`` and ``dim1``."""
        ndim = self._array.ndim
        axes = list(range(ndim))
        a, b = _axis(dim0, ndim), _axis(dim1, ndim)
        if ndim < 2:
            return self
        axes[a], axes[b] = axes[b], axes[a]
        return ops.permute(self, tuple(axes))

    swapaxes = transpose

    def t(self):
        """Transpose of a tensor with at most 2 dimensions."""
        if self._array.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self._array.ndim}D")
        return self.transpose(0, 1) if self._array.ndim == 2 else self

    @property
    def T(self):
        """All dimensions reversed."""
        return ops.permute(self, tuple(range(self._array.ndim))[::-1])

    @property
    def mT(self):
        """The last two dimensions swapped."""
        return self.transpose(-2, -1)

    @dim_alias
    def unsqueeze(self, dim: int):
        """Insert a dimension of size 1 at ``dim``."""
        shape = self._array.shape
        axis = _axis(dim, len(shape) + 1)
        return ops.reshape(self, shape[:axis] + (1,) + shape[axis:])

    @dim_alias
    def squeeze(self, dim=None):
        """Drop dimensions of size 1 (only ``dim`` when given)."""
        shape = self._array.shape
        if dim is None:
            axes = {i for i, n in enumerate(shape) if n == 1}
        else:
            axes = _axis(dim, len(shape))
            axes = {a for a in (axes if isinstance(axes, tuple) else (axes,))
                    if a is not None and shape[a] == 1}
        return ops.reshape(self, tuple(n for i, n in enumerate(shape) if i not in axes))

    def expand(self, *sizes):
        """Broadcast to ``sizes`` without copying (-1 keeps a dimension)."""
        return ops.expand(self, _expanded_shape(self, _sizes(sizes, "expand")))

    def expand_as(self, other):
        """``expand(other.shape)``."""
        _check_tensor_argument("expand_as", other)
        return self.expand(other._array.shape)

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along each dimension."""
        sizes = _sizes(sizes, "repeat", "repeats")
        if len(sizes) < self._array.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                               "number of dimensions of tensor")
        shape = (1,) * (len(sizes) - self._array.ndim) + self._array.shape
        _check_nonnegative([r * n for r, n in zip(sizes, shape)])
        grown = ops.reshape(self, tuple(x for n in shape for x in (1, n)))
        tiled = ops.expand(grown, tuple(x for r, n in zip(sizes, shape) for x in (r, n)))
        out = ops.reshape(tiled, tuple(r * n for r, n in zip(sizes, shape)))
        # A copy, as in PyTorch: where the reshape could keep the expanded view (repeats of 1,
        # or of a dimension of size 1), the result would share storage or repeat one element.
        return ops.clone(out) if xp.may_share_memory(out._array, self._array) else out

    def split(self, split_size, dim: int = 0):
        """Pieces of ``split_size`` (an int, or a list of sizes) along ``dim``."""
        axis = _axis(dim, self._array.ndim)
        total = self._array.shape[axis]
        if isinstance(split_size, int):
            if split_size < 0:
                raise RuntimeError(f"split expects split_size be non-negative, but got "
                                   f"split_size={split_size}")
            if split_size == 0 and total:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                                   f"dimension size of {total}")
            # An empty dimension still gives one (empty) piece, as in PyTorch.
            sizes = [split_size] * max(1, -(-total // split_size) if split_size else 1)
        else:
            sizes = list(split_size)
        pieces, start = [], 0
        for n in sizes:
            index = (slice(None),) * axis + (slice(start, min(start + n, total)),)
            pieces.append(self[index])
            start += n
        return tuple(views.multiple_views(pieces, "Split" if isinstance(split_size, int)
                                        else "SplitWithSizes"))

    @dim_alias
    def chunk(self, chunks: int, dim: int = 0):
        """Split into ``chunks`` nearly equal pieces along ``dim`` (``chunks`` empty pieces of an
        empty dimension, as in PyTorch)."""
        if isinstance(chunks, bool) or not isinstance(chunks, int):
            raise TypeError(f"chunk(): argument 'chunks' (position 1) must be int, not "
                            f"{type(chunks).__name__}")
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        total = self._array.shape[_axis(dim, self._array.ndim)]
        if total == 0:
            return self.split([0] * chunks, dim)
        return self.split(-(-total // chunks), dim)

    def tril(self, diagonal: int = 0):
        """The elements on and below the ``diagonal``-th diagonal of the last two dimensions;
        zeros above (``diagonal`` > 0 keeps more, < 0 fewer)."""
        return ops.tril(self, _diagonal("tril", diagonal, self._array.ndim))

    def triu(self, diagonal: int = 0):
        """The elements on and above the ``diagonal``-th diagonal of the last two dimensions;
        zeros below."""
        return ops.tril(self, _diagonal("triu", diagonal, self._array.ndim), upper=True)

    # ------------------------------------------------------------ indexing
    @dim_alias
    def narrow(self, dim: int, start, length: int):
        """The ``length`` elements from ``start`` along ``dim``, as a view (``start`` may be
        negative or a 0-d integer tensor)."""
        axis = _axis(dim, self._array.ndim)
        size = self._array.shape[axis] if self._array.ndim else 1
        if isinstance(start, TensorBase) and start._array.ndim == 0 \
                and start._array.dtype.kind in "iu":
            start = int(start._array)
        for name, value in (("start", start), ("length", length)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"narrow(): argument '{name}' must be int, not "
                                f"{type(value).__name__}")
        if not -size <= start <= size:
            raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                             f"but got {start})")
        start = start % size if start < 0 else start
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if start + length > size:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                               f"({size}).")
        return ops.getitem(self, (slice(None),) * axis + (slice(start, start + length),), False)

    @dim_alias
    def index_select(self, dim: int, index):
        """The entries at ``index`` (a 1-D or 0-d integer tensor) along ``dim``; repeated
        indices get the sum of their gradients."""
        if not isinstance(index, TensorBase):
            raise TypeError(f"index_select(): argument 'index' (position 2) must be Tensor, not "
                            f"{type(index).__name__}")
        idx = index._array
        if idx.dtype not in _INDEX_DTYPES:
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        if idx.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        axis = _axis(dim, self._array.ndim)
        size = self._array.shape[axis] if self._array.ndim else 1
        outside = (idx < 0) | (idx >= size)
        if outside.any():
            bad = int(idx[outside].flat[0])
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
        if not self._array.ndim:  # a 0-d tensor: index 0 selects it, still 0-d
            return ops.getitem(self, (), False)
        return ops.getitem(self, (slice(None),) * axis + (idx.reshape(-1),), True)

    @dim_alias
    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
        """The ``k`` largest (or smallest) entries along ``dim`` and their indices, as a named
        tuple ``(values, indices)``; the gradient flows to the chosen entries."""
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"topk(): argument 'k' (position 2) must be int, not "
                            f"{type(k).__name__}")
        x = self._array
        axis = _axis(dim, x.ndim) if x.ndim else 0
        size = x.shape[axis] if x.ndim else 1
        if not 0 <= k <= size:
            raise RuntimeError("selected index k out of range")
        source = self if x.ndim else self.reshape(1)
        # NaN sorts last, so it comes first among the largest, as in PyTorch.
        order = xp.argsort(source._array, axis=axis, kind="stable")
        if largest:
            order = xp.flip(order, axis=axis)
        picked = xp.take(order, xp.arange(k), axis=axis)
        values = ops.gather(source, axis, picked)
        if not x.ndim:
            return topk_result(values.reshape(()), _wrap(picked.reshape(())))
        return topk_result(values, _wrap(picked))

    def __getitem__(self, index):
        if type(index) is int or type(index) is slice:
            return ops.getitem(self, index, False)
        index, advanced = _convert_index(index)
        if advanced:
            split = _split_integers(index)
            if split is not None:  # PyTorch selects integer positions before advanced indexing
                return ops.getitem(ops.getitem(self, split[0], False), split[1], True)
        return ops.getitem(self, index, advanced)

    @dim_alias
    def gather(self, dim: int, index):
        """Values at ``index`` along ``dim``: ``out[i][j] = self[index[i][j]][j]`` for dim 0."""
        idx = _array_of(index)
        if idx.dtype not in _INDEX_DTYPES:
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        if idx.ndim != self._array.ndim:
            raise ValueError(f"gather(): index has {idx.ndim} dimensions but input has "
                             f"{self._array.ndim}; they must match")
        return ops.gather(self, _axis(dim, self._array.ndim), idx)

    @dim_alias
    def take_along_dim(self, indices, dim=None):
        """Values at ``indices`` along ``dim`` (of the flattened tensor when None)."""
        idx = _array_of(indices)
        if idx.dtype != xp.int64:
            raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                               f"{dtypes.torch_name(dtypes.from_numpy_dtype(idx.dtype))}")
        if dim is None:
            return ops.gather(self.reshape(-1), 0, _array_of(indices).reshape(-1))
        return ops.gather(self, _axis(dim, self._array.ndim), _array_of(indices))


def _diagonal(name: str, diagonal, ndim: int) -> int:
    if isinstance(diagonal, bool) or not isinstance(diagonal, numbers.Integral):
        raise TypeError(f"{name}(): argument 'diagonal' (position 2) must be int, not "
                        f"{type(diagonal).__name__}")
    if ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return int(diagonal)


def _split_integers(index):
    """``(selection, rest)`` with ``x[index] == x[selection][rest]`` in PyTorch's semantics, or
    None when ``index`` mixes no plain integers with its arrays.

    NumPy counts an integer (or a 0-d integer tensor) next to an array as one more advanced
    index, so ``x[0, :, [1, 2]]`` puts the array's dimension first; PyTorch selects the integer
    positions first (basic indexing) and only then applies the arrays, keeping the slice's
    dimension first. Applying the integers alone (a view), then the rest, gives PyTorch's
    result with NumPy.
    """
    if not any(_is_integer(item) for item in index):
        return None
    selection, rest = [], []
    for item in index:
        if _is_integer(item):
            selection.append(int(item))
        elif item is None:
            rest.append(item)
        elif item is Ellipsis:
            selection.append(item)
            rest.append(item)
        else:
            consumed = item.ndim if isinstance(item, _ndarray) and item.dtype == bool else 1
            selection.extend([slice(None)] * consumed)
            rest.append(item)
    if not any(item is Ellipsis for item in index):
        selection.append(Ellipsis)  # so that selecting every dimension still gives a 0-d view
    return tuple(selection), tuple(rest)


def _is_integer(item) -> bool:
    """A plain integer index: an int, a NumPy integer or a 0-d integer tensor (as in PyTorch)."""
    if type(item) is int or isinstance(item, xp.integer):
        return True
    return isinstance(item, _ndarray) and item.ndim == 0 and item.dtype.kind in "iu"


def _index_array(array):
    """A tensor used as an index, as PyTorch reads it: int64, int32 and bool index as they are,
    uint8 is a mask (with PyTorch's deprecation warning); other dtypes are refused."""
    dtype = array.dtype
    if dtype == xp.uint8:
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                      "torch.bool instead.", UserWarning, stacklevel=4)
        return array.astype(bool)
    if dtype not in _INDEX_DTYPES and dtype.kind != "b":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return array


def _convert_index(index):
    """Turn tensors and lists inside an index into arrays; report advanced indexing."""
    items = index if type(index) is tuple else (index,)
    converted = []
    advanced = False
    for item in items:
        if isinstance(item, TensorBase):
            item = _index_array(item._array)
            advanced = True
        elif isinstance(item, (list, _ndarray)):
            item = xp.asarray(item)
            if item.size == 0 and item.dtype.kind == "f":
                item = item.astype(xp.int64)  # ``x[[]]``: an empty list indexes nothing
            advanced = True
        converted.append(item)
    return tuple(converted), advanced
