"""The learning-rate range test (``LRFinder``): train briefly while the rate grows, watch the loss.

Leslie Smith's test ("Cyclical Learning Rates for Training Neural Networks", 2017), with the
semantics of the ``torch-lr-finder`` package: the rate of every parameter group ramps from
``start_lr`` to ``end_lr`` over ``num_iter`` training steps, the (exponentially smoothed) loss
of each step is recorded, and the test stops once the loss explodes.  The steepest descent of
that curve is a good first guess for the learning rate.  Unlike ``torch-lr-finder``, the model,
the optimizer and the global RNG are put back exactly as they were when the test ends, so
training afterwards is bit-identical to training without the test.
"""
from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Callable

import numpy as np

from genesis.autograd import enable_grad, no_grad
from genesis.factories import from_numpy
from genesis.nn.modules.module import Module
from genesis.optim.optimizer import check_real
from genesis.random import get_rng_state, set_rng_state
from genesis.utils.extras import install_hint

__all__ = ["LRFinder"]

_STEP_MODES = ("exp", "linear")


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


def _check_positive(name: str, value: Any, hint: str = "") -> None:
    check_real(name, value)
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}{hint}")


def lr_ramp(start_lr: float, end_lr: float, num_iter: int, step_mode: str) -> np.ndarray:
    """The ``num_iter`` rates of a range test, from ``start_lr`` to ``end_lr`` inclusive.

    ``"exp"``: ``start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))``;
    ``"linear"``: ``start_lr + (end_lr - start_lr) * i / (num_iter - 1)``, for
    ``i = 0 .. num_iter - 1`` (torch-lr-finder's ``ExponentialLR`` / ``LinearLR``).

    Example:
        >>> lr_ramp(1e-3, 1e-1, 3, "exp").tolist(), lr_ramp(0.1, 0.3, 3, "linear").tolist()
        ([0.001, 0.01, 0.1], [0.1, 0.2, 0.3])
    """
    fraction = np.arange(num_iter, dtype=np.float64) / (num_iter - 1)
    if step_mode == "exp":
        return start_lr * (end_lr / start_lr) ** fraction
    return start_lr + (end_lr - start_lr) * fraction


class _Snapshot:
    """A bit-exact copy of everything a range test changes, and the way to put it back.

    Covers the values and gradients of the model's parameters and buffers (and of any other
    tensor the optimizer updates), each module's train/eval flag, the optimizer's
    ``state_dict()`` (moments, step counters, every group option including ``lr``) and the state
    of the global Genesis RNG (dropout masks, ``DataLoader`` shuffling).
    """

    def __init__(self, model: Module, optimizer: Any) -> None:
        tensors = {}
        for tensor in [*model.parameters(), *model.buffers(),
                       *(p for group in optimizer.param_groups for p in group["params"])]:
            tensors.setdefault(id(tensor), tensor)
        self.values = [(t, t._array.copy(), None if t.grad is None else t.grad._array.copy())
                       for t in tensors.values()]
        self.modes = [(module, module.training) for module in model.modules()]
        self.optimizer_state = copy.deepcopy(optimizer.state_dict())
        self.rng_state = get_rng_state()

    def restore(self, model: Module, optimizer: Any) -> None:
        """Put the model, the optimizer and the RNG back as they were at the snapshot."""
        for tensor, value, grad in self.values:
            if tensor._array.shape == value.shape and tensor._array.dtype == value.dtype:
                tensor._array[...] = value  # in place: views of the storage stay valid
            else:
                tensor._array = value.copy()
            tensor.grad = None if grad is None else from_numpy(grad.copy())
        for module, training in self.modes:
            object.__setattr__(module, "training", training)
        optimizer.load_state_dict(copy.deepcopy(self.optimizer_state))
        set_rng_state(self.rng_state)


def _pair(batch: Any, name: str) -> tuple[Any, Any]:
    """``(inputs, targets)`` from one batch (a tuple or list; extra items are ignored)."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise TypeError(f"{name} must yield (inputs, targets) batches, got a "
                        f"{type(batch).__name__}")
    return batch[0], batch[1]


def _cycle(loader: Iterable, name: str) -> Iterator[tuple[Any, Any]]:
    """The loader's batches as ``(inputs, targets)``, starting a new pass when one runs out."""
    passes = 0
    while True:
        count = 0
        for batch in loader:
            count += 1
            yield _pair(batch, name)
        if count == 0:
            if passes == 0:
                raise ValueError(f"{name} yielded no batches")
            raise ValueError(f"{name} ran out and yielded nothing when restarted; pass a "
                             "loader that can be iterated again (a DataLoader or a list), "
                             "not an iterator")
        passes += 1


def _scalar_loss(loss: Any) -> float:
    if not hasattr(loss, "item"):
        raise TypeError(f"criterion must return a one-element Tensor, got "
                        f"{type(loss).__name__}")
    return float(loss.item())


class LRFinder:
    """The learning-rate range test: ``range_test``, then ``history``, ``suggestion`` and ``plot``.

    ``criterion(model(inputs), targets)`` gives the loss of a batch; every group of
    ``optimizer`` takes the rates of the ramp.  The state at construction is kept for
    ``reset()``; each ``range_test`` also restores, when it ends (or fails), the state it found.
    Both are in-memory copies of the weights, gradients and optimizer state.

    Example:
        >>> _ = genesis.manual_seed(0)
        >>> x = genesis.randn(64, 4)
        >>> data = [(x, x @ genesis.tensor([[1.0], [-2.0], [0.5], [3.0]]))]
        >>> model = genesis.nn.Linear(4, 1)
        >>> finder = LRFinder(model, genesis.optim.SGD(model.parameters(), lr=1e-4),
        ...                   genesis.nn.MSELoss())
        >>> finder.range_test(data, end_lr=10, num_iter=50, progress=False)
        >>> len(finder.history["lr"]) < 50          # stopped early: the loss exploded
        True
        >>> 1e-3 < finder.suggestion(skip_start=5, skip_end=2) < 1
        True
    """

    def __init__(self, model: Module, optimizer: Any, criterion: Callable[[Any, Any], Any]) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"model must be a genesis.nn.Module, got {type(model).__name__}")
        for method in ("param_groups", "zero_grad", "step", "state_dict", "load_state_dict"):
            if not hasattr(optimizer, method):
                raise TypeError(f"optimizer must be a genesis.optim optimizer (with "
                                f"param_groups, step and state_dict), got "
                                f"{type(optimizer).__name__}")
        if not callable(criterion):
            raise TypeError(f"criterion must be callable as criterion(outputs, targets), got "
                            f"{type(criterion).__name__}")
        self.model = model
        self.optimizer = optimizer
        self.criterion = criterion
        self.history: dict[str, list[float]] = {"lr": [], "loss": []}
        self.best_loss: float | None = None
        self._initial = _Snapshot(model, optimizer)

    def reset(self) -> None:
        """Restore the model, the optimizer and the RNG to their state when the finder was made.

        ``range_test`` already restores the state it started from; ``reset`` exists for code
        written for torch-lr-finder, and to undo training done since the finder was made.
        """
        self._initial.restore(self.model, self.optimizer)

    def range_test(
        self,
        train_loader: Iterable,
        start_lr: float | Sequence[float] | None = None,
        end_lr: float = 10,
        num_iter: int = 100,
        step_mode: str = "exp",
        smooth_f: float = 0.05,
        diverge_th: float = 5,
        val_loader: Iterable | None = None,
        accumulation_steps: int = 1,
        progress: bool = True,
    ) -> None:
        """Train ``num_iter`` steps with growing rates; record ``history`` = ``{"lr", "loss"}``.

        Step ``i`` sets every group's rate to the ramp's ``i``-th value (see ``lr_ramp``: from
        ``start_lr``, default each group's current ``lr``, to ``end_lr``; exponential or
        linear), trains on the next ``(inputs, targets)`` batch of ``train_loader`` (starting it
        again when it runs out) and records that rate (group 0's) with the batch's loss, computed
        before the update; with ``accumulation_steps=k`` a step accumulates the gradients of
        ``k`` batches (each loss divided by ``k``) and records their mean loss.  With
        ``val_loader`` the recorded loss is instead the mean loss over
        all its batches after the update, in eval mode.  Losses after the first are smoothed,
        ``s_i = smooth_f * loss_i + (1 - smooth_f) * s_{i-1}``, unless ``smooth_f`` is 0 (as in
        torch-lr-finder, 0 turns smoothing off; a small ``smooth_f`` smooths more).  The test
        stops after recording the first ``s_i > diverge_th * best`` with
        ``best = min(s_0..s_i)`` (``s_i > best + (diverge_th - 1) * |best|`` when ``best`` is
        negative), or before recording a non-finite loss.

        Afterwards the model (weights, buffers, gradients, train/eval modes), the optimizer
        (``state_dict``: moments, step counts, rates) and the global RNG are restored
        bit-exactly, even when the test fails; a generator you passed to a ``DataLoader``
        (``generator=``) is yours and is not rewound.  ``progress`` shows a tqdm bar.

        The spec page's hand-written test grows the rate by ``(end/start) ** (1/num_it)`` and
        never reaches ``end_lr``; here the ramp's last rate is ``end_lr``.
        """
        groups = self.optimizer.param_groups
        starts = self._check_range_args(start_lr, end_lr, num_iter, step_mode, smooth_f,
                                        diverge_th)
        _check_int("accumulation_steps", accumulation_steps, 1)
        if not isinstance(train_loader, Iterable):
            raise TypeError(f"train_loader must be an iterable of (inputs, targets) batches, "
                            f"got {type(train_loader).__name__}")
        if val_loader is not None and not isinstance(val_loader, Iterable):
            raise TypeError(f"val_loader must be None or an iterable of (inputs, targets) "
                            f"batches, got {type(val_loader).__name__}")
        ramps = [lr_ramp(start, end_lr, num_iter, step_mode.lower()) for start in starts]
        self.history = {"lr": [], "loss": []}
        self.best_loss = None
        snapshot = _Snapshot(self.model, self.optimizer)
        from tqdm.auto import tqdm

        bar = tqdm(range(num_iter), desc="LR range test", disable=not progress)
        batches = _cycle(train_loader, "train_loader")
        try:
            for i in bar:
                for group, ramp in zip(groups, ramps):
                    group["lr"] = float(ramp[i])
                loss = self._train_step(batches, accumulation_steps)
                if val_loader is not None:
                    loss = self._validate(val_loader)
                if not math.isfinite(loss):
                    self._note(progress, f"stopped at lr={ramps[0][i]:.3g}, the loss is {loss}")
                    break
                if i > 0 and smooth_f > 0:
                    loss = smooth_f * loss + (1 - smooth_f) * self.history["loss"][-1]
                self.best_loss = loss if i == 0 else min(self.best_loss, loss)
                self.history["lr"].append(float(ramps[0][i]))
                self.history["loss"].append(loss)
                bar.set_postfix(lr=f"{ramps[0][i]:.3g}", loss=f"{loss:.4g}", refresh=False)
                # a negative best loss (log-likelihoods) gets the same margin above it
                limit = self.best_loss * (diverge_th if self.best_loss >= 0 else 2 - diverge_th)
                if loss > limit:
                    self._note(progress, f"stopped at lr={ramps[0][i]:.3g}, the loss diverged "
                                         f"({loss:.4g} > {limit:.4g}, from the best "
                                         f"{self.best_loss:.4g})")
                    break
        finally:
            bar.close()
            snapshot.restore(self.model, self.optimizer)

    @staticmethod
    def _note(progress: bool, message: str) -> None:
        if progress:
            from tqdm.auto import tqdm

            tqdm.write(f"LR range test: {message}")

    def _check_range_args(self, start_lr, end_lr, num_iter, step_mode, smooth_f,
                          diverge_th) -> list[float]:
        """Check every argument of ``range_test``; return each group's start rate."""
        groups = self.optimizer.param_groups
        _check_int("num_iter", num_iter, 2)
        if not isinstance(step_mode, str) or step_mode.lower() not in _STEP_MODES:
            raise ValueError(f"step_mode must be one of {_STEP_MODES}, got {step_mode!r}")
        check_real("smooth_f", smooth_f)
        if not 0 <= smooth_f < 1:
            raise ValueError(f"smooth_f must be in [0, 1), got {smooth_f!r}")
        check_real("diverge_th", diverge_th)
        if not diverge_th > 1:
            raise ValueError(f"diverge_th must be > 1 (a multiple of the best loss), got "
                             f"{diverge_th!r}")
        _check_positive("end_lr", end_lr)
        if start_lr is None:
            starts = [group["lr"] for group in groups]
            names = [f"start_lr (param_groups[{i}]['lr'], the default)" for i in range(len(groups))]
        elif isinstance(start_lr, (list, tuple)):
            if len(start_lr) != len(groups):
                raise ValueError(f"start_lr has {len(start_lr)} values, but the optimizer has "
                                 f"{len(groups)} param groups")
            starts, names = list(start_lr), [f"start_lr[{i}]" for i in range(len(groups))]
        else:
            starts, names = [start_lr] * len(groups), ["start_lr"] * len(groups)
        # A warmup scheduler built on the optimizer typically left its rate at 0.
        hint = "" if start_lr is not None else (
            "; pass start_lr (e.g. start_lr=1e-7) to choose where the range starts")
        for name, start in zip(names, starts):
            _check_positive(name, start, hint)
            if not end_lr > start:
                raise ValueError(f"end_lr must be greater than {name}, got end_lr={end_lr!r} "
                                 f"<= {start!r}")
        return [float(start) for start in starts]

    def _train_step(self, batches: Iterator[tuple[Any, Any]], accumulation_steps: int) -> float:
        """One optimizer step on the next ``accumulation_steps`` batches; their mean loss."""
        self.model.train()
        self.optimizer.zero_grad()
        total = 0.0
        for _ in range(accumulation_steps):
            inputs, targets = next(batches)
            with enable_grad():
                loss = self.criterion(self.model(inputs), targets)
                total += _scalar_loss(loss)
                (loss / accumulation_steps).backward()
        self.optimizer.step()
        return total / accumulation_steps

    def _validate(self, val_loader: Iterable) -> float:
        """The mean loss over ``val_loader`` (batches weighted by size), in eval mode."""
        self.model.eval()
        total, count = 0.0, 0
        with no_grad():
            for batch in val_loader:
                inputs, targets = _pair(batch, "val_loader")
                size = len(targets)
                total += _scalar_loss(self.criterion(self.model(inputs), targets)) * size
                count += size
        if count == 0:
            raise ValueError("val_loader yielded no samples")
        return total / count

    def _steepest(self, skip_start: int, skip_end: int) -> tuple[np.ndarray, np.ndarray, int]:
        """The trimmed history and the index of its steepest descent (see ``suggestion``)."""
        _check_int("skip_start", skip_start, 0)
        _check_int("skip_end", skip_end, 0)
        count = len(self.history["lr"])
        if count == 0:
            raise RuntimeError("no range test has been run yet: call range_test() first")
        lrs = np.asarray(self.history["lr"][skip_start:count - skip_end], dtype=np.float64)
        losses = np.asarray(self.history["loss"][skip_start:count - skip_end], dtype=np.float64)
        if len(lrs) < 2:
            raise ValueError(f"the steepest descent needs at least 2 points after skipping "
                             f"skip_start={skip_start} and skip_end={skip_end}, but the range "
                             f"test recorded {count}: lower them or run a longer test")
        slopes = np.gradient(losses, np.log(lrs))
        return lrs, losses, int(np.argmin(slopes))

    def suggestion(self, skip_start: int = 10, skip_end: int = 5) -> float:
        """The rate where the recorded (smoothed) loss falls fastest against ``log(lr)``.

        The first ``skip_start`` and last ``skip_end`` points are dropped; of the rest, the
        suggestion is the rate ``lr_k`` with the most negative
        ``numpy.gradient(loss, log(lr))[k]`` (central differences inside, one-sided at the two
        ends; ties go to the first).  For the default exponential ramp, ``log(lr)`` is evenly
        spaced, so this is torch-lr-finder's ``argmin(numpy.gradient(loss))``; for a linear ramp
        it is the steepest point of the log-scale plot.  Raises ``ValueError`` with fewer than 2
        points left.
        """
        lrs, _, index = self._steepest(skip_start, skip_end)
        return float(lrs[index])

    def plot(self, skip_start: int = 10, skip_end: int = 5, log_lr: bool = True, ax: Any = None,
             suggest: bool = True) -> Any:
        """Plot the recorded loss against the rate and return the matplotlib axes.

        Draws on ``ax`` or on a new figure; ``log_lr`` uses a log-scale rate axis; ``suggest``
        marks ``suggestion(skip_start, skip_end)`` with a red dot.  Needs matplotlib
        (``pip install -e ".[plot]"`` in the source checkout).
        """
        lrs, losses, index = self._steepest(skip_start, skip_end)
        try:
            import matplotlib.pyplot as plt
        except ImportError as error:
            raise ImportError(
                f"LRFinder.plot needs matplotlib, an optional dependency: {install_hint('plot')}"
            ) from error
        own_figure = ax is None
        if own_figure:
            _, ax = plt.subplots(figsize=(7, 4))
        ax.plot(lrs, losses, label="loss (smoothed)")
        if suggest:
            ax.scatter([lrs[index]], [losses[index]], s=60, color="red", zorder=3,
                       label=f"steepest descent: lr={lrs[index]:.2e}")
        if log_lr:
            ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title("LR range test")
        ax.legend()
        ax.grid(True, alpha=0.3)
        if own_figure:
            ax.figure.tight_layout()
        return ax
