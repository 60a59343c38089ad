"""The scheduler protocol (PyTorch's): a scheduler rewrites one entry of every param group
(``"lr"``, or its ``field``) once per ``step()``.  Construction records ``group["initial_lr"]``
(``base_lrs``) and makes the initial step to ``last_epoch`` 0; ``step()`` asks ``get_lr()`` for
the next rates, which chainable schedulers compute from the group's current rate so that
several on one optimizer compose.  Each class also has one closed form, ``_closed_form(steps,
start)``, a call of a pure function of ``schedules``: ``lr_at``, ``preview``, plots, the CLI and
``step(epoch)`` use it.  Any ``param_groups`` list of dicts can be driven (Genesis or PyTorch).
"""
from __future__ import annotations

import types
import warnings
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .checks import as_number, check_epoch, check_field, check_int, check_steps
from .plain import copy_plain, definition_changes, plain
from .torch_state import from_torch

__all__ = ["LRScheduler", "_LRScheduler", "LRList", "SchedulerStateError", "ScheduleChangedWarning"]

# PyTorch 2.13's messages open ours (code filters warnings and matches errors by this text);
# Genesis's advice follows.
EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where "
    "possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if "
    "epoch is different from None, the closed form is used instead of the new chainable form, "
    "where available. Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)
STEP_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and "
    "later, you should call them in the opposite order: `optimizer.step()` before "
    "`lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first value "
    "of the learning rate schedule. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
    " ({scheduler}: the first rate of the schedule was skipped. To look at a schedule without "
    "training, use genesis.optim.lr_scheduler.preview(scheduler, num_steps).)"
)
STEP_REPLACED_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before `lr_scheduler.step()`. "
    "See more details at https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
    " ({scheduler}: replace optimizer.step before building the scheduler, so that it can check "
    "the order.)"
)
GET_LR_WARNING = ("To get the last learning rate computed by the scheduler, please use "
                  "`get_last_lr()`.")
MISSING_INITIAL_LR = (
    "param '{key}' is not specified in param_groups[{index}] when resuming scheduler with "
    "last_epoch >= 0.\nThis typically happens when:\n1. You're trying to resume training from a "
    "checkpoint but haven't properly loaded the optimizer state\n2. You're using last_epoch >= 0 "
    "for a fresh training run (not recommended)\n(last_epoch={last_epoch}: load the optimizer's "
    "state dict, saved while a scheduler was attached, before building the scheduler, or build it "
    "with last_epoch=-1 and load the scheduler's state dict instead)"
)


class SchedulerStateError(KeyError):
    """A scheduler cannot be built or restored from the state it was given (a ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would print the message with quotes around it
        return str(self.args[0]) if self.args else ""


class ScheduleChangedWarning(UserWarning):
    """A resumed scheduler was built with another schedule than the one its state was saved with."""


class LRList(list):
    """The per-group rates of ``get_last_lr()``: a ``list`` (printed ``[0.001]`` as PyTorch)
    that, holding one group's rate, also formats and converts like that rate:

        >>> rates = LRList([0.001])
        >>> f"{rates}", f"{rates:.4f}", float(rates)
        ('[0.001]', '0.0010', 0.001)
    """

    __slots__ = ()

    def _single(self, what: str) -> float:
        if len(self) != 1:
            raise TypeError(f"get_last_lr() holds {len(self)} rates (one per param group), so it "
                            f"cannot be used as one number in {what}; index it, e.g. "
                            "get_last_lr()[0]")
        return self[0]

    def __format__(self, spec: str) -> str:
        if not spec:
            return list.__repr__(self)
        return format(self._single(f"format spec {spec!r}"), spec)

    def __float__(self) -> float:
        return float(self._single("float()"))


def check_optimizer(optimizer: Any, field: str = "lr") -> list[dict]:
    """Return ``optimizer.param_groups`` after checking it is a non-empty list of dicts that
    hold ``field``."""
    groups = getattr(optimizer, "param_groups", None)
    if not (isinstance(groups, list) and groups
            and all(isinstance(g, dict) and "lr" in g for g in groups)):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer: a scheduler needs an "
                        "optimizer whose param_groups is a non-empty list of dicts holding 'lr' (a "
                        "Genesis or PyTorch optimizer)")
    key, item = check_field(field)
    for index, group in enumerate(groups):
        try:
            value = as_number(group[key] if item is None else group[key][item])
        except (KeyError, IndexError, TypeError):
            value = None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"field {field!r}: param_groups[{index}] holds no number there "
                             f"(its entries: {sorted(k for k in group if k != 'params')})")
    return groups


def lambda_state(fn: Any) -> dict | None:
    """What ``state_dict`` records of a user callable (as PyTorch): None or its attributes."""
    if fn is None or isinstance(fn, (types.FunctionType, types.BuiltinFunctionType,
                                     types.MethodType)):
        return None
    return dict(getattr(fn, "__dict__", {}))


def warn_get_lr_outside_step() -> None:
    """PyTorch's warning when ``get_lr()`` is called by hand (it computes a step; no getter)."""
    warnings.warn(GET_LR_WARNING, UserWarning, stacklevel=3)


def read_values(groups: list[dict], key: str, item: int | None) -> list:
    """``group[key]`` (or ``group[key][item]``) of every group, in a new list."""
    values = []
    for group in groups:  # every step reads: a loop costs less than a comprehension (3.11)
        values.append(group[key] if item is None else group[key][item])
    return values


def write_values(groups: list[dict], key: str, values: list, item: int | None = None) -> list:
    """Write ``values`` into ``group[key]`` (or entry ``item`` of it), keeping a tensor there a
    tensor (``fill_``, as PyTorch 2.13 does); returns what the groups now hold, as plain numbers
    (a float32 tensor holds the value rounded): what ``get_last_lr`` reports."""
    written = []
    for group, value in zip(groups, values):
        value = as_number(value)
        current = group[key] if item is None else group[key][item]
        if not isinstance(current, (int, float)) and callable(getattr(current, "fill_", None)):
            current.fill_(value)
            value = as_number(current)
        elif item is None:
            group[key] = value
        else:
            entries = group[key]
            group[key] = type(entries)([*entries[:item], value, *entries[item + 1:]])
        written.append(value)
    return written


class _TrackedStep:
    """``optimizer.step`` wrapped to note that it ran (PyTorch's names, ``_wrapped_by_lr_sched``
    and ``_opt_called``, so both libraries share one wrapper).  The optimizer is held weakly;
    ``__reduce__`` makes a copy or pickle of the optimizer wrap the copy's own step."""

    __slots__ = ("_optimizer", "_function")
    _wrapped_by_lr_sched = True

    def __init__(self, optimizer: Any, function: Callable) -> None:
        self._optimizer = weakref.ref(optimizer)
        self._function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        optimizer = self._optimizer()
        optimizer._opt_called = True
        return self._function(optimizer, *args, **kwargs)

    def __reduce__(self) -> tuple:
        return type(self), (self._optimizer(), self._function)


def track_optimizer_step(optimizer: Any) -> None:
    """Wrap ``optimizer.step`` (a method of it) once so that schedulers can see it was called."""
    step = getattr(optimizer, "step", None)
    if getattr(step, "_wrapped_by_lr_sched", False) or getattr(step, "__self__", None) \
            is not optimizer:
        return
    optimizer.step = _TrackedStep(optimizer, step.__func__)


class LRScheduler:
    """Base class of the learning-rate schedulers: the ``initial_lr``/``last_epoch`` protocol.

    A subclass implements ``get_lr()`` (the rates at ``last_epoch``) and ``_closed_form``.

    Args:
        optimizer: anything with PyTorch-shaped ``param_groups``.
        last_epoch: -1 starts afresh; another value resumes (needs ``"initial_lr"`` in every group).
        verbose: print ``Adjusting learning rate of group i to x.`` whenever a rate changes.
        field: the param-group entry to drive (keyword only): ``"lr"``, ``"weight_decay"``,
            ``"momentum"``, ``"betas[0]"``...; its starting value is kept as ``"initial_<field>"``.
    """

    # Keys of ``state_dict()`` besides the ones every scheduler has; subclasses extend it.
    _state_keys: tuple[str, ...] = ()
    _base_state_keys: tuple[str, ...] = ("base_lrs", "last_epoch", "_step_count", "_last_lr",
                                         "verbose")
    # Keys a state dict may lack (PyTorch leaves some out, e.g. without cycle_momentum).
    _optional_state_keys: tuple[str, ...] = ()
    # The constructor's arguments, as attributes of the same names (to_config).
    _arguments: tuple[str, ...] = ()
    # get_lr only multiplies the group's current rate by a factor of the step: chained
    # scalings multiply, which is how ChainedScheduler composes closed forms.
    _scaling = False
    _is_initial = False
    _get_lr_called_within_step = False
    field = "lr"
    _key, _item = "lr", None

    def __init__(self, optimizer: Any, last_epoch: int = -1, verbose: bool = False, *,
                 field: str = "lr") -> None:
        groups = check_optimizer(optimizer, field)
        check_int("last_epoch", last_epoch, -1)
        self._set_field(field, optimizer, verbose)
        initial = self._initial_key()
        if last_epoch == -1:
            for group, value in zip(groups, self._values()):
                group.setdefault(initial, as_number(value))  # plain: never the group's tensor
        else:
            for index, group in enumerate(groups):
                if initial not in group:
                    raise SchedulerStateError(MISSING_INITIAL_LR.format(
                        key=initial, index=index, last_epoch=last_epoch))
        self.base_lrs: list[float] = [as_number(group[initial]) for group in groups]
        self.last_epoch = last_epoch
        track_optimizer_step(optimizer)
        self._initial_step()

    def _set_field(self, field: str, optimizer: Any, verbose: Any = False) -> None:
        """What every constructor records: the driven entry, the optimizer, ``verbose``."""
        self.field, self.optimizer, self.verbose = field, optimizer, bool(verbose)
        self._key, self._item = check_field(field)

    def _initial_key(self) -> str:
        return "initial_lr" if self.field == "lr" else f"initial_{self.field}"

    def _values(self) -> list:
        """The driven entry of every param group, as it is now."""
        return read_values(self.optimizer.param_groups, self._key, self._item)

    def _initial_step(self) -> None:
        """The step made at construction (PyTorch's): ``last_epoch`` moves to its first value."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The rates for the current ``last_epoch`` (called by ``step``; use ``get_last_lr``)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr()")

    def _computed_lr(self) -> list[float]:
        """``get_lr()`` as ``step`` calls it (no warning)."""
        self._get_lr_called_within_step = True
        try:
            return self.get_lr()
        finally:
            self._get_lr_called_within_step = False

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or jump to ``epoch``, deprecated) and write the new rates."""
        count = self._step_count
        if count == 1:
            self._check_step_order()
        if epoch is None:
            self._step_count = count + 1
            self.last_epoch += 1
            values = self._computed_lr()
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            epoch = check_epoch(epoch)  # before anything changes: a refused epoch leaves no trace
            self._step_count = count + 1
            values = self._rates_at(epoch)
        self._write_lrs(values)

    def _check_step_order(self) -> None:
        """PyTorch's check at the first ``step()``: has the optimizer (if it has a step) stepped?"""
        step = getattr(self.optimizer, "step", None)
        if step is None:
            return
        name = type(self).__name__
        if not getattr(step, "_wrapped_by_lr_sched", False):
            warnings.warn(STEP_REPLACED_WARNING.format(scheduler=name), UserWarning, stacklevel=3)
        elif not getattr(self.optimizer, "_opt_called", False):
            warnings.warn(STEP_ORDER_WARNING.format(scheduler=name), UserWarning, stacklevel=3)

    def _rates_at(self, epoch: int) -> list[float]:
        """Jump to ``epoch``: the closed form where the class has one, else ``get_lr``."""
        self.last_epoch = epoch
        closed_form = getattr(self, "_get_closed_form_lr", None)
        return closed_form() if closed_form is not None else self._computed_lr()

    def _update_lr(self, epoch: int) -> None:
        """PyTorch's jump without the step count (SequentialLR enters a child with epoch 0)."""
        self._write_lrs(self._rates_at(epoch))

    def _write_lrs(self, values: list[float]) -> None:
        """Write ``values`` into the driven entry of the groups; keep them as ``get_last_lr()``."""
        groups = self.optimizer.param_groups
        if len(values) != len(groups):  # (zip(strict=True) costs more, every step)
            raise ValueError(f"{type(self).__name__} computed {len(values)} rates for "
                             f"{len(groups)} param groups: param groups were added or removed "
                             "after the scheduler was built")
        if self.verbose:
            self._print_changes(values)
        key, index = self._key, 0
        if self._item is None:
            # An index, not zip(): creating a zip object costs more than one group's write.
            for group in groups:
                if group[key].__class__ is not float:  # a tensor (or an int): see write_values
                    break
                group[key] = values[index]
                index += 1
            else:
                self._last_lr = values
                return
        self._last_lr = write_values(groups, key, values, self._item)

    def _print_changes(self, values: list[float], before: list | None = None) -> None:
        before = self._values() if before is None else before
        for index, (old, new) in enumerate(zip(before, values)):
            if old != new:
                print(f"Adjusting learning rate of group {index} to {float(new):.4e}.")

    def get_last_lr(self) -> LRList:
        """The rates of the last step, one per group (a new ``LRList`` at every call)."""
        return LRList(self._last_lr)

    def lr_at(self, steps: Any) -> np.ndarray:
        """The rates of every param group at ``steps`` (counted like ``last_epoch``) from the
        closed form: an int gives one per group, an array of shape ``S`` shape ``S + (groups,)``.
        They equal stepping this scheduler alone from ``base_lrs`` within rel 1e-12; nothing
        changes.

        Example:
            >>> from genesis.optim.lr_scheduler import CosineAnnealingLR
            >>> class Opt: param_groups = [{"lr": 0.1}, {"lr": 0.3}]
            >>> s = CosineAnnealingLR(Opt(), T_max=10)
            >>> s.lr_at(5).round(6).tolist(), s.lr_at([0, 10]).round(6).tolist()
            ([0.05, 0.15], [[0.1, 0.3], [0.0, 0.0]])
        """
        epochs = check_steps(steps)
        try:
            rates = self._rates(epochs.reshape(-1, 1))
        except NotImplementedError as error:
            raise TypeError(f"{type(self).__name__}.lr_at: {error}; preview(scheduler, num_steps) "
                            "steps a copy instead") from None
        return rates.reshape(epochs.shape + (rates.shape[1],))

    def _rates(self, epochs: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
        """The closed form at the int64 column ``epochs`` from the rates ``start`` (default
        ``base_lrs``): ``(len(epochs), groups)``.  Only the class that wrote ``_closed_form``
        uses it (a subclass may have changed ``get_lr``): the others raise NotImplementedError."""
        if "_closed_form" not in vars(type(self)):
            raise NotImplementedError(f"{type(self).__name__} has no closed form of its own")
        if start is None:
            start = np.asarray(self.base_lrs, dtype=np.float64).reshape(1, -1)
        rates = np.asarray(self._closed_form(epochs, start), dtype=np.float64)
        shape = (len(epochs), start.shape[1])
        return rates if rates.shape == shape else np.broadcast_to(rates, shape).copy()

    def _closed_form(self, steps: np.ndarray, start: np.ndarray) -> np.ndarray:
        """The rates at ``steps`` (a column) when stepping began from ``start`` (a row, one per
        group; chainable classes use it): a call of a function of ``schedules``."""
        raise NotImplementedError(f"{type(self).__name__} has no closed form")

    def to_config(self) -> dict[str, Any]:
        """The definition as JSON-ready data (class and constructor arguments, no state), from
        which ``from_config(optimizer, config)`` builds a scheduler that steps identically.  A
        plain function cannot be written out: the error names it (use a registered ``Schedule``).

        Example:
            >>> from genesis.optim.lr_scheduler import StepLR
            >>> class Opt: param_groups = [{"lr": 0.1, "weight_decay": 0.01}]
            >>> StepLR(Opt(), step_size=30).to_config()
            {'scheduler': 'StepLR', 'step_size': 30, 'gamma': 0.1}
            >>> StepLR(Opt(), step_size=30, field="weight_decay").to_config()["field"]
            'weight_decay'
        """
        config = {"scheduler": type(self).__name__, **plain(self._definition())}
        if self.field != "lr":
            config["field"] = self.field
        return config

    def _definition(self) -> dict[str, Any]:
        """The constructor's arguments (``to_config`` less the class and the field)."""
        return {name: getattr(self, name) for name in self._arguments}

    def _saved_definition(self) -> dict[str, Any] | None:
        """``to_config()``, or None when it holds a plain function (the state dict's entry)."""
        try:
            return self.to_config()
        except TypeError:
            return None

    def _state_names(self) -> tuple[str, ...]:
        return self._base_state_keys + self._state_keys

    def state_dict(self) -> dict[str, Any]:
        """The state as plain data: PyTorch's keys, plus ``"definition"`` (``to_config()``, None
        with a plain function) that ``load_state_dict`` compares with the scheduler it loads
        into."""
        state = {name: plain(self._save_value(name)) for name in self._state_names()
                 if name not in self._optional_state_keys or hasattr(self, name)}
        state["definition"] = self._saved_definition()
        return state

    def load_state_dict(self, state_dict: dict[str, Any], schedule: str = "saved") -> None:
        """Restore a ``state_dict()`` (PyTorch's too); the optimizer is not touched.

        A saved definition that differs from this scheduler's raises a ``ScheduleChangedWarning``
        naming each change (``T_max: 100 -> 200``, saved -> built).  ``schedule="saved"``
        (PyTorch's behaviour): the saved values win.  ``schedule="built"``: continue from the
        saved step on this scheduler's schedule, writing its rates into the optimizer (load the
        optimizer's state first) and reporting the jump.
        """
        if schedule not in ("saved", "built"):
            raise ValueError(f"schedule must be 'saved' or 'built', got {schedule!r}")
        state = from_torch(self, state_dict)
        self._check_state(state)
        if schedule == "built":
            self._load_built(state)
            return
        changes = definition_changes(state.get("definition"), self._saved_definition())
        self._load_saved(state)
        if changes:
            warnings.warn(ScheduleChangedWarning(
                f"{type(self).__name__}.load_state_dict: the saved schedule differs from the one "
                f"this scheduler was built with (saved -> built): {'; '.join(changes)}. The saved "
                "values are used, as PyTorch does, so the run continues exactly as saved; pass "
                "schedule='built' to continue from the saved step on the new schedule instead."
            ), stacklevel=2)

    def _load_saved(self, state: dict[str, Any]) -> None:
        for name in self._state_names():
            if name in state:
                self._load_value(name, state[name])
        self._after_load(state.get("definition"))

    def _after_load(self, definition: dict | None) -> None:
        """Recompute what derives from the loaded state (nothing here)."""

    def _load_built(self, state: dict[str, Any]) -> None:
        epoch = self._saved_epoch(state)
        if not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"{type(self).__name__}.load_state_dict(schedule='built'): the saved "
                             f"step (last_epoch={epoch!r}) must be an int >= 0")
        saved_rates = state.get("_last_lr") or self._last_lr
        self._seek(epoch)
        try:
            self._write_lrs(self._built_rates(epoch))
        except NotImplementedError as error:
            raise ValueError(f"{type(self).__name__}.load_state_dict(schedule='built') needs a "
                             f"closed form: {error}") from None
        jumps = [f"group {i}: {float(old):.6g} -> {float(new):.6g}" for i, (old, new)
                 in enumerate(zip(saved_rates, self._last_lr)) if old != new]
        warnings.warn(ScheduleChangedWarning(
            f"{type(self).__name__}.load_state_dict(schedule='built'): continuing from the saved "
            f"step {epoch} on the schedule this scheduler was built with; the rate "
            f"{'jumps (' + ', '.join(jumps) + ')' if jumps else 'does not change'}"), stacklevel=3)

    def _saved_epoch(self, state: dict[str, Any]) -> Any:
        return state.get("last_epoch")

    def _seek(self, epoch: int) -> None:
        """Move to ``epoch`` as if stepped there on this schedule (``schedule="built"``)."""
        self.last_epoch = epoch
        self._step_count = epoch + 1

    def _built_rates(self, epoch: int) -> list[float]:
        return [float(v) for v in self._rates(np.array([[epoch]], dtype=np.int64))[0]]

    # Entries holding user callables (lr_lambdas): saved as PyTorch saves them, None for a
    # function and a callable object's attributes, and loaded into this scheduler's own.
    _callable_keys: tuple[str, ...] = ()

    def _save_value(self, name: str) -> Any:
        value = getattr(self, name)
        if name not in self._callable_keys:
            return value
        return [*map(lambda_state, value)] if isinstance(value, list) else lambda_state(value)

    def _load_value(self, name: str, value: Any) -> None:
        if name not in self._callable_keys:
            return setattr(self, name, copy_plain(value))
        mine = getattr(self, name)
        if isinstance(mine, list) and (not isinstance(value, list) or len(value) != len(mine)):
            raise ValueError(f"{type(self).__name__}.load_state_dict: {name} must be a list of "
                             f"{len(mine)} entries (None or a dict of attributes), got {value!r}")
        for fn, attributes in zip(mine, value) if isinstance(mine, list) else [(mine, value)]:
            if fn is not None and attributes is not None:
                fn.__dict__.update(copy_plain(attributes))

    def _check_state(self, state_dict: Any) -> None:
        """Raise unless ``state_dict`` has exactly this class's keys and the right group count."""
        cls = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{cls}.load_state_dict expects a dict, got "
                            f"{type(state_dict).__name__}")
        expected = set(self._state_names()) | {"definition"}
        optional = set(self._optional_state_keys) | {"definition"}
        missing = sorted(expected - state_dict.keys() - optional)
        unknown = sorted(state_dict.keys() - expected)
        if missing or unknown:
            found = [f"{what} keys {keys}" for what, keys in
                     (("missing", missing), ("unknown", unknown)) if keys]
            raise SchedulerStateError(
                f"{cls}.load_state_dict: state_dict does not match {cls} ({', '.join(found)})"
            )
        groups = len(self.optimizer.param_groups)
        for name in ("base_lrs", "_last_lr"):
            value = state_dict.get(name)
            if isinstance(value, list) and len(value) != groups:
                raise ValueError(f"{cls}.load_state_dict: {name} has {len(value)} entries but the "
                                 f"optimizer has {groups} param groups")


class _Chainable(LRScheduler):
    """A scheduler whose ``get_lr`` is PyTorch's recursion on the group's current rate, with
    PyTorch's ``_get_closed_form_lr`` for ``step(epoch)``."""

    _scaling = True

    def _get_closed_form_lr(self) -> list[float]:
        """The rates at ``last_epoch`` from ``base_lrs`` (used by ``step(epoch)``)."""
        start = np.asarray([self.base_lrs], dtype=np.float64)
        rates = self._closed_form(np.array([[self.last_epoch]], dtype=np.int64), start)
        return np.broadcast_to(rates, start.shape)[0].tolist()

    def _scaled(self, factor: float) -> list[float]:
        """The groups' current values times ``factor``."""
        if self._item is not None:
            return [value * factor for value in self._values()]
        key, values = self._key, []
        for group in self.optimizer.param_groups:  # a loop: cheaper than a comprehension (3.11)
            values.append(group[key] * factor)
        return values


class _LRScheduler(LRScheduler):
    """Old name of ``LRScheduler``, kept for code written against PyTorch < 2.0."""
