"""The demo: an MLP learns scikit-learn's handwritten digits with AdamW and cosine-with-warmup.

It follows the spec page's complete example: ``nn.Sequential`` (64-128-10, ReLU, Dropout),
``optim.AdamW``, ``optim.get_cosine_schedule_with_warmup`` stepped after every batch (warmup
10% of the steps by default, as the page's best practices say), a shuffling ``DataLoader``,
``nn.CrossEntropyLoss``, ``train()``/``eval()``, a progress bar per epoch with the loss and the
current rate, and a checkpoint after every epoch that resumes bit for bit (the recipe of
``genesis.checkpoint``).  ``genesis demo`` (``genesis/cli/demo.py``) is the command; this
module is the training, importable and tested on its own::

    result = run("genesis-demo", DemoConfig(epochs=3))          # trains, checkpoints, plots
    result = run("genesis-demo", resume=True)                   # continues where it stopped

The data split is fixed (450 of the 1797 digits held out for the test, chosen by a fixed
NumPy seed), so ``seed`` changes only the initial weights, the dropout masks and the batch
order; each epoch drops its final short batch.  scikit-learn (the data) and matplotlib (the
PNG) are the ``demo`` extra and are imported only here, when needed; tqdm draws the bars.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import numbers
import os
import sys
from typing import Any, Callable

import numpy as np

import genesis
from genesis import nn, optim
from genesis.utils.data import DataLoader, TensorDataset
from genesis.utils.extras import install_hint
from genesis.utils.tensorboard import TrainingLog

CHECKPOINT_NAME = "checkpoint.pth"
PLOT_NAME = "curves.png"
INSTALL_HINT = install_hint("demo")
TEST_SIZE = 450
HIDDEN, DROPOUT, WEIGHT_DECAY = 128, 0.1, 0.01
_SPLIT_SEED = 0


class DemoError(Exception):
    """A problem other than a bad setting: scikit-learn missing, nothing to resume."""


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    """The demo's settings; a checkpoint stores them, and ``resume`` continues with them.

    ``warmup`` is a fraction of all training steps when it is a float in [0, 1) (0.1: the
    first 10% of the steps), or a number of steps when it is an int (``parse_warmup`` reads
    the command line's spelling).  The rate rises linearly from 0 to ``lr`` over the warmup,
    then follows a half cosine down to 0 at the end of the last epoch.

    Example:
        >>> DemoConfig(epochs=10, warmup=0.05).warmup_steps(steps_per_epoch=22)
        11
        >>> DemoConfig(epochs=0)
        Traceback (most recent call last):
          ...
        ValueError: epochs must be a positive int, got 0
    """

    epochs: int = 20
    lr: float = 3e-3
    warmup: int | float = 0.1
    batch_size: int = 64
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if (isinstance(self.lr, bool) or not isinstance(self.lr, numbers.Real)
                or not math.isfinite(self.lr) or self.lr <= 0):
            raise ValueError(f"lr must be a positive finite number, got {self.lr!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral):
            raise ValueError(f"seed must be an int, got {self.seed!r}")
        _check_warmup(self.warmup)

    def warmup_steps(self, steps_per_epoch: int) -> int:
        """The number of warmup steps for ``steps_per_epoch`` batches per epoch."""
        total = self.epochs * steps_per_epoch
        if isinstance(self.warmup, numbers.Integral):
            if self.warmup > total:
                raise ValueError(f"warmup must be at most the {total} training steps "
                                 f"({_count(self.epochs, 'epoch')} of {steps_per_epoch}), got {self.warmup}")
            return int(self.warmup)
        return round(self.warmup * total)


def _check_warmup(warmup: Any) -> None:
    if isinstance(warmup, bool) or not isinstance(warmup, numbers.Real):
        raise ValueError(f"warmup must be an int number of steps or a float fraction in [0, 1), "
                         f"got {warmup!r}")
    if isinstance(warmup, numbers.Integral):
        if warmup < 0:
            raise ValueError(f"warmup must be a non-negative number of steps, got {warmup}")
    elif not 0.0 <= warmup < 1.0:
        raise ValueError(f"warmup must be a fraction in [0, 1) of the training steps (or a "
                         f"whole number of steps), got {warmup!r}")


def parse_warmup(text: str) -> int | float:
    """Read ``--warmup``: a whole number is steps (``"50"``), anything else a fraction (``"0.1"``).

    Example:
        >>> parse_warmup("50"), parse_warmup("0.05"), parse_warmup("0")
        (50, 0.05, 0)
    """
    try:
        value: int | float = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"warmup must be a number of steps (50) or a fraction of the "
                             f"steps (0.1), got {text!r}") from None
    _check_warmup(value)
    return value


@dataclasses.dataclass
class DemoResult:
    """What a finished run leaves: the test accuracy, the per-step and per-epoch history, files."""

    accuracy: float
    correct: int
    total: int
    history: dict
    checkpoint: str
    plot: str | None


# ---------------------------------------------------------------- data and model


def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits as float32 8x8 images flattened to 64 features, standardised with the
    training statistics, and int64 labels: ``(X_train, y_train, X_test, y_test)``.

    Raises DemoError naming the install command when scikit-learn is missing.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DemoError(f"the demo trains on scikit-learn's handwritten digits, and "
                        f"scikit-learn is not installed: {INSTALL_HINT}") from None
    images, labels = load_digits(return_X_y=True)
    order = np.random.default_rng(_SPLIT_SEED).permutation(len(images))
    test, train = order[:TEST_SIZE], order[TEST_SIZE:]
    mean, std = images[train].mean(axis=0), images[train].std(axis=0) + 1e-8

    def standardise(rows: np.ndarray) -> np.ndarray:
        return ((images[rows] - mean) / std).astype(np.float32)

    return (standardise(train), labels[train].astype(np.int64),
            standardise(test), labels[test].astype(np.int64))


class Trainer:
    """The demo's model, optimizer, scheduler and loader, built the same way by every run.

    ``state()`` is the checkpoint after an epoch and ``restore()`` loads one back (the recipe
    of ``genesis.checkpoint``: with the RNG state, the next epochs' dropout masks and batch
    order are the ones an uninterrupted run draws).  ``history`` holds the rate and loss of
    every step, and the mean loss and test accuracy of every epoch.
    """

    def __init__(self, config: DemoConfig, data: tuple) -> None:
        X_train, y_train, self.X_test, self.y_test = data
        self.config = config
        genesis.manual_seed(config.seed)
        self.model = nn.Sequential(nn.Linear(X_train.shape[1], HIDDEN), nn.ReLU(),
                                   nn.Dropout(DROPOUT), nn.Linear(HIDDEN, 10))
        self.optimizer = optim.AdamW(self.model.parameters(), lr=config.lr,
                                     weight_decay=WEIGHT_DECAY)
        if config.batch_size > len(X_train):
            raise ValueError(f"batch_size must be at most the {len(X_train)} training digits, "
                             f"got {config.batch_size}")
        # drop_last: every step sees batch_size digits, no noisy 3-digit step per epoch
        self.loader = DataLoader(TensorDataset(genesis.tensor(X_train), genesis.tensor(y_train)),
                                 batch_size=config.batch_size, shuffle=True, drop_last=True)
        self.warmup_steps = config.warmup_steps(len(self.loader))
        self.total_steps = config.epochs * len(self.loader)
        self.scheduler = optim.get_cosine_schedule_with_warmup(
            self.optimizer, num_warmup_steps=self.warmup_steps,
            num_training_steps=self.total_steps)
        self.criterion = nn.CrossEntropyLoss()
        self.epochs_done = 0
        self.loss: genesis.Tensor | None = None
        self.history: dict = {"lr": [], "loss": [], "epoch_loss": [], "test_accuracy": []}

    def train_epoch(self, progress: bool = True, log: TrainingLog | None = None) -> None:
        """One epoch, the scheduler stepped after every batch, with a tqdm bar on stderr.

        ``log`` (when enabled) receives every step's loss, batch accuracy and rate, and the
        epoch's mean loss and test accuracy at its last step.
        """
        from tqdm import tqdm

        log = log or TrainingLog(None)
        first_step = self.epochs_done * len(self.loader)

        epochs = self.config.epochs
        label = f"epoch {self.epochs_done + 1:>{len(str(epochs))}}/{epochs}"
        history, total_loss = self.history, 0.0
        self.model.train()
        # updated by hand: iterating a tqdm closes the bar before the epoch's summary
        with tqdm(total=len(self.loader), desc=label, unit="batch", disable=not progress,
                  file=sys.stderr, dynamic_ncols=True) as bar:
            for batch, (data, targets) in enumerate(self.loader):
                rate = self.optimizer.param_groups[0]["lr"]
                self.optimizer.zero_grad()
                output = self.model(data)
                loss = self.criterion(output, targets)
                loss.backward()
                self.optimizer.step()
                history["lr"].append(rate)
                history["loss"].append(loss.item())
                if log.enabled:  # between the steps: the rate logged is the one this step used
                    log(first_step + batch, loss=history["loss"][-1],
                        accuracy=_batch_accuracy(output, targets))
                self.scheduler.step()
                total_loss += history["loss"][-1]
                bar.set_postfix(loss=f"{total_loss / (batch + 1):.4f}", lr=f"{rate:.2e}",
                                refresh=False)
                bar.update()
            history["epoch_loss"].append(total_loss / len(self.loader))
            history["test_accuracy"].append(self.correct() / len(self.y_test))
            log.scalars(first_step + len(self.loader) - 1, epoch_loss=history["epoch_loss"][-1],
                test_accuracy=history["test_accuracy"][-1])
            bar.set_postfix(loss=f"{history['epoch_loss'][-1]:.4f}", lr=f"{rate:.2e}",
                            test_acc=f"{history['test_accuracy'][-1]:.1%}", refresh=False)
        self.loss = loss.detach()
        self.epochs_done += 1

    def correct(self) -> int:
        """How many test digits the model classifies correctly (eval mode, no grad)."""
        self.model.eval()
        with genesis.no_grad():
            predicted = self.model(genesis.tensor(self.X_test)).argmax(dim=1).numpy()
        return int(np.sum(predicted == self.y_test))

    def state(self) -> dict:
        """The checkpoint: everything an exact resume needs, the settings and the history."""
        return {
            "epoch": self.epochs_done - 1,
            "model_state_dict": self.model.state_dict(),
            "optimizer_state_dict": self.optimizer.state_dict(),
            "scheduler_state_dict": self.scheduler.state_dict(),
            "loss": self.loss,
            "rng_state": genesis.get_rng_state(),
            "config": dataclasses.asdict(self.config),
            "history": self.history,
        }

    def restore(self, checkpoint: dict) -> None:
        """Continue from ``checkpoint`` (a ``state()`` of a run with the same settings)."""
        self.model.load_state_dict(checkpoint["model_state_dict"])
        self.optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
        self.scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
        genesis.set_rng_state(checkpoint["rng_state"])
        self.history = checkpoint["history"]
        self.loss = checkpoint["loss"]
        self.epochs_done = checkpoint["epoch"] + 1


def _batch_accuracy(output: genesis.Tensor, targets: genesis.Tensor) -> float:
    """The fraction of a batch the model (in training mode, before this step) got right."""
    return float(np.mean(output.detach().argmax(dim=1).numpy() == targets.numpy()))


# ---------------------------------------------------------------- a run


def checkpoint_path(out_dir: str | os.PathLike) -> str:
    """Where the demo keeps its checkpoint in ``out_dir``."""
    return os.path.join(os.fspath(out_dir), CHECKPOINT_NAME)


def has_checkpoint(out_dir: str | os.PathLike) -> bool:
    """Whether ``out_dir`` holds a checkpoint to resume."""
    return os.path.exists(checkpoint_path(out_dir))


def saved_config(out_dir: str | os.PathLike) -> DemoConfig:
    """The settings stored in ``out_dir``'s checkpoint; DemoError when there is none."""
    return _load(checkpoint_path(out_dir))[1]


def _load(path: str) -> tuple[dict, DemoConfig]:
    if not os.path.exists(path):
        raise DemoError(f"nothing to resume: {path} does not exist (start a run without --resume)")
    checkpoint = genesis.load_checkpoint(path)
    settings = checkpoint.get("config") if isinstance(checkpoint, dict) else None
    if not isinstance(settings, dict) or set(settings) != {
            field.name for field in dataclasses.fields(DemoConfig)}:
        raise DemoError(f"{path} is not a checkpoint of genesis demo")
    return checkpoint, DemoConfig(**settings)


def run(
    out_dir: str | os.PathLike = "genesis-demo",
    config: DemoConfig | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    plot: bool = True,
    echo: Callable[[str], Any] = print,
    logdir: str | os.PathLike | None = None,
) -> DemoResult:
    """Train (or, with ``resume``, continue) the demo, checkpointing into ``out_dir`` each epoch.

    A fresh run uses ``config`` (default ``DemoConfig()``).  ``resume=True`` continues from
    ``out_dir``'s checkpoint with its stored settings; a ``config`` that differs from them is a
    ValueError (another epoch count or warmup would change the schedule, so the run would not
    be the one that was interrupted).  The finished run is bit-identical to an uninterrupted
    one.  ``progress`` shows a tqdm bar per epoch (on stderr), ``plot`` draws the PNG, and
    ``echo`` receives the report lines.  A KeyboardInterrupt propagates and leaves the last
    complete epoch's checkpoint.  With ``logdir``, every step's loss, batch accuracy and rate
    (``lr/group0``) and every epoch's mean loss and test accuracy go to TensorBoard event files
    there (tensorboard needed); a resumed run hides what the interrupted one logged after its
    checkpoint, a fresh one everything logged there before.
    """
    out_dir = os.fspath(out_dir)
    if logdir is not None:
        _require_tensorboard()  # before anything is trained or removed
    path = checkpoint_path(out_dir)
    checkpoint, stored = _load(path) if resume else (None, None)
    if stored is not None:
        if config is not None and config != stored:
            changed = ", ".join(f"{field.name}={getattr(config, field.name)!r} (saved "
                                f"{getattr(stored, field.name)!r})"
                                for field in dataclasses.fields(DemoConfig)
                                if getattr(config, field.name) != getattr(stored, field.name))
            raise ValueError(f"resume continues {path} with its saved settings; these "
                             f"differ: {changed}")
        config = stored
    config = config or DemoConfig()

    trainer = Trainer(config, load_data())
    if checkpoint is not None:
        trainer.restore(checkpoint)
        echo(f"Resuming {path} after epoch {trainer.epochs_done} of {config.epochs}.")
    else:
        os.makedirs(out_dir, exist_ok=True)
        if has_checkpoint(out_dir):
            # gone now, so that a checkpoint in out_dir is always this run's
            echo(f"Starting over: removing {path} (--resume would have continued it).")
            os.remove(path)
        if os.path.exists(os.path.join(out_dir, PLOT_NAME)):
            os.remove(os.path.join(out_dir, PLOT_NAME))
        echo(f"Training a 64-{HIDDEN}-10 MLP on {len(trainer.loader.dataset)} handwritten "
             f"digits ({len(trainer.y_test)} held out) for {_count(config.epochs, 'epoch')} of "
             f"{_count(len(trainer.loader), 'batch')}: AdamW lr {config.lr:g}, cosine schedule "
             f"with {trainer.warmup_steps} of {trainer.total_steps} steps warmup, "
             f"seed {config.seed}.")

    first_step = trainer.epochs_done * len(trainer.loader)
    with _one_blas_thread(), TrainingLog(logdir, trainer.scheduler, purge_step=first_step) as log:
        if log.enabled:
            echo(f"TensorBoard logs: {os.fspath(logdir)} (watch with: tensorboard --logdir "
                 f"{os.fspath(logdir)})")
        while trainer.epochs_done < config.epochs:
            trainer.train_epoch(progress, log)
            genesis.save_checkpoint(trainer.state(), path)
        correct = trainer.correct()
    total = len(trainer.y_test)
    echo(f"Test accuracy: {correct / total:.2%} ({correct} of {total} digits)")
    echo(f"Checkpoint: {path} (epoch {config.epochs} of {config.epochs})")
    png = None
    if plot:
        png = plot_curves(trainer.history, config, correct / total,
                          os.path.join(out_dir, PLOT_NAME))
        echo(f"Curves: {png}" if png else
             f"Curves: skipped, matplotlib is not installed: {INSTALL_HINT}")
    return DemoResult(correct / total, correct, total, trainer.history, path, png)


def _require_tensorboard() -> None:
    try:
        import genesis.utils.tensorboard.writer  # noqa: F401
    except ModuleNotFoundError as error:
        if error.name != "tensorboard":
            raise
        raise DemoError(str(error)) from None


def _count(number: int, noun: str) -> str:
    plural = {"epoch": "epochs", "batch": "batches"}[noun]
    return f"{number} {noun if number == 1 else plural}"


def _one_blas_thread():
    """Limit BLAS to one thread while training, when threadpoolctl (scikit-learn's) is there.

    The demo multiplies 64x128 matrices: threads only add synchronisation, and on a busy
    2-core machine OpenBLAS's spinning threads made the demo ten times slower.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


# ---------------------------------------------------------------- the PNG


def plot_curves(history: dict, config: DemoConfig, accuracy: float, path: str) -> str | None:
    """Write the rate and loss of every step (two panels) to ``path``; None without matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    steps = np.arange(1, len(history["lr"]) + 1)
    steps_per_epoch = len(steps) // len(history["epoch_loss"])
    epoch_middles = steps_per_epoch * (np.arange(len(history["epoch_loss"])) + 0.5)
    warmup = config.warmup_steps(steps_per_epoch)

    figure = Figure(figsize=(8, 6.5), layout="constrained")
    rate_axes, loss_axes = figure.subplots(2, 1, sharex=True)
    rate_axes.plot(steps, history["lr"], color="tab:blue", linewidth=1.8)
    if warmup:
        rate_axes.axvline(warmup, color="grey", linestyle=":", linewidth=1)
        rate_axes.annotate(f"end of warmup\n(step {warmup})", (warmup, 0.4 * config.lr),
                           xytext=(6, 0), textcoords="offset points", color="grey", fontsize=9)
    rate_axes.set_ylabel("learning rate")
    rate_axes.set_title(f"AdamW, cosine schedule with warmup (peak {config.lr:g})", fontsize=10)
    rate_axes.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))

    loss_axes.plot(steps, history["loss"], color="tab:orange", alpha=0.35, linewidth=0.8,
                   label="batch")
    loss_axes.plot(epoch_middles, history["epoch_loss"], color="tab:red", marker="o", markersize=3,
                   linewidth=1.5, label="epoch mean")
    loss_axes.set_yscale("log")
    loss_axes.set_ylabel("training loss (cross-entropy)")
    loss_axes.set_xlabel("step (batch)")
    loss_axes.set_title(f"{_count(len(epoch_middles), 'epoch')} of "
                        f"{_count(steps_per_epoch, 'batch')} of {config.batch_size}", fontsize=10)
    loss_axes.legend(frameon=False)
    for axes in (rate_axes, loss_axes):
        axes.grid(alpha=0.3)
        axes.set_xlim(0, len(steps))
    figure.suptitle(f"genesis demo: MLP on handwritten digits, test accuracy {accuracy:.2%}")
    figure.savefig(path, dpi=120)
    return path
