"""What the training examples share: their common flags, the train / checkpoint / resume loop,
the loss and learning-rate curves, and the character-level text dataset.

An example builds an :class:`Experiment` (a model, its optimizer and scheduler, and three
functions: the batches of an epoch, the loss of a batch, the evaluation after an epoch) and
hands it to :func:`train`::

    parser = make_parser(__doc__, name="cnn", epochs=20, lr=0.01)
    parser.add_argument("--channels", type=int, default=32)          # the example's own flags
    args = parser.parse_args()
    train(build(args), args)

``train`` steps the scheduler after every batch, shows a progress bar per epoch (tqdm, on
stderr) and one summary line per epoch (stdout), saves a checkpoint with
``genesis.save_checkpoint`` after every epoch, continues one exactly with ``--resume`` (the
weights, optimizer moments, scheduler position and random state are all in it, so the resumed
run ends with the numbers an uninterrupted one ends with), draws the curves to a PNG and, with
``--logdir``, logs every step to TensorBoard through ``TrainingLog``.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import genesis
from genesis.utils.tensorboard import TrainingLog, add_logdir_argument

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
TEXT = os.path.join(DATA, "shakespeare.txt")
CHECKPOINT_NAME = "checkpoint.pth"
PLOT_NAME = "curves.png"

# Flags that say where and how to run, not what is trained: they may change on --resume.
RUN_FLAGS = ("out", "resume", "stop_after", "plot", "logdir", "quiet")


# ---------------------------------------------------------------- flags


def make_parser(doc: str, *, name: str, epochs: int, lr: float, batch_size: int = 32,
                steps: int | None = None) -> argparse.ArgumentParser:
    """The flags every example has, with the example's defaults; add its own to the result.

    ``steps`` is the default number of batches per epoch (None: one pass over the data).
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=_positive, default=epochs)
    parser.add_argument("--steps", type=_positive, default=steps,
                        help="batches per epoch (default: one pass over the training data)"
                        if steps is None else "batches per epoch")
    parser.add_argument("--batch-size", type=_positive, default=batch_size)
    parser.add_argument("--lr", type=float, default=lr, help="the base learning rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join("runs", name),
                        help="directory of the checkpoint (saved after every epoch) and curves")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run whose checkpoint is in --out (same settings)")
    parser.add_argument("--stop-after", type=_positive, default=None, metavar="EPOCHS",
                        help="stop after this many epochs as if interrupted (resume later)")
    parser.add_argument("--plot", default=None, metavar="PATH",
                        help=f"where to draw the loss and rate curves (default: OUT/{PLOT_NAME})")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    add_logdir_argument(parser)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive int, got {value}")
    return value


def settings_of(args: argparse.Namespace) -> dict:
    """The flags that decide what is trained: stored in the checkpoint, checked on resume."""
    return {key: value for key, value in sorted(vars(args).items()) if key not in RUN_FLAGS}


# ---------------------------------------------------------------- the experiment


@dataclasses.dataclass
class Experiment:
    """What an example trains.

    ``batches(epoch)`` yields the epoch's batches, drawing any randomness from the Genesis
    generator at the start of the epoch (the checkpoint saves its state at epoch ends);
    ``loss(batch)`` is the training loss of one batch (the model in training mode);
    ``evaluate()`` returns the held-out metrics after an epoch (``{"val_loss": ...}``), run in
    eval mode without gradients.  ``references`` are horizontal lines for the loss plot
    (``{"unigram entropy": 3.27}``), ``clip_grad_norm`` clips the gradients' total norm.
    """

    name: str
    description: str
    model: genesis.nn.Module
    optimizer: Any
    scheduler: Any
    batches: Callable[[int], Iterable]
    loss: Callable[[Any], genesis.Tensor]
    evaluate: Callable[[], dict]
    steps_per_epoch: int
    references: dict = dataclasses.field(default_factory=dict)
    clip_grad_norm: float | None = None


def steps_per_epoch(args: argparse.Namespace, batches_in_data: int) -> int:
    """``--steps`` when given (at most ``batches_in_data`` when that is a limit), else all."""
    return batches_in_data if args.steps is None else min(args.steps, batches_in_data)


# ---------------------------------------------------------------- the loop


def train(experiment: Experiment, args: argparse.Namespace) -> dict:
    """Train ``experiment`` for ``args.epochs`` (or continue it with ``args.resume``).

    Returns the history: the rate and loss of every step, and per epoch the mean training loss
    and the ``evaluate()`` metrics.  Raises SystemExit with a message when ``--resume`` finds
    no checkpoint, or one with other settings.
    """
    path = os.path.join(args.out, CHECKPOINT_NAME)
    settings = settings_of(args)
    history: dict = {"lr": [], "loss": [], "epochs": []}
    start = 0
    if args.resume:
        checkpoint = _load_own(path, settings)
        experiment.model.load_state_dict(checkpoint["model_state_dict"])
        experiment.optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
        experiment.scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
        genesis.set_rng_state(checkpoint["rng_state"])
        history, start = checkpoint["history"], checkpoint["epoch"] + 1
        print(f"Resuming {path} after epoch {start} of {args.epochs}.")
    else:
        os.makedirs(args.out, exist_ok=True)
        print(f"{experiment.description}; {args.epochs} epochs of {experiment.steps_per_epoch} "
              f"batches of {args.batch_size}, seed {args.seed}.")
    for label, value in experiment.references.items():
        print(f"{label}: {value:.4f} nats")

    last = args.epochs if args.stop_after is None else min(args.epochs, args.stop_after)
    first_step = start * experiment.steps_per_epoch
    with _one_blas_thread(), TrainingLog(args.logdir, experiment.scheduler,
                                         purge_step=first_step) as log:
        for epoch in range(start, last):
            _train_epoch(experiment, epoch, args, history, log)
            genesis.save_checkpoint({
                "epoch": epoch,
                "model_state_dict": experiment.model.state_dict(),
                "optimizer_state_dict": experiment.optimizer.state_dict(),
                "scheduler_state_dict": experiment.scheduler.state_dict(),
                "rng_state": genesis.get_rng_state(),
                "example": experiment.name,
                "settings": settings,
                "history": history,
            }, path)
    if last < args.epochs:
        print(f"Stopped after epoch {last} of {args.epochs} (--stop-after); continue with "
              f"--resume.")
        return history
    final = history["epochs"][-1]
    print("Final: " + ", ".join(f"{key} {value:.4f}" for key, value in final.items())
          + "".join(f"; {label} {value:.4f}" for label, value in experiment.references.items()))
    plot = args.plot or os.path.join(args.out, PLOT_NAME)
    if draw_curves(history, experiment, plot):
        print(f"Curves: {plot}")
    print(f"Checkpoint: {path}")
    return history


def _train_epoch(experiment: Experiment, epoch: int, args: argparse.Namespace, history: dict,
                 log: TrainingLog) -> None:
    from tqdm import tqdm

    optimizer, scheduler = experiment.optimizer, experiment.scheduler
    first_step, total = epoch * experiment.steps_per_epoch, 0.0
    label = f"epoch {epoch + 1:>{len(str(args.epochs))}}/{args.epochs}"
    experiment.model.train()
    with tqdm(total=experiment.steps_per_epoch, desc=label, unit="batch", file=sys.stderr,
              disable=args.quiet, dynamic_ncols=True) as bar:
        for step, batch in enumerate(experiment.batches(epoch)):
            rate = optimizer.param_groups[0]["lr"]
            optimizer.zero_grad()
            loss = experiment.loss(batch)
            loss.backward()
            if experiment.clip_grad_norm is not None:
                genesis.nn.utils.clip_grad_norm_(experiment.model.parameters(),
                                                 experiment.clip_grad_norm)
            optimizer.step()
            history["lr"].append(rate)
            history["loss"].append(loss.item())
            log(first_step + step, loss=history["loss"][-1])  # the rate this step used
            scheduler.step()
            total += history["loss"][-1]
            bar.set_postfix(loss=f"{total / (step + 1):.4f}", lr=f"{rate:.2e}", refresh=False)
            bar.update()
    experiment.model.eval()
    with genesis.no_grad():
        metrics = {"train_loss": total / experiment.steps_per_epoch, **experiment.evaluate()}
    history["epochs"].append(metrics)
    log.scalars(first_step + experiment.steps_per_epoch - 1, **metrics)
    print(f"{label}: " + ", ".join(f"{key} {value:.4f}" for key, value in metrics.items())
          + f", lr {rate:.3e}", flush=True)


def _load_own(path: str, settings: dict) -> dict:
    if not os.path.exists(path):
        raise SystemExit(f"nothing to resume: {path} does not exist (run without --resume)")
    checkpoint = genesis.load_checkpoint(path)
    saved = checkpoint.get("settings") if isinstance(checkpoint, dict) else None
    if not isinstance(saved, dict):
        raise SystemExit(f"{path} is not a checkpoint of these examples")
    if saved != settings:
        changed = ", ".join(f"--{key.replace('_', '-')} {settings.get(key)!r} (saved "
                            f"{saved.get(key)!r})" for key in sorted(set(saved) | set(settings))
                            if saved.get(key) != settings.get(key))
        raise SystemExit(f"--resume continues {path} with the settings it was started with; "
                         f"these differ: {changed}")
    return checkpoint


def _one_blas_thread():
    """One BLAS thread while training (as ``genesis demo``): these small matrices gain nothing
    from threads, and on a busy 2-core machine spinning BLAS threads cost 5-10x."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


# ---------------------------------------------------------------- the curves


def draw_curves(history: dict, experiment: Experiment, path: str) -> bool:
    """The rate (top) and loss (bottom) of every step, with the per-epoch losses, to ``path``.

    Returns False (and draws nothing) when matplotlib is not installed.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("Curves: skipped, matplotlib is not installed (pip install matplotlib)")
        return False
    steps = np.arange(1, len(history["lr"]) + 1)
    epoch_ends = experiment.steps_per_epoch * np.arange(1, len(history["epochs"]) + 1)
    figure = Figure(figsize=(8, 6.5), layout="constrained")
    rate_axes, loss_axes = figure.subplots(2, 1, sharex=True)
    rate_axes.plot(steps, history["lr"], color="tab:blue")
    rate_axes.set_ylabel("learning rate")
    rate_axes.set_title(type(experiment.scheduler).__name__, fontsize=10)
    rate_axes.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
    loss_axes.plot(steps, history["loss"], color="tab:orange", alpha=0.35, linewidth=0.8,
                   label="batch")
    for key in history["epochs"][0]:
        if key.endswith("loss"):
            loss_axes.plot(epoch_ends, [epoch[key] for epoch in history["epochs"]], marker="o",
                           markersize=3, label=f"{key} (epoch)")
    for label, value in experiment.references.items():
        loss_axes.axhline(value, color="grey", linestyle=":", label=label)
    loss_axes.set_ylabel("loss (nats)")
    loss_axes.set_xlabel("step (batch)")
    loss_axes.legend(frameon=False)
    for axes in (rate_axes, loss_axes):
        axes.grid(alpha=0.3)
    final = ", ".join(f"{key} {value:.4f}" for key, value in history["epochs"][-1].items())
    figure.suptitle("\n".join(textwrap.wrap(experiment.description, 100) + [final]), fontsize=10)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=100)
    return True


# ---------------------------------------------------------------- the text


class Text:
    """A text as character ids: the vocabulary is the sorted set of its characters; the first
    ``1 - val_fraction`` of it trains, the rest is held out.

    Example:
        >>> text = Text("abcabd", val_fraction=1 / 3)
        >>> text.vocabulary, text.train.tolist(), text.val.tolist()
        ('abcd', [0, 1, 2, 0], [1, 3])
    """

    def __init__(self, content: str, val_fraction: float = 0.1) -> None:
        self.vocabulary = "".join(sorted(set(content)))
        index = {char: i for i, char in enumerate(self.vocabulary)}
        ids = np.array([index[char] for char in content], dtype=np.int64)
        split = len(ids) - round(val_fraction * len(ids))
        self.ids, self.train, self.val = ids, ids[:split], ids[split:]

    @classmethod
    def load(cls, path: str = TEXT, val_fraction: float = 0.1) -> Text:
        """The text in ``path`` (UTF-8); the default is the examples' Shakespeare."""
        with open(path, encoding="utf-8") as file:
            return cls(file.read(), val_fraction)

    def unigram_entropy(self) -> float:
        """The entropy of the characters' frequencies in the whole text, in nats: the loss of
        the best model that ignores context (a language model must do better)."""
        counts = np.bincount(self.ids, minlength=len(self.vocabulary))
        p = counts[counts > 0] / len(self.ids)
        return float(-(p * np.log(p)).sum())

    def random_windows(self, batches: int, batch_size: int, length: int) -> Iterable:
        """``batches`` batches of ``batch_size`` random training windows: ``(inputs, targets)``
        of shape ``(batch_size, length)``, targets the inputs shifted by one character.

        The starts are drawn from the Genesis generator when called (at the epoch's start).
        """
        if length + 1 > len(self.train):
            raise ValueError(f"length must be less than the {len(self.train)} training "
                             f"characters, got {length}")
        starts = genesis.randint(0, len(self.train) - length, (batches, batch_size)).numpy()
        offsets = np.arange(length + 1)
        return [self._pair(self.train[rows[:, None] + offsets]) for rows in starts]

    def val_windows(self, length: int) -> tuple:
        """The held-out text cut into consecutive windows of ``length`` (the last partial one
        dropped): ``(inputs, targets)`` as for ``random_windows``."""
        count = (len(self.val) - 1) // length
        if count < 1:
            raise ValueError(f"length must be less than the {len(self.val)} held-out "
                             f"characters, got {length}")
        rows = np.arange(count)[:, None] * length + np.arange(length + 1)
        return self._pair(self.val[rows])

    @staticmethod
    def _pair(windows: np.ndarray) -> tuple:
        return genesis.tensor(windows[:, :-1]), genesis.tensor(windows[:, 1:])


def language_model_loss(logits: genesis.Tensor, targets: genesis.Tensor) -> genesis.Tensor:
    """The mean cross-entropy of next-character ``logits`` (batch, length, vocabulary)."""
    return genesis.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                               targets.reshape(-1))



def language_model_experiment(name: str, title: str, text: Text, model: Any, optimizer: Any,
                              scheduler: Any, args: argparse.Namespace) -> Experiment:
    """The two language models' experiment: ``args.steps`` random windows of ``args.context``
    characters per epoch, next-character cross-entropy, the validation loss after each epoch
    against the text's unigram entropy, gradients clipped to norm 1."""
    val_inputs, val_targets = text.val_windows(args.context)

    def batches(epoch: int):
        return text.random_windows(args.steps, args.batch_size, args.context)

    def loss(batch):
        inputs, targets = batch
        return language_model_loss(model(inputs), targets)

    def evaluate() -> dict:
        return {"val_loss": language_model_loss(model(val_inputs), val_targets).item()}

    return Experiment(name, title, model, optimizer, scheduler, batches, loss, evaluate,
                      args.steps, references={"unigram entropy": text.unigram_entropy()},
                      clip_grad_norm=1.0)
