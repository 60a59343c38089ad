"""Adam and AdamW: one update rule; AdamW only switches weight decay to its decoupled form."""
from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

from genesis.backend import xp
from genesis.optim.optimizer import (
    Optimizer,
    _increment_step,
    _lerp_,
    _state_tensor,
    _step_tensor,
    check_non_negative,
    check_unsupported,
)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (PyTorch's ``torch.optim.Adam``), optionally AMSGrad and decoupled weight decay.

    Per step ``t``, with gradient ``g`` (negated when ``maximize``):

        g <- g + weight_decay * p            (or p <- p * (1 - lr * weight_decay), decoupled)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2   (v_max <- max(v_max, v) with amsgrad; used below)
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    ``lr`` and ``betas`` are read from the group at every step (OneCycleLR cycles beta1).

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
        lr: float = 1e-3,
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
        self._check_options(defaults)
        defaults["betas"] = tuple(betas)
        super().__init__(params, defaults)

    @staticmethod
    def _check_options(options: dict[str, Any]) -> None:
        check_non_negative("lr", options["lr"])
        check_non_negative("eps", options["eps"])
        betas = options["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
                raise TypeError(f"betas[{i}] must be a real number, got {beta!r}")
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: must be in [0, 1), "
                                 f"got {beta}")
        check_non_negative("weight_decay", options["weight_decay"])
        check_unsupported(options)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        amsgrad = group["amsgrad"]
        maximize = group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            param = p._array
            grad = p.grad._array
            state = self.state[p]
            if not state:
                state["step"] = _step_tensor()
                state["exp_avg"] = _state_tensor(xp.zeros_like(param))
                state["exp_avg_sq"] = _state_tensor(xp.zeros_like(param))
                if amsgrad:
                    state["max_exp_avg_sq"] = _state_tensor(xp.zeros_like(param))
            exp_avg = state["exp_avg"]._array
            exp_avg_sq = state["exp_avg_sq"]._array
            step = _increment_step(state)
            if maximize:
                grad = xp.negative(grad)
            if weight_decay != 0:
                if decoupled:
                    param *= 1 - lr * weight_decay
                else:
                    grad = xp.multiply(param, weight_decay) + grad

            _lerp_(exp_avg, grad, 1 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += xp.multiply(grad, 1 - beta2) * grad

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
        lr: float = 1e-3,
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
