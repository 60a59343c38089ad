"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from genesis.backend import xp
from genesis.optim.optimizer import (
    Optimizer,
    _fill_state,
    check_kernels,
    check_non_negative,
    _increment_step,
    _scalar,
    _state_tensor,
    _weight_decay,
)
from genesis.tensor import Tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (PyTorch's ``torch.optim.Adagrad``).

    Per step ``t``, with gradient ``g`` (negated when ``maximize``):

        g <- g + weight_decay * p
        s <- s + g^2                      (s starts at initial_accumulator_value)
        p <- p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    State is created for every parameter at construction, as in PyTorch; a parameter added
    later (``add_param_group``) gets its state at its first step.  The accumulator starts at
    the constructor's ``initial_accumulator_value`` for every group, as in PyTorch (a group's
    own value is kept in the group but not used).  ``lr`` may be a 1-element tensor.

    Example:
        >>> w = genesis.nn.Parameter(genesis.tensor([1.0]))
        >>> w.grad = genesis.tensor([4.0])
        >>> genesis.optim.Adagrad([w], lr=0.5).step()
        >>> w.data          # s = 16, so the step is 0.5 * 4 / 4
        tensor([0.5000])
    """

    def __init__(
        self,
        params: Iterable,
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_param_state(p)

    @staticmethod
    def _check_options(options: dict[str, Any]) -> None:
        check_non_negative("lr", options["lr"])
        check_non_negative("lr_decay", options["lr_decay"])
        check_non_negative("weight_decay", options["weight_decay"])
        check_non_negative("initial_accumulator_value", options["initial_accumulator_value"])
        check_non_negative("eps", options["eps"])
        check_kernels(options)

    def _init_param_state(self, p: Tensor) -> dict[str, Any]:
        state = self.state[p]
        _fill_state(state, p._array, ())
        # the constructor's value, never a group's: PyTorch's rule
        state["sum"] = _state_tensor(xp.full_like(p._array, self.defaults["initial_accumulator_value"]))
        return state

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = _scalar(group["lr"])
        lr_decay = group["lr_decay"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        for p, param, grad in self._with_grads(group):
            state = self.state[p] or self._init_param_state(p)
            step = _increment_step(state)
            grad = _weight_decay(param, grad, weight_decay)
            clr = lr / (1 + (step - 1) * lr_decay)
            state_sum = state["sum"]._array
            state_sum += grad * grad
            std = xp.sqrt(state_sum)
            std += eps
            update = xp.multiply(grad, -clr)
            update /= std
            param += update
