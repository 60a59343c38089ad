"""``Module``: the base class of every layer and model, with PyTorch's registration protocol.

Parameters, buffers and child modules live in three ordered dicts (``_parameters``,
``_buffers``, ``_modules``) filled by ``__setattr__``; everything else (``state_dict`` keys,
``parameters()`` order, ``repr``) walks those dicts in insertion order, which is what makes the
keys and their order identical to PyTorch's for the same model.
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from typing import Any, Callable, Iterator

import numpy as np

from genesis.backend import xp
from genesis.devices import as_device, check_device, parse_to
from genesis.nn.parameter import Parameter
from genesis.tensor import Tensor


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it expected but missed, and the extra keys."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first (blank lines stay empty), for nested reprs."""
    first, *rest = text.split("\n")
    if not rest:
        return text
    pad = " " * spaces
    return "\n".join([first] + [pad + line if line.strip() else "" for line in rest])


def _typename(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def _check_member_name(module: "Module", kind: str, name: Any, own: dict) -> None:
    """Reject names PyTorch rejects: non-strings, dotted, empty, or shadowing another attribute."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if hasattr(module, name) and name not in own:
        raise KeyError(f"attribute '{name}' already exists")


def _as_array(value: Any) -> Any:
    """Storage of a Genesis tensor, or ``value`` (NumPy array, torch tensor, list) as an array."""
    if isinstance(value, Tensor):
        return value._array
    array = xp.asarray(value)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"expected a tensor or numeric array, got {_typename(value)}")
    return array


class Module:
    """Base class of layers and models: subclass, set layers in ``__init__``, define ``forward``.

    Attributes that are ``Parameter``s, ``Module``s or registered buffers are tracked and found by
    ``parameters()``, ``state_dict()``, ``to()``, ``train()``/``eval()`` and ``repr``.

    Example:
        >>> class Net(Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = genesis.nn.Linear(4, 2)
        ...     def forward(self, x):
        ...         return self.fc(x).relu()
        >>> [k for k in Net().state_dict()]
        ['fc.weight', 'fc.bias']
    """

    training: bool

    def __init__(self) -> None:
        # object.__setattr__ skips our own __setattr__, which needs these dicts to exist.
        set_attr = object.__setattr__
        set_attr(self, "training", True)
        set_attr(self, "_parameters", {})
        set_attr(self, "_buffers", {})
        set_attr(self, "_non_persistent_buffers_set", set())
        set_attr(self, "_modules", {})

    # --- calling -----------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # No hook machinery: a call is exactly one forward (keeps small models fast).
        return self.forward(*args, **kwargs)

    # --- registration --------------------------------------------------------------------------
    def _require_init(self, what: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {what} before Module.__init__() call "
                f"(call super().__init__() first in {type(self).__name__}.__init__)"
            )

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a non-trainable tensor (in ``state_dict`` when ``persistent``), e.g. running stats.

        Example:
            >>> m = Module(); m.register_buffer("steps", genesis.tensor(0))
            >>> list(m.state_dict())
            ['steps']
        """
        self._require_init("buffer")
        _check_member_name(self, "buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                "(genesis.Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a ``Parameter`` (or ``None``, a placeholder not saved) under ``name``.

        Example:
            >>> m = Module(); m.register_parameter("scale", genesis.nn.Parameter(genesis.ones(3)))
            >>> [n for n, _ in m.named_parameters()]
            ['scale']
        """
        self._require_init("parameter")
        _check_member_name(self, "parameter", name, self._parameters)
        if param is not None:
            if not isinstance(param, Parameter):
                raise TypeError(
                    f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                    "(genesis.nn.Parameter or None required)"
                )
            if not param.is_leaf:
                raise ValueError(
                    f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must "
                    f"be created explicitly. To express '{name}' as a function of another Tensor, "
                    "compute the value in the forward() method."
                )
        self._parameters[name] = param

    def add_module(self, name: str, module: "Module | None") -> None:
        """Add a child module under ``name`` (reachable as an attribute, saved as ``name.*``)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        self._require_init("module")
        _check_member_name(self, "module", name, self._modules)
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        members = self.__dict__
        params = members.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                self._require_init("parameters")
            self._forget(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as parameter '{name}' "
                    "(genesis.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            if params is None:
                self._require_init("module")
            self._forget(name)
            members["_modules"][name] = value
        elif params is not None and name in members["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as child module '{name}' "
                    "(genesis.nn.Module or None expected)"
                )
            members["_modules"][name] = None
        elif params is not None and name in members["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as buffer '{name}' "
                    "(genesis.Tensor or None expected)"
                )
            members["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        """Drop ``name`` from every place it may live before it is registered anew."""
        members = self.__dict__
        members.pop(name, None)
        for table in ("_parameters", "_buffers", "_modules"):
            members[table].pop(name, None)
        members["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name: str) -> Any:
        # Called only when normal lookup fails, so plain attributes cost nothing extra.
        members = self.__dict__
        if "_parameters" not in members:
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute '{name}' "
                f"(did {type(self).__name__}.__init__ call super().__init__()?)"
            )
        for table in ("_parameters", "_buffers", "_modules"):
            found = members[table]
            if name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        members = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if name in members.get(table, ()):
                del members[table][name]
                members["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        keys = list(dir(type(self))) + list(self.__dict__)
        keys += list(self._parameters) + list(self._modules) + list(self._buffers)
        return sorted(key for key in set(keys) if not key[0].isdigit())

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    # --- traversal -----------------------------------------------------------------------------
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, "Module"]]:
        """Yield ``(name, module)`` for this module and every descendant, depth first, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            child_prefix = prefix + ("." if prefix else "") + name
            yield from child.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self) -> Iterator["Module"]:
        """Yield this module and every descendant (each once)."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """Yield ``(name, child)`` for the direct children (each once)."""
        seen = set()
        for name, child in self._modules.items():
            if child is not None and child not in seen:
                seen.add(child)
                yield name, child

    def children(self) -> Iterator["Module"]:
        """Yield the direct child modules (each once)."""
        for _, child in self.named_children():
            yield child

    def _named_members(
        self, table: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Tensor]]:
        owners = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        seen = set()
        for owner_prefix, owner in owners:
            for name, value in getattr(owner, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield owner_prefix + ("." if owner_prefix else "") + name, value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted_name, parameter)`` in registration order; shared parameters once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yield every parameter (what an optimizer takes), in ``state_dict`` order.

        Example:
            >>> [tuple(p.shape) for p in genesis.nn.Linear(3, 2).parameters()]
            [(2, 3), (2,)]
        """
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Yield ``(dotted_name, buffer)`` for every buffer, persistent or not."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yield every buffer."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> "Module":
        """Return the descendant at dotted path ``target`` (``""`` is this module)."""
        module = self
        for atom in target.split(".") if target else []:
            child = module._modules.get(atom)
            if not isinstance(child, Module):
                raise AttributeError(f"{module._get_name()} has no submodule `{atom}`")
            module = child
        return module

    # --- modes and bulk changes ----------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training (``True``) or evaluation (``False``) mode here and below; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> "Module":
        """Switch to evaluation mode (``Dropout`` becomes the identity): ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Set ``requires_grad`` on every parameter (e.g. ``False`` to freeze); returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to ``None`` (default) or to zeros in place."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad._array[...] = 0

    def apply(self, fn: Callable[["Module"], Any]) -> "Module":
        """Call ``fn`` on every child (recursively) and then on this module; returns self.

        Example:
            >>> net = genesis.nn.Sequential(genesis.nn.Linear(2, 2))
            >>> _ = net.apply(lambda m: genesis.nn.init.zeros_(m.bias) if m is net[0] else None)
            >>> net[0].bias
            Parameter containing:
            tensor([0., 0.], requires_grad=True)
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, **kwargs: Any) -> "Module":
        """Cast floating-point parameters and buffers to a dtype in place; returns self.

        Arguments are parsed as ``Tensor.to``'s (``to(dtype)``, ``to(device)``,
        ``to(device, dtype)``, ``to(tensor)``, ``non_blocking``, ``memory_format``). The only
        device is the CPU: another raises as on a CPU-only PyTorch. ``memory_format`` changes no
        value (``channels_last`` applies to the 4-D weights, as in PyTorch).
        """
        target, dtype, _, _, _ = parse_to(*args, **kwargs)
        check_device(target)
        if dtype is None:
            return self
        if dtype.np.kind not in "fc":
            raise TypeError(
                "nn.Module.to only accepts floating point or complex dtypes, "
                f"but got desired dtype={dtype}"
            )
        return self._cast_floating(dtype.np)

    def _cast_floating(self, np_dtype: Any) -> "Module":
        for module in self.modules():
            for table in (module._parameters, module._buffers):
                for tensor in table.values():
                    if tensor is None or tensor._array.dtype.kind != "f":
                        continue
                    tensor._array = tensor._array.astype(np_dtype)
                    if tensor.grad is not None:
                        tensor.grad._array = tensor.grad._array.astype(np_dtype)
        return self

    def float(self) -> "Module":
        """Cast floating-point parameters and buffers to float32; returns self."""
        return self._cast_floating(np.float32)

    def double(self) -> "Module":
        """Cast floating-point parameters and buffers to float64; returns self."""
        return self._cast_floating(np.float64)

    def half(self) -> "Module":
        """Cast floating-point parameters and buffers to float16; returns self."""
        return self._cast_floating(np.float16)

    def cpu(self) -> "Module":
        """Return self (Genesis lives on the CPU); for code written for PyTorch."""
        return self

    def cuda(self, device: Any = None) -> "Module":
        """Fails as on a CPU-only PyTorch: Genesis has no CUDA device."""
        check_device("cuda" if device is None else as_device(device))
        return self

    # --- state dict ----------------------------------------------------------------------------
    def _local_state(self) -> dict[str, Tensor]:
        """This module's own saved entries: parameters, then persistent buffers (not ``None``)."""
        state = {name: p for name, p in self._parameters.items() if p is not None}
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                state[name] = buffer
        return state

    def state_dict(
        self, *, destination: dict | None = None, prefix: str = "", keep_vars: bool = False
    ) -> "OrderedDict[str, Tensor]":
        """Return an ordered ``{dotted_name: tensor}`` of parameters and persistent buffers.

        Keys, shapes and order match PyTorch's for the same model; values share storage with the
        module (detached unless ``keep_vars``).

        Example:
            >>> net = genesis.nn.Sequential(genesis.nn.Linear(3, 2), genesis.nn.ReLU())
            >>> {k: tuple(v.shape) for k, v in net.state_dict().items()}
            {'0.weight': (2, 3), '0.bias': (2,)}
        """
        if destination is None:
            destination = OrderedDict()
        for name, value in self._local_state().items():
            destination[prefix + name] = value if keep_vars else value.detach()
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination=destination, prefix=prefix + name + ".",
                                 keep_vars=keep_vars)
        return destination

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> _IncompatibleKeys:
        """Copy values into the parameters and buffers in place, keeping their dtypes.

        Values may be Genesis tensors, NumPy arrays or anything array-like (a PyTorch state_dict
        works as is). Raises ``RuntimeError`` (as PyTorch does) listing, all at once, the missing
        and unexpected keys (only when ``strict``) and every shape mismatch (always); nothing is
        copied then. Returns ``(missing_keys, unexpected_keys)``.

        Example:
            >>> a, b = genesis.nn.Linear(3, 2), genesis.nn.Linear(3, 2)
            >>> b.load_state_dict(a.state_dict())
            <All keys matched successfully>
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        if assign:
            raise NotImplementedError(
                "load_state_dict(assign=True) is not supported; values are copied in place"
            )
        expected: dict[str, Tensor] = {}
        for module_prefix, module in self.named_modules(remove_duplicate=False):
            lead = module_prefix + "." if module_prefix else ""
            for name, value in module._local_state().items():
                expected.setdefault(lead + name, value)

        missing = [key for key in expected if key not in state_dict]
        unexpected = [key for key in state_dict if key not in expected]
        errors, copies = [], []
        for key, target in expected.items():
            if key not in state_dict:
                continue
            try:
                source = _as_array(state_dict[key])
            except (TypeError, ValueError) as exc:
                errors.append(f'While copying the parameter named "{key}", expected a tensor or '
                              f"array-like value but received {type(state_dict[key])} ({exc})")
                continue
            if tuple(source.shape) != tuple(target.shape):
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(source.shape)} "
                    f"from checkpoint, the shape in current model is {tuple(target.shape)}."
                )
                continue
            copies.append((target, source))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        for target, source in copies:
            # In place, so optimizers holding these parameters keep seeing the new values.
            target._array[...] = source
        return _IncompatibleKeys(missing, unexpected)

    # --- repr ----------------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside this module's ``repr`` parentheses; layers override it."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): " + _addindent(repr(child), 2) for name, child in self._modules.items()
        ]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"


__all__ = ["Module"]
