"""Reading PyTorch's scheduler state dicts: the one place that knows how they differ from ours.

``torch.optim.lr_scheduler`` saves ``self.__dict__`` (less the optimizer), so its state dicts
hold a few keys Genesis does not keep and spell a few values differently.  ``from_torch`` turns
such a dict into Genesis's own form before ``load_state_dict`` checks it, so that a checkpoint
written by PyTorch 2.13 (``genesis checkpoint convert``) resumes exactly where PyTorch stopped:

* every class: the transient flags ``_is_initial`` and ``_get_lr_called_within_step`` (only
  meaningful inside a PyTorch ``step()``) are dropped; a missing ``verbose`` (PyTorch 2.13 has
  none) keeps the scheduler's current value;
* ``MultiStepLR``: ``milestones`` is a ``Counter`` (milestone -> count), possibly with its keys
  turned into strings by JSON; it becomes our sorted list with repeats;
* ``OneCycleLR``: ``_anneal_func_type`` is our ``anneal_strategy``, and each of
  ``_schedule_phases`` is a dict (``end_step``, ``start_lr``, ``end_lr``, ``start_momentum``,
  ``end_momentum``), ours a list in that order;
* ``CyclicLR``: ``_scale_fn_ref`` (a bound method PyTorch itself drops from its state dicts) is
  ignored when present; ``_init_scale_fn`` runs after loading, as in PyTorch.

Any other key is still refused by name.  ``LambdaLR``/``MultiplicativeLR`` (``lr_lambdas``:
``None`` for a function, keep the current one), ``SequentialLR``/``ChainedScheduler``
(``_schedulers``: the children's dicts, each read by its own child) and ``ReduceLROnPlateau``
already use PyTorch's keys.
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
        raise ValueError(
            f"OneCycleLR.load_state_dict: each of _schedule_phases must have the keys "
            f"{list(_PHASE_KEYS)}, got {sorted(phase)}"
        )
    return [phase[key] for key in _PHASE_KEYS]
