"""The scheduler protocol shared by every learning-rate scheduler.

A scheduler owns no learning rates of its own: it rewrites ``optimizer.param_groups[i]["lr"]``
(and, for the cyclic ones, the momentum) once per ``step()``.  The protocol is PyTorch's:

* construction with ``last_epoch=-1`` records ``group["initial_lr"]`` (kept if already there),
  ``base_lrs`` are read back from it, and one *initial step* moves ``last_epoch`` to 0;
* ``step()`` adds one to ``last_epoch`` and asks ``get_lr()`` for the new rates.  Chainable
  schedulers compute them from the group's current ``"lr"`` so that several schedulers stepped on
  one optimizer compose; the others from ``base_lrs``;
* ``step(epoch)`` (deprecated in PyTorch, kept) jumps to ``epoch`` and uses the closed form
  ``_get_closed_form_lr()`` where the class has one.

Anything whose ``param_groups`` is a list of dicts holding ``"lr"`` can be driven: Genesis and
PyTorch optimizers alike.
"""
from __future__ import annotations

import math
import types
import warnings
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .torch_state import from_torch

__all__ = ["LRScheduler", "_LRScheduler", "LRList", "SchedulerStateError"]

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

GET_LR_WARNING = (
    "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."
)


class SchedulerStateError(KeyError):
    """A scheduler cannot be built or restored from the state it was given (a ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would print the message with quotes around it
        return str(self.args[0]) if self.args else ""


class LRList(list):
    """The list of per-group rates returned by ``get_last_lr()``; one group also reads as a number.

    It is a plain ``list`` for indexing, ``str``/``repr`` and ``f"{x}"`` (prints ``[0.001]`` as
    PyTorch), and with exactly one group it also formats and converts like that group's rate:

        >>> rates = LRList([0.001])
        >>> f"{rates}", f"{rates:.4f}", float(rates)
        ('[0.001]', '0.0010', 0.001)

    With several groups a numeric format raises ``TypeError`` telling to index it.
    """

    __slots__ = ()

    def _single(self, what: str) -> float:
        if len(self) != 1:
            raise TypeError(
                f"get_last_lr() holds {len(self)} rates (one per param group), so it cannot be "
                f"used as one number in {what}; index it, e.g. get_last_lr()[0]"
            )
        return self[0]

    def __format__(self, spec: str) -> str:
        if not spec:
            return list.__repr__(self)
        return format(self._single(f"format spec {spec!r}"), spec)

    def __float__(self) -> float:
        return float(self._single("float()"))


def check_optimizer(optimizer: Any) -> list[dict]:
    """Return ``optimizer.param_groups`` after checking it is a non-empty list of dicts with "lr"."""
    groups = getattr(optimizer, "param_groups", None)
    if (
        not isinstance(groups, list)
        or not groups
        or not all(isinstance(g, dict) and "lr" in g for g in groups)
    ):
        raise TypeError(
            f"{type(optimizer).__name__} is not an Optimizer: a scheduler needs an optimizer whose "
            "param_groups is a non-empty list of dicts holding 'lr' (a Genesis or PyTorch optimizer)"
        )
    return groups


def as_number(value: Any) -> Any:
    """``value`` as a plain Python number when it is a one-element tensor or a NumPy scalar.

    Duck-typed (``item()``), so Genesis and PyTorch tensors alike; anything else is returned
    as given for the caller's own check.
    """
    if isinstance(value, (int, float)):
        return value
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        try:
            return item()
        except (ValueError, RuntimeError, TypeError):  # several elements: the caller reports it
            return value
    return value


def format_param(name: str, optimizer: Any, value: Any) -> list:
    """One value per param group: a scalar is repeated, a list/tuple must match the group count."""
    count = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. {name} has "
                f"{len(value)} values, param_groups has {count}."
            )
        return [as_number(v) for v in value]
    return [as_number(value)] * count


def check_int(name: str, value: Any, minimum: int) -> None:
    """Raise ``ValueError`` unless ``value`` is an int (not bool) ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        expected = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{name} must be {expected}, got {value!r}")


def check_real(name: str, value: Any, expected: str, ok: Callable[[float], bool]) -> Any:
    """``value`` as a plain number (0-d tensors accepted) if finite and ``ok``; else ``ValueError``."""
    number = as_number(value)
    if (
        isinstance(number, bool)
        or not isinstance(number, (int, float, np.integer, np.floating))
        or not math.isfinite(number)
        or not ok(number)
    ):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return number


def call_vectorised(fn: Callable, values: np.ndarray) -> np.ndarray:
    """``fn`` at every entry of ``values`` as float64: one call on the whole array when ``fn``
    accepts arrays (the Hugging Face lambdas do), else a Python loop over the entries."""
    try:
        # NaN from an invalid power or division is reported by the caller's check, by epoch.
        with np.errstate(all="ignore"):
            out = fn(values)
        if isinstance(out, np.ndarray) and out.shape == values.shape:
            return out.astype(np.float64)
    except Exception:  # plain Python lambdas (math.cos, if/else) reject arrays: loop instead
        pass
    return np.array([fn(v.item()) for v in values.reshape(-1)], dtype=np.float64).reshape(values.shape)


def check_last_epoch(last_epoch: Any) -> None:
    """``last_epoch`` is -1 (a fresh start) or the index of the last epoch already run."""
    check_int("last_epoch", last_epoch, -1)


def check_epoch(epoch: Any) -> int:
    """The ``epoch`` of ``step(epoch)`` as an int >= 0 (an integral float is accepted)."""
    number = as_number(epoch)
    if isinstance(number, (float, np.floating)) and math.isfinite(number) and number == int(number):
        number = int(number)
    if isinstance(number, bool) or not isinstance(number, (int, np.integer)) or number < 0:
        raise ValueError(
            f"epoch must be an int >= 0, got {epoch!r}: the closed forms and the chainable steps "
            "that follow count whole epochs (only CosineAnnealingWarmRestarts takes fractions)"
        )
    return int(number)


def lambda_state(fn: Any) -> dict | None:
    """What ``state_dict`` records of a user callable: None for a function, else its attributes."""
    if isinstance(fn, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return None
    return dict(getattr(fn, "__dict__", {}))


def warn_get_lr_outside_step() -> None:
    """PyTorch's warning when ``get_lr()`` is called by hand (it computes a step; it is no getter)."""
    warnings.warn(GET_LR_WARNING, UserWarning, stacklevel=3)


def write_values(groups: list[dict], key: str, values: list) -> list:
    """Write ``values`` into ``group[key]``, keeping a tensor there a tensor (``fill_``, as
    PyTorch 2.13 does); returns what the groups now hold, as plain numbers (a float32 tensor
    holds the value rounded), which is what ``get_last_lr`` reports."""
    plain = []
    for group, value in zip(groups, values):
        value = as_number(value)
        current = group[key]
        if not isinstance(current, (int, float)) and callable(getattr(current, "fill_", None)):
            current.fill_(value)
            value = as_number(current)
        else:
            group[key] = value
        plain.append(value)
    return plain


class _TrackedStep:
    """``optimizer.step`` as wrapped at scheduler construction: it notes on the optimizer that it ran.

    PyTorch's mechanism and names (``_wrapped_by_lr_sched`` on the step, ``_opt_called`` on the
    optimizer), so Genesis and PyTorch schedulers share one wrapper on the same optimizer.  The
    optimizer is held weakly (its own attribute must not keep it alive); ``__reduce__`` makes a
    deep copy or a pickle of the optimizer wrap the copy's own step, never the original's.
    """

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
    if getattr(step, "_wrapped_by_lr_sched", False) or getattr(step, "__self__", None) is not optimizer:
        return
    optimizer.step = _TrackedStep(optimizer, step.__func__)


class LRScheduler:
    """Base class of the learning-rate schedulers: the ``initial_lr``/``last_epoch`` protocol.

    Subclasses implement ``get_lr()`` (the rates at ``last_epoch``), optionally
    ``_get_closed_form_lr()`` for ``step(epoch)``, and ``_lr_curve(epochs)`` for previews.

    Args:
        optimizer: anything with PyTorch-shaped ``param_groups``.
        last_epoch: index of the last epoch run; -1 starts afresh, another value resumes and
            needs ``"initial_lr"`` in every group.
        verbose: print ``Adjusting learning rate of group i to x.`` whenever a rate changes.

    Example:
        >>> from genesis.optim.lr_scheduler import StepLR
        >>> class Opt: param_groups = [{"lr": 0.1}]
        >>> s = StepLR(Opt(), step_size=2, gamma=0.5)
        >>> [s.step() or round(s.get_last_lr()[0], 4) for _ in range(4)]
        [0.1, 0.05, 0.05, 0.025]
    """

    # Keys of ``state_dict()`` besides the ones every scheduler has; subclasses extend it.
    _state_keys: tuple[str, ...] = ()
    _base_state_keys: tuple[str, ...] = ("base_lrs", "last_epoch", "_step_count", "_last_lr", "verbose")
    # Keys a state dict may lack (PyTorch leaves some out, e.g. without cycle_momentum).
    _optional_state_keys: tuple[str, ...] = ()
    _is_initial = False
    _get_lr_called_within_step = False

    def __init__(self, optimizer: Any, last_epoch: int = -1, verbose: bool = False) -> None:
        groups = check_optimizer(optimizer)
        check_last_epoch(last_epoch)
        self.optimizer = optimizer
        self.verbose = bool(verbose)
        if last_epoch == -1:
            for group in groups:
                # A plain number, never the group's own tensor (it changes with every step).
                group.setdefault("initial_lr", as_number(group["lr"]))
        else:
            for index, group in enumerate(groups):
                if "initial_lr" not in group:
                    raise SchedulerStateError(
                        f"param 'initial_lr' is not specified in param_groups[{index}] when "
                        "resuming scheduler with last_epoch >= 0.\n"
                        "This typically happens when:\n"
                        "1. You're trying to resume training from a checkpoint but haven't "
                        "properly loaded the optimizer state\n"
                        "2. You're using last_epoch >= 0 for a fresh training run (not recommended)"
                        f"\n(last_epoch={last_epoch}: load the optimizer's state dict, saved while "
                        "a scheduler was attached, before building the scheduler, or build it with "
                        "last_epoch=-1 and load the scheduler's state dict instead)"
                    )
        self.base_lrs: list[float] = [as_number(group["initial_lr"]) for group in groups]
        self.last_epoch = last_epoch
        track_optimizer_step(optimizer)
        self._initial_step()

    # --- stepping -------------------------------------------------------------------------------

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
        if self._step_count == 1:
            self._check_step_order()
        if epoch is None:  # the hot path of every training loop: _computed_lr inlined
            self._step_count += 1
            self.last_epoch += 1
            self._get_lr_called_within_step = True
            try:
                values = self.get_lr()
            finally:
                self._get_lr_called_within_step = False
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            epoch = check_epoch(epoch)  # before anything changes: a refused epoch leaves no trace
            self._step_count += 1
            values = self._rates_at(epoch)
        self._write_lrs(values)

    def _check_step_order(self) -> None:
        """PyTorch's check at the first ``step()`` after construction: has the optimizer stepped?

        Silent for an optimizer without a ``step`` method (nothing to call first).
        """
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

    def _update_lr(self, epoch: int | None = None) -> None:
        """PyTorch's step without the step count (SequentialLR enters a child with epoch 0)."""
        if epoch is None:
            self.last_epoch += 1
            values = self._computed_lr()
        else:
            values = self._rates_at(epoch)
        self._write_lrs(values)

    def _write_lrs(self, values: list[float]) -> None:
        """Write ``values`` into the groups' ``"lr"`` and keep them as ``get_last_lr()``."""
        groups = self.optimizer.param_groups
        if self.verbose or len(values) != len(groups):
            self._check_and_report(values, groups)
        for group, lr in zip(groups, values):
            if group["lr"].__class__ is not float:  # a tensor (or an int): see write_values
                values = write_values(groups, "lr", values)
                break
            group["lr"] = lr
        self._last_lr = values

    def _check_and_report(self, values: list[float], groups: list[dict]) -> None:
        if len(values) != len(groups):
            raise ValueError(
                f"{type(self).__name__} computed {len(values)} rates for {len(groups)} param "
                "groups: param groups were added or removed after the scheduler was built"
            )
        if self.verbose:
            for index, (group, lr) in enumerate(zip(groups, values)):
                if group["lr"] != lr:
                    print(f"Adjusting learning rate of group {index} to {float(lr):.4e}.")

    def get_last_lr(self) -> LRList:
        """The rates of the last step, one per group (a new ``LRList`` at every call)."""
        return LRList(self._last_lr)

    # --- preview protocol ---------------------------------------------------------------------

    def _lr_curve(self, epochs: np.ndarray) -> np.ndarray:
        """Rates at the absolute ``last_epoch`` values ``epochs``: shape ``(len(epochs), groups)``.

        The values stepping would give when this scheduler alone drives the optimizer from its
        ``base_lrs``; computed without stepping.
        """
        raise NotImplementedError(f"{type(self).__name__} has no closed-form curve")

    def _entry_curve(self, offsets: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """Rates ``offsets`` steps after SequentialLR hands over to this scheduler.

        SequentialLR enters a scheduler with ``_update_lr(0)``; for most that restarts the
        standalone curve.  ``previous`` holds the rates just before the hand-over.
        """
        return self._lr_curve(offsets)

    def _step_map(self, epochs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(a, b)`` with ``lr_new = a * lr_old + b``: the step to each epoch (0 = initial step).

        Used by ChainedScheduler to compose its children on one optimizer without stepping.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot be composed in a preview")

    def _grid(self, epochs: Any) -> tuple[np.ndarray, np.ndarray]:
        """``epochs`` as an int64 column and ``base_lrs`` as a float64 row, for the closed forms."""
        epochs = np.asarray(epochs)
        if epochs.size and (not np.issubdtype(epochs.dtype, np.integer) or epochs.min() < 0):
            if not np.all(np.equal(np.mod(epochs, 1), 0)) or epochs.min() < 0:
                raise ValueError(f"epochs must be ints >= 0, got {epochs.min()!r} among them")
        epochs = epochs.astype(np.int64).reshape(-1, 1)
        return epochs, np.asarray(self.base_lrs, dtype=np.float64).reshape(1, -1)

    def _ratio_map(self, epochs: Any, ratio: Callable[[np.ndarray], np.ndarray]):
        """``_step_map`` of a purely multiplicative recursion: ``a = ratio(epochs)``, ``b = 0``."""
        column, base = self._grid(epochs)
        a = np.broadcast_to(np.asarray(ratio(column), dtype=np.float64), (len(column), base.shape[1]))
        return a.copy(), np.zeros_like(a)

    def _value_map(self, epochs: Any):
        """``_step_map`` of a scheduler that overwrites the rate: ``a = 0``, ``b = curve``."""
        values = self._lr_curve(epochs)
        return np.zeros_like(values), values

    # --- state ----------------------------------------------------------------------------------

    def _state_names(self) -> tuple[str, ...]:
        return self._base_state_keys + self._state_keys

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state as plain data (numbers, lists, strings, None); no optimizer."""
        return {
            name: _plain(self._save_value(name)) for name in self._state_names()
            if name not in self._optional_state_keys or hasattr(self, name)
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``; the optimizer is not touched (load its own state dict).

        Also reads the state dict of PyTorch's class of the same name (see ``torch_state``).
        """
        state_dict = from_torch(self, state_dict)
        self._check_state(state_dict)
        for name in self._state_names():
            if name in state_dict:
                self._load_value(name, state_dict[name])
        self._after_load()

    def _after_load(self) -> None:
        """Recompute what derives from the loaded state (nothing here)."""

    def _save_value(self, name: str) -> Any:
        return getattr(self, name)

    def _load_value(self, name: str, value: Any) -> None:
        setattr(self, name, _copy_plain(value))

    def _check_state(self, state_dict: Any, ignore: tuple[str, ...] = ()) -> None:
        """Raise unless ``state_dict`` has exactly this class's keys and the right group count."""
        cls = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{cls}.load_state_dict expects a dict, got {type(state_dict).__name__}")
        expected = set(self._state_names()) | set(ignore)
        missing = sorted(expected - state_dict.keys() - set(self._optional_state_keys))
        unknown = sorted(state_dict.keys() - expected)
        if missing or unknown:
            found = [f"{what} keys {keys}" for what, keys in (("missing", missing), ("unknown", unknown)) if keys]
            raise SchedulerStateError(
                f"{cls}.load_state_dict: state_dict does not match {cls} ({', '.join(found)})"
            )
        groups = len(self.optimizer.param_groups)
        for name in ("base_lrs", "_last_lr"):
            value = state_dict.get(name)
            if isinstance(value, list) and len(value) != groups:
                raise ValueError(
                    f"{cls}.load_state_dict: {name} has {len(value)} entries but the optimizer "
                    f"has {groups} param groups"
                )


def _plain(value: Any) -> Any:
    """A JSON-friendly copy: lists copied, tuples as lists, NumPy scalars as Python numbers."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _copy_plain(value: Any) -> Any:
    """A copy of loaded plain data, so later steps never mutate the caller's dict; one-element
    tensors (in a PyTorch state dict) become numbers."""
    if isinstance(value, list):
        return [_copy_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy_plain(v) for k, v in value.items()}
    return as_number(value)


class _LRScheduler(LRScheduler):
    """Old name of ``LRScheduler``, kept for code written against PyTorch < 2.0."""
