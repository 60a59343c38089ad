"""The in-place methods of ``genesis.Tensor`` (a mixin): ``add_``, ``mul_``, ``copy_``, ...

When no graph has to be recorded (grad mode off, as in optimizers, or nothing requires grad)
they write straight into ``.data``.  Otherwise they compute the out-of-place result and
rebind ``self`` to it, so the graph stays correct.  As in PyTorch, a leaf that requires grad
cannot be modified in place while grad mode is on.
"""
from __future__ import annotations

import numbers

from . import dtypes, ops, views
from .tensor_base import _wrap
from .autograd import grad_mode
from .backend import quiet, xp
from .random import generator_for
from .tensor_math import _check_bool_mask
from .tensor_shape import _convert_index, _split_integers

_LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_LEAF_ERROR = ("a view of a leaf Variable that requires grad is being used in an in-place "
                    "operation.")
_MULTIPLE_VIEWS = ("This view is the output of a function that returns multiple views. Such "
                   "functions do not allow the output views to be modified inplace. You should "
                   "replace the inplace operation by an out-of-place one.")
_OVERLAP_ERROR = ("unsupported operation: more than one element of the written-to tensor refers to "
                  "a single memory location. Please clone() the tensor before performing the "
                  "operation.")


def _check_floating(name: str, tensor) -> None:
    if tensor._array.dtype.kind != "f":
        raise TypeError(f"{name} fills floating point tensors with random samples; got a tensor "
                        f"of dtype {tensor.dtype} (use genesis.randint for integers)")


def _arr(value):
    return value._array if isinstance(value, TensorInplace) else value


class TensorInplace:
    """In-place updates of :class:`genesis.Tensor`."""

    __slots__ = ()

    def _record(self, *others) -> bool:
        """Whether this in-place op must go through the graph (raises for a grad leaf and for
        a view of one, as PyTorch does)."""
        if not grad_mode.enabled:
            return False
        view = self._view
        if self._rg:
            if self._node is None:
                raise RuntimeError(_LEAF_ERROR)
            if view is not None and view[0]._rg and view[0]._node is None:
                raise RuntimeError(_VIEW_LEAF_ERROR)
            if view is not None and len(view) > 2:
                raise RuntimeError(f"{view[2]} is a view and is being modified inplace. "
                                   + _MULTIPLE_VIEWS)
            return True
        if any(isinstance(o, TensorInplace) and o._rg for o in others):
            if view is not None and len(view) > 2:
                raise RuntimeError("A view was created in no_grad mode and is being modified "
                                   "inplace with grad mode enabled. " + _MULTIPLE_VIEWS)
            return True
        return False

    def _rebind(self, result):
        """Make ``self`` the recorded ``result`` in new storage, so that the arrays the graph
        saved stay intact. A view hands the result to the tensor it views, which is rebound to
        a copy with the view's region replaced (PyTorch's CopySlices). Then every view of that
        tensor (``self`` included) views the new storage."""
        if result._array.dtype != self._array.dtype:
            result = ops.cast(result, self._array.dtype)
        if result._array.shape != self._array.shape:
            raise RuntimeError(f"output with shape {list(self._array.shape)} doesn't match the "
                               f"broadcast shape {list(result._array.shape)}")
        if not self._array.flags.writeable:
            raise RuntimeError(_OVERLAP_ERROR)
        view = self._view
        if view is None:
            base = self
            self._array, self._node, self._rg = result._array, result._node, result._rg
        else:
            base = view[0]
            updated = views.copy_slices(base, view[1], result)
            base._array, base._node, base._rg = updated._array, updated._node, updated._rg
        views.refresh_views(base)  # self too, when it is a view
        return self

    @quiet
    def _ufunc_(self, ufunc, *operands):
        if not self._array.flags.writeable:  # an expand()ed tensor: one element, many places
            raise RuntimeError(_OVERLAP_ERROR)
        try:
            ufunc(self._array, *operands, out=self._array)
        except OverflowError:  # a Python int out of the dtype's range: it wraps, as in PyTorch
            ufunc(self._array, *[dtypes.number_array(v, self._array.dtype)
                                 if isinstance(v, numbers.Integral) else v for v in operands],
                  out=self._array)
        except ValueError:
            raise RuntimeError(f"output with shape {list(self._array.shape)} doesn't match the "
                               f"broadcast shape of the operands") from None
        except TypeError as e:
            raise RuntimeError(f"in-place {ufunc.__name__} on a {self.dtype} tensor: {e}") from None
        return self

    def add_(self, other, *, alpha=1):
        """``self += alpha * other`` in place."""
        if self._record(other):
            return self._rebind(self.add(other, alpha=alpha))
        value = _arr(other)
        return self._ufunc_(xp.add, value if alpha == 1 else value * alpha)

    def sub_(self, other, *, alpha=1):
        """``self -= alpha * other`` in place."""
        if self._record(other):
            return self._rebind(self.sub(other, alpha=alpha))
        value = _arr(other)
        return self._ufunc_(xp.subtract, value if alpha == 1 else value * alpha)

    def mul_(self, other):
        """``self *= other`` in place."""
        if self._record(other):
            return self._rebind(self.mul(other))
        return self._ufunc_(xp.multiply, _arr(other))

    def div_(self, other, *, rounding_mode=None):
        """``self /= other`` in place."""
        if self._record(other) or rounding_mode is not None:
            return self._rebind(self.div(other, rounding_mode=rounding_mode))
        return self._ufunc_(xp.true_divide, _arr(other))

    def pow_(self, exponent):
        """``self **= exponent`` in place."""
        if self._record(exponent):
            return self._rebind(self.pow(exponent))
        return self._ufunc_(xp.power, _arr(exponent))

    def sqrt_(self):
        """Square root in place."""
        if self._record():
            return self._rebind(self.sqrt())
        return self._ufunc_(xp.sqrt)

    def exp_(self):
        """e**x in place."""
        if self._record():
            return self._rebind(self.exp())
        return self._ufunc_(xp.exp)

    def neg_(self):
        """Negate in place."""
        if self._record():
            return self._rebind(-self)
        return self._ufunc_(xp.negative)

    def abs_(self):
        """Absolute value in place."""
        if self._record():
            return self._rebind(self.abs())
        return self._ufunc_(xp.abs)

    def relu_(self):
        """max(x, 0) in place."""
        if self._record():
            return self._rebind(self.relu())
        return self._ufunc_(xp.maximum, 0)

    def clamp_(self, min=None, max=None):  # noqa: A002 - PyTorch's argument names
        """Clamp to ``[min, max]`` in place."""
        if self._record(min, max):
            return self._rebind(self.clamp(min, max))
        if min is None and max is None:
            raise ValueError("clamp_: at least one of 'min' or 'max' must not be None")
        return self._ufunc_(xp.clip, _arr(min), _arr(max))

    clip_ = clamp_

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """``self += value * tensor1 * tensor2`` in place."""
        if self._record(tensor1, tensor2):
            return self._rebind(self + tensor1 * tensor2 * value)
        product = xp.multiply(_arr(tensor1), _arr(tensor2))
        return self._ufunc_(xp.add, product if value == 1 else product * value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """``self += value * tensor1 / tensor2`` in place."""
        if self._record(tensor1, tensor2):
            return self._rebind(self + tensor1 / tensor2 * value)
        quotient = xp.true_divide(_arr(tensor1), _arr(tensor2))
        return self._ufunc_(xp.add, quotient if value == 1 else quotient * value)

    def lerp_(self, end, weight):
        """``self += weight * (end - self)`` in place."""
        if self._record(end, weight):
            return self._rebind(self.lerp(end, weight))
        step = xp.subtract(_arr(end), self._array)
        return self._ufunc_(xp.add, step * _arr(weight))

    def copy_(self, src, non_blocking: bool = False):
        """Copy ``src``'s values (broadcast, cast to this dtype) into ``self``."""
        if self._record(src):
            source = src if isinstance(src, TensorInplace) else _wrap(xp.asarray(src))
            # A copy of its own: the broadcast view would share (read-only) the source's storage.
            return self._rebind(ops.clone(ops.expand(source, self._array.shape)))
        try:
            xp.copyto(self._array, _arr(src), casting="unsafe")
        except ValueError:
            raise RuntimeError(f"copy_: the source of shape {tuple(xp.shape(_arr(src)))} "
                               f"does not broadcast to {tuple(self._array.shape)}") from None
        return self

    def zero_(self):
        """Fill with zeros in place."""
        return self.fill_(0)

    def fill_(self, value):
        """Fill with ``value`` in place."""
        if self._record(value):
            return self._rebind(self * 0 + value)
        if isinstance(value, numbers.Number):
            value = dtypes.fill_array(value, self._array.dtype)
        self._array.fill(_arr(value))
        return self

    def masked_fill_(self, mask, value):
        """Write ``value`` where ``mask`` is True, in place."""
        _check_bool_mask(mask)
        if self._record(value):
            return self._rebind(self.masked_fill(mask, value))
        xp.copyto(self._array, _arr(value), where=_arr(mask).astype(bool, copy=False),
                  casting="unsafe")
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
        """Fill with samples from U(a, b) in place."""
        _check_floating("uniform_", self)
        values = generator_for(generator).uniform(a, b, self._array.shape)
        if self._record():  # a non-leaf: overwritten, so its inputs get a zero gradient
            return self._rebind(ops.refilled(self, values.astype(self._array.dtype),
                                             "UniformBackward0"))
        self._array[...] = values
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
        """Fill with samples from N(mean, std**2) in place."""
        _check_floating("normal_", self)
        values = generator_for(generator).normal(mean, std, self._array.shape)
        if self._record():
            return self._rebind(ops.refilled(self, values.astype(self._array.dtype),
                                             "NormalBackward0"))
        self._array[...] = values
        return self

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 0/1 samples in place: 1 with probability ``p`` (a number or a tensor)."""
        if isinstance(p, numbers.Real) and not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        values = generator_for(generator).random(self._array.shape) < _arr(p)
        if self._record():  # a non-leaf: overwritten, so its inputs get a zero gradient
            return self._rebind(ops.refilled(self, values.astype(self._array.dtype),
                                             "BernoulliBackward0"))
        self._array[...] = values
        return self

    def tril_(self, diagonal: int = 0):
        """Zero the elements above the ``diagonal``-th diagonal, in place."""
        if self._record():
            return self._rebind(self.tril(diagonal))
        self._array[...] = self.tril(diagonal)._array
        return self

    def triu_(self, diagonal: int = 0):
        """Zero the elements below the ``diagonal``-th diagonal, in place."""
        if self._record():
            return self._rebind(self.triu(diagonal))
        self._array[...] = self.triu(diagonal)._array
        return self

    def __setitem__(self, index, value):
        split = None
        if type(index) is int or type(index) is slice:
            advanced = False
        else:
            index, advanced = _convert_index(index)
            split = _split_integers(index) if advanced else None
        if self._record(value):
            if not isinstance(value, TensorInplace):
                value = _wrap(xp.asarray(value, dtype=self._array.dtype))
            if value._array.dtype != self._array.dtype:
                value = ops.cast(value, self._array.dtype)
            if split is not None:  # PyTorch's order: integers first, then the arrays
                part = ops.setitem(ops.getitem(self, split[0], False), split[1], value, True)
                return self._rebind(ops.setitem(self, split[0], part, False))
            return self._rebind(ops.setitem(self, index, value, advanced))
        if split is not None:
            self._array[split[0]][split[1]] = _arr(value)  # the selection is a view
            return
        self._array[index] = _arr(value)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)
