"""Argument checks of the schedulers: each names the argument, the value and what was expected.
Numbers may be 0-d tensors or NumPy scalars (``as_number``, duck-typed through ``item()``)."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["as_number", "check_int", "check_count", "check_real", "format_param", "check_epoch", "check_steps",
           "check_milestones", "check_field"]


def as_number(value: Any) -> Any:
    """``value`` as a plain number if it is a one-element tensor or NumPy scalar, else as is."""
    if isinstance(value, (int, float)):
        return value
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        try:
            return item()
        except (ValueError, RuntimeError, TypeError):  # several elements: the caller reports it
            return value
    return value


def check_int(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int if it is one (not a bool) ``>= minimum``; else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        expected = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return int(value)


def check_count(name: str, value: Any) -> int:
    """A positive int, in PyTorch's words (``Expected positive integer T_0, but got 0``)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"Expected positive integer {name}, but got {value}")
    return int(value)


def check_real(name: str, value: Any, expected: str, ok: Callable[[float], bool]) -> Any:
    """``value`` as a plain number (0-d tensors accepted) if finite and ``ok``; else ValueError."""
    number = as_number(value)
    if isinstance(number, bool) or not isinstance(number, (int, float, np.integer, np.floating)) \
            or not math.isfinite(number) or not ok(number):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return number


def format_param(name: str, optimizer: Any, value: Any) -> list:
    """One value per param group: a scalar is repeated, a list/tuple must match the group count."""
    count = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                             f"{name} has {len(value)} values, param_groups has {count}.")
        return [as_number(v) for v in value]
    return [as_number(value)] * count


def check_epoch(epoch: Any) -> int:
    """The ``epoch`` of ``step(epoch)`` as an int >= 0 (an integral float is accepted)."""
    number = as_number(epoch)
    if isinstance(number, (float, np.floating)) and math.isfinite(number) and number == int(number):
        number = int(number)
    if isinstance(number, bool) or not isinstance(number, (int, np.integer)) or number < 0:
        raise ValueError(f"epoch must be an int >= 0, got {epoch!r}: the closed forms and the "
                         "chainable steps that follow count whole epochs (only "
                         "CosineAnnealingWarmRestarts takes fractions)")
    return int(number)


def check_steps(steps: Any) -> np.ndarray:
    """``lr_at``'s steps (an int or an array of ints >= 0) as an int64 array of the same shape."""
    array = np.asarray(steps)
    if array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        array = array.astype(np.int64)  # 3.0 is step 3
    if array.dtype.kind not in "iu" or (array.size and array.min() < 0):
        raise ValueError(f"steps must be an int >= 0 or an array of ints >= 0, got {steps!r:.80}")
    return array.astype(np.int64, copy=False)


def check_milestones(name: str, milestones: Any) -> list[int]:
    """Milestones: non-negative ints in non-decreasing order (repeats allowed, as PyTorch)."""
    try:
        values = list(milestones)
    except TypeError:
        raise TypeError(f"{name} must be a list of ints, got {type(milestones).__name__}") from None
    for m in values:
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 0:
            raise ValueError(f"{name} must hold ints >= 0, got {m!r} in {values!r}")
    if any(b < a for a, b in zip(values, values[1:])):
        raise ValueError(f"{name} must be sorted in increasing order, got {values!r}")
    return [int(m) for m in values]


def check_field(field: Any) -> tuple[str, int | None]:
    """``"lr"``, ``"weight_decay"`` or ``"betas[0]"`` as ``(group key, index or None)``."""
    if not isinstance(field, str) or not field:
        raise TypeError(f"field must be the name of a param-group entry such as 'lr', "
                        f"'weight_decay' or 'betas[0]', got {field!r}")
    key, bracket, rest = field.partition("[")
    if not bracket:
        return field, None
    if not rest.endswith("]") or not rest[:-1].isdigit() or not key:
        raise ValueError(f"field must be a key or a key with an index such as 'betas[0]', got "
                         f"{field!r}")
    return key, int(rest[:-1])
