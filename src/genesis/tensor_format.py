"""``repr`` of tensors, laid out the way PyTorch prints them (4 decimals, aligned columns)."""
from __future__ import annotations

import math

from .backend import to_numpy, xp

_PRECISION = 4
_LINEWIDTH = 80
_THRESHOLD = 1000
_EDGEITEMS = 3


class _Formatter:
    """Chooses one format for all shown values: integer-like floats, fixed or scientific."""

    def __init__(self, values) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.width = max(self.width, len(str(v)))
            return
        finite = flat[xp.isfinite(flat) & (flat != 0)].astype(xp.float64)
        if finite.size == 0:
            return
        magnitude = xp.abs(finite)
        lo, hi = float(magnitude.min()), float(magnitude.max())
        self.int_mode = bool((finite == xp.ceil(finite)).all())
        self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        if self.int_mode and not self.sci_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in finite.tolist())
        elif self.sci_mode:
            self.width = max(len(f"{v:.{_PRECISION}e}") for v in finite.tolist())
        else:
            self.width = max(len(f"{v:.{_PRECISION}f}") for v in finite.tolist())

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{_PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                text += "."
        else:
            text = f"{value:.{_PRECISION}f}"
        return text.rjust(self.width)


def _edges(values):
    """Only the values that are printed when the tensor is summarised."""
    if values.ndim == 0:
        return values
    if values.shape[0] > 2 * _EDGEITEMS:
        values = xp.concatenate([values[:_EDGEITEMS], values[-_EDGEITEMS:]])
    if values.ndim == 1:
        return values
    return xp.stack([_edges(row) for row in values])


def _body(values, indent, summarize, fmt) -> str:
    if values.ndim == 0:
        return fmt.format(values.item())
    n = values.shape[0]
    cut = summarize and n > 2 * _EDGEITEMS
    rows = list(range(_EDGEITEMS)) + [None] + list(range(n - _EDGEITEMS, n)) if cut else range(n)
    if values.ndim == 1:
        items = [" ..." if i is None else fmt.format(values[i].item()) for i in rows]
        per_line = max(1, (_LINEWIDTH - indent) // (fmt.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = ["..." if i is None else _body(values[i], indent + 1, summarize, fmt) for i in rows]
    joiner = "," + "\n" * (values.ndim - 1) + " " * (indent + 1)
    return "[" + joiner.join(parts) + "]"


def tensor_repr(t) -> str:
    """``tensor([1., 2.], requires_grad=True)`` style text for ``t``."""
    values = to_numpy(t._array)
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if values.size == 0:
        body = "[]"
        if values.ndim != 1:
            suffixes.append(f"size={tuple(values.shape)}")
    else:
        summarize = values.size > _THRESHOLD
        fmt = _Formatter(_edges(values) if summarize else values)
        body = _body(values, indent, summarize, fmt)
    # An empty tensor shows no values to infer an integer dtype from, so only float32 is implied.
    implied = ("float32",) if values.size == 0 else ("float32", "int64", "bool")
    if t.dtype.name not in implied:
        suffixes.append(f"dtype={t.dtype!r}")
    if t._node is not None:
        suffixes.append(f"grad_fn=<{t._node.name}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    text = prefix + body
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > _LINEWIDTH:
            text += ",\n" + " " * indent + suffix
            last_line = indent + len(suffix)
        else:
            text += ", " + suffix
            last_line += len(suffix) + 2
    return text + ")"
