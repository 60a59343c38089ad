"""Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from genesis.backend import xp
from genesis.optim.optimizer import (
    Optimizer,
    check_kernels,
    check_non_negative,
    check_real,
    _scalar,
    _state_tensor,
    _weight_decay,
)
from genesis.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's ``torch.optim.SGD``).

    Per step, with gradient ``g`` (negated when ``maximize``):

        g <- g + weight_decay * p
        b <- g (first step), else momentum * b + (1 - dampening) * g
        g <- g + momentum * b if nesterov else b        (when momentum != 0)
        p <- p - lr * g

    ``lr`` and ``momentum`` are read from the group at every step (schedulers may change them);
    ``lr`` may be a 1-element tensor, as in PyTorch.

    Example:
        >>> w = genesis.nn.Parameter(genesis.tensor([1.0, 2.0]))
        >>> w.grad = genesis.tensor([0.5, -1.0])
        >>> genesis.optim.SGD([w], lr=0.1).step()
        >>> w.data          # [1 - 0.1*0.5, 2 + 0.1*1.0]
        tensor([0.9500, 2.1000])
    """

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float | Tensor = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    @staticmethod
    def _check_options(options: dict[str, Any]) -> None:
        check_non_negative("lr", options["lr"])
        check_non_negative("momentum", options["momentum"])
        check_non_negative("weight_decay", options["weight_decay"], tensor_ok=True)
        check_real("dampening", options["dampening"])
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening (got "
                f"momentum={options['momentum']}, dampening={options['dampening']})"
            )
        check_kernels(options)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = _scalar(group["lr"])
        momentum = group["momentum"]
        dampening = group["dampening"]
        weight_decay = _scalar(group["weight_decay"])
        nesterov = group["nesterov"]
        for p, param, grad in self._with_grads(group):
            grad = _weight_decay(param, grad, weight_decay)
            if momentum != 0:
                state = self.state[p]
                buffer = state.get("momentum_buffer")
                if buffer is None:
                    buf = grad.copy()
                    state["momentum_buffer"] = _state_tensor(buf)
                else:
                    buf = buffer._array
                    buf *= momentum
                    if dampening == 0:
                        buf += grad
                    else:
                        buf += xp.multiply(grad, 1 - dampening)
                grad = xp.multiply(buf, momentum) + grad if nesterov else buf
            update = xp.multiply(grad, -lr)
            param += update
