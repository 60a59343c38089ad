"""Adadelta: steps scaled by the ratio of running RMS of past updates to running RMS of gradients."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from genesis.backend import xp
from genesis.optim.optimizer import (
    Optimizer,
    check_kernels,
    check_non_negative,
    _scalar,
    _weight_decay,
)
from genesis.tensor import Tensor

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (PyTorch's ``torch.optim.Adadelta``).

    Per step, with gradient ``g`` (negated when ``maximize``):

        g <- g + weight_decay * p
        v <- rho * v + (1 - rho) * g^2
        d <- sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * d^2
        p <- p - lr * d

    ``lr`` (default 1.0, a plain multiplier of the step) is read from the group at every
    step and may be a 1-element tensor.

    Example:
        >>> w = genesis.nn.Parameter(genesis.tensor([1.0]))
        >>> w.grad = genesis.tensor([2.0])
        >>> genesis.optim.Adadelta([w], rho=0.75, eps=0.01).step()
        >>> w.data          # v = 0.25 * 4 = 1, d = sqrt(0.01) / sqrt(1.01) * 2
        tensor([0.8010])
    """

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    @staticmethod
    def _check_options(options: dict[str, Any]) -> None:
        check_non_negative("lr", options["lr"])
        check_non_negative("rho", options["rho"])
        if not options["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {options['rho']} (rho must be in [0, 1])")
        check_non_negative("eps", options["eps"])
        check_non_negative("weight_decay", options["weight_decay"])
        check_kernels(options)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = _scalar(group["lr"])
        rho = group["rho"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        for param, grad, state, _ in self._stepped(group, ("square_avg", "acc_delta")):
            grad = _weight_decay(param, grad, weight_decay)
            square_avg = state["square_avg"]._array
            acc_delta = state["acc_delta"]._array
            square_avg *= rho
            square_avg += xp.multiply(grad, 1 - rho) * grad
            std = xp.sqrt(square_avg + eps)
            delta = xp.sqrt(acc_delta + eps)
            delta /= std
            delta *= grad
            acc_delta *= rho
            acc_delta += xp.multiply(delta, 1 - rho) * delta
            param += xp.multiply(delta, -lr)
