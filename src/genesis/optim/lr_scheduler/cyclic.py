"""Per-batch cyclical schedules (not chainable): ``CyclicLR`` and ``OneCycleLR``; they cycle
momentum (or ``betas[0]``) the other way and record their arguments for ``to_config``."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import schedules
from .base import LRScheduler, check_optimizer, warn_get_lr_outside_step, write_values
from .plain import copy_plain
from .checks import as_number, check_count, check_real, format_param

__all__ = ["CyclicLR", "OneCycleLR"]


def _rates(name: str, optimizer: Any, value: Any) -> list[float]:
    """One finite number >= 0 per group (a rate or a momentum), each checked by name."""
    values = format_param(name, optimizer, value)
    many = isinstance(value, (list, tuple))
    return [check_real(f"{name}[{i}]" if many else name, v, "a finite number >= 0",
                       lambda x: x >= 0) for i, v in enumerate(values)]


def _recorded(**arguments: Any) -> dict[str, Any]:
    """The arguments as recorded for ``to_config``: plain numbers, lists for per-group values."""
    return {k: [*map(as_number, v)] if isinstance(v, (list, tuple)) else as_number(v)
            for k, v in arguments.items()}


class _MomentumCycler(LRScheduler):
    """Cycling momenta into the groups, and the constructor's arguments kept for ``to_config``."""

    cycle_momentum = False
    use_beta1 = False

    def _setup_momentum(self, optimizer, cycle_momentum, base_momentum, max_momentum, last_epoch):
        # Without cycle_momentum PyTorch keeps no momentum attributes (nor state dict keys).
        self.cycle_momentum = bool(cycle_momentum)
        if not self.cycle_momentum:
            return
        options = getattr(optimizer, "defaults", None)
        options = options if isinstance(options, dict) else optimizer.param_groups[0]
        if "momentum" not in options and "betas" not in options:
            raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` "
                             f"option enabled ({type(optimizer).__name__} has neither a "
                             "'momentum' nor a 'betas' option; pass cycle_momentum=False)")
        self.use_beta1 = "betas" in options
        if self.field == ("betas[0]" if self.use_beta1 else "momentum"):
            raise ValueError(f"field={self.field!r} with cycle_momentum=True: both would drive the "
                             "momentum; pass cycle_momentum=False")
        self.base_momentums = _rates("base_momentum", optimizer, base_momentum)
        self.max_momentums = _rates("max_momentum", optimizer, max_momentum)
        if last_epoch == -1:
            self._write_momentum_bounds()

    def _write_momentum_bounds(self) -> None:
        groups = self.optimizer.param_groups
        for top, bottom, group in zip(self.max_momentums, self.base_momentums, groups):
            self._set_momentum(group, top)
            group["max_momentum"] = top
            group["base_momentum"] = bottom

    def _set_momentum(self, group: dict, value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _definition(self) -> dict[str, Any]:
        return dict(self._given)

    def _after_load(self, definition: dict | None) -> None:
        if definition is not None:  # the saved arguments, as the saved state they belong to
            self._given = {k: copy_plain(v) for k, v in definition.items()
                           if k not in ("scheduler", "field")}

    def _built_rates(self, epoch: int) -> list[float]:
        return self._computed_lr()  # also writes the momenta at that step


class CyclicLR(_MomentumCycler):
    """Cycle the rate between ``base_lr`` and ``max_lr`` (Smith's cyclical learning rates):
    ``schedules.cyclic_lr``, with ``scale_fn`` 1 (``triangular``), halved each cycle
    (``triangular2``), ``gamma ** step`` (``exp_range``) or your own.  Step it every batch.

    Example:
        >>> class Opt: param_groups = [{"lr": 0.1, "momentum": 0.9}]; defaults = {"momentum": 0.9}
        >>> s = CyclicLR(Opt(), base_lr=0.01, max_lr=0.1, step_size_up=2)
        >>> [s.step() or round(s.get_last_lr()[0], 6) for _ in range(4)]
        [0.055, 0.1, 0.055, 0.01]
    """

    _state_keys = (
        "max_lrs", "total_size", "step_ratio", "mode", "gamma", "scale_mode", "cycle_momentum",
        "use_beta1", "base_momentums", "max_momentums", "_scale_fn_custom",
    )
    _optional_state_keys = ("use_beta1", "base_momentums", "max_momentums")
    _callable_keys = ("_scale_fn_custom",)

    def __init__(self, optimizer: Any, base_lr: float | list[float], max_lr: float | list[float],
                 step_size_up: int = 2000, step_size_down: int | None = None,
                 mode: str = "triangular", gamma: float = 1.0, scale_fn: Callable | None = None,
                 scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.8, max_momentum: float | list[float] = 0.9,
                 last_epoch: int = -1, verbose: bool = False, *, field: str = "lr") -> None:
        check_optimizer(optimizer, field)
        self._set_field(field, optimizer)
        base_lrs = _rates("base_lr", optimizer, base_lr)
        self.max_lrs = _rates("max_lr", optimizer, max_lr)
        up = check_real("step_size_up", step_size_up, "a number > 0", lambda v: v > 0)
        if step_size_down is not None:
            step_size_down = check_real("step_size_down", step_size_down, "a number > 0 or None",
                                        lambda v: v > 0)
        if scale_fn is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError("mode is invalid and scale_fn is None (mode must be 'triangular', "
                             f"'triangular2' or 'exp_range', or give scale_fn; got mode={mode!r})")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"scale_fn must be callable or None, got {type(scale_fn).__name__}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}")
        gamma = check_real("gamma", gamma, "a finite number > 0", lambda g: g > 0)
        # Checks the momenta, then writes them: the last check before anything is written.
        self._setup_momentum(optimizer, cycle_momentum, base_momentum, max_momentum, last_epoch)
        if last_epoch == -1:
            write_values(optimizer.param_groups, self._key, base_lrs, self._item)
        down = float(step_size_down) if step_size_down is not None else float(up)
        self.total_size = float(up) + down
        self.step_ratio = float(up) / self.total_size
        self.mode, self.gamma, self.scale_mode = mode, gamma, scale_mode
        self._scale_fn_custom = scale_fn
        self._init_scale_fn()
        self._given = _recorded(base_lr=base_lr, max_lr=max_lr, step_size_up=step_size_up,
                                step_size_down=step_size_down, mode=mode, gamma=gamma,
                                scale_mode=scale_mode, cycle_momentum=bool(cycle_momentum),
                                base_momentum=base_momentum, max_momentum=max_momentum)
        # As in PyTorch, the initial step runs with base_lrs read from group["initial_lr"];
        # the given base_lr takes over from the first step on.
        super().__init__(optimizer, last_epoch, verbose, field=field)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        if self._scale_fn_custom is None:  # the built-in policies fix their scale mode
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x: float) -> float:
        """The scaling policy at ``x`` (the cycle number or the batch index)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self) -> list[float]:
        """The cyclic rates at ``last_epoch``; also writes the cycled momenta into the groups."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        # schedules.cyclic_lr on one Python number (this is the per-batch hot path)
        epoch, total = self.last_epoch, self.total_size
        cycle = math.floor(1 + epoch / total)
        x = 1.0 + epoch / total - cycle
        ratio = self.step_ratio
        height = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else epoch)
        lrs = [base + (top - base) * height * scale
               for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, bottom, top in zip(self.optimizer.param_groups, self.base_momentums,
                                          self.max_momentums):
                self._set_momentum(group, top - (top - bottom) * height * scale)
        return lrs

    def _closed_form(self, steps, start):
        up = self.step_ratio * self.total_size
        return schedules.cyclic_lr(steps, np.asarray(self.base_lrs), np.asarray(self.max_lrs), up,
                                   self.total_size - up,
                                   lambda x: schedules.call_vectorised(self.scale_fn, x),
                                   self.scale_mode)

    def _definition(self) -> dict[str, Any]:
        fn = self._scale_fn_custom
        if fn is not None and not isinstance(fn, schedules.Schedule):
            raise TypeError(
                f"CyclicLR.to_config: scale_fn is {getattr(fn, '__name__', type(fn).__name__)}, "
                "which a config cannot hold (it is code, not data); register it with "
                "@register_schedule and pass Schedule('name', **arguments), or use "
                "mode='triangular2'/'exp_range'")
        return {**self._given, "scale_fn": None if fn is None else vars(fn)}

    def _after_load(self, definition: dict | None) -> None:
        super()._after_load(definition)
        self._given.pop("scale_fn", None)
        self._init_scale_fn()  # mode may have changed with the loaded state (as PyTorch)


class OneCycleLR(_MomentumCycler):
    """The 1cycle policy: from ``max_lr / div_factor`` up to ``max_lr`` over ``pct_start`` of
    ``total_steps``, then down to ``max_lr / div_factor / final_div_factor`` (cosine or linear;
    ``three_phase`` mirrors the warmup first); momentum moves the other way.  Step it every
    batch; stepping past ``total_steps`` raises.

    Example:
        >>> class Opt: param_groups = [{"lr": 0.1, "momentum": 0.9}]; defaults = {"momentum": 0.9}
        >>> s = OneCycleLR(Opt(), max_lr=1.0, total_steps=10)
        >>> [round(s.get_last_lr()[0], 6)] + [s.step() or round(s.get_last_lr()[0], 6)
        ...                                   for _ in range(2)]
        [0.04, 0.52, 1.0]
    """

    _state_keys = ("total_steps", "_schedule_phases", "anneal_strategy", "cycle_momentum",
                   "use_beta1")
    _optional_state_keys = ("use_beta1",)

    def __init__(self, optimizer: Any, max_lr: float | list[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1, verbose: bool = False, *, field: str = "lr") -> None:
        check_optimizer(optimizer, field)
        if total_steps is not None:
            self.total_steps = check_count("total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = check_count("epochs", epochs) * check_count("steps_per_epoch",
                                                                           steps_per_epoch)
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch) "
                             f"(got total_steps={total_steps}, epochs={epochs}, "
                             f"steps_per_epoch={steps_per_epoch})")
        number = as_number(pct_start)
        if isinstance(number, (int, float)) and not 0 <= number <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        pct_start = check_real("pct_start", pct_start, "a number in [0, 1]", lambda p: 0 <= p <= 1)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        div_factor = check_real("div_factor", div_factor, "a finite number > 0", lambda v: v > 0)
        final_div_factor = check_real("final_div_factor", final_div_factor, "a finite number > 0",
                                      lambda v: v > 0)
        phases = schedules.one_cycle_phases(self.total_steps, pct_start, three_phase)
        self._schedule_phases = [list(p) for p in phases]
        self.anneal_strategy = anneal_strategy
        self._set_field(field, optimizer)
        self._phases = self._spans()
        _rates("max_lr", optimizer, max_lr)  # checked before anything is written
        self._setup_momentum(optimizer, cycle_momentum, base_momentum, max_momentum, last_epoch)
        self._given = _recorded(max_lr=max_lr, total_steps=total_steps, epochs=epochs,
                                steps_per_epoch=steps_per_epoch, pct_start=pct_start,
                                anneal_strategy=anneal_strategy,
                                cycle_momentum=bool(cycle_momentum),
                                base_momentum=base_momentum, max_momentum=max_momentum,
                                div_factor=div_factor, final_div_factor=final_div_factor,
                                three_phase=bool(three_phase))
        if last_epoch == -1:
            self._write_bounds()
        super().__init__(optimizer, last_epoch, verbose, field=field)

    def _key_of(self, name: str) -> str:
        """The group entry a phase name refers to: ``initial_lr`` for lr, ``initial_<field>``..."""
        return name if self.field == "lr" or "lr" not in name else name.replace("lr", self.field)

    def _write_bounds(self) -> None:
        """The rate bounds into the groups, where PyTorch keeps them (``initial_lr``...)."""
        given, groups = self._given, self.optimizer.param_groups
        for top, group in zip(format_param("max_lr", self.optimizer, given["max_lr"]), groups):
            group[self._key_of("initial_lr")] = top / given["div_factor"]
            group[self._key_of("max_lr")] = top
            group[self._key_of("min_lr")] = top / given["div_factor"] / given["final_div_factor"]

    def step(self, epoch: int | None = None) -> None:
        """Advance one batch (or jump to ``epoch``); refuses to go past ``total_steps``."""
        target = self.last_epoch + 1 if epoch is None else epoch
        if isinstance(target, (int, float)) and target > self.total_steps:
            self._check_step(target)  # before anything changes (PyTorch raises after)
        LRScheduler.step(self, epoch)

    def _check_step(self, step: int) -> None:
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total steps is "
                             f"{self.total_steps} (OneCycleLR was built for total_steps="
                             f"{self.total_steps} steps: build it with a larger total_steps, or "
                             "epochs * steps_per_epoch)")

    def _spans(self) -> list[tuple]:
        """Each phase as ``(last step, first step, end step, lr keys..., momentum names...)``,
        the last one open-ended: ``_schedule_phases`` laid out for the per-batch ``get_lr``."""
        spans, start = [], 0.0
        for index, (end, first, last, *momenta) in enumerate(self._schedule_phases):
            final = index == len(self._schedule_phases) - 1
            spans.append((math.inf if final else end, start, end, self._key_of(first),
                          self._key_of(last), *momenta))
            start = end
        return spans

    def _after_load(self, definition: dict | None) -> None:
        super()._after_load(definition)
        self._phases = self._spans()  # the loaded phases may differ

    def _seek(self, epoch: int) -> None:
        super()._seek(epoch)
        self._check_step(epoch)
        self._write_bounds()
        if self.cycle_momentum:
            self._write_momentum_bounds()

    def get_lr(self) -> list[float]:
        """The 1cycle rates at ``last_epoch``; also writes the cycled momenta into the groups."""
        if not self._get_lr_called_within_step:
            warn_get_lr_outside_step()
        step = self.last_epoch
        for phase in self._phases:  # two or three; the last takes every later step
            if step <= phase[0]:
                break
        _, start, end, first, last, first_m, last_m = phase
        if end == start:
            raise ValueError(
                f"OneCycleLR phase {self._phases.index(phase)} is empty (total_steps="
                f"{self.total_steps}): choose pct_start so that every phase spans at least one step"
            )
        pct = (step - start) / (end - start)
        cycle = self.cycle_momentum
        lrs = []
        # schedules.one_cycle's annealing, written out so the cosine is taken once per step;
        # one pass over the groups sets the momentum too (the per-batch hot path)
        if self.anneal_strategy == "cos":
            wave = math.cos(math.pi * pct) + 1
            for g in self.optimizer.param_groups:
                lrs.append(g[last] + (g[first] - g[last]) / 2.0 * wave)
                if cycle:
                    self._set_momentum(g, g[last_m] + (g[first_m] - g[last_m]) / 2.0 * wave)
        else:
            for g in self.optimizer.param_groups:
                lrs.append((g[last] - g[first]) * pct + g[first])
                if cycle:
                    self._set_momentum(g, (g[last_m] - g[first_m]) * pct + g[first_m])
        return lrs

    def _closed_form(self, steps, start):
        if steps.size:
            self._check_step(int(steps.max()))
        groups = self.optimizer.param_groups
        names = {self._key_of(name) for name in ("initial_lr", "max_lr", "min_lr")}
        bounds = {name: np.asarray([g[name] for g in groups], dtype=np.float64) for name in names}
        phases = [(end, first, last) for _, _, end, first, last, *_ in self._phases]
        return schedules.one_cycle(steps, bounds, phases, self.anneal_strategy)
