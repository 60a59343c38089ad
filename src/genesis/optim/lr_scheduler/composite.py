"""Schedulers made of schedulers: ``SequentialLR`` (one after another) and ``ChainedScheduler``
(all at every step, composing on the same optimizer)."""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import LRScheduler, as_number, check_optimizer, write_values
from .plateau import ReduceLROnPlateau
from .step import _check_milestones

__all__ = ["SequentialLR", "ChainedScheduler"]


_EMPTY = {
    "SequentialLR": "SequentialLR expects at least one scheduler, but got no scheduler.",
    "ChainedScheduler": "ChainedScheduler expects at least one scheduler to be chained, but got no "
                        "scheduler.",
}


def _check_list(owner: str, schedulers: Any) -> None:
    if not isinstance(schedulers, (list, tuple)):
        raise TypeError(f"{owner} needs a list of schedulers, got {type(schedulers).__name__}")
    if not schedulers:
        raise ValueError(f"{_EMPTY[owner]} (schedulers=[])")


def _check_child(owner: str, index: int, child: Any) -> None:
    if not hasattr(child, "optimizer"):
        raise TypeError(
            f"{owner} at index {index} should have `optimizer` as its attribute. (schedulers[{index}] "
            f"is a {type(child).__name__}, not a scheduler)"
        )
    if isinstance(child, ReduceLROnPlateau):
        raise ValueError(
            f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires additional "
            "kwargs to be specified when calling `step`, but got one at index "
            f"{index} in the given schedulers sequence. (Step it on its own.)"
        )
    if not isinstance(child, LRScheduler):
        raise TypeError(
            f"{owner}: schedulers[{index}] must be a Genesis LRScheduler, got {type(child).__name__}"
        )


def _check_children(owner: str, optimizer: Any, schedulers: Any) -> list[LRScheduler]:
    """The child schedulers: a non-empty sequence of LRSchedulers, all on ``optimizer``."""
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
    return list(schedulers)


class _Composite(LRScheduler):
    """State and verbose printing shared by the composite schedulers."""

    _base_state_keys = ("_last_lr", "verbose")
    # PyTorch's state of a composite nested as the first child of a SequentialLR has the step
    # count that its _initial_step() set.
    _optional_state_keys = ("_step_count",)

    def _state_names(self) -> tuple[str, ...]:
        return self._base_state_keys + self._state_keys + ("_schedulers",) + self._optional_state_keys

    def _save_value(self, name: str) -> Any:
        if name == "_schedulers":
            return [child.state_dict() for child in self._schedulers]
        return super()._save_value(name)

    def _load_value(self, name: str, value: Any) -> None:
        if name != "_schedulers":
            return super()._load_value(name, value)
        if not isinstance(value, list) or len(value) != len(self._schedulers):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: _schedulers must hold "
                f"{len(self._schedulers)} state dicts, got {value!r:.200}"
            )
        for child, state in zip(self._schedulers, value):
            child.load_state_dict(state)

    def _report(self, before: list[float]) -> None:
        for index, (old, new) in enumerate(zip(before, self._last_lr)):
            if old != new:
                print(f"Adjusting learning rate of group {index} to {new:.4e}.")


class SequentialLR(_Composite):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]``, and so on.

    At a milestone the next scheduler restarts from its own epoch 0 (PyTorch's
    ``_update_lr(0)``).  Only the active scheduler steps.

    Example (3 warmup epochs from 10%, then exponential decay):
        >>> from genesis.optim.lr_scheduler import LinearLR, ExponentialLR
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> opt = Opt()
        >>> warm = LinearLR(opt, start_factor=0.1, total_iters=3)
        >>> decay = ExponentialLR(opt, gamma=0.5)
        >>> s = SequentialLR(opt, [warm, decay], milestones=[3])
        >>> [round(s.get_last_lr()[0], 4)] + [s.step() or round(s.get_last_lr()[0], 4) for _ in range(5)]
        [0.1, 0.4, 0.7, 1.0, 0.5, 0.25]
    """

    _state_keys = ("_milestones", "last_epoch")

    def __init__(self, optimizer: Any, schedulers: Sequence[LRScheduler], milestones: Sequence[int],
                 last_epoch: int = -1, verbose: bool = False) -> None:
        groups = check_optimizer(optimizer)
        self._schedulers = _check_children("SequentialLR", optimizer, schedulers)
        milestones = _check_milestones("milestones", milestones)
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
        self.last_epoch = last_epoch + 1
        self.base_lrs = [as_number(group["initial_lr"]) for group in groups]
        # The children stepped once when they were built: start over from the initial rates.
        write_values(groups, "lr", [group["initial_lr"] for group in groups])
        self._undo_initial_steps(self)
        active = self._schedulers[bisect_right(self._milestones, 0)]
        active._initial_step()
        self._last_lr = list(active._last_lr)

    @classmethod
    def _undo_initial_steps(cls, scheduler: LRScheduler) -> None:
        children = getattr(scheduler, "_schedulers", None)
        if children is not None:
            for child in children:
                cls._undo_initial_steps(child)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    def recursive_undo(self, sched: LRScheduler | None = None) -> None:
        """PyTorch's name for moving every nested child back before its initial step."""
        self._undo_initial_steps(self if sched is None else sched)

    def step(self) -> None:
        """Advance one epoch: the active scheduler steps, or the next one starts at a milestone."""
        before = self._last_lr
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        active = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            active._update_lr(0)
        else:
            active.step()
        self._last_lr = list(active._last_lr)
        if self.verbose:
            self._report(before)

    def _lr_curve(self, epochs: Any) -> np.ndarray:
        column, base = self._grid(epochs)
        top = int(column.max()) if column.size else 0
        timeline = np.arange(top + 1)
        curve = np.empty((top + 1, base.shape[1]))
        bounds = [0, *self._milestones, top + 1]
        for index, child in enumerate(self._schedulers):
            start, stop = bounds[index], min(bounds[index + 1], top + 1)
            if index and bounds[index] == bounds[index + 1]:
                continue  # a repeated milestone skips this scheduler
            if start >= stop:
                continue
            offsets = timeline[start:stop] - start
            if start == 0 and np.array_equal(child.base_lrs, self.base_lrs):
                curve[start:stop] = child._lr_curve(offsets)
            elif start == 0:
                # A later child (OneCycleLR) rewrote initial_lr: the first one starts from it.
                curve[start:stop] = _scan(*child._step_map(offsets), base[0])
            else:
                curve[start:stop] = child._entry_curve(offsets, curve[start - 1])
        return curve[column[:, 0]]

    def _step_map(self, epochs):
        raise NotImplementedError("a SequentialLR inside a ChainedScheduler has no preview")


class ChainedScheduler(_Composite):
    """Step every scheduler in ``schedulers`` at each ``step()``: their effects multiply.

    Example (constant 0.1 factor for 2 epochs, times exponential decay):
        >>> from genesis.optim.lr_scheduler import ConstantLR, ExponentialLR
        >>> class Opt: param_groups = [{"lr": 1.0}]
        >>> opt = Opt()
        >>> s = ChainedScheduler([ConstantLR(opt, factor=0.1, total_iters=2), ExponentialLR(opt, gamma=0.9)])
        >>> [round(s.get_last_lr()[0], 4)] + [s.step() or round(s.get_last_lr()[0], 4) for _ in range(3)]
        [0.1, 0.09, 0.81, 0.729]
    """

    _state_keys = ()

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Any | None = None,
                 verbose: bool = False) -> None:
        if optimizer is None:
            _check_list("ChainedScheduler", schedulers)
            _check_child("ChainedScheduler", 0, schedulers[0])
            optimizer = schedulers[0].optimizer
        groups = check_optimizer(optimizer)
        self._schedulers = _check_children("ChainedScheduler", optimizer, schedulers)
        self.optimizer = optimizer
        self.verbose = bool(verbose)
        self.base_lrs = [as_number(group.get("initial_lr", group["lr"])) for group in groups]
        self._last_lr = [as_number(group["lr"]) for group in groups]

    @property
    def last_epoch(self) -> int:
        """The epoch the children have reached (the first child's ``last_epoch``)."""
        return self._schedulers[0].last_epoch

    def step(self) -> None:
        """Step every child scheduler, in order, on the shared optimizer."""
        before = self._last_lr
        for child in self._schedulers:
            child.step()
        self._last_lr = [as_number(group["lr"]) for group in self.optimizer.param_groups]
        if self.verbose:
            self._report(before)

    def _lr_curve(self, epochs: Any) -> np.ndarray:
        column, base = self._grid(epochs)
        top = int(column.max()) if column.size else 0
        timeline = np.arange(top + 1)
        a = np.ones((top + 1, base.shape[1]))
        b = np.zeros((top + 1, base.shape[1]))
        for child in self._schedulers:  # compose the children's affine steps, epoch by epoch
            child_a, child_b = child._step_map(timeline)
            a, b = child_a * a, child_a * b + child_b
        return _scan(a, b, base[0])[column[:, 0]]


def _scan(a: np.ndarray, b: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Rates of the recursion ``lr_t = a_t * lr_{t-1} + b_t`` from ``lr_{-1} = start``."""
    rates = np.empty_like(a)
    current = np.asarray(start, dtype=np.float64).copy()
    for epoch in range(len(a)):
        current = a[epoch] * current + b[epoch]
        rates[epoch] = current
    return rates
