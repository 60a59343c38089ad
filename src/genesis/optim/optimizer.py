"""The optimizer base class: parameter groups, per-parameter state and state dicts.

Subclasses (SGD, Adam, ...) supply their defaults, a check of their options and one update rule
(``_update_group``).  Everything else — how parameters are grouped, how a scheduler reaches the
learning rate (``param_groups[i]["lr"]``), how state is saved and restored — lives here and has
PyTorch's shape, so code written for ``torch.optim`` works unchanged.
"""
from __future__ import annotations

import copy
import numbers
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from genesis.autograd import enable_grad
from genesis.backend import xp
from genesis.dtypes import float32
from genesis.tensor import Tensor

__all__ = ["Optimizer"]

# Options PyTorch keeps in every group for its alternative kernels.  Genesis has one NumPy kernel
# per optimizer; the options are kept so that state dicts have PyTorch's keys.
_UNSUPPORTED_TRUE = ("capturable", "differentiable", "fused")


def _state_tensor(array) -> Tensor:
    """Wrap a backend array (owned by the optimizer) as a Genesis tensor without copying it."""
    return Tensor._wrap(array)


def _step_tensor(value: float = 0.0) -> Tensor:
    """The per-parameter step counter: a 0-d float32 tensor, as PyTorch stores it."""
    return Tensor._wrap(xp.asarray(value, dtype=float32.np))


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


def check_real(name: str, value: Any) -> None:
    """Raise ``TypeError`` unless ``value`` is a real number (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")


def check_non_negative(name: str, value: Any) -> None:
    """Raise unless ``value`` is a real number ``>= 0`` (``ValueError`` names the argument)."""
    check_real(name, value)
    if not value >= 0.0:
        raise ValueError(f"Invalid {name}: {name} must be >= 0, got {value}")


def check_unsupported(options: dict) -> None:
    """Reject PyTorch kernel switches that Genesis does not implement (capturable, fused, ...)."""
    for name in _UNSUPPORTED_TRUE:
        if options.get(name):
            raise ValueError(
                f"{name}=True is not supported by Genesis (one NumPy kernel per optimizer); "
                f"use {name}={'None' if name == 'fused' else 'False'}"
            )


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

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor) or not hasattr(params, "__iter__"):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        if isinstance(params, dict):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got a single dict; wrap it in a list"
            )
        if isinstance(params, (set, frozenset)):
            # PyTorch only catches sets inside a group dict; a set's order changes between runs
            # either way, and the state dict numbers parameters in that order.
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
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
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry (the tensors to optimize)")
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
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{type(tensor).__name__}"
                )
            if not tensor.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(t) for t in tensors}) != len(tensors):
            raise ValueError("optimizer got a parameter group with duplicate parameters")

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
        self._init_group_state(group)

    def _init_group_state(self, group: dict[str, Any]) -> None:
        """Create state eagerly when the optimizer needs it (Adagrad); lazily by default."""

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
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            packed_groups.append(packed)
        packed_state = {index_of[id(p)]: s for p, s in self.state.items() if id(p) in index_of}
        return {"state": packed_state, "param_groups": packed_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state from ``state_dict()`` output (deep-copied, cast to dtype).

        The number of groups and of parameters per group must match; tensors and arrays are
        copied and cast to their parameter's dtype (the ``step`` counter stays float32).

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
            new_state[param] = {key: _cast_value(param, key, v) for key, v in values.items()}

        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
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


def _cast_value(param: Tensor, key: str, value: Any) -> Any:
    """Deep-copy one saved state value; tensors/arrays become tensors of ``param``'s dtype."""
    if isinstance(value, Tensor):
        value = value._array
    if isinstance(value, xp.ndarray) or (key == "step" and isinstance(value, numbers.Real)):
        if key == "step":
            return _step_tensor(float(value))
        array = xp.array(value, dtype=param._array.dtype if _is_floating(param) else None)
        if array.shape != param._array.shape:
            raise ValueError(
                f"loaded state {key!r} has shape {tuple(array.shape)}, but its parameter has "
                f"shape {tuple(param._array.shape)}"
            )
        return _state_tensor(array)
    if isinstance(value, dict):
        return {k: _cast_value(param, k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_value(param, key, v) for v in value)
    return copy.deepcopy(value)


def _is_floating(param: Tensor) -> bool:
    return xp.issubdtype(param._array.dtype, xp.floating)
