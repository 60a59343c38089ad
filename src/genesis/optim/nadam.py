"""NAdam: Adam with Nesterov momentum, its momentum warmed up by a decaying schedule."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from genesis.backend import xp
from genesis.optim.optimizer import (
    Optimizer,
    check_adam_options,
    check_non_negative,
    _scalar,
    _update_moments,
    _weight_decay,
)
from genesis.tensor import Tensor

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (PyTorch's ``torch.optim.NAdam``), optionally with decoupled weight decay.

    Per step ``t``, with gradient ``g`` (negated when ``maximize``):

        g <- g + weight_decay * p          (or p <- p * (1 - lr * weight_decay), decoupled)
        mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)),  P_t = mu_1 * ... * mu_t
        m <- beta1 * m + (1 - beta1) * g;  v <- beta2 * v + (1 - beta2) * g^2
        d = sqrt(v / (1 - beta2^t)) + eps
        p <- p - lr * (1 - mu_t) / (1 - P_t) * g / d - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d

    The product ``P_t`` is per-parameter state (``mu_product``, a float32 scalar as in
    PyTorch).  ``lr`` may be a 1-element tensor.

    Example:
        >>> w = genesis.nn.Parameter(genesis.tensor([1.0]))
        >>> w.grad = genesis.tensor([2.0])
        >>> genesis.optim.NAdam([w], lr=0.1).step()
        >>> w.data          # the gradient term moves it by lr, the momentum term by 0.0056 more
        tensor([0.8944])
    """

    _scalar_state = ("step", "mu_product")

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    @staticmethod
    def _check_options(options: dict[str, Any]) -> None:
        check_adam_options(options, devices_of="params, mu_products and state_steps")
        check_non_negative("momentum_decay", options["momentum_decay"])

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = _scalar(group["lr"])
        beta1, beta2 = (_scalar(beta) for beta in group["betas"])
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        momentum_decay = group["momentum_decay"]
        decoupled = group["decoupled_weight_decay"]
        for param, grad, state, step in self._stepped(group, ("exp_avg", "exp_avg_sq"), mu_product=1.0):
            bias_correction2 = 1 - beta2**step
            grad = _weight_decay(param, grad, weight_decay, lr, decoupled)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
            mu_product = state["mu_product"]._array
            # float32 arithmetic, as PyTorch's float32 state (mu is rounded to float32 first)
            xp.multiply(mu_product, xp.float32(mu), out=mu_product)
            product = float(mu_product)
            exp_avg = state["exp_avg"]._array
            exp_avg_sq = state["exp_avg_sq"]._array
            _update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2)
            denom = xp.sqrt(exp_avg_sq / bias_correction2)
            denom += eps
            update = xp.multiply(grad, -lr * (1.0 - mu) / (1.0 - product))
            update /= denom
            param += update
            update = xp.multiply(exp_avg, (-lr * mu_next) / (1.0 - product * mu_next))
            update /= denom
            param += update
