"""Schedules as data: ``from_config`` builds the scheduler a ``to_config()`` definition
(``{"scheduler": class name, **JSON-ready arguments}``; a ``Schedule`` as ``{"schedule": name,
...}``, a composite's children as ``"schedulers"``) describes.

    >>> class Opt: param_groups = [{"lr": 0.1}]
    >>> s = from_config(Opt(), {"scheduler": "StepLR", "step_size": 2, "gamma": 0.5})
    >>> s.lr_at([0, 2, 4]).tolist(), describe(s.to_config())
    ([[0.1], [0.05], [0.025]], 'StepLR(step_size=2, gamma=0.5)')
"""
from __future__ import annotations

import importlib
import inspect
from typing import Any

from .base import LRScheduler
from .schedules import Schedule
from .swa import SWALR

__all__ = ["from_config", "describe"]

_FUNCTIONS = ("lr_lambda", "scale_fn")  # arguments whose definition is a Schedule's


def _schedule(where: str, value: Any) -> Schedule:
    if not isinstance(value, dict) or not isinstance(value.get("schedule"), str):
        raise ValueError(f"{where} must be a schedule definition {{'schedule': name, "
                         f"...arguments}}, got {value!r:.120}")
    return Schedule(value["schedule"], **{k: v for k, v in value.items() if k != "schedule"})


def from_config(optimizer: Any, config: dict[str, Any]) -> LRScheduler:
    """The scheduler the definition ``config`` (from ``to_config()``) describes, on ``optimizer``.

    It steps exactly as the scheduler the definition was taken from did from its construction;
    unknown classes and arguments raise ``ValueError`` naming them.
    """
    if not isinstance(config, dict) or not isinstance(config.get("scheduler"), str):
        raise ValueError(f"config must be a dict with a 'scheduler' class name, got "
                         f"{config!r:.120}")
    name = config["scheduler"]
    # The classes the package exports (looked up at call time: the package imports this module).
    package = importlib.import_module(__package__)
    classes = [n for n in package.__all__ if isinstance(getattr(package, n), type)
               and issubclass(getattr(package, n), LRScheduler) and not n.endswith("LRScheduler")]
    classes.append("SWALR")  # public at genesis.optim.swa_utils, as PyTorch's
    if name not in classes:
        raise ValueError(f"unknown scheduler {name!r} in config; from_config builds "
                         f"{', '.join(classes)}")
    cls = SWALR if name == "SWALR" else getattr(package, name)
    arguments = {key: value for key, value in config.items() if key != "scheduler"}
    known = [p for p in inspect.signature(cls).parameters
             if p not in ("optimizer", "last_epoch", "verbose")]
    unknown = sorted(set(arguments) - set(known))
    if unknown:
        raise ValueError(f"{name} has no argument {', '.join(map(repr, unknown))} (config); its "
                         f"arguments are: {', '.join(known)}")
    for key in _FUNCTIONS:
        value = arguments.get(key)
        if isinstance(value, list):
            arguments[key] = [_schedule(f"{name}.{key}[{i}]", v) for i, v in enumerate(value)]
        elif value is not None and key in arguments:
            arguments[key] = _schedule(f"{name}.{key}", value)
    if "schedulers" in arguments:
        children = arguments.pop("schedulers")
        if not isinstance(children, list):
            raise ValueError(f"{name}.schedulers must be a list of definitions, got "
                             f"{children!r:.120}")
        built = [from_config(optimizer, child) for child in children]
        if name == "ChainedScheduler":
            return cls(built, optimizer, **arguments)
        return cls(optimizer, built, **arguments)
    return cls(optimizer, **arguments)


def describe(config: Any) -> str:
    """A definition in one line, as the call that builds it: ``StepLR(step_size=30, ...)``."""
    if isinstance(config, dict) and isinstance(config.get("scheduler"), str):
        arguments = ", ".join(f"{k}={describe(v)}" for k, v in config.items() if k != "scheduler")
        return f"{config['scheduler']}({arguments})"
    if isinstance(config, dict) and isinstance(config.get("schedule"), str):
        arguments = ", ".join(f"{k}={describe(v)}" for k, v in config.items() if k != "schedule")
        return f"{config['schedule']}({arguments})"
    if isinstance(config, list):
        return f"[{', '.join(describe(v) for v in config)}]"
    return repr(config)
