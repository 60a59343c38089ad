"""Reading PyTorch's scheduler state dicts (its ``self.__dict__``): the one place that knows
how they differ from ours.  Any other unknown key is refused by ``load_state_dict``."""
from __future__ import annotations

from typing import Any

__all__ = ["TRANSIENT_KEYS", "from_torch"]

# Set and cleared inside PyTorch's step(); never part of the state worth restoring.
TRANSIENT_KEYS = ("_is_initial", "_get_lr_called_within_step")
# OneCycleLR's phase dict keys, in the order of Genesis's phase lists.
_PHASE_KEYS = ("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum")


def from_torch(scheduler: Any, state_dict: Any) -> Any:
    """``state_dict`` in Genesis's form for ``scheduler``: a new dict, the given one untouched
    (Genesis's own come back equal; what is not a dict is returned for the caller to report)."""
    if not isinstance(state_dict, dict):
        return state_dict
    names = [cls.__name__ for cls in type(scheduler).__mro__]
    ignored = TRANSIENT_KEYS + (("_scale_fn_ref",) if "CyclicLR" in names else ())
    state = {key: value for key, value in state_dict.items() if key not in ignored}
    state.setdefault("verbose", getattr(scheduler, "verbose", False))
    if "MultiStepLR" in names and isinstance(state.get("milestones"), dict):
        try:  # a Counter: each milestone repeated count times
            state["milestones"] = sorted(int(m) for m, n in state["milestones"].items()
                                         for _ in range(int(n)))
        except (TypeError, ValueError):
            raise ValueError("MultiStepLR.load_state_dict: milestones must map int milestones to "
                             f"counts, got {state['milestones']!r:.200}") from None
    phases = state.get("_schedule_phases")
    if "OneCycleLR" in names and isinstance(phases, list) \
            and all(isinstance(p, dict) for p in phases):
        if any(set(p) != set(_PHASE_KEYS) for p in phases):
            raise ValueError(f"OneCycleLR.load_state_dict: each of _schedule_phases must have the "
                             f"keys {list(_PHASE_KEYS)}, got {[sorted(p) for p in phases]}")
        state["_schedule_phases"] = [[p[key] for key in _PHASE_KEYS] for p in phases]
    if "OneCycleLR" in names and "_anneal_func_type" in state and "anneal_strategy" not in state:
        state["anneal_strategy"] = state.pop("_anneal_func_type")
    return state
