"""The sampling methods of ``genesis.Tensor`` (a mixin): ``multinomial`` and ``bernoulli``.

They draw from the global generator (or a ``generator=``), record no graph, and check their
arguments as PyTorch does; the in-place fills (``uniform_``, ``bernoulli_``) live with the other
in-place methods in ``tensor_inplace.py``.
"""
from __future__ import annotations

import numbers

from . import dtypes, ops
from .backend import xp
from .random import generator_for
from .tensor_base import TensorBase, _wrap


def _array_of(value):
    return value._array if isinstance(value, TensorBase) else value


class TensorSampling:
    """Random draws from the distributions a tensor holds."""

    __slots__ = ()

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator=None):
        """Indices drawn from the categorical distributions in the rows of ``self`` (1-D or
        2-D, non-negative weights, not necessarily normalised); int64.

        Draws come from the global generator (or ``generator``), so the values differ from
        PyTorch's for the same seed; the distribution is the same. Without replacement, a row's
        draws are distinct (sequential sampling, by the exponential race).
        """
        x = self._array
        if x.dtype.kind != "f":
            raise RuntimeError(f"multinomial only supports floating-point dtypes for input, "
                               f"got: {dtypes.torch_name(self.dtype)}")
        if x.ndim not in (1, 2):
            raise RuntimeError("prob_dist must be 1 or 2 dim")
        if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral):
            raise TypeError(f"multinomial(): argument 'num_samples' must be int, not "
                            f"{type(num_samples).__name__}")
        if num_samples <= 0:
            raise RuntimeError("cannot sample n_sample <= 0 samples")
        if not replacement and num_samples > x.shape[-1]:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        rows = x.reshape(-1, x.shape[-1]).astype(xp.float64)
        if not xp.isfinite(rows).all() or (rows < 0).any():
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        totals = rows.sum(axis=1, keepdims=True)
        if (totals <= 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        rng = generator_for(generator)
        if replacement:
            cdf = xp.cumsum(rows / totals, axis=1)
            draws = rng.random((rows.shape[0], num_samples))
            picks = xp.stack([xp.searchsorted(c, d, side="right") for c, d in zip(cdf, draws)])
            picks = xp.minimum(picks, x.shape[-1] - 1)  # a draw above a rounded-down total
        else:
            with xp.errstate(divide="ignore"):
                race = rng.standard_exponential(rows.shape) / rows
            picks = xp.argsort(race, axis=1, kind="stable")[:, :num_samples]
        return _wrap(picks.reshape(x.shape[:-1] + (num_samples,)).astype(xp.int64))

    def bernoulli(self, p=None, *, generator=None):
        """0/1 samples with probabilities ``self`` (or ``p``), in ``self``'s dtype; as in
        PyTorch the result stays in the graph of ``self`` with a zero gradient."""
        probs = self._array if p is None else _array_of(p)
        if ((probs < 0) | (probs > 1)).any():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        draws = generator_for(generator).random(self._array.shape)
        return ops.refilled(self, (draws < probs).astype(self._array.dtype), "BernoulliBackward0")
