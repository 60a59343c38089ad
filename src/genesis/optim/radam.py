"""RAdam: Adam whose adaptive step is switched on gradually, as the variance estimate becomes reliable."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from genesis.backend import xp
from genesis.optim.optimizer import (
    Optimizer,
    check_adam_options,
    _scalar,
    _update_moments,
    _weight_decay,
)
from genesis.tensor import Tensor

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam (PyTorch's ``torch.optim.RAdam``), optionally with decoupled weight decay.

    Per step ``t``, with gradient ``g`` (negated when ``maximize``):

        g <- g + weight_decay * p          (or p <- p * (1 - lr * weight_decay), decoupled)
        m <- beta1 * m + (1 - beta1) * g;  v <- beta2 * v + (1 - beta2) * g^2
        rho_inf = 2 / (1 - beta2) - 1,  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        m_hat = m / (1 - beta1^t)
        p <- p - lr * m_hat * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r_t     (rho_t > 5)
        p <- p - lr * m_hat                                                  (otherwise)

    with the rectification ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))``.
    ``lr`` may be a 1-element tensor.

    Example:
        >>> w = genesis.nn.Parameter(genesis.tensor([1.0]))
        >>> w.grad = genesis.tensor([2.0])
        >>> genesis.optim.RAdam([w], lr=0.1).step()
        >>> w.data          # early steps are plain momentum SGD: m_hat = 2
        tensor([0.8000])
    """

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
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
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
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
        decoupled = group["decoupled_weight_decay"]
        for param, grad, state, step in self._stepped(group, ("exp_avg", "exp_avg_sq")):
            grad = _weight_decay(param, grad, weight_decay, lr, decoupled)
            exp_avg = state["exp_avg"]._array
            exp_avg_sq = state["exp_avg_sq"]._array
            _update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2)
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            update = exp_avg / bias_correction1
            update *= lr
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                # no out= here: for a 0-d parameter these are NumPy scalars
                adaptive = bias_correction2**0.5 / (xp.sqrt(exp_avg_sq) + eps)
                update = update * adaptive * rect
            param -= update
