"""The optimizer base class: parameter groups, per-parameter state and state dicts.

Subclasses (SGD, Adam, ...) supply their defaults, a check of their options and one update rule
(``_update_group``).  Everything else — how parameters are grouped, how a scheduler reaches the
learning rate (``param_groups[i]["lr"]``), how state is saved and restored — lives here and has
PyTorch's shape, so code written for ``torch.optim`` works unchanged.
"""
from __future__ import annotations

import copy
import numbers
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from genesis.autograd import enable_grad
from genesis.backend import xp
from genesis.dtypes import float32
from genesis.tensor import Tensor

__all__ = ["Optimizer"]

def _state_tensor(array) -> Tensor:
    """Wrap a backend array (owned by the optimizer) as a Genesis tensor without copying it."""
    return Tensor._wrap(array)


def _step_tensor(value: float = 0.0) -> Tensor:
    """A per-parameter scalar state (the step counter): a 0-d float32 tensor, as PyTorch stores it."""
    return Tensor._wrap(xp.asarray(value, dtype=float32.np))


def _fill_state(state: dict, param, zeros: Iterable[str], **scalars: float) -> None:
    """Start an empty per-parameter state in PyTorch's key order: the step counter, the named
    float32 scalars (``mu_product=1.0``), then a zero array like ``param`` for each of ``zeros``."""
    state["step"] = _step_tensor()
    for name, value in scalars.items():
        state[name] = _step_tensor(value)
    for name in zeros:
        state[name] = _state_tensor(xp.zeros_like(param))


def _increment_step(state: dict) -> float:
    """Add one to ``state["step"]`` in place and return the new count as a Python float."""
    counter = state["step"]._array
    xp.add(counter, 1.0, out=counter)
    return float(counter)


def _lerp_(start, end, weight: float) -> None:
    """``start += weight * (end - start)`` in place, in PyTorch's two-branch order."""
    diff = xp.subtract(end, start)
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        # PyTorch switches formula for large weights so that weight=1 returns ``end`` exactly.
        diff *= 1.0 - weight
        xp.subtract(end, diff, out=start)


def _weight_decay(param, grad, weight_decay: float, lr: float = 0.0, decoupled: bool = False):
    """Apply weight decay: shrink ``param`` in place when ``decoupled`` (AdamW's form), else
    return ``grad + weight_decay * param`` (a fresh array: ``p.grad`` stays untouched)."""
    if weight_decay == 0:
        return grad
    if decoupled:
        param *= 1 - lr * weight_decay
        return grad
    return xp.multiply(param, weight_decay) + grad


def _update_moments(exp_avg, exp_avg_sq, grad, beta1: float, beta2: float) -> None:
    """Adam's running averages of the gradient and its square, in place, in PyTorch's order."""
    _lerp_(exp_avg, grad, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += xp.multiply(grad, 1 - beta2) * grad


def _scalar(value: Any) -> Any:
    """An option's number: a 1-element tensor (``lr=genesis.tensor(0.1)``) read as a Python float."""
    if isinstance(value, Tensor):
        return float(value._array.reshape(()))
    return value


# PyTorch's words for a negative option ("Invalid learning rate: -1"); the others say
# "Invalid <name> value: <value>"
_INVALID = {"lr": "Invalid learning rate", "eps": "Invalid epsilon value"}


def check_real(name: str, value: Any) -> None:
    """Raise ``TypeError`` unless ``value`` is a real number (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")


def check_non_negative(name: str, value: Any, tensor_ok: bool | None = None) -> None:
    """Raise unless ``value`` is a number ``>= 0``: a real, or where PyTorch takes one
    (``tensor_ok``, by default for ``lr``) a 1-element floating tensor.

    The ValueError starts with PyTorch's words (``Invalid learning rate: -1``); NaN, which
    PyTorch lets through to the weights, is refused the same way.
    """
    if isinstance(value, Tensor) and (name == "lr" if tensor_ok is None else tensor_ok):
        if value._array.size != 1:
            raise ValueError(f"Tensor {name} must be 1-element")
        if not xp.issubdtype(value._array.dtype, xp.floating):
            raise TypeError(f"a tensor {name} must be floating point, got {value.dtype}")
    else:
        check_real(name, value)
    if not _scalar(value) >= 0.0:
        label = _INVALID.get(name, f"Invalid {name} value")
        raise ValueError(f"{label}: {value} ({name} must be a number >= 0)")


def check_betas(betas: Any) -> None:
    """``betas`` must be a pair of numbers in [0, 1) (PyTorch's messages)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        if isinstance(beta, Tensor):
            if beta._array.size != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
            beta = _scalar(beta)
        check_real(f"betas[{i}]", beta)
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} (must be in [0, 1))")


def check_adam_options(options: dict, devices_of: str = "params and state_steps") -> None:
    """The checks every Adam-family optimizer makes: lr, eps, betas, weight_decay, kernels."""
    check_non_negative("lr", options["lr"])
    check_non_negative("eps", options["eps"])
    check_betas(options["betas"])
    check_non_negative("weight_decay", options["weight_decay"])
    check_kernels(options, devices_of)


def check_kernels(options: dict, devices_of: str = "params and state_steps") -> None:
    """Check PyTorch's kernel switches as PyTorch does: Genesis has one NumPy kernel for all.

    ``fused`` and ``foreach`` only choose a kernel, so they are accepted (with PyTorch's errors
    for the combinations it refuses); ``capturable=True`` needs an accelerator, which PyTorch on
    a CPU refuses at the first step, and Genesis at once; ``differentiable=True`` (an update
    recorded in the autograd graph) is not implemented.
    """
    if options.get("fused"):
        if options.get("differentiable"):
            raise RuntimeError("`fused` does not support `differentiable`")
        if options.get("foreach"):
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if options.get("capturable"):
        raise AssertionError(
            f"If capturable=True, {devices_of} must be on supported devices: []. Genesis computes on "
            "the CPU, where PyTorch does not support capturable=True either; use capturable=False"
        )
    if options.get("differentiable"):
        raise ValueError("differentiable=True is not supported by Genesis: its optimizers update "
                         "leaf parameters outside the autograd graph; use differentiable=False")


def _check_fused(group: dict) -> None:
    # PyTorch's fused kernels take floating-point parameters only, and say so at the step
    for p in group["params"]:
        if p.grad is not None and not xp.issubdtype(p._array.dtype, xp.floating):
            raise RuntimeError(
                "`fused=True` requires all the params to be floating point Tensors of supported "
                f"devices: ['cpu'] but {p.dtype} and cpu"
            )


def _typename(value: Any) -> str:
    """``torch.typename``: the qualified name of ``value``'s type (builtins unqualified)."""
    kind = type(value)
    module = kind.__module__
    return kind.__qualname__ if module in ("", "builtins") else f"{module}.{kind.__qualname__}"


class _MissingKeyError(KeyError):
    """A KeyError that prints the missing key (as PyTorch's does) followed by advice."""

    def __str__(self) -> str:
        return f"{self.args[0]!r} ({self.args[1]})"


class Optimizer:
    """Base class of all optimizers, with PyTorch's ``param_groups`` / ``state`` protocol.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts that each hold
    ``"params"`` plus per-group options overriding ``defaults``.  Each group in
    ``param_groups`` is a dict with every option (``"lr"``, ...), read afresh at every step,
    so LR schedulers drive any optimizer by editing ``group["lr"]``.

    Example:
        >>> w, b = genesis.nn.Parameter(genesis.zeros(2)), genesis.nn.Parameter(genesis.zeros(1))
        >>> opt = genesis.optim.SGD([{"params": [w], "lr": 0.5}, {"params": [b]}], lr=0.1)
        >>> [group["lr"] for group in opt.param_groups]
        [0.5, 0.1]
    """

    # per-parameter state entries that are scalars (0-d float32 tensors), not parameter-shaped
    _scalar_state: tuple[str, ...] = ("step",)

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor) or not hasattr(params, "__iter__"):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        if isinstance(params, dict):
            # PyTorch iterates the dict's keys and fails on the first one
            raise TypeError(
                f"optimizer can only optimize Tensors, but one of the params is "
                f"{_typename(next(iter(params), None))} (params is a single dict: wrap it in a list)"
            )
        if isinstance(params, (set, frozenset)):
            # PyTorch only catches sets inside a group dict; a set's order changes between runs
            # either way, and the state dict numbers parameters in that order.
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        self._check_options(defaults)  # the constructor's arguments, before any group
        if "betas" in defaults:
            defaults["betas"] = tuple(defaults["betas"])
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---- subclass hooks -------------------------------------------------------------------
    @staticmethod
    def _check_options(options: dict[str, Any]) -> None:
        """Validate one group's options; subclasses raise ValueError naming the bad option."""

    def _update_group(self, group: dict[str, Any]) -> None:
        """Apply one update to every parameter of ``group`` that has a gradient."""
        raise NotImplementedError

    @staticmethod
    def _with_grads(group: dict[str, Any]) -> Iterator[tuple[Tensor, Any, Any]]:
        """``(p, param, grad)`` for each parameter of ``group`` that has a gradient.

        ``param`` and ``grad`` are the backend arrays, ``grad`` negated when ``maximize`` (a
        fresh array then, so ``p.grad`` stays untouched).
        """
        maximize = group.get("maximize", False)
        for p in group["params"]:
            if p.grad is None:
                continue
            grad = p.grad._array
            yield p, p._array, xp.negative(grad) if maximize else grad

    def _stepped(
        self, group: dict[str, Any], zeros: Iterable[str], **scalars: float
    ) -> Iterator[tuple[Any, Any, dict, float]]:
        """``(param, grad, state, step)`` for each parameter of ``group`` that has a gradient.

        The state is started on first use (:func:`_fill_state`: the step counter, ``scalars``,
        then a zero array for each name in ``zeros``) and its step counter is advanced; ``step``
        is the new count.
        """
        for p, param, grad in self._with_grads(group):
            state = self.state[p]
            if not state:
                _fill_state(state, param, zeros, **scalars)
            yield param, grad, state, _increment_step(state)

    # ---- public API -------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with optional per-group options) to ``param_groups``.

        Missing options take the optimizer's defaults; a parameter may belong to one group only.

        Example:
            >>> w, head = genesis.nn.Parameter(genesis.zeros(2)), genesis.nn.Parameter(genesis.zeros(3))
            >>> opt = genesis.optim.Adam([w], lr=1e-3)
            >>> opt.add_param_group({"params": [head], "lr": 1e-4})
            >>> [(group["lr"], group["betas"]) for group in opt.param_groups]
            [(0.001, (0.9, 0.999)), (0.0001, (0.9, 0.999))]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        if "params" not in param_group:
            raise _MissingKeyError("params", "a param_group needs 'params', the tensors to optimize")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)

        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(tensors):
            raise ValueError(
                "all optimizer params should be with/without names. Some param names are missing"
            )
        for tensor in tensors:
            if not isinstance(tensor, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {_typename(tensor)}"
                )
            if not (tensor.is_leaf or tensor.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(t) for t in tensors}) != len(tensors):
            # PyTorch warns and then updates such a parameter once per occurrence; so does Genesis
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this "
                "will cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )

        group = dict(param_group)
        group["params"] = tensors
        if names:
            group["param_names"] = names
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        if "betas" in group:
            group["betas"] = tuple(group["betas"])
        self._check_options(group)

        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for existing in self.param_groups:
            if ("param_names" in existing) != bool(names):
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add param "
                    f"group {'with' if names else 'without'} names to the optimizer"
                )
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to ``None`` (default) or to zeros in place.

        Example:
            >>> w = genesis.nn.Parameter(genesis.ones(2))
            >>> w.grad = genesis.ones(2)
            >>> opt = genesis.optim.SGD([w])
            >>> opt.zero_grad(set_to_none=False)
            >>> w.grad
            tensor([0., 0.])
            >>> opt.zero_grad()
            >>> print(w.grad)
            None
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._array[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient once; return ``closure()``'s loss if given.

        The closure (which recomputes the loss and calls ``backward``) runs with grad enabled.

        Example:
            >>> w = genesis.nn.Parameter(genesis.tensor([2.0]))
            >>> opt = genesis.optim.SGD([w], lr=0.25)
            >>> def closure():
            ...     opt.zero_grad()
            ...     loss = (w * w).sum()
            ...     loss.backward()
            ...     return loss
            >>> opt.step(closure).item()    # the loss at w = 2; then w <- 2 - 0.25 * 4
            4.0
            >>> w.data
            tensor([1.])
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        try:
            for group in self.param_groups:
                if group.get("fused"):
                    _check_fused(group)
                self._update_group(group)
        except ValueError:
            self._check_grad_shapes()  # a hand-assigned grad of the wrong shape, named
            raise
        return loss

    def _check_grad_shapes(self) -> None:
        index = 0
        for group_index, group in enumerate(self.param_groups):
            for p in group["params"]:
                grad = p.grad
                if grad is not None and tuple(grad._array.shape) != tuple(p._array.shape):
                    raise ValueError(
                        f"param_groups[{group_index}] parameter {index} has shape "
                        f"{tuple(p._array.shape)} but its grad has shape {tuple(grad._array.shape)}; "
                        f"a gradient must have its parameter's shape") from None
                index += 1

    def state_dict(self) -> dict[str, Any]:
        """Return ``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Parameters are numbered in group order, as in PyTorch; state values are the optimizer's
        own tensors (not copies) and the step counters.

        Example:
            >>> w = genesis.nn.Parameter(genesis.ones(2))
            >>> opt = genesis.optim.SGD([w], lr=0.1, momentum=0.9)
            >>> w.grad = genesis.ones(2)
            >>> opt.step()
            >>> saved = opt.state_dict()
            >>> saved["param_groups"][0]["params"], saved["state"][0]["momentum_buffer"]
            ([0], tensor([1., 1.]))
        """
        index_of: dict[int, int] = {}
        packed_groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            # PyTorch's numbering: the position in the groups; a parameter repeated in a group
            # gets its last position there (PyTorch's dict comprehension), one seen in an
            # earlier group keeps that group's
            index_of.update({id(p): position for position, p in enumerate(group["params"], start)
                             if id(p) not in index_of})
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(packed["params"])
            packed_groups.append(packed)
        packed_state = {index_of[id(p)]: s for p, s in self.state.items() if id(p) in index_of}
        return {"state": packed_state, "param_groups": packed_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state from ``state_dict()`` output (deep-copied, cast to dtype).

        The number of groups and of parameters per group must match; tensors and arrays are
        copied and cast to their parameter's dtype (the ``step`` counter stays float32).  A
        PyTorch optimizer's ``state_dict()`` loads as it is: its tensors become Genesis tensors.

        Example:
            >>> w = genesis.nn.Parameter(genesis.ones(2))
            >>> w.grad = genesis.ones(2)
            >>> opt = genesis.optim.Adam([w], lr=0.1)
            >>> opt.step()
            >>> resumed = genesis.optim.Adam([w], lr=0.5)
            >>> resumed.load_state_dict(opt.state_dict())
            >>> resumed.param_groups[0]["lr"], resumed.state[w]["step"]
            (0.1, tensor(1.))
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        missing = [k for k in ("state", "param_groups") if k not in state_dict]
        if missing:
            raise ValueError(f"optimizer state_dict is missing the keys {missing}")
        groups = self.param_groups
        saved_groups = copy.deepcopy(list(state_dict["param_groups"]))
        if len(groups) != len(saved_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups: "
                f"{len(saved_groups)} saved, {len(groups)} in the optimizer"
            )
        for i, (group, saved) in enumerate(zip(groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group: group {i} has {len(saved['params'])} saved "
                    f"parameters, {len(group['params'])} in the optimizer"
                )
        param_of = {
            index: p
            for group, saved in zip(groups, saved_groups)
            for index, p in zip(saved["params"], group["params"])
        }

        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for index, values in state_dict["state"].items():
            if index not in param_of:
                raise ValueError(
                    f"loaded state dict has state for parameter index {index!r}, which is not "
                    f"in any group (indices are {sorted(param_of)})"
                )
            param = param_of[index]
            new_state[param] = {key: _cast_value(param, key, v, self._scalar_state)
                                for key, v in values.items()}

        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, value in saved.items():
                if name not in ("params", "param_names"):
                    saved[name] = _option_value(value)
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
            if "betas" in saved:
                saved["betas"] = tuple(saved["betas"])
            self._check_options(saved)
            new_groups.append(saved)
        self.state = new_state
        self.param_groups = new_groups

    def __repr__(self) -> str:
        text = f"{type(self).__name__} ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(f"    {k}: {group[k]}\n" for k in sorted(group) if k != "params")
        return text + ")"


def _as_array(value: Any) -> Any:
    """``value`` as a backend array when it is a tensor of Genesis or another framework (a
    PyTorch state dict's), else ``value`` itself."""
    if isinstance(value, Tensor):
        return value._array
    if isinstance(value, xp.ndarray):
        return value
    if hasattr(type(value), "__array__") and not isinstance(value, (numbers.Number, str, bytes, xp.generic)):
        return xp.asarray(value)
    return value


def _option_value(value: Any) -> Any:
    """A saved group option, with another framework's tensors (a tensor lr) as Genesis tensors."""
    if isinstance(value, (list, tuple)):
        return type(value)(_option_value(v) for v in value)
    if isinstance(value, Tensor) or _as_array(value) is value:
        return value
    return Tensor._wrap(xp.array(_as_array(value)))


def _cast_value(param: Tensor, key: str, value: Any, scalar_keys: tuple[str, ...]) -> Any:
    """Deep-copy one saved state value; tensors/arrays become tensors of ``param``'s dtype, the
    per-parameter scalars (``scalar_keys``: the step counter...) 0-d float32 tensors."""
    value = _as_array(value)
    if key in scalar_keys and (isinstance(value, xp.ndarray) or isinstance(value, numbers.Real)):
        if xp.size(value) != 1:
            raise ValueError(f"loaded state {key!r} must be a single number, got shape {xp.shape(value)}")
        return _step_tensor(float(xp.reshape(value, ())))
    if isinstance(value, xp.ndarray):
        array = xp.array(value, dtype=param._array.dtype if _is_floating(param) else None)
        if array.shape != param._array.shape:
            raise ValueError(
                f"loaded state {key!r} has shape {tuple(array.shape)}, but its parameter has "
                f"shape {tuple(param._array.shape)}"
            )
        return _state_tensor(array)
    if isinstance(value, dict):
        return {k: _cast_value(param, k, v, scalar_keys) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_value(param, key, v, scalar_keys) for v in value)
    return copy.deepcopy(value)


def _is_floating(param: Tensor) -> bool:
    return xp.issubdtype(param._array.dtype, xp.floating)
