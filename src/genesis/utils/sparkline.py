"""A one-line terminal plot of a series with Unicode block characters (``sparkline``)."""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["BLOCKS", "sparkline"]

BLOCKS = "▁▂▃▄▅▆▇█"
"""The eight levels, lowest first (U+2581 to U+2588)."""


def sparkline(values: Any, width: int = 60) -> str:
    """The series ``values`` as at most ``width`` block characters, lowest ``▁`` to highest ``█``.

    A longer series is cut into ``width`` nearly equal consecutive bins (``numpy.array_split``)
    and each bin drawn at its mean; a shorter one gets one character per value.  Levels span the
    series' own minimum to maximum (a constant series is drawn at full height); a NaN bin is a
    space.

    Example:
        >>> sparkline([0, 1, 2, 3, 4, 5, 6, 7])
        '▁▂▃▄▅▆▇█'
        >>> sparkline(range(100), width=4)
        '▁▃▆█'
    """
    series = np.asarray(values, dtype=np.float64)
    if series.ndim != 1 or series.size == 0:
        raise ValueError(f"values must be a non-empty 1-d series, got shape {series.shape}")
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"width must be a positive int, got {width!r}")
    bins = np.array_split(series, min(int(width), series.size))
    with np.errstate(invalid="ignore"):
        means = np.array([bin_.mean() for bin_ in bins])
    finite = means[np.isfinite(means)]
    if finite.size == 0:
        return " " * means.size
    low, high = finite.min(), finite.max()
    top = len(BLOCKS) - 1
    span = high - low
    # An equal-width split of [low, high] into eight levels; the maximum lands on the top block.
    levels = np.full(means.shape, top) if span == 0 else np.floor((means - low) / span * top + 0.5)
    chars = [BLOCKS[int(level)] if np.isfinite(mean) else " " for level, mean in zip(levels, means)]
    return "".join(chars)
