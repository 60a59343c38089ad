"""Reading PyTorch's scheduler state dicts: the one place that knows how they differ from ours.

PyTorch saves ``self.__dict__`` (less the optimizer); ``from_torch`` turns such a dict into
Genesis's form before ``load_state_dict`` checks it, so a PyTorch 2.13 checkpoint resumes
exactly: the transient flags ``_is_initial``/``_get_lr_called_within_step`` are dropped and a
missing ``verbose`` keeps the current value; ``MultiStepLR``'s ``Counter`` of milestones becomes
our sorted list; ``OneCycleLR``'s ``_anneal_func_type`` is our ``anneal_strategy`` and its phase
dicts become lists; ``CyclicLR``'s ``_scale_fn_ref`` (a bound method) is ignored.  Any other
unknown key is refused by name; the other classes already use PyTorch's keys.
"""
from __future__ import annotations

from typing import Any

__all__ = ["TRANSIENT_KEYS", "TORCH_ONLY_KEYS", "from_torch"]

# Set and cleared inside PyTorch's step(); never part of the state worth restoring.
TRANSIENT_KEYS = ("_is_initial", "_get_lr_called_within_step")

# Per class: keys of PyTorch's state dict that Genesis accepts and ignores.
TORCH_ONLY_KEYS: dict[str, tuple[str, ...]] = {
    "CyclicLR": ("_scale_fn_ref",),
}

# OneCycleLR's phase dict keys, in the order of Genesis's phase lists.
_PHASE_KEYS = ("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum")


def from_torch(scheduler: Any, state_dict: Any) -> Any:
    """``state_dict`` in Genesis's form for ``scheduler``: a new dict, the given one untouched.

    Genesis's own state dicts come back equal; anything that is not a dict is returned as is
    (``load_state_dict`` reports it).
    """
    if not isinstance(state_dict, dict):
        return state_dict
    names = [cls.__name__ for cls in type(scheduler).__mro__]
    ignored = set(TRANSIENT_KEYS)
    for name in names:
        ignored.update(TORCH_ONLY_KEYS.get(name, ()))
    state = {key: value for key, value in state_dict.items() if key not in ignored}
    state.setdefault("verbose", getattr(scheduler, "verbose", False))
    if "MultiStepLR" in names and isinstance(state.get("milestones"), dict):
        state["milestones"] = _milestone_list(state["milestones"])
    if "OneCycleLR" in names:
        if "_anneal_func_type" in state and "anneal_strategy" not in state:
            state["anneal_strategy"] = state.pop("_anneal_func_type")
        phases = state.get("_schedule_phases")
        if isinstance(phases, list) and all(isinstance(p, dict) for p in phases):
            state["_schedule_phases"] = [_phase_list(p) for p in phases]
    return state


def _milestone_list(counts: dict) -> list[int]:
    """PyTorch's ``Counter`` of milestones as a sorted list, each repeated ``count`` times."""
    milestones = []
    for key, count in counts.items():
        try:
            milestone = int(key)
        except (TypeError, ValueError):
            raise ValueError(
                f"MultiStepLR.load_state_dict: milestones must map int milestones to counts, "
                f"got the key {key!r}"
            ) from None
        milestones.extend([milestone] * int(count))
    return sorted(milestones)


def _phase_list(phase: dict) -> list:
    """One of PyTorch's OneCycleLR phase dicts as Genesis's phase list."""
    if set(phase) != set(_PHASE_KEYS):
        raise ValueError(f"OneCycleLR.load_state_dict: each of _schedule_phases must have the keys "
                         f"{list(_PHASE_KEYS)}, got {sorted(phase)}")
    return [phase[key] for key in _PHASE_KEYS]
