"""``genesis.Tensor``: a backend array, its gradient (``.grad``) and the user-facing methods.

The backend array is ``Tensor._array`` (an ``xp.ndarray``): the one accessor internal code uses
for storage.  ``Tensor.data`` is what it is in PyTorch, a Tensor sharing that storage outside
the graph.  Methods are thin: they turn arguments into tensors and call the primitives in
``ops.py`` (forward and backward side by side) or compose them.  In-place methods (``add_``,
...) write into the array when no graph has to be recorded (optimizers, ``no_grad``, writes
through ``.data``); otherwise they compute out of place and rebind, which keeps the graph
correct.
"""
from __future__ import annotations

from . import dtypes, factories, ops, views
from .autograd import RemovableHandle, add_hook, grad_mode, retain, run_backward
from .devices import CPU, as_device, check_device, check_memory_format, device, parse_to
from .devices import memory_format as _MemoryFormat
from .backend import xp
from .tensor_base import (Size, TensorBase, _axis, _dim_error, _new, _promoted, _to_dtype, _wrap,
                          max_result, min_result, register_tensor_class)
from .tensor_dims import TensorDims
from .tensor_format import tensor_repr
from .tensor_inplace import TensorInplace
from .tensor_math import TensorMath
from .tensor_sampling import TensorSampling
from .tensor_shape import TensorShape

__all__ = ["Size", "Tensor", "max_result", "min_result"]

class Tensor(TensorBase, TensorMath, TensorShape, TensorDims, TensorInplace, TensorSampling):
    """A multi-dimensional array that can record the operations applied to it.

    ``data`` is a tensor sharing this one's storage outside the graph (as in PyTorch), ``grad``
    the accumulated gradient (a Tensor or None).
    Build tensors with ``genesis.tensor([...])``. The legacy constructor works as in PyTorch:
    ``Tensor(2, 3)`` is an uninitialised (here zeroed) float32 tensor of shape (2, 3),
    ``Tensor([1, 2])`` converts a sequence to float32, ``Tensor(t)`` shares ``t``'s storage.

    Example::

        >>> x = genesis.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4.])
    """

    __slots__ = ()
    # NumPy defers to our reflected operators: ``ndarray + Tensor`` gives a Tensor.
    __array_priority__ = 1000

    def __init__(self, *args, device=None) -> None:
        self._array = factories.legacy_array(None, args, device)
        self._grad = None
        self._rg = False
        self._node = None
        self._view = self._views = None

    _wrap = staticmethod(_wrap)

    # ------------------------------------------------------------ attributes
    @property
    def data(self) -> "Tensor":
        """This tensor's storage as a new tensor outside the graph (``requires_grad=False``).

        Writes through it change this tensor: ``p.data.add_(p.grad, alpha=-lr)``,
        ``p.data.copy_(w)``, ``p.data[0] = 1``. Assigning ``p.data = other`` makes ``p`` use
        ``other``'s storage (shape and dtype included), keeping ``p``'s ``requires_grad``.
        """
        return _wrap(self._array)

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self._array = value._array

    @property
    def grad(self) -> "Tensor | None":
        """The accumulated gradient (None until ``backward`` reaches this tensor).

        Assigning checks what PyTorch checks: a Tensor (or None) of this tensor's dtype and
        shape, so an optimizer never broadcasts a wrong-shaped gradient over the parameter.
        """
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value is self:
                raise RuntimeError("can't assign Variable as its own grad")
            if value._array.dtype != self._array.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype "
                    f"'{dtypes.torch_name(value.dtype, cpp=True)}' to a tensor with grad_dtype "
                    f"'{dtypes.torch_name(self.dtype)}'. The gradient must match the tensor's "
                    f"grad_dtype (defaults to the tensor's dtype).")
            if value._array.shape != self._array.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._array.shape)}' to a "
                    f"tensor of size '{list(self._array.shape)}'. Please ensure that the "
                    f"gradient and the tensor are the same size")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def shape(self) -> Size:
        """The size of each dimension, e.g. ``genesis.Size([2, 3])``."""
        return Size(self._array.shape)

    def size(self, dim: int | None = None):
        """The shape (a ``Size``), or the size of dimension ``dim``."""
        if dim is None:
            return Size(self._array.shape)
        return self._array.shape[_axis(dim, self._array.ndim)]

    @property
    def dtype(self) -> dtypes.DType:
        """The element type, e.g. ``genesis.float32``."""
        return _to_dtype(self._array.dtype)

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._array.ndim

    def dim(self) -> int:
        """The number of dimensions."""
        return self._array.ndim

    ndimension = dim

    def numel(self) -> int:
        """The number of elements."""
        return self._array.size

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element."""
        return self._array.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self._array.itemsize

    @property
    def device(self) -> device:
        """Where the tensor lives: always ``device(type='cpu')`` (Genesis computes with NumPy)."""
        return CPU

    @property
    def is_cuda(self) -> bool:
        """Whether the tensor is on a CUDA device: always False."""
        return False

    @property
    def is_cpu(self) -> bool:
        """Whether the tensor is on the CPU: always True."""
        return True

    def get_device(self) -> int:
        """The device ordinal: -1 for a CPU tensor, as in PyTorch."""
        return -1

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating type."""
        return self._array.dtype.kind == "f"

    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for ``backward``."""
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._node is not None:
            if not value:
                raise RuntimeError("you can only change requires_grad flags of leaf variables. "
                                   "If you want to use a computed variable in a subgraph that "
                                   "doesn't require differentiation use "
                                   "var_no_grad = var.detach().")
            return
        if value and self._array.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients, "
                               f"got {self.dtype}")
        self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place and return ``self``."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True unless this tensor is the result of a recorded operation."""
        return self._node is None

    @property
    def grad_fn(self):
        """The graph node that produced this tensor (None for leaves)."""
        return self._node

    @property
    def retains_grad(self) -> bool:
        """Whether a non-leaf keeps its ``.grad`` (see :meth:`retain_grad`)."""
        return self._node is not None and self._node.retained is not None

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after ``backward`` (no-op for leaves)."""
        if self._node is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        retain(self)

    # ------------------------------------------------------------ autograd
    def register_hook(self, hook) -> RemovableHandle:
        """Call ``hook(grad)`` with this tensor's gradient during backward; a returned tensor
        (same shape and dtype) replaces it. On a leaf the hook sees the gradient of this
        backward before it is added to ``.grad``. Returns a handle: ``handle.remove()``.

        Example::

            >>> x = genesis.tensor([1.0, 2.0], requires_grad=True)
            >>> handle = x.register_hook(lambda grad: grad * 10)
            >>> (x * x).sum().backward(); x.grad
            tensor([20., 40.])
        """
        return add_hook(self, hook, post_accumulate=False)

    def register_post_accumulate_grad_hook(self, hook) -> RemovableHandle:
        """Call ``hook(tensor)`` on this leaf once backward has added its gradient to ``.grad``
        (the gradient is complete: every path through the graph has contributed).

        Example::

            >>> w = genesis.ones(2, requires_grad=True)
            >>> handle = w.register_post_accumulate_grad_hook(lambda p: print(p.grad))
            >>> (w * w + w).sum().backward()
            tensor([3., 3.])
        """
        return add_hook(self, hook, post_accumulate=True)

    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad.

        ``gradient`` is required unless ``self`` has one element. The graph is freed
        afterwards unless ``retain_graph=True``.
        """
        if create_graph:
            raise NotImplementedError("backward(create_graph=True) (higher-order gradients) is "
                                      "not supported by Genesis")
        if inputs is not None:
            raise NotImplementedError("backward(inputs=...) is not supported by Genesis")
        if not self._rg:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
        if gradient is None:
            if self._array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = xp.ones_like(self._array)
        else:
            g = gradient._array if isinstance(gradient, Tensor) else xp.asarray(gradient)
            if g.shape != self._array.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                                   f"{Size(g.shape)!r} and output[0] has a shape of "
                                   f"{self.shape!r}.")
            if g.dtype != self._array.dtype:
                g = g.astype(self._array.dtype)
        prev = grad_mode.enabled
        grad_mode.enabled = False
        try:
            run_backward(self, g, bool(retain_graph))
        finally:
            grad_mode.enabled = prev

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data, outside the graph."""
        return Tensor._wrap(self._array)

    def detach_(self) -> "Tensor":
        """Make this tensor a leaf that does not require grad, in place."""
        self._node = None
        self._rg = False
        return self

    # ------------------------------------------------------------ conversion
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._array.size != 1:
            raise RuntimeError(f"a Tensor with {self._array.size} elements cannot be converted "
                               f"to Scalar")
        return self._array.reshape(-1)[0].item()

    def tolist(self):
        """The data as (nested) Python lists of numbers."""
        return self._array.tolist()

    def numpy(self, *, force: bool = False):
        """The data as a NumPy array, sharing memory; fails if the tensor requires grad."""
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._array

    def data_ptr(self) -> int:
        """The address of the first element (equal for tensors that share storage there)."""
        return self._array.__array_interface__["data"][0]

    def __array__(self, dtype=None, copy=None):
        if self._rg:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if dtype is None:
            return self._array.copy() if copy else self._array
        return self._array.astype(dtype, copy=bool(copy))

    def _scalar(self, kind: str):
        if self._array.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars "
                             f"({kind}() of a tensor with shape {tuple(self._array.shape)})")
        return self._array.reshape(-1)[0]

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __index__(self) -> int:
        if self._array.dtype.kind not in "iub" or self._array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._array.reshape(-1)[0])

    def __bool__(self) -> bool:
        if self._array.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous "
                               f"(shape {tuple(self._array.shape)})")
        return bool(self._array.reshape(-1)[0])

    def __format__(self, spec: str) -> str:
        # PyTorch formats only 0-d tensors as numbers; any one-element tensor does here, so
        # f"{loss:.4f}" works for a loss of shape (1,) too. Without a spec it prints as repr.
        if self._array.ndim == 0 or (spec and self._array.size == 1):
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __len__(self) -> int:
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self):
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(views.multiple_views([self[i] for i in range(self._array.shape[0])], "Unbind"))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return tensor_repr(self)

    def __deepcopy__(self, memo):
        if self._node is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment")
        out = _new(type(self))
        out._array = self._array.copy()
        out._rg = self._rg
        out._node = None
        out._view = out._views = None
        out._grad = None if self._grad is None else self._grad.__deepcopy__(memo)
        memo[id(self)] = out
        return out

    # ------------------------------------------------------------ dtype and device
    def to(self, *args, **kwargs) -> "Tensor":
        """Convert dtype and check the device, parsing arguments as PyTorch does.

        ``t.to(dtype)``, ``t.to(device)``, ``t.to(device, dtype)``, ``t.to(other)`` (its dtype),
        each with ``non_blocking``, ``copy`` and ``memory_format``. Returns ``self`` when nothing
        changes (``copy=True`` always copies). A device other than the CPU raises as it does on
        a CPU-only PyTorch.

        Example::

            >>> x = genesis.tensor([1, 2])
            >>> x.to("cpu", genesis.float64), x.to("cpu") is x
            (tensor([1., 2.], dtype=genesis.float64), True)
        """
        target, dtype, _, copy, memory = parse_to(*args, **kwargs)
        check_device(target)
        check_memory_format(memory, self._array.ndim)
        if dtype is None or dtype.np == self._array.dtype:
            return self.clone() if copy else self
        return ops.cast(self, dtype.np)

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None) -> "Tensor":
        """Fails as on a CPU-only PyTorch: Genesis has no CUDA device."""
        target = _CUDA if device is None else as_device(device)
        if target.type != "cuda":
            raise RuntimeError(f"Invalid device, must be cuda device, got {target}")
        check_device(target)
        return self  # not reached: check_device raises for every CUDA device

    def cpu(self, memory_format=None) -> "Tensor":
        """``self`` (everything lives on the CPU)."""
        check_memory_format(memory_format, self._array.ndim)
        return self

    def pin_memory(self, device=None) -> "Tensor":
        """Fails as on a CPU-only PyTorch: pinning needs an accelerator."""
        raise RuntimeError("Cannot access accelerator device when none is available.")

    def is_pinned(self, device=None) -> bool:
        """Whether the storage is pinned for accelerator transfers: always False."""
        return False

    def type(self, dtype=None, non_blocking: bool = False, **kwargs):
        """With ``dtype`` (a dtype, a tensor type such as ``genesis.LongTensor``, or its name):
        convert like ``to``; without: the type name, e.g. ``'genesis.FloatTensor'``."""
        dtype = kwargs.pop("dtype", dtype)
        if kwargs:
            raise TypeError(f"type() got an unexpected keyword argument {sorted(kwargs)[0]!r}")
        if dtype is None:
            return f"genesis.{_TYPE_NAMES[self.dtype.name]}Tensor"
        if isinstance(dtype, str):
            name = dtype.removeprefix("genesis.").removeprefix("torch.")
            found = [d for d, n in _TYPE_NAMES.items() if f"{n}Tensor" == name]
            if not found:
                raise ValueError(f"invalid type: {dtype!r}")
            dtype = dtypes.as_dtype(found[0])
        return self.to(getattr(dtype, "dtype", dtype))

    def float(self) -> "Tensor":
        """Convert to float32."""
        return self.to(dtypes.float32)

    def double(self) -> "Tensor":
        """Convert to float64."""
        return self.to(dtypes.float64)

    def half(self) -> "Tensor":
        """Convert to float16."""
        return self.to(dtypes.float16)

    def long(self) -> "Tensor":
        """Convert to int64."""
        return self.to(dtypes.int64)

    def int(self) -> "Tensor":
        """Convert to int32."""
        return self.to(dtypes.int32)

    def short(self) -> "Tensor":
        """Convert to int16."""
        return self.to(dtypes.int16)

    def char(self) -> "Tensor":
        """Convert to int8."""
        return self.to(dtypes.int8)

    def byte(self) -> "Tensor":
        """Convert to uint8."""
        return self.to(dtypes.uint8)

    def bool(self) -> "Tensor":
        """Convert to bool."""
        return self.to(dtypes.bool_)

    def is_contiguous(self, *args, memory_format=None) -> bool:
        """Whether the elements lie in memory in row-major order (``channels_last``: in
        N, H, W, C order), read from the strides of the array, as PyTorch reads its own.

        Transposes, strided slices and expanded dimensions give False, as in PyTorch; a few
        ops lay out their results differently from PyTorch (a convolution's output is a
        channel-major view here), and there this answers for Genesis's layout."""
        if args:  # memory_format is keyword-only, as in PyTorch
            raise TypeError(f"is_contiguous() takes 0 positional arguments but {len(args)} "
                            f"{'was' if len(args) == 1 else 'were'} given")
        if memory_format is not None and not isinstance(memory_format, _MemoryFormat):
            raise TypeError(f"is_contiguous(): argument 'memory_format' must be "
                            f"genesis.memory_format, not {type(memory_format).__name__}")
        return _in_layout(self._array, memory_format)

    def contiguous(self, memory_format=None) -> "Tensor":
        """``self`` when it is contiguous in ``memory_format``, else a copy laid out so
        (gradients flow back to ``self``); no op of Genesis needs it, ``is_contiguous`` does."""
        check_memory_format(memory_format, self._array.ndim)
        if _in_layout(self._array, memory_format):
            return self
        return ops.relayout(self, _channel_order(self._array.ndim, memory_format))

    def clone(self, memory_format=None) -> "Tensor":
        """A copy with its own storage; gradients flow back to ``self``."""
        check_memory_format(memory_format, self._array.ndim)
        return ops.clone(self)

    def new_tensor(self, data, *, dtype=None, device=None,
                   requires_grad: bool = False) -> "Tensor":
        """A new tensor from ``data`` with this tensor's dtype by default."""
        return factories.tensor(data, dtype=dtype or self.dtype, device=device,
                                requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """Zeros of ``size`` with this tensor's dtype by default."""
        return factories.zeros(*size, dtype=dtype or self.dtype, device=device,
                               requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """Ones of ``size`` with this tensor's dtype by default."""
        return factories.ones(*size, dtype=dtype or self.dtype, device=device,
                              requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None,
                 requires_grad: bool = False) -> "Tensor":
        """``fill_value`` everywhere, with this tensor's dtype by default."""
        return factories.full(size, fill_value, dtype=dtype or self.dtype, device=device,
                              requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """Uninitialised storage of ``size`` (zeros with NumPy), this tensor's dtype."""
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new(self, *args, device=None) -> "Tensor":
        """PyTorch's legacy ``x.new(2, 3)`` / ``x.new([1, 2])``: like ``Tensor(...)`` with this
        tensor's dtype."""
        return _wrap(factories.legacy_array(self._array.dtype, args, device))


def _channel_order(ndim: int, memory_format):
    """The axis order a format keeps row-major (channels last: N, H, W, C), None for
    row-major itself."""
    if memory_format is None or memory_format.rank is None or memory_format.rank != ndim:
        return None
    return (0,) + tuple(range(2, ndim)) + (1,)


def _in_layout(array, memory_format) -> bool:
    if memory_format is None or memory_format.rank is None:
        return array.flags.c_contiguous
    order = _channel_order(array.ndim, memory_format)
    return order is not None and array.transpose(order).flags.c_contiguous


_CUDA = device("cuda")
_TYPE_NAMES = dtypes._TORCH_SCALAR_NAMES

register_tensor_class(Tensor)
