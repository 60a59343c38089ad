"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from genesis.backend import xp
from genesis.optim.optimizer import (
    Optimizer,
    check_kernels,
    check_non_negative,
    _lerp_,
    _scalar,
    _state_tensor,
    _weight_decay,
)
from genesis.tensor import Tensor

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (PyTorch's ``torch.optim.RMSprop``), optionally centered and with momentum.

    Per step, with gradient ``g`` (negated when ``maximize``):

        g <- g + weight_decay * p
        v <- alpha * v + (1 - alpha) * g^2
        a <- sqrt(v - gbar^2) + eps, gbar <- alpha * gbar + (1 - alpha) * g   (centered)
        a <- sqrt(v) + eps                                                    (otherwise)
        b <- momentum * b + g / a;  p <- p - lr * b     (momentum > 0)
        p <- p - lr * g / a                             (otherwise)

    ``lr`` and ``momentum`` are read from the group at every step (CyclicLR cycles momentum);
    ``lr`` may be a 1-element tensor, as in PyTorch.

    Example:
        >>> w = genesis.nn.Parameter(genesis.tensor([1.0]))
        >>> w.grad = genesis.tensor([2.0])
        >>> genesis.optim.RMSprop([w], lr=0.01, alpha=0.75).step()
        >>> w.data          # v = 0.25 * 4 = 1, so the step is lr * 2 / (1 + 1e-8)
        tensor([0.9800])
    """

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    @staticmethod
    def _check_options(options: dict[str, Any]) -> None:
        check_non_negative("lr", options["lr"])
        check_non_negative("eps", options["eps"])
        check_non_negative("momentum", options["momentum"])
        check_non_negative("weight_decay", options["weight_decay"])
        check_non_negative("alpha", options["alpha"])
        check_kernels(options)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = _scalar(group["lr"])
        alpha = group["alpha"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        momentum = group["momentum"]
        centered = group["centered"]
        buffers = ("square_avg",) + (("momentum_buffer",) if momentum > 0 else ()) + (("grad_avg",) if centered else ())
        for param, grad, state, _ in self._stepped(group, buffers):
            grad = _weight_decay(param, grad, weight_decay)

            square_avg = state["square_avg"]._array
            square_avg *= alpha
            square_avg += xp.multiply(grad, 1 - alpha) * grad
            if centered:
                grad_avg = state["grad_avg"]._array
                _lerp_(grad_avg, grad, 1 - alpha)
                # out= throughout: for a 0-d parameter a plain ``a - b`` is a NumPy scalar
                avg = xp.multiply(grad_avg, grad_avg, out=xp.empty_like(square_avg))
                xp.subtract(square_avg, avg, out=avg)
                xp.sqrt(avg, out=avg)
            else:
                avg = xp.sqrt(square_avg)
            avg += eps

            if momentum > 0:
                if "momentum_buffer" not in state:  # momentum switched on after the first step
                    state["momentum_buffer"] = _state_tensor(xp.zeros_like(param))
                buf = state["momentum_buffer"]._array
                buf *= momentum
                buf += grad / avg
                param += xp.multiply(buf, -lr)
            else:
                update = xp.multiply(grad, -lr)
                update /= avg
                param += update
