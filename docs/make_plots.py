"""Draw every plot the user docs embed (PNG files under ``docs/img/``).

    python docs/make_plots.py                      # all plots into docs/img/
    python docs/make_plots.py --out /tmp/p --only StepLR OneCycleLR

Each plot is a real scheduler drawn by ``genesis.optim.lr_scheduler.plot_schedule`` (which
calls ``preview``), built with the same arguments as the example beside it in the docs.  The
title of each plot is the constructor call.  ``ReduceLROnPlateau`` depends on metrics, so its
plot steps it on a made-up validation loss instead; ``lr-finder`` runs ``LRFinder``,
``demo-curves`` runs ``genesis demo`` and ``cli-lr`` runs ``genesis lr``, as the docs do.
Needs matplotlib (``pip install -e .[plot]``), and scikit-learn for ``lr-finder`` and
``demo-curves`` (``pip install -e .[demo]``).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import tempfile
from collections.abc import Callable
from typing import Any

import genesis.nn as nn
import genesis.optim as optim
from genesis.optim.lr_scheduler import plot_schedule

HERE = os.path.dirname(os.path.abspath(__file__))
BASE_LR = 0.1
DPI = 80
SIZE = (6.4, 3.2)


def make_optimizer(lr: float = BASE_LR) -> optim.SGD:
    """A fresh SGD optimizer (momentum, for the cyclic schedulers) on a tiny model."""
    return optim.SGD(nn.Linear(2, 1).parameters(), lr=lr, momentum=0.9)


def _two_groups() -> optim.SGD:
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    return optim.SGD(
        [{"params": model[0].parameters()}, {"params": model[1].parameters(), "lr": 0.05}],
        lr=BASE_LR, momentum=0.9,
    )


def _warmup_then_cosine(opt: Any) -> Any:
    warmup = optim.LinearLR(opt, start_factor=0.01, end_factor=1.0, total_iters=10)
    decay = optim.CosineAnnealingLR(opt, T_max=90)
    return optim.SequentialLR(opt, [warmup, decay], milestones=[10])


def _chained(opt: Any) -> Any:
    return optim.ChainedScheduler([
        optim.LinearLR(opt, start_factor=0.1, total_iters=10),
        optim.ExponentialLR(opt, gamma=0.97),
    ])


# name -> (title: the call that builds it, build(optimizer) -> scheduler, steps to draw)
Build = Callable[[Any], Any]
PLOTS: dict[str, tuple[str, Build, int]] = {
    "LambdaLR": ("LambdaLR(opt, lambda epoch: 0.95 ** (epoch // 10))",
                 lambda o: optim.LambdaLR(o, lambda epoch: 0.95 ** (epoch // 10)), 100),
    "MultiplicativeLR": ("MultiplicativeLR(opt, lambda epoch: 0.95)",
                         lambda o: optim.MultiplicativeLR(o, lambda epoch: 0.95), 100),
    "StepLR": ("StepLR(opt, step_size=30, gamma=0.1)",
               lambda o: optim.StepLR(o, step_size=30, gamma=0.1), 100),
    "MultiStepLR": ("MultiStepLR(opt, milestones=[30, 80], gamma=0.1)",
                    lambda o: optim.MultiStepLR(o, milestones=[30, 80], gamma=0.1), 100),
    "ConstantLR": ("ConstantLR(opt, factor=0.5, total_iters=20)",
                   lambda o: optim.ConstantLR(o, factor=0.5, total_iters=20), 100),
    "LinearLR": ("LinearLR(opt, start_factor=0.1, total_iters=20)",
                 lambda o: optim.LinearLR(o, start_factor=0.1, total_iters=20), 100),
    "ExponentialLR": ("ExponentialLR(opt, gamma=0.95)",
                      lambda o: optim.ExponentialLR(o, gamma=0.95), 100),
    "PolynomialLR": ("PolynomialLR(opt, total_iters=80, power=2.0)",
                     lambda o: optim.PolynomialLR(o, total_iters=80, power=2.0), 100),
    "CosineAnnealingLR": ("CosineAnnealingLR(opt, T_max=100, eta_min=0.001)",
                          lambda o: optim.CosineAnnealingLR(o, T_max=100, eta_min=0.001), 100),
    "CosineAnnealingWarmRestarts": (
        "CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2, eta_min=0.001)",
        lambda o: optim.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.001), 150),
    "CyclicLR": ("CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=10, mode='triangular2')",
                 lambda o: optim.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10,
                                          mode="triangular2"), 100),
    "OneCycleLR": ("OneCycleLR(opt, max_lr=0.1, total_steps=100)",
                   lambda o: optim.OneCycleLR(o, max_lr=0.1, total_steps=100), 99),
    "SequentialLR": ("SequentialLR: LinearLR warmup (10 steps), then CosineAnnealingLR(T_max=90)",
                     _warmup_then_cosine, 100),
    "ChainedScheduler": ("ChainedScheduler([LinearLR(start_factor=0.1, total_iters=10), "
                         "ExponentialLR(gamma=0.97)])", _chained, 100),
    "two-groups": ("CosineAnnealingLR(opt, T_max=100) on two param groups (lr 0.1 and 0.05)",
                   lambda o: optim.CosineAnnealingLR(_two_groups(), T_max=100), 100),
    # the Hugging Face family, built by name as in transformers
    "hf-constant": ('get_scheduler("constant", opt)',
                    lambda o: optim.get_scheduler("constant", o), 100),
    "hf-constant_with_warmup": ('get_scheduler("constant_with_warmup", opt, num_warmup_steps=10)',
                                lambda o: optim.get_scheduler("constant_with_warmup", o, 10), 100),
    "hf-linear": ('get_scheduler("linear", opt, 10, 100)',
                  lambda o: optim.get_scheduler("linear", o, 10, 100), 100),
    "hf-cosine": ('get_scheduler("cosine", opt, 10, 100)',
                  lambda o: optim.get_scheduler("cosine", o, 10, 100), 100),
    "hf-cosine_with_restarts": ('get_scheduler("cosine_with_restarts", opt, 10, 100, num_cycles=3)',
                                lambda o: optim.get_scheduler("cosine_with_restarts", o, 10, 100,
                                                              num_cycles=3), 100),
    "hf-polynomial": ('get_scheduler("polynomial", opt, 10, 100, lr_end=0.01, power=2.0)',
                      lambda o: optim.get_scheduler("polynomial", o, 10, 100, lr_end=0.01,
                                                    power=2.0), 100),
    "hf-inverse_sqrt": ('get_scheduler("inverse_sqrt", opt, num_warmup_steps=10)',
                        lambda o: optim.get_scheduler("inverse_sqrt", o, 10), 100),
    "hf-cosine_with_min_lr": ('get_scheduler("cosine_with_min_lr", opt, 10, 100, min_lr=0.01)',
                              lambda o: optim.get_scheduler("cosine_with_min_lr", o, 10, 100,
                                                            min_lr=0.01), 100),
    "hf-warmup_stable_decay": ('get_scheduler("warmup_stable_decay", opt, 10, 100, '
                               'num_decay_steps=30)',
                               lambda o: optim.get_scheduler("warmup_stable_decay", o, 10, 100,
                                                             num_decay_steps=30), 100),
    "ReduceLROnPlateau": ("ReduceLROnPlateau(opt, factor=0.5, patience=5)", None, 100),
    "lr-finder": ("LRFinder(model, AdamW(lr=1e-7), CrossEntropyLoss()).range_test(end_lr=10)",
                  None, 100),
    "demo-curves": ("genesis demo", None, 0),
    "cli-lr": ("genesis lr cosine --warmup 500 --steps 10000 --png FILE", None, 10000),
}


def validation_loss(epoch: int) -> float:
    """A made-up validation loss that improves for 25 epochs, then stalls and wobbles."""
    wobble = 0.002 + 0.005 * (1 + math.sin(epoch)) if epoch > 25 else 0.0
    return 0.3 + 0.7 * math.exp(-min(epoch, 25) / 6) + wobble


def _plot_plateau(ax: Any, steps: int) -> None:
    opt = make_optimizer()
    scheduler = optim.ReduceLROnPlateau(opt, factor=0.5, patience=5)
    rates, losses = [], []
    for epoch in range(steps):
        losses.append(validation_loss(epoch))
        scheduler.step(losses[-1])
        rates.append(scheduler.get_last_lr()[0])
    ax.step(range(steps), rates, where="post", label="learning rate")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    ax.grid(True, alpha=0.3)
    loss_axis = ax.twinx()
    loss_axis.plot(range(steps), losses, color="tab:orange", alpha=0.7, label="validation loss")
    loss_axis.set_ylabel("validation loss")
    ax.legend(handles=ax.get_lines() + loss_axis.get_lines(), loc="upper right")


def _plot_range_test(ax: Any, steps: int) -> None:
    """The range test of docs/en/lr-finder.md: an MLP on scikit-learn's digits with AdamW."""
    import genesis
    from genesis.utils.data import DataLoader, TensorDataset
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = genesis.tensor(digits.data / 16.0, dtype=genesis.float32)
    loader = DataLoader(TensorDataset(images, genesis.tensor(digits.target)), batch_size=64,
                        shuffle=True)
    genesis.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    finder = optim.LRFinder(model, optim.AdamW(model.parameters(), lr=1e-7), nn.CrossEntropyLoss())
    finder.range_test(loader, end_lr=10, num_iter=steps, progress=False)
    finder.plot(ax=ax)


def _demo_curves(path: str) -> None:
    """The PNG that ``genesis demo`` (default settings) draws, shrunk to a palette image."""
    from genesis.cli import main
    from PIL import Image

    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()):
        main(["demo", "--out", out, "--quiet"])
        image = Image.open(os.path.join(out, "curves.png")).convert("RGB")
    image = image.resize((image.width * 3 // 4, image.height * 3 // 4), Image.LANCZOS)
    image.quantize(colors=64).save(path, optimize=True)


def _cli_png(path: str) -> None:
    """The PNG of ``genesis lr cosine --warmup 500 --steps 10000 --png FILE`` (docs/en/cli.md)."""
    from genesis.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        main(["lr", "cosine", "--warmup", "500", "--steps", "10000", "--png", path])


# plots drawn by a function of (axes, steps), not by plot_schedule
CUSTOM = {"ReduceLROnPlateau": _plot_plateau, "lr-finder": _plot_range_test}
# PNG files written whole by a command
WHOLE_FILE = {"demo-curves": _demo_curves, "cli-lr": _cli_png}


def draw(name: str, path: str) -> None:
    """Draw plot ``name`` of ``PLOTS`` into the PNG file ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if name in WHOLE_FILE:
        WHOLE_FILE[name](path)
        return
    title, build, steps = PLOTS[name]
    fig, ax = plt.subplots(figsize=SIZE)
    if build is None:
        CUSTOM[name](ax, steps)
    else:
        plot_schedule(build(make_optimizer()), steps, ax=ax)
    ax.set_title(title, fontsize=10 if len(title) <= 60 else 9 if len(title) <= 80 else 8)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    """Draw the plots named by ``--only`` (default: all) into ``--out`` (default: docs/img)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "img"), help="folder for the PNGs")
    parser.add_argument("--only", nargs="+", choices=sorted(PLOTS), metavar="NAME",
                        help=f"plots to draw (default: all): {', '.join(PLOTS)}")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name in args.only or PLOTS:
        path = os.path.join(args.out, f"{name}.png")
        draw(name, path)
        print(f"{path}: {os.path.getsize(path) // 1024} KB")


if __name__ == "__main__":
    main()
