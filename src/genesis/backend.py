"""The array backend: the one seam between Genesis and the library that stores arrays.

Every module that does math on tensor storage imports ``xp`` from here instead of importing
NumPy itself, so that a later GPU backend (CuPy, or an engine with NumPy's API) replaces this
file and nothing else.  Host-side bookkeeping that never touches tensor storage (schedule
arithmetic on step counts, argument checks) may use NumPy directly.
"""
import weakref

import numpy as xp

ndarray = xp.ndarray


def asarray(data, dtype=None):
    """Return ``data`` as a backend array (no copy when it already is one of ``dtype``)."""
    return xp.asarray(data, dtype=dtype)


def quiet(fn):
    """Decorate a kernel so that it runs with the backend's floating-point warnings off.

    PyTorch returns inf and NaN silently where NumPy warns ("divide by zero", "invalid value",
    "overflow": ``log(0)``, ``x / 0``, ``sqrt(-1)``, ``0 * inf``, ``exp(1000)``, a NaN cast to
    an integer); the ops that can meet them, and the backward pass, run under this, so Genesis
    is as silent as PyTorch and gives the same values.  It costs a fixed fraction of a
    microsecond a call, so pure data movement (reshape, indexing, cat) goes without.
    """
    return xp.errstate(all="ignore")(fn)


def to_numpy(array):
    """Return a host NumPy view of a backend array (the identity for NumPy)."""
    return array


class ScratchPool:
    """Large scratch arrays kept for reuse from one training step to the next.

    A convolution's im2col columns (or its grid path's stacked input) are megabytes,
    allocated and freed every step.
    glibc hands blocks that large back to the operating system on free, so every step maps
    them afresh and takes a page fault per 4 KiB on first touch; measured on the LeNet and
    ResNet benchmarks that cost as much CPU time as the arithmetic. A buffer handed out here
    comes back to a free list when the array given out dies (``weakref.finalize``) and the
    next request for the same shape and dtype reuses it. At most ``limit_bytes`` are kept.

    The caller must keep the returned array itself alive for as long as any view of it is used
    (NumPy's views point at the owner, not at the array given out): scratch that never leaves
    the op that took it (columns saved in a backward closure, temporaries of one backward).
    """

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self._free: dict = {}
        self._kept = 0

    def empty(self, shape: tuple, dtype, axes: tuple | None = None) -> ndarray:
        """An uninitialised array of ``shape`` and ``dtype``, recycled when possible; with
        ``axes``, handed out transposed by them (the array given out must be the one used)."""
        key = (tuple(shape), xp.dtype(dtype).str)
        stack = self._free.get(key)
        if stack:
            owner = stack.pop()
            self._kept -= owner.nbytes
        else:
            owner = xp.empty(shape, dtype)
        handed_out = owner.view() if axes is None else owner.transpose(axes)
        weakref.finalize(handed_out, self._give_back, key, owner)
        return handed_out

    def _give_back(self, key: tuple, owner: ndarray) -> None:
        if self._kept + owner.nbytes <= self.limit_bytes:
            self._free.setdefault(key, []).append(owner)
            self._kept += owner.nbytes

    def clear(self) -> None:
        """Drop every kept buffer (their memory goes back to the allocator)."""
        self._free.clear()
        self._kept = 0


scratch = ScratchPool(limit_bytes=512 * 2**20)

__all__ = ["xp", "ndarray", "asarray", "quiet", "to_numpy", "ScratchPool", "scratch"]
