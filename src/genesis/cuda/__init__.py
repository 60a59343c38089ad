"""``genesis.cuda``: what a CPU-only PyTorch 2.13 answers, so that device-agnostic scripts run.

Genesis computes with NumPy on the CPU. ``is_available()`` is False and ``device_count()`` 0,
so scripts that pick ``"cuda" if torch.cuda.is_available() else "cpu"`` take the CPU branch.
Calls that are harmless without a GPU (seeding the CUDA generators, emptying the cache, memory
counters) do nothing, as on a CPU-only PyTorch; calls that need a GPU raise PyTorch's
``AssertionError: Torch not compiled with CUDA enabled``.
"""
from __future__ import annotations

from genesis.devices import check_device as _check_device

from . import amp


class OutOfMemoryError(RuntimeError):
    """Raised when a device runs out of memory (PyTorch's ``torch.cuda.OutOfMemoryError``).

    Genesis never raises it (NumPy raises ``MemoryError``); it exists so that scripts can name it
    in an ``except`` clause.
    """


def _no_cuda():
    _check_device("cuda")


def is_available() -> bool:
    """Whether a CUDA device can be used: always False."""
    return False


def device_count() -> int:
    """The number of CUDA devices: always 0."""
    return 0


def is_initialized() -> bool:
    """Whether CUDA has been initialised: always False."""
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether the current CUDA device supports bfloat16: always False (there is none)."""
    return False


def manual_seed(seed: int) -> None:
    """Seed the current CUDA generator: nothing to seed, as on a CPU-only PyTorch."""
    int(seed)


def manual_seed_all(seed: int) -> None:
    """Seed every CUDA generator: nothing to seed, as on a CPU-only PyTorch."""
    int(seed)


def seed() -> None:
    """Seed the current CUDA generator from entropy: nothing to seed."""


def seed_all() -> None:
    """Seed every CUDA generator from entropy: nothing to seed."""


def empty_cache() -> None:
    """Release cached CUDA memory: there is none, so nothing happens (as in PyTorch)."""


def memory_allocated(device=None) -> int:
    """Bytes of CUDA memory held by tensors: 0."""
    return 0


def max_memory_allocated(device=None) -> int:
    """Peak bytes of CUDA memory held by tensors: 0."""
    return 0


def memory_reserved(device=None) -> int:
    """Bytes of CUDA memory held by the caching allocator: 0."""
    return 0


def max_memory_reserved(device=None) -> int:
    """Peak bytes of CUDA memory held by the caching allocator: 0."""
    return 0


def synchronize(device=None) -> None:
    """Wait for CUDA work: raises, as on a CPU-only PyTorch."""
    _no_cuda()


def current_device() -> int:
    """The current CUDA device index: raises, as on a CPU-only PyTorch."""
    _no_cuda()


def set_device(device) -> None:
    """Select a CUDA device: raises, as on a CPU-only PyTorch."""
    _no_cuda()


def get_device_name(device=None) -> str:
    """The name of a CUDA device: raises, as on a CPU-only PyTorch."""
    _no_cuda()


def get_device_capability(device=None) -> tuple:
    """The compute capability of a CUDA device: raises, as on a CPU-only PyTorch."""
    _no_cuda()


def initial_seed() -> int:
    """The seed of the current CUDA generator: raises, as on a CPU-only PyTorch."""
    _no_cuda()


def get_rng_state(device="cuda"):
    """The state of a CUDA generator: raises, as on a CPU-only PyTorch."""
    _no_cuda()


def set_rng_state(new_state, device="cuda") -> None:
    """Restore a CUDA generator: raises, as on a CPU-only PyTorch."""
    _no_cuda()


__all__ = ["amp", "OutOfMemoryError", "is_available", "device_count", "is_initialized",
           "is_bf16_supported", "manual_seed", "manual_seed_all", "seed", "seed_all",
           "empty_cache", "memory_allocated", "max_memory_allocated", "memory_reserved",
           "max_memory_reserved", "synchronize", "current_device", "set_device",
           "get_device_name", "get_device_capability", "initial_seed", "get_rng_state",
           "set_rng_state"]
