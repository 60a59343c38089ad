"""``genesis demo``: train an MLP on handwritten digits, checkpointed every epoch, resumable.

The training lives in ``genesis.demo``; this module reads the options, reports errors (exit 2
for a bad option, 1 for a problem such as nothing to resume or scikit-learn missing) and turns
Ctrl-C into a clean stop (exit 130) that keeps the last complete epoch's checkpoint.
"""
from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from typing import Any

from genesis import demo
from genesis.checkpoint import CheckpointError
from genesis.utils.tensorboard import add_logdir_argument

_DEFAULTS = demo.DemoConfig()
_DESCRIPTION = f"""\
Train a 64-{demo.HIDDEN}-10 MLP on scikit-learn's handwritten digits (8x8 images, \
{demo.TEST_SIZE} held
out for the test) with AdamW and a cosine schedule with linear warmup, stepped after every
batch, as in the scheduler chapter's complete example. A progress bar per epoch shows the
loss and the current rate. After every epoch the run is checkpointed in DIR; stop it with
Ctrl-C and continue with --resume: the result is bit-identical to an uninterrupted run. At
the end it prints the test accuracy and draws the rate and loss curves to DIR/{demo.PLOT_NAME}."""
_EPILOG = f"""\
examples:
  genesis demo                            train with the defaults (about 97% accuracy)
  genesis demo --epochs 5 --warmup 0.05   a shorter run, 5% of its steps warming up
  genesis demo --resume                   continue ./genesis-demo where it stopped
  genesis demo --logdir runs/demo         log to TensorBoard: tensorboard --logdir runs

needs scikit-learn (the data) and matplotlib (the PNG):
  {demo.INSTALL_HINT}"""


def register(subparsers: Any) -> None:
    """Add ``demo`` with its options."""
    parser = subparsers.add_parser(
        "demo", help="train an MLP on handwritten digits (AdamW, cosine with warmup), resumable",
        description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--epochs", type=int, metavar="N",
                        help=f"epochs to train (default {_DEFAULTS.epochs})")
    parser.add_argument("--lr", type=float, metavar="RATE",
                        help=f"peak learning rate, reached at the end of the warmup "
                             f"(default {_DEFAULTS.lr:g})")
    parser.add_argument("--warmup", type=_warmup, metavar="W",
                        help=f"warmup length: with a decimal point, a fraction of all steps "
                             f"(0.05 = 5%%); a whole number is steps (50); 0 for none "
                             f"(default {_DEFAULTS.warmup:g})")
    parser.add_argument("--batch-size", type=int, metavar="N",
                        help=f"samples per batch, one scheduler step each "
                             f"(default {_DEFAULTS.batch_size})")
    parser.add_argument("--seed", type=int, metavar="N",
                        help=f"seed for the initial weights, dropout and batch order "
                             f"(default {_DEFAULTS.seed})")
    parser.add_argument("--out", default="genesis-demo", metavar="DIR",
                        help=f"directory for {demo.CHECKPOINT_NAME} and {demo.PLOT_NAME} "
                             f"(default ./genesis-demo)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run checkpointed in DIR with its saved settings")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    add_logdir_argument(parser)
    parser.set_defaults(func=run_demo)


def _warmup(text: str) -> int | float:
    try:
        return demo.parse_warmup(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo for the parsed options; returns the exit status."""
    given = {field.name: getattr(args, field.name) for field in dataclasses.fields(demo.DemoConfig)
             if getattr(args, field.name) is not None}
    try:
        if args.resume:
            # options given with --resume must match the saved ones; run() says which differ
            config = dataclasses.replace(demo.saved_config(args.out), **given) if given else None
        else:
            config = demo.DemoConfig(**given)
        demo.run(args.out, config, resume=args.resume, progress=not args.quiet,
                 logdir=args.logdir)
    except ValueError as exc:
        if isinstance(exc, CheckpointError):
            return _fail(str(exc), 1)
        return _fail(str(exc), 2)
    except (demo.DemoError, OSError) as exc:
        return _fail(str(exc), 1)
    except KeyboardInterrupt:
        out = shlex.quote(args.out)
        if demo.has_checkpoint(args.out):
            print(f"\ninterrupted; resume with: genesis demo --resume --out {out}", file=sys.stderr)
        else:
            print(f"\ninterrupted before the first epoch ended, so there is nothing to resume; "
                  f"start again with: genesis demo --out {out}", file=sys.stderr)
        return 130
    return 0


def _fail(message: str, status: int) -> int:
    print(f"genesis demo: error: {message}", file=sys.stderr)
    return status
