"""The autograd engine: graph nodes, ``backward`` (iterative), grad mode, ``Function``.

A differentiable result carries a :class:`Node` in ``tensor._node``.  A node holds the
closure that maps the gradient of its output to the gradients of its inputs, and one edge
per input: the input's own node, the input tensor itself when it is a leaf that requires
grad (its ``.grad`` receives the gradient), or ``None``.  Intermediate tensors are not
referenced by the graph, so their arrays are freed as soon as the user drops them.
"""
from __future__ import annotations

import functools
import weakref

from .backend import xp
from .tensor_base import TensorBase as Tensor, _wrap


class _GradMode:
    """The one global grad mode (process-wide, not per thread): ``enabled`` says whether ops
    record the graph, ``inference`` whether an ``inference_mode`` block is active."""

    __slots__ = ("enabled", "inference")

    def __init__(self) -> None:
        self.enabled = True
        self.inference = False


grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Return whether operations currently record the graph (``True`` by default)."""
    return grad_mode.enabled


class _GradModeContext:
    """Base of the grad-mode switches: a context manager that is also a decorator."""

    _target = True

    def __new__(cls, orig_func=None):
        # ``@no_grad`` without parentheses decorates directly, as PyTorch allows.
        self = super().__new__(cls)
        return self(orig_func) if callable(orig_func) else self

    def __enter__(self):
        self._prev = grad_mode.enabled
        grad_mode.enabled = self._target
        return None

    def __exit__(self, *exc) -> None:
        grad_mode.enabled = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = grad_mode.enabled
            grad_mode.enabled = self._target
            try:
                return fn(*args, **kwargs)
            finally:
                grad_mode.enabled = prev
        return wrapper


class no_grad(_GradModeContext):
    """Disable graph recording inside a ``with`` block or a decorated function.

    Example::

        >>> w = genesis.ones(2, requires_grad=True)
        >>> with genesis.no_grad():
        ...     (w * 2).requires_grad
        False
    """

    _target = False


class enable_grad(_GradModeContext):
    """Enable graph recording (e.g. inside a ``no_grad`` block); context manager or decorator."""

    _target = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``: takes effect at once, and as a context manager restores it.

    Example: ``with genesis.set_grad_enabled(False): ...`` behaves like ``no_grad``.
    """

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(mode): mode must be a bool, got {mode!r}")
        self._prev = grad_mode.enabled
        self._target = mode
        grad_mode.enabled = mode

    def __enter__(self):
        return None

    def __exit__(self, *exc) -> None:
        grad_mode.enabled = self._prev

    def __call__(self, fn):
        # As a decorator it must not change the mode now, only while ``fn`` runs.
        grad_mode.enabled = self._prev
        return super().__call__(fn)


class inference_mode(_GradModeContext):
    """PyTorch's faster ``no_grad`` for evaluation: a context manager or decorator (with or
    without parentheses). ``inference_mode(False)`` turns grad mode back on, as in PyTorch.

    Genesis has no inference tensors: tensors made inside behave as ones made under
    ``no_grad`` (PyTorch would refuse to use them in a graph later).

    Example::

        >>> @genesis.inference_mode()
        ... def evaluate(w):
        ...     return (w * 2).requires_grad
        >>> evaluate(genesis.ones(2, requires_grad=True))
        False
    """

    def __init__(self, mode: bool = True) -> None:
        self._mode = bool(mode)

    _mode = True

    def __enter__(self):
        self._prev = (grad_mode.enabled, grad_mode.inference)
        grad_mode.enabled, grad_mode.inference = not self._mode, self._mode
        return None

    def __exit__(self, *exc) -> None:
        grad_mode.enabled, grad_mode.inference = self._prev

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)
        return wrapper


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode`` block is active."""
    return grad_mode.inference


_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors "
          "after they have already been freed). Saved intermediate values of the graph are freed "
          "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
          "backward through the graph a second time or if you need to access saved tensors after "
          "calling backward.")


class Node:
    """One recorded operation: ``backward_fn(grad) -> tuple`` (one entry per input) and edges."""

    __slots__ = ("backward_fn", "edges", "name", "retained", "__weakref__")

    def __init__(self, backward_fn, edges, name) -> None:
        self.backward_fn = backward_fn
        self.edges = edges
        self.name = name
        self.retained = None

    def __repr__(self) -> str:
        return f"<{self.name} object at {id(self):#x}>"

    def next_functions(self):
        """The nodes (or leaf tensors) this node sends gradients to, like PyTorch's."""
        return self.edges


def attach(out, backward_fn, inputs, name):
    """Record ``out = op(*inputs)`` in the graph; ``backward_fn(g)`` returns one grad per input."""
    out._node = Node(backward_fn,
                     tuple([t._node or (t if t._rg else None) for t in inputs]), name)
    out._rg = True
    return out


def needs_grad(*tensors) -> bool:
    """Whether an op on ``tensors`` must be recorded: grad mode is on and some input needs it."""
    if grad_mode.enabled:
        for t in tensors:
            if t._rg:
                return True
    return False


def record(out, backward_fn, inputs, name):
    """Make ``out`` a graph node over ``inputs`` when grad mode is on and one of them needs it.

    The one call a fused op makes after computing its output array: ``backward_fn(g)`` maps the
    output's gradient array to one array (or None) per input.
    """
    if needs_grad(*inputs):
        attach(out, backward_fn, inputs, name)
    return out


def _accumulate_leaf(leaf, g) -> None:
    if g.dtype != leaf._array.dtype:
        g = g.astype(leaf._array.dtype)
    if leaf.grad is None:
        # A private copy: the engine may hand the same array to several leaves, and the
        # optimizers and clip_grad_norm_ update .grad in place.
        leaf.grad = _wrap(xp.array(g, copy=True))
    else:
        total = leaf.grad._array + g
        # 0-d + 0-d is a NumPy scalar: keep .data an array, so in-place updates keep working.
        leaf.grad._array = total if type(total) is xp.ndarray else xp.asarray(total)


def run_backward(root, grad, retain_graph: bool) -> None:
    """Backpropagate ``grad`` (an array shaped like ``root``) through the graph of ``root``.

    Kahn's algorithm over the nodes reachable from ``root``: a node runs once every consumer
    inside this graph has delivered its gradient, so no recursion and no repeated work.
    """
    root_node = root._node
    if root_node is None:
        if root._rg:
            _accumulate_leaf(root, grad)
        return
    pending = {root_node: 0}
    stack = [root_node]
    while stack:
        node = stack.pop()
        for edge in node.edges:
            if type(edge) is Node:
                if edge in pending:
                    pending[edge] += 1
                else:
                    pending[edge] = 1
                    stack.append(edge)
    grads = {root_node: grad}
    ready = [root_node]
    while ready:
        node = ready.pop()
        g = grads.pop(node)
        fn = node.backward_fn
        if fn is None:
            raise RuntimeError(_FREED)
        if node.retained is not None:
            owner = node.retained()
            if owner is not None:
                _accumulate_leaf(owner, g)
        input_grads = fn(g)
        if not retain_graph:
            node.backward_fn = None
        for edge, edge_grad in zip(node.edges, input_grads):
            if edge is None:
                continue
            if type(edge) is Node:
                if edge_grad is not None:
                    prev = grads.get(edge)
                    grads[edge] = edge_grad if prev is None else prev + edge_grad
                pending[edge] -= 1
                if pending[edge] == 0:
                    if edge in grads:
                        ready.append(edge)
                    else:
                        # Nothing flowed into this branch (e.g. an index output): prune it.
                        _prune(edge, pending, grads, ready)
            elif edge_grad is not None:
                _accumulate_leaf(edge, edge_grad)


def _prune(node, pending, grads, ready) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        for edge in n.edges:
            if type(edge) is Node:
                pending[edge] -= 1
                if pending[edge] == 0:
                    if edge in grads:
                        ready.append(edge)
                    else:
                        stack.append(edge)


def retain(tensor) -> None:
    """Make a non-leaf ``tensor`` keep its ``.grad`` after backward (``Tensor.retain_grad``)."""
    if tensor._node is not None:
        tensor._node.retained = weakref.ref(tensor)


class FunctionCtx:
    """The ``ctx`` of a custom :class:`Function`: stash tensors and values for backward."""

    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` for ``backward``; read them back as ``ctx.saved_tensors``."""
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Accepted for PyTorch compatibility; outputs other than the first never get grads."""


class Function:
    """Base class for custom differentiable operations (PyTorch's ``autograd.Function``).

    Subclass with static ``forward(ctx, *args)`` returning one Tensor and
    ``backward(ctx, grad_output)`` returning one gradient (Tensor or None) per forward argument.
    ``forward`` runs with grad disabled; call the op with ``MyFn.apply(*args)``.

    Example::

        >>> class Square(Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * grad
        >>> x = genesis.tensor([3.0], requires_grad=True)
        >>> Square.apply(x).backward(genesis.ones(1)); x.grad
        tensor([6.])
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("Function subclasses must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("Function subclasses must implement backward(ctx, grad)")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        inputs = [args[i] for i in positions]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        record = needs_grad(*inputs)
        prev = grad_mode.enabled
        grad_mode.enabled = False
        try:
            out = cls.forward(ctx, *args, **kwargs)
        finally:
            grad_mode.enabled = prev
        if not record:
            return out
        if not isinstance(out, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return a Tensor, got "
                            f"{type(out).__name__}")
        if out._node is not None or out._rg:
            # forward returned an input (or a tensor already in a graph): give it its own node.
            out = _wrap(out._array)

        def backward_fn(g):
            grads = cls.backward(ctx, _wrap(g))
            if not isinstance(grads, tuple):
                grads = (grads,)
            if len(grads) != len(args):
                raise RuntimeError(f"{cls.__name__}.backward returned {len(grads)} gradients, "
                                   f"but forward took {len(args)} arguments")
            return tuple(None if grads[i] is None else
                         (grads[i]._array if isinstance(grads[i], Tensor) else xp.asarray(grads[i]))
                         for i in positions)

        return attach(out, backward_fn, inputs, cls.__name__ + "Backward")


__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled", "Function",
           "FunctionCtx", "Node"]
