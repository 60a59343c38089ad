"""Stochastic weight averaging (``genesis.optim.swa_utils``, PyTorch's ``torch.optim.swa_utils``).

``AveragedModel`` keeps a running average of a model's weights: the equal-weight mean of SWA
(Izmailov et al., "Averaging Weights Leads to Wider Optima and Better Generalization", 2018) by
default, or an exponential moving average (``get_ema_multi_avg_fn``).  ``SWALR`` anneals the
rate to a constant for the averaging phase (it lives in ``lr_scheduler/swa.py`` and needs only
NumPy), and ``update_bn`` recomputes the BatchNorm statistics of the averaged weights with one
pass over the data.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from copy import deepcopy
from typing import Any

from genesis.autograd import no_grad
from genesis.dtypes import int64
from genesis.factories import tensor
from genesis.nn.modules.batchnorm import _BatchNorm
from genesis.nn.modules.module import Module
from genesis.optim.lr_scheduler.swa import SWALR
from genesis.tensor import Tensor

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]

PARAM_LIST = Sequence[Tensor]


def _check_decay(decay: Any) -> None:
    # PyTorch's test and words; a NaN or a non-number is refused with them too.
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0.0 <= decay <= 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def _running_mean(averaged: Tensor, current: Tensor, num_averaged: Tensor | int) -> Tensor:
    """The SWA running mean ``avg + (model - avg) / (num_averaged + 1)`` as a new tensor (for an
    integer tensor computed in floating point, truncated when copied back, as PyTorch's default
    path does for ``num_batches_tracked``)."""
    return averaged + (current - averaged) / (num_averaged + 1)


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable[[PARAM_LIST, PARAM_LIST, Any], None]:
    """The exponential moving average, in place on lists of tensors (``multi_avg_fn``):
    ``ema = decay * ema + (1 - decay) * model`` (a ``lerp_`` towards the model's values).

    Example:
        >>> ema = [genesis.tensor([1.0])]
        >>> get_ema_multi_avg_fn(0.9)(ema, [genesis.tensor([2.0])], 1)
        >>> ema
        [tensor([1.1000])]
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param_list: PARAM_LIST, current_param_list: PARAM_LIST, _: Any) -> None:
        if ema_param_list[0].is_floating_point():
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.lerp_(p_model, 1 - decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> Callable[[PARAM_LIST, PARAM_LIST, Any], None]:
    """The equal-weight running mean, in place on lists of tensors (``multi_avg_fn``):
    ``avg += (model - avg) / (num_averaged + 1)`` (a ``lerp_`` with weight ``1 / (n + 1)``).

    Integer tensors get the mean computed in floating point and truncated (PyTorch's version
    raises there: it calls ``addcdiv_`` on integers).

    Example:
        >>> avg = [genesis.tensor([1.0])]
        >>> get_swa_multi_avg_fn()(avg, [genesis.tensor([4.0])], 2)
        >>> avg
        [tensor([2.])]
    """

    @no_grad()
    def swa_update(averaged_param_list: PARAM_LIST, current_param_list: PARAM_LIST,
                   num_averaged: Tensor | int) -> None:
        if averaged_param_list[0].is_floating_point():
            weight = 1 / (num_averaged + 1)
            for p_averaged, p_model in zip(averaged_param_list, current_param_list, strict=True):
                p_averaged.lerp_(p_model, weight)
        else:
            for p_averaged, p_model in zip(averaged_param_list, current_param_list, strict=True):
                p_averaged.copy_(_running_mean(p_averaged, p_model, num_averaged))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Tensor, Tensor, Any], Tensor]:
    """The exponential moving average of one tensor (``avg_fn``), returned as a new tensor:
    ``decay * ema + (1 - decay) * model``.

    Example:
        >>> get_ema_avg_fn(0.5)(genesis.tensor([1.0]), genesis.tensor([3.0]), 1)
        tensor([2.])
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable[[Tensor, Tensor, Any], Tensor]:
    """The equal-weight running mean of one tensor (``avg_fn``), returned as a new tensor:
    ``avg + (model - avg) / (num_averaged + 1)``.

    Example:
        >>> get_swa_avg_fn()(genesis.tensor([1.0]), genesis.tensor([4.0]), 2)
        tensor([2.])
    """

    return no_grad()(_running_mean)


def _by_dtype(averaged: list[Tensor], current: list[Tensor]) -> list[tuple[list, list]]:
    """The pairs grouped by dtype, in order of first appearance (PyTorch hands a
    ``multi_avg_fn`` one list per device and dtype; Genesis has one device)."""
    groups: dict[Any, tuple[list, list]] = {}
    for p_averaged, p_model in zip(averaged, current):
        selves, models = groups.setdefault(p_averaged.dtype, ([], []))
        selves.append(p_averaged)
        models.append(p_model)
    return list(groups.values())


class AveragedModel(Module):
    """A copy of ``model`` whose weights are a running average of ``model``'s, for stochastic
    weight averaging (SWA) and exponential moving averages (EMA).

    ``update_parameters(model)`` folds the model's current weights in: the first call copies
    them, later ones average with ``avg_fn`` (one tensor at a time, returning the new value) or
    ``multi_avg_fn`` (lists of tensors, in place), by default the equal-weight mean.  The count
    is the buffer ``n_averaged``; the copy is the submodule ``module``, so state-dict keys read
    ``n_averaged``, ``module.<name>``, as PyTorch's.  With ``use_buffers=True`` the buffers
    (BatchNorm statistics) are averaged too; otherwise they are copied from ``model`` at every
    update (call ``update_bn`` after training to recompute them for the averaged weights).
    Calling the averaged model runs the copy.

    Args:
        model: the module to average (deep-copied).
        device: where the copy lives (Genesis has the CPU only).
        avg_fn: ``f(averaged, current, num_averaged) -> new averaged`` per tensor.
        multi_avg_fn: ``f(averaged_list, current_list, num_averaged)`` in place.
        use_buffers: average the buffers as well as the parameters.

    Example:
        >>> net = genesis.nn.Linear(1, 1, bias=False)
        >>> swa = AveragedModel(net)
        >>> for w in (1.0, 2.0, 6.0):
        ...     _ = genesis.nn.init.constant_(net.weight, w)
        ...     swa.update_parameters(net)
        >>> swa.module.weight.item(), swa.n_averaged.item(), list(swa.state_dict())
        (3.0, 3, ['n_averaged', 'module.weight'])
    """

    n_averaged: Tensor

    def __init__(self, model: Module, device: Any = None,
                 avg_fn: Callable[[Tensor, Tensor, Tensor | int], Tensor] | None = None,
                 multi_avg_fn: Callable[[PARAM_LIST, PARAM_LIST, Tensor | int], None]
                 | None = None,
                 use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel: model must be a genesis.nn.Module, got "
                            f"{type(model).__name__}")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the averaged copy: ``self.module(*args, **kwargs)``."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters (and buffers, with ``use_buffers``) into the
        average; without ``use_buffers`` the buffers are copied from ``model``."""
        if self.use_buffers:
            self_params = itertools.chain(self.module.parameters(), self.module.buffers())
            model_params = itertools.chain(model.parameters(), model.buffers())
        else:
            self_params, model_params = self.parameters(), model.parameters()
        averaged, current = [], []
        copy_param = bool(self.n_averaged == 0)
        with no_grad():
            for p_averaged, p_model in zip(self_params, model_params):
                averaged.append(p_averaged.detach())
                current.append(p_model.detach())
                if copy_param:
                    averaged[-1].copy_(current[-1])
            if self.n_averaged > 0:
                self._average(averaged, current)
            if not self.use_buffers:
                # Without averaging them, keep the buffers in sync with the source model.
                for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                    b_swa.detach().copy_(b_model.detach())
        self.n_averaged += 1

    def _average(self, averaged: list[Tensor], current: list[Tensor]) -> None:
        n_averaged = self.n_averaged
        if self.multi_avg_fn is not None or self.avg_fn is None:
            for selves, models in _by_dtype(averaged, current):
                if self.multi_avg_fn is not None:
                    self.multi_avg_fn(selves, models, n_averaged)
                else:  # PyTorch's path off its foreach devices (its CPU): one tensor at a time
                    for p_averaged, p_model in zip(selves, models, strict=True):
                        p_averaged.copy_(_running_mean(p_averaged, p_model, n_averaged))
        else:
            for p_averaged, p_model in zip(averaged, current, strict=True):
                p_averaged.copy_(self.avg_fn(p_averaged, p_model, n_averaged))


@no_grad()
def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the running statistics of every BatchNorm layer of ``model`` with one pass
    over ``loader``: the statistics are reset and become the cumulative average over the
    batches (``momentum=None`` during the pass); the momenta and the train/eval mode are put
    back.  A batch is a tensor, or a list/tuple whose first element is the input.

    Example:
        >>> net = genesis.nn.BatchNorm1d(1)
        >>> batches = [genesis.tensor([[0.0], [2.0]]), (genesis.tensor([[4.0], [6.0]]), None)]
        >>> update_bn(batches, net)
        >>> net.running_mean, net.momentum, net.training
        (tensor([3.]), 0.1, True)
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    try:
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            if device is not None:
                input = input.to(device)
            model(input)
    finally:
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)
