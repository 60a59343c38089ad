"""Adam: per-coordinate steps from running averages of the gradient and its square (and AMSGrad)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from genesis.backend import xp
from genesis.optim.optimizer import (
    Optimizer,
    check_adam_options,
    _scalar,
    _state_tensor,
    _update_moments,
    _weight_decay,
)
from genesis.tensor import Tensor

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam (PyTorch's ``torch.optim.Adam``), optionally AMSGrad and decoupled weight decay.

    Per step ``t``, with gradient ``g`` (negated when ``maximize``):

        g <- g + weight_decay * p            (or p <- p * (1 - lr * weight_decay), decoupled)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2   (v_max <- max(v_max, v) with amsgrad; used below)
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    ``lr`` and ``betas`` are read from the group at every step (OneCycleLR cycles beta1);
    ``lr`` may be a 1-element tensor, as in PyTorch.

    Example:
        >>> w = genesis.nn.Parameter(genesis.tensor([1.0]))
        >>> w.grad = genesis.tensor([3.0])
        >>> genesis.optim.Adam([w], lr=0.1).step()
        >>> w.data          # the first Adam step moves each weight by about lr
        tensor([0.9000])
    """

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    @staticmethod
    def _check_options(options: dict[str, Any]) -> None:
        lr = options["lr"]
        if isinstance(lr, Tensor) and options["foreach"] and not options["capturable"]:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        check_adam_options(options)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = _scalar(group["lr"])
        beta1, beta2 = (_scalar(beta) for beta in group["betas"])
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        amsgrad = group["amsgrad"]
        decoupled = group["decoupled_weight_decay"]
        moments = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
        for param, grad, state, step in self._stepped(group, moments):
            exp_avg = state["exp_avg"]._array
            exp_avg_sq = state["exp_avg_sq"]._array
            grad = _weight_decay(param, grad, weight_decay, lr, decoupled)
            _update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2)

            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            step_size = lr / bias_correction1
            if amsgrad:
                if "max_exp_avg_sq" not in state:  # amsgrad switched on after the first step
                    state["max_exp_avg_sq"] = _state_tensor(xp.zeros_like(param))
                second_moment = state["max_exp_avg_sq"]._array
                xp.maximum(second_moment, exp_avg_sq, out=second_moment)
            else:
                second_moment = exp_avg_sq
            denom = xp.sqrt(second_moment)
            denom /= bias_correction2**0.5
            denom += eps
            update = xp.multiply(exp_avg, -step_size)
            update /= denom
            param += update
