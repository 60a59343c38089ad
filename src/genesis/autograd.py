"""The autograd engine: graph nodes, ``backward`` (iterative), grad mode, ``Function``.

A differentiable result carries a :class:`Node` in ``tensor._node``.  A node holds the
closure that maps the gradient of its output to the gradients of its inputs, and one edge
per input: the input's own node, the input tensor itself when it is a leaf that requires
grad (its ``.grad`` receives the gradient), or ``None``.  Intermediate tensors are not
referenced by the graph, so their arrays are freed as soon as the user drops them.

Hooks follow PyTorch: ``register_hook`` on a non-leaf is kept by its node and sees (and may
replace) the gradient flowing into it; on a leaf it sees the leaf's summed gradient of this
backward before it is added to ``.grad``; ``register_post_accumulate_grad_hook`` runs once the
leaf's ``.grad`` holds it.  A leaf reached along several edges is therefore accumulated once per
backward, with its incoming gradients summed first (PyTorch's AccumulateGrad node), which is
the moment DistributedDataParallel needs: that gradient is complete.
"""
from __future__ import annotations

import functools
import weakref

from .backend import quiet, xp
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
    """One recorded operation: ``backward_fn(grad) -> tuple`` (one entry per input) and edges.

    ``hooks`` holds the ``register_hook`` hooks of the tensor this node produced (or None).
    """

    __slots__ = ("backward_fn", "edges", "name", "retained", "hooks", "__weakref__")

    def __init__(self, backward_fn, edges, name) -> None:
        self.backward_fn = backward_fn
        self.edges = edges
        self.name = name
        self.retained = None
        self.hooks = None

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
    if leaf._grad is None:
        # A private copy: the engine may hand the same array to several leaves, and the
        # optimizers and clip_grad_norm_ update .grad in place.
        leaf._grad = _wrap(xp.array(g, copy=True))
    else:
        total = leaf._grad._array + g
        # 0-d + 0-d is a NumPy scalar: keep .data an array, so in-place updates keep working.
        leaf._grad._array = total if type(total) is xp.ndarray else xp.asarray(total)


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` unregisters the hook (PyTorch's)."""

    _next_id = 0

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        """Unregister the hook; removing twice is harmless."""
        self._hooks.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def add_hook(tensor, hook, post_accumulate: bool) -> RemovableHandle:
    """Register ``hook`` on ``tensor`` (``Tensor.register_hook`` and
    ``register_post_accumulate_grad_hook``); see the module docstring for when each runs."""
    if post_accumulate and tensor._node is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not tensor._rg:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    if tensor._node is not None:
        if tensor._node.hooks is None:
            tensor._node.hooks = {}
        hooks = tensor._node.hooks
    else:
        # (pre, post): a leaf's own slot, set on first use (unset slots cost _wrap nothing).
        if getattr(tensor, "_hooks", None) is None:
            tensor._hooks = ({}, {})
        hooks = tensor._hooks[post_accumulate]
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _run_pre_hooks(hooks: dict, g):
    for hook in tuple(hooks.values()):
        out = hook(_wrap(g))
        if out is None:
            continue
        if not isinstance(out, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(out).__name__}'")
        name = getattr(hook, "__name__", type(hook).__name__)
        if out._array.shape != g.shape:
            raise RuntimeError(f"hook '{name}' has changed the size of value")
        if out._array.dtype != g.dtype:
            raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                               f"{_wrap(g).type()} got {out.type()})")
        g = out._array
    return g


def _deliver(leaf, g) -> None:
    """Give ``leaf`` its whole gradient of this backward: pre-hooks, ``.grad``, post-hooks."""
    hooks = getattr(leaf, "_hooks", None)
    if hooks is None:
        _accumulate_leaf(leaf, g)
        return
    pre, post = hooks
    if pre:
        g = _run_pre_hooks(pre, g)
    _accumulate_leaf(leaf, g)
    for hook in tuple(post.values()):
        if hook(leaf) is not None:
            raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def _leaf_arrives(leaf, g, leaf_pending, leaf_grads) -> None:
    """One edge into ``leaf`` is done (``g`` None: nothing flowed); deliver after the last."""
    key = id(leaf)
    if g is not None:
        prev = leaf_grads.get(key)
        leaf_grads[key] = g if prev is None else prev + g
    left = leaf_pending[key] - 1
    leaf_pending[key] = left
    if left == 0 and key in leaf_grads:
        _deliver(leaf, leaf_grads.pop(key))


@quiet
def run_backward(root, grad, retain_graph: bool) -> None:
    """Backpropagate ``grad`` (an array shaped like ``root``) through the graph of ``root``.

    Kahn's algorithm over the nodes reachable from ``root``: a node runs once every consumer
    inside this graph has delivered its gradient, so no recursion and no repeated work.
    Leaves are counted the same way and receive their summed gradient once.  Every backward
    closure runs without NumPy's floating-point warnings (``backend.quiet``): inf and NaN
    gradients come silently, as in PyTorch.
    """
    root_node = root._node
    if root_node is None:
        if root._rg:
            _deliver(root, grad)
        return
    pending = {root_node: 0}
    leaf_pending = {}
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
            elif edge is not None:
                key = id(edge)
                leaf_pending[key] = leaf_pending.get(key, 0) + 1
    grads = {root_node: grad}
    leaf_grads = {}
    ready = [root_node]
    while ready:
        node = ready.pop()
        g = grads.pop(node)
        fn = node.backward_fn
        if fn is None:
            raise RuntimeError(_FREED)
        if node.hooks:
            g = _run_pre_hooks(node.hooks, g)
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
                        _prune(edge, pending, grads, ready, leaf_pending, leaf_grads)
            else:
                key = id(edge)
                if edge_grad is not None and leaf_pending[key] == 1 and key not in leaf_grads:
                    _deliver(edge, edge_grad)  # its only edge (the usual case): no summing
                else:
                    _leaf_arrives(edge, edge_grad, leaf_pending, leaf_grads)


def _prune(node, pending, grads, ready, leaf_pending, leaf_grads) -> None:
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
            elif edge is not None:
                _leaf_arrives(edge, None, leaf_pending, leaf_grads)


def retain(tensor) -> None:
    """Make a non-leaf ``tensor`` keep its ``.grad`` after backward (``Tensor.retain_grad``)."""
    if tensor._node is not None:
        tensor._node.retained = weakref.ref(tensor)


class FunctionCtx:
    """The ``ctx`` of a custom :class:`Function`: stash tensors and values for backward."""

    saved_tensors = ()
    materialize_grads = True
    non_differentiable = ()

    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` for ``backward``; read them back as ``ctx.saved_tensors``."""
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs of ``forward`` that get no gradient (e.g. indices): they come back
        with ``requires_grad=False``, and ``backward`` receives zeros (or None, see
        :meth:`set_materialize_grads`) for them, as in PyTorch."""
        self.non_differentiable = self.non_differentiable + tensors

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` receives None instead of zeros for an output that got no
        gradient (PyTorch's default is True)."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors) -> None:
        """Not supported: Genesis's custom Functions cannot modify their inputs in place."""
        raise NotImplementedError("ctx.mark_dirty (an in-place custom Function) is not supported "
                                  "by Genesis; return a new tensor from forward instead")


class _OutputGrads:
    """The gradients of a multi-output Function's outputs, one slot per output, summed slot by
    slot when several consumers deliver them (the engine adds the gradients a node receives)."""

    __slots__ = ("slots",)

    def __init__(self, slots) -> None:
        self.slots = slots

    def __add__(self, other: "_OutputGrads") -> "_OutputGrads":
        return _OutputGrads([a if b is None else b if a is None else a + b
                             for a, b in zip(self.slots, other.slots)])


class Function:
    """Base class for custom differentiable operations (PyTorch's ``autograd.Function``).

    Subclass with static ``forward(ctx, *args)`` returning a Tensor (or a tuple of them) and
    ``backward(ctx, *grad_outputs)`` (one gradient per output) returning one gradient (Tensor or
    None) per forward argument. ``forward`` runs with grad disabled; call the op with
    ``MyFn.apply(*args)``. Outputs passed to ``ctx.mark_non_differentiable`` and integer outputs
    get no gradient.

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
        single = not isinstance(out, tuple)
        outputs = [out] if single else list(out)
        if single and not isinstance(out, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return a Tensor or a tuple, got "
                            f"{type(out).__name__}")
        differentiable = []
        for k, o in enumerate(outputs):
            if not isinstance(o, Tensor):
                continue
            if o._node is not None or o._rg:
                # forward returned an input (or a tensor already in a graph): a new tensor.
                outputs[k] = o = _wrap(o._array)
            if o._array.dtype.kind == "f" and not any(o is m or (m._array is o._array)
                                                     for m in ctx.non_differentiable):
                differentiable.append(k)
        shapes = [(o._array.shape, o._array.dtype) if isinstance(o, Tensor) else None
                  for o in outputs]

        def run(slots):
            if ctx.materialize_grads:
                slots = [xp.zeros(*shapes[k]) if g is None and shapes[k] is not None else g
                         for k, g in enumerate(slots)]
            grads = cls.backward(ctx, *[None if g is None else _wrap(g) for g in slots])
            if not isinstance(grads, tuple):
                grads = (grads,)
            if len(grads) != len(args):
                raise RuntimeError(f"{cls.__name__}.backward returned {len(grads)} gradients, "
                                   f"but forward took {len(args)} arguments")
            return tuple(None if grads[i] is None else
                         (grads[i]._array if isinstance(grads[i], Tensor) else xp.asarray(grads[i]))
                         for i in positions)

        name = cls.__name__ + "Backward"
        if single:
            return attach(outputs[0], lambda g: run([g]), inputs, name) if differentiable \
                else outputs[0]
        if differentiable:
            # One node runs backward once; each differentiable output gets a node of its own
            # that hands its gradient to that node in its slot.
            joint = _wrap(xp.zeros(()))
            attach(joint, lambda grads: run(grads.slots), inputs, name)
            for k in differentiable:
                slots = [None] * len(outputs)
                attach(outputs[k], functools.partial(_to_slot, slots, k), (joint,), name)
        return tuple(outputs)


def _to_slot(slots, k, g):
    slots = list(slots)
    slots[k] = g
    return (_OutputGrads(slots),)


__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled", "Function", "FunctionCtx", "Node", "RemovableHandle"]
