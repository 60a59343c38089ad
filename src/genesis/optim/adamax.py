"""Adamax: Adam with the infinity norm of past gradients in place of their root mean square."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from genesis.backend import xp
from genesis.optim.optimizer import (
    Optimizer,
    check_adam_options,
    _lerp_,
    _scalar,
    _weight_decay,
)
from genesis.tensor import Tensor

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (PyTorch's ``torch.optim.Adamax``).

    Per step ``t``, with gradient ``g`` (negated when ``maximize``):

        g <- g + weight_decay * p
        m <- beta1 * m + (1 - beta1) * g
        u <- max(beta2 * u, |g| + eps)
        p <- p - lr / (1 - beta1^t) * m / u

    ``lr`` and ``betas`` are read from the group at every step; ``lr`` may be a 1-element
    tensor.

    Example:
        >>> w = genesis.nn.Parameter(genesis.tensor([1.0]))
        >>> w.grad = genesis.tensor([-3.0])
        >>> genesis.optim.Adamax([w], lr=0.1).step()
        >>> w.data          # m = -0.3, u = 3 (+ eps), bias correction 0.1: a step of lr
        tensor([1.1000])
    """

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    @staticmethod
    def _check_options(options: dict[str, Any]) -> None:
        check_adam_options(options)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = _scalar(group["lr"])
        beta1, beta2 = (_scalar(beta) for beta in group["betas"])
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        for param, grad, state, step in self._stepped(group, ("exp_avg", "exp_inf")):
            grad = _weight_decay(param, grad, weight_decay)
            exp_avg = state["exp_avg"]._array
            exp_inf = state["exp_inf"]._array
            _lerp_(exp_avg, grad, 1 - beta1)
            exp_inf *= beta2
            norm = xp.abs(grad)
            norm += eps
            xp.maximum(exp_inf, norm, out=exp_inf)
            clr = lr / (1 - beta1**step)
            update = xp.multiply(exp_avg, -clr)
            update /= exp_inf
            param += update
