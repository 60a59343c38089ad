"""``Embedding`` and ``F.embedding`` (one fused node; ``padding_idx`` rows get no gradient)."""
from __future__ import annotations

from typing import Any

import genesis
from genesis.autograd import record
from genesis.backend import xp
from genesis.nn import init
from genesis.nn.modules.module import Module
from genesis.nn.modules.utils import _check_positive_int, _check_tensor
from genesis.nn.parameter import Parameter
from genesis.tensor import Tensor

_wrap = Tensor._wrap


def _check_indices(name: str, indices: Tensor, size: int) -> object:
    _check_tensor(name, indices)
    idx = indices._array
    if idx.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be an integer tensor (e.g. genesis.int64) of indices, "
            f"got dtype {idx.dtype}"
        )
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < 0 or high >= size:
            bad = low if low < 0 else high
            raise IndexError(f"index {bad} is out of range: {name} must lie in [0, {size})")
    return idx


def embedding(
    input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
    norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False,
) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, dim) at integer ``input``; ``padding_idx`` rows
    get no gradient.

    Example:
        >>> F.embedding(genesis.tensor([1, 0]), genesis.tensor([[0.0, 1.0], [2.0, 3.0]]))
        tensor([[2., 3.],
                [0., 1.]])
    """
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(
            "embedding: max_norm, scale_grad_by_freq and sparse are not supported"
        )
    if weight.ndim != 2:
        raise ValueError("embedding: weight must be 2-D (num_embeddings, embedding_dim), "
                         f"got shape {tuple(weight.shape)}")
    rows = weight._array.shape[0]
    idx = _check_indices("input", input, rows)
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(
                f"padding_idx must be within num_embeddings ({rows}), got {padding_idx}"
            )
        padding_idx %= rows

    def backward(g):
        full = xp.zeros(weight._array.shape, dtype=g.dtype)
        flat = idx.reshape(-1)
        if flat.size:
            # Repeats accumulate: sum the gradient rows of each index in one reduceat over the
            # rows sorted by index (stable, so each index's rows add up in their order, as
            # ufunc.at would, but about 3x faster).
            order = xp.argsort(flat, kind="stable")
            ordered = flat[order]
            starts = xp.flatnonzero(xp.concatenate(([True], ordered[1:] != ordered[:-1])))
            full[ordered[starts]] = xp.add.reduceat(g.reshape(-1, full.shape[1])[order], starts,
                                                    axis=0)
        if padding_idx is not None:
            full[padding_idx] = 0
        return (full,)
    return record(_wrap(weight._array[idx]), backward, (weight,), "EmbeddingBackward0")


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` (num_embeddings, embedding_dim, drawn from N(0, 1))
    is the vector of index ``i``; the ``padding_idx`` row starts at zero and gets no gradient.

    Example:
        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb(genesis.tensor([[0, 2]])).shape
        genesis.Size([1, 2, 3])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_positive_int("num_embeddings", num_embeddings)
        _check_positive_int("embedding_dim", embedding_dim)
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError(
                "Embedding: max_norm, scale_grad_by_freq and sparse are not supported"
            )
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"padding_idx must be within num_embeddings ({num_embeddings}), "
                                 f"got {padding_idx}")
            padding_idx %= num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(genesis.empty(num_embeddings, embedding_dim, dtype=dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"_weight must have shape ({num_embeddings}, {embedding_dim}), "
                                 f"got {tuple(_weight.shape)}")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Re-draw the table from N(0, 1) and zero the padding row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._array[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None) -> "Embedding":
        """An ``Embedding`` whose table is ``embeddings`` (2-D); frozen unless ``freeze=False``."""
        if embeddings.ndim != 2:
            raise ValueError(f"embeddings must be 2-D, got shape {tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx=padding_idx, _weight=embeddings, _freeze=freeze)


__all__ = ["Embedding", "embedding"]
