"""Schedulers made of schedulers: ``SequentialLR`` (one after another) and ``ChainedScheduler``
(all at every step).  Their closed forms join (optax's ``join_schedules``) or multiply their
children's; where a child's does not compose that way, ``preview`` steps a copy instead."""
from __future__ import annotations

import warnings
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import LRScheduler, ScheduleChangedWarning, check_optimizer, write_values
from .checks import as_number, check_milestones
from .multiplicative import MultiplicativeLR
from .plateau import ReduceLROnPlateau
from .swa import SWALR

__all__ = ["SequentialLR", "ChainedScheduler"]

def _check_list(owner: str, schedulers: Any) -> None:
    if not isinstance(schedulers, (list, tuple)):
        raise TypeError(f"{owner} needs a list of schedulers, got {type(schedulers).__name__}")
    if not schedulers:
        chained = " to be chained" if owner == "ChainedScheduler" else ""
        raise ValueError(f"{owner} expects at least one scheduler{chained}, but got no "
                         "scheduler. (schedulers=[])")


def _check_child(owner: str, index: int, child: Any) -> None:
    if not hasattr(child, "optimizer"):
        raise TypeError(f"{owner} at index {index} should have `optimizer` as its attribute. "
                        f"(schedulers[{index}] is a {type(child).__name__}, not a scheduler)")
    if isinstance(child, ReduceLROnPlateau):
        raise ValueError(f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires "
                         "additional kwargs to be specified when calling `step`, but got one at "
                         f"index {index} in the given schedulers sequence. (Step it on its own.)")
    if not isinstance(child, LRScheduler):
        raise TypeError(f"{owner}: schedulers[{index}] must be a Genesis LRScheduler, got "
                        f"{type(child).__name__}")


def _check_children(owner: str, optimizer: Any, schedulers: Any) -> list[LRScheduler]:
    """The children: a non-empty sequence of LRSchedulers on ``optimizer``, driving one field."""
    _check_list(owner, schedulers)
    for index, child in enumerate(schedulers):
        _check_child(owner, index, child)
        if child.optimizer is not optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(child).__name__} at index {index} has {child.optimizer}, which "
                f"is different from {type(optimizer).__name__}. (schedulers[{index}] drives "
                f"another optimizer than the one given; all must share one)"
            )
        if child.field != schedulers[0].field:
            raise ValueError(f"{owner}: schedulers[{index}] drives {child.field!r}, schedulers[0] "
                             f"drives {schedulers[0].field!r}; all must drive the same entry")
    return list(schedulers)


class _Composite(LRScheduler):
    """State and verbose printing shared by the composite schedulers."""

    _base_state_keys = ("_last_lr", "verbose")
    # PyTorch's state of a composite nested as the first child of a SequentialLR has the step
    # count that its _initial_step() set.
    _optional_state_keys = ("_step_count",)

    def _state_names(self) -> tuple[str, ...]:
        return (*self._base_state_keys, *self._state_keys, "_schedulers",
                *self._optional_state_keys)

    def _save_value(self, name: str) -> Any:
        if name == "_schedulers":
            return [child.state_dict() for child in self._schedulers]
        return super()._save_value(name)

    def _load_value(self, name: str, value: Any) -> None:
        if name != "_schedulers":
            return super()._load_value(name, value)
        if not isinstance(value, list) or len(value) != len(self._schedulers):
            raise ValueError(f"{type(self).__name__}.load_state_dict: _schedulers must hold "
                             f"{len(self._schedulers)} state dicts, got {value!r:.200}")
        for child, state in zip(self._schedulers, value):
            child.load_state_dict(state)  # each checks its own keys; their definitions: ours

    def _load_saved(self, state: dict[str, Any]) -> None:
        with warnings.catch_warnings():  # the children's changes are in this one's definition
            warnings.simplefilter("ignore", ScheduleChangedWarning)
            super()._load_saved(state)


class SequentialLR(_Composite):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` from its own epoch 0
    (PyTorch's ``_update_lr(0)``), and so on; only the active scheduler steps.

    Example (3 warmup epochs from 10%, then exponential decay):
        >>> from genesis.optim.lr_scheduler import LinearLR, ExponentialLR
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> opt = Opt()
        >>> warm = LinearLR(opt, start_factor=0.1, total_iters=3)
        >>> decay = ExponentialLR(opt, gamma=0.5)
        >>> s = SequentialLR(opt, [warm, decay], milestones=[3])
        >>> [round(s.get_last_lr()[0], 4)] + [s.step() or round(s.get_last_lr()[0], 4)
        ...                                   for _ in range(5)]
        [0.1, 0.4, 0.7, 1.0, 0.5, 0.25]
    """

    _state_keys = ("_milestones", "last_epoch")

    def __init__(self, optimizer: Any, schedulers: Sequence[LRScheduler], milestones: Sequence[int],
                 last_epoch: int = -1, verbose: bool = False) -> None:
        check_optimizer(optimizer)
        self._schedulers = _check_children("SequentialLR", optimizer, schedulers)
        milestones = check_milestones("milestones", milestones)
        if len(milestones) != len(self._schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more than "
                "the number of milestone points, but got number of schedulers "
                f"{len(self._schedulers)} and the number of milestones to be equal to "
                f"{len(milestones)} (milestones={milestones})"
            )
        self._milestones = milestones
        self.optimizer = optimizer
        self.verbose = bool(verbose)
        self._set_field(self._schedulers[0].field)
        self.last_epoch = last_epoch + 1
        groups = optimizer.param_groups
        initial = [group[self._initial_key()] for group in groups]
        self.base_lrs = [as_number(value) for value in initial]
        # The children stepped once when they were built: start over from the initial rates.
        write_values(groups, self._key, initial, self._item)
        self.recursive_undo()
        active = self._schedulers[bisect_right(self._milestones, 0)]
        active._initial_step()
        self._last_lr = active._last_lr

    def recursive_undo(self, sched: LRScheduler | None = None) -> None:
        """Move every nested child back before the initial step it made when it was built."""
        for child in getattr(self if sched is None else sched, "_schedulers", []):
            if hasattr(child, "_schedulers"):
                self.recursive_undo(child)
            else:
                child.last_epoch -= 1

    def step(self) -> None:
        """Advance one epoch: the active scheduler steps, or the next one starts at a milestone."""
        before, milestones = self._last_lr, self._milestones
        self.last_epoch = epoch = self.last_epoch + 1
        if not milestones or epoch > milestones[-1]:  # the last scheduler (most of a run)
            active = self._schedulers[-1]
            active.step()
        else:
            index = bisect_right(milestones, epoch)
            active = self._schedulers[index]
            if index and milestones[index - 1] == epoch:
                active._update_lr(0)
            else:
                active.step()
        self._last_lr = active._last_lr
        if self.verbose:
            self._print_changes(self._last_lr, before)

    def _definition(self) -> dict[str, Any]:
        return {"schedulers": [child.to_config() for child in self._schedulers],
                "milestones": list(self._milestones)}

    def _closed_form(self, steps, start):
        """The children's closed forms joined at the milestones: the first from ``start``, each
        later one from its own base rates (where PyTorch's ``_update_lr(0)`` restarts it)."""
        rates = np.empty((len(steps), start.shape[1]))
        column = steps[:, 0]
        if np.all(column[1:] >= column[:-1]):  # in order (np.arange): each child takes a slice
            edges = [0, *np.searchsorted(column, self._milestones).tolist(), len(column)]
            chosen_by = [slice(lo, hi) for lo, hi in zip(edges, edges[1:])]
        else:
            active = np.searchsorted(self._milestones, column, side="right")
            chosen_by = [active == index for index in range(len(self._schedulers))]
        for index, (child, chosen) in enumerate(zip(self._schedulers, chosen_by)):
            epochs = steps[chosen]
            if not epochs.size:
                continue
            if isinstance(child, _Composite) or index and isinstance(child, (MultiplicativeLR,
                                                                             SWALR)):
                # A nested composite re-enters differently; MultiplicativeLR enters by scaling
                # the running rate, SWALR anneals from it: none is its closed form there, so
                # preview steps a copy.
                raise NotImplementedError(f"{type(child).__name__} at index {index} of a "
                                          "SequentialLR has no closed form there")
            offset = self._milestones[index - 1] if index else 0
            rates[chosen] = child._rates(epochs - offset, start if index == 0 else None)
        return rates

    def _seek(self, epoch: int) -> None:
        super()._seek(epoch)
        bounds = [0, *self._milestones]
        active = bisect_right(self._milestones, epoch)
        for index, child in enumerate(self._schedulers):
            end = bounds[index + 1] - 1 if index < active else epoch
            child._seek(end - bounds[index] if index <= active else -1)


class ChainedScheduler(_Composite):
    """Step every scheduler in ``schedulers`` at each ``step()``: their effects multiply.

    Example (constant 0.1 factor for 2 epochs, times exponential decay):
        >>> from genesis.optim.lr_scheduler import ConstantLR, ExponentialLR
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> opt = Opt()
        >>> s = ChainedScheduler([ConstantLR(opt, factor=0.1, total_iters=2),
        ...                       ExponentialLR(opt, gamma=0.9)])
        >>> [round(s.get_last_lr()[0], 4)] + [s.step() or round(s.get_last_lr()[0], 4)
        ...                                   for _ in range(3)]
        [0.1, 0.09, 0.81, 0.729]
    """

    _state_keys = ()

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Any | None = None,
                 verbose: bool = False) -> None:
        if optimizer is None:
            _check_list("ChainedScheduler", schedulers)
            _check_child("ChainedScheduler", 0, schedulers[0])
            optimizer = schedulers[0].optimizer
        check_optimizer(optimizer)
        self._schedulers = _check_children("ChainedScheduler", optimizer, schedulers)
        self.optimizer = optimizer
        self.verbose = bool(verbose)
        self._set_field(self._schedulers[0].field)
        initial = self._initial_key()
        self.base_lrs = [as_number(group.get(initial, value))
                         for group, value in zip(optimizer.param_groups, self._values())]
        self._last_lr = [as_number(value) for value in self._values()]

    @property
    def last_epoch(self) -> int:
        """The epoch the children have reached (the first child's ``last_epoch``)."""
        return self._schedulers[0].last_epoch

    def step(self) -> None:
        """Step every child scheduler, in order, on the shared optimizer."""
        before = self._last_lr
        for child in self._schedulers:
            child.step()
        self._last_lr = [as_number(value) for value in self._values()]
        if self.verbose:
            self._print_changes(self._last_lr, before)

    def _definition(self) -> dict[str, Any]:
        return {"schedulers": [child.to_config() for child in self._schedulers]}

    def _closed_form(self, steps, start):
        """``start`` times every child's factor: chained scalings multiply.  A child that sets
        the rate, or adds to it (CosineAnnealingLR), does not compose this way."""
        rates = np.broadcast_to(start, (len(steps), start.shape[1])).copy()
        for index, child in enumerate(self._schedulers):
            if not child._scaling:
                raise NotImplementedError(f"{type(child).__name__} at index {index} of a "
                                          "ChainedScheduler does not scale the rate")
            rates *= child._rates(steps, np.ones_like(start))
        return rates

    def _saved_epoch(self, state: dict[str, Any]) -> Any:
        children = state.get("_schedulers")
        return children[0].get("last_epoch") if isinstance(children, list) and children else None

    def _seek(self, epoch: int) -> None:
        for child in self._schedulers:
            child._seek(epoch)
