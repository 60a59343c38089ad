"""``genesis.amp.GradScaler``: loss scaling for float16 training, as PyTorch's does it.

Enabled, it is real and follows PyTorch 2.13 step for step: ``scale`` multiplies the loss by
the scale (a float32 0-d tensor, 2**16 at first), ``unscale_`` multiplies every gradient by
``1/scale`` in place and records whether any is inf or NaN, ``step`` skips ``optimizer.step()``
when one was, and ``update`` multiplies the scale by ``backoff_factor`` after a skipped step, or
by ``growth_factor`` after ``growth_interval`` clean steps in a row (in float32, as PyTorch's
kernel). Disabled, every method is the identity (``step`` just calls ``optimizer.step()``).

``GradScaler("cuda")`` (the default device, and ``genesis.cuda.amp.GradScaler``) warns and
disables itself, as on a CPU-only PyTorch: use ``GradScaler("cpu")`` to scale on the CPU.
"""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable
from typing import Any

from genesis.backend import xp
from genesis.tensor_base import TensorBase, _wrap

_FIX = ("This may indicate your script did not use scaler.scale(loss or outputs) earlier in "
        "the iteration.")
_STATE_KEYS = ("scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker")
_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"


def _check_number(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


class GradScaler:
    """Scale the loss, unscale the gradients, skip steps with inf/NaN gradients, adapt the scale.

    Example::

        >>> model = genesis.nn.Linear(2, 1)
        >>> opt = genesis.optim.SGD(model.parameters(), lr=0.1)
        >>> scaler = genesis.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=1)
        >>> scaler.scale(model(genesis.ones(1, 2)).sum()).backward()
        >>> scaler.step(opt); scaler.update(); scaler.get_scale()
        2048.0
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        if not isinstance(device, str):
            raise TypeError(f"GradScaler: device must be a str such as 'cpu', got {device!r}")
        self._device = device
        self._enabled = bool(enabled)
        if self._device == "cuda" and self._enabled:
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                          "Disabling. (Genesis computes on the CPU: use GradScaler('cpu'))",
                          stacklevel=2)
            self._enabled = False
        if not self._enabled:
            return
        _check_number("growth_factor", growth_factor)
        _check_number("backoff_factor", backoff_factor)
        if growth_factor <= 1.0:
            raise AssertionError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise AssertionError("The backoff factor must be < 1.0.")
        if backoff_factor <= 0:
            raise ValueError(f"backoff_factor must be > 0 (a scale of 0 makes every gradient "
                             f"NaN), got {backoff_factor!r}")
        _check_number("init_scale", init_scale)
        if init_scale == 0:
            raise ValueError("init_scale must be nonzero (1/0 would make every gradient "
                             "inf), got 0")
        if isinstance(growth_interval, bool) or not isinstance(growth_interval, numbers.Integral):
            raise TypeError(f"growth_interval must be an int, got {growth_interval!r}")
        self._init_scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._init_growth_tracker = 0
        self._scale: TensorBase | None = None
        self._growth_tracker: int | None = None
        self._per_optimizer: dict[int, dict[str, Any]] = {}

    # ------------------------------------------------------------ the three calls of a step
    def scale(self, outputs):
        """``outputs`` (a tensor, or nested lists/tuples of tensors) times the scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, TensorBase):
            return outputs * self._lazy_scale()
        if isinstance(outputs, Iterable):
            scaled = map(self.scale, outputs)
            return type(outputs)(scaled) if isinstance(outputs, (list, tuple)) else scaled
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale in place; record inf/NaN."""
        if not self._enabled:
            return
        self._check_started("unscale_")
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = xp.float32(1.0 / float(self._scale._array))
        found = None
        for group in optimizer.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad._array
                if grad.dtype == xp.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                found = found or not bool(xp.isfinite(grad).all())
                xp.multiply(grad, inv_scale, out=grad)
        state["found_inf"] = None if found is None else float(found)
        state["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale (unless done), then ``optimizer.step(*args, **kwargs)`` unless a gradient was
        inf/NaN; returns what ``optimizer.step`` returned, or None when skipped."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is "
                               "enabled.")
        self._check_started("step")
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        if state["found_inf"] is None:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale: float | TensorBase | None = None) -> None:
        """Adapt the scale to the steps since the last update (or set it to ``new_scale``)."""
        if not self._enabled:
            return
        self._check_started("update")
        if new_scale is not None:
            if isinstance(new_scale, TensorBase):
                if new_scale._array.size != 1 or new_scale.requires_grad:
                    raise AssertionError("new_scale should be a float or a 1-element "
                                         "torch.cuda.FloatTensor or torch.FloatTensor with "
                                         "requires_grad=False.")
                new_scale = float(new_scale._array.reshape(-1)[0])
            _check_number("new_scale", new_scale)
            self._scale._array[...] = new_scale
        else:
            found = [s["found_inf"] for s in self._per_optimizer.values()
                     if s["found_inf"] is not None]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            self._update_scale(sum(found) > 0)
        self._per_optimizer = {}

    def _update_scale(self, found_inf: bool) -> None:
        # PyTorch's _amp_update_scale_ kernel: float32 scale times a double factor, stored back
        # as float32; growth only when the grown scale is finite.
        scale = float(self._scale._array)
        if found_inf:
            self._scale._array[...] = xp.float32(scale * self._backoff_factor)
            self._growth_tracker = 0
            return
        successful = self._growth_tracker + 1
        if successful == self._growth_interval:
            with xp.errstate(over="ignore"):  # past float32's range: inf, which is not kept
                grown = xp.float32(scale * self._growth_factor)
            if xp.isfinite(grown):
                self._scale._array[...] = grown
            self._growth_tracker = 0
        else:
            self._growth_tracker = successful

    # ------------------------------------------------------------ state
    def get_scale(self) -> float:
        """The current scale (1.0 when disabled; ``init_scale`` before the first ``scale``)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale._array)

    def get_growth_factor(self) -> float:
        """The factor the scale grows by after ``growth_interval`` clean steps."""
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        """Set the growth factor."""
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        """The factor the scale shrinks by after a skipped step."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        """Set the backoff factor."""
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        """The number of clean steps in a row before the scale grows."""
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        """Set the growth interval."""
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else self._growth_tracker

    def is_enabled(self) -> bool:
        """Whether the scaler scales (False when built disabled, or for 'cuda' here)."""
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval`` and
        ``_growth_tracker`` as plain numbers (PyTorch's keys); empty when disabled."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()`` (a PyTorch GradScaler's loads too); no-op when disabled."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        missing = [k for k in _STATE_KEYS if k not in state_dict]
        if missing:
            raise KeyError(f"GradScaler.load_state_dict: state_dict is missing {missing}")
        self._init_scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._scale is not None:
            self._scale._array[...] = self._init_scale
            self._growth_tracker = self._init_growth_tracker

    # ------------------------------------------------------------ helpers
    def _lazy_scale(self) -> TensorBase:
        if self._scale is None:
            self._scale = _wrap(xp.full((), self._init_scale, dtype=xp.float32))
            self._growth_tracker = self._init_growth_tracker
        return self._scale

    def _check_started(self, funcname: str) -> None:
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  {_FIX}")

    def _state(self, optimizer) -> dict[str, Any]:
        return self._per_optimizer.setdefault(id(optimizer),
                                              {"stage": _READY, "found_inf": None})


__all__ = ["GradScaler"]
