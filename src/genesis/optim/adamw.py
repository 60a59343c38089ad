"""AdamW: Adam with decoupled weight decay (the same update rule, in ``adam.py``)."""
from __future__ import annotations

from collections.abc import Iterable

from genesis.optim.adam import Adam
from genesis.tensor import Tensor

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""Adam with decoupled weight decay (PyTorch's ``torch.optim.AdamW``).

    Same update as :class:`Adam` except that weight decay shrinks the weights directly,
    ``p <- p * (1 - lr * weight_decay)``, instead of entering the moments; default
    ``weight_decay=1e-2``.

    Example:
        >>> w = genesis.nn.Parameter(genesis.tensor([1.0]))
        >>> w.grad = genesis.tensor([0.0])
        >>> genesis.optim.AdamW([w], lr=0.1, weight_decay=0.5).step()
        >>> w.data          # 1 * (1 - 0.1 * 0.5); a zero gradient adds no Adam step
        tensor([0.9500])
    """

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
