"""``Flatten``: merges a range of dims (a view of the input)."""
from __future__ import annotations


from genesis.nn.modules.module import Module
from genesis.tensor import Tensor

_wrap = Tensor._wrap


class Flatten(Module):
    """Flatten dims ``start_dim`` .. ``end_dim`` into one (default: all but the batch dim).

    Example:
        >>> nn.Flatten()(genesis.zeros(2, 3, 4)).shape
        genesis.Size([2, 12])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


__all__ = ["Flatten"]
