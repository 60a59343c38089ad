"""The random number generator: one global NumPy ``Generator`` (PCG64) and ``genesis.Generator``.

Only the generator lives here; the random factories (``rand``, ``randn``, ...) and in-place
samplers (``uniform_``, ``normal_``) draw from :func:`generator_for`.
"""
from __future__ import annotations

import numpy as np

_DEFAULT_SEED = 67280421310721  # PyTorch's default_generator starts from this seed too

_STATE_KEYS = {"bit_generator", "state", "has_uint32", "uinteger", "seed"}


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {seed!r}")
    seed = int(seed)
    if seed < 0:
        # PyTorch accepts negative seeds by wrapping them to 64 bits.
        seed &= (1 << 64) - 1
    return seed


class Generator:
    """A random number generator (PCG64) that random factories accept as ``generator=``.

    Example::

        >>> g = genesis.Generator().manual_seed(0)
        >>> a = genesis.rand(2, generator=g)
        >>> b = genesis.rand(2, generator=g.manual_seed(0))
        >>> bool((a == b).all())
        True
    """

    def __init__(self, device: str = "cpu") -> None:
        if str(device) != "cpu":
            raise ValueError(f"Generator(device): only 'cpu' is supported, got {device!r}")
        self.device = "cpu"
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> "Generator":
        """Reseed from ``seed`` (an int) and return ``self``."""
        self._seed = _check_seed(seed)
        self._np = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        """Reseed from fresh OS entropy and return the new seed."""
        seed = int(np.random.SeedSequence().entropy) & ((1 << 64) - 1)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed the generator was last seeded with."""
        return self._seed

    def get_state(self) -> dict:
        """The full state as plain data (a JSON-serialisable dict of ints and strings)."""
        state = self._np.bit_generator.state
        return {"bit_generator": state["bit_generator"],
                "state": {"state": int(state["state"]["state"]),
                          "inc": int(state["state"]["inc"])},
                "has_uint32": int(state["has_uint32"]),
                "uinteger": int(state["uinteger"]),
                "seed": self._seed}

    def set_state(self, new_state: dict) -> "Generator":
        """Restore a state from :meth:`get_state`; raises ValueError on a malformed state."""
        if not isinstance(new_state, dict) or set(new_state) != _STATE_KEYS:
            raise ValueError(f"new_state must be a dict with keys {sorted(_STATE_KEYS)} (from "
                             f"get_rng_state()), got {new_state!r}")
        if new_state["bit_generator"] != "PCG64":
            raise ValueError(f"new_state['bit_generator'] must be 'PCG64', got "
                             f"{new_state['bit_generator']!r}")
        inner = new_state["state"]
        if (not isinstance(inner, dict) or set(inner) != {"state", "inc"}
                or not all(isinstance(v, int) and v >= 0 for v in inner.values())):
            raise ValueError(f"new_state['state'] must be a dict of non-negative ints "
                             f"'state' and 'inc', got {inner!r}")
        bit_generator = np.random.PCG64()
        bit_generator.state = {"bit_generator": "PCG64",
                               "state": {"state": inner["state"], "inc": inner["inc"]},
                               "has_uint32": int(new_state["has_uint32"]),
                               "uinteger": int(new_state["uinteger"])}
        self._np = np.random.Generator(bit_generator)
        self._seed = _check_seed(new_state["seed"])
        return self

    def __repr__(self) -> str:
        return f"<genesis.Generator seed={self._seed}>"


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator (``genesis.manual_seed(0)``) and return it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the global generator from OS entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the global generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    """The global generator's state as plain, JSON-serialisable data.

    Example: ``s = genesis.get_rng_state(); a = genesis.rand(3); genesis.set_rng_state(s)``
    then ``genesis.rand(3)`` equals ``a``.
    """
    return default_generator.get_state()


def set_rng_state(new_state: dict) -> None:
    """Restore the global generator from :func:`get_rng_state` (validated)."""
    default_generator.set_state(new_state)


def generator_for(generator=None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s, or the global one when ``None``."""
    if generator is None:
        return default_generator._np
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a genesis.Generator or None, got "
                        f"{type(generator).__name__}")
    return generator._np


__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "generator_for"]
