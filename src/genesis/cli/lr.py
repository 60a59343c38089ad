"""``genesis lr NAME [--arg value ...] --steps N``: see a learning-rate schedule before training.

NAME is a scheduler class of ``genesis.optim.lr_scheduler`` (``OneCycleLR``) or a Hugging Face
schedule name of ``genesis.optim.get_scheduler`` (``cosine``); ``--config FILE.json`` reads a
definition saved with ``scheduler.to_config()`` instead.  ``lr_build`` checks the
arguments against the real signature and builds the scheduler on a stand-in SGD optimizer; this
module reads the command line, takes the curve from ``lr_scheduler.preview`` and prints it.  The command prints the
rate at key steps and a sparkline, and writes a CSV or PNG on request.

Steps are counted as in a training loop (``for step in range(N): optimizer.step();
scheduler.step()``): the curve holds the N rates that optimizer steps 0..N-1 use, step 0 being
the rate right after construction.  Bad arguments exit with status 2 (argparse's convention);
a PNG or CSV that cannot be written, or a missing matplotlib, exits with 1.
"""
from __future__ import annotations

import argparse
import inspect
import math
import os
import sys
import textwrap
from typing import Any, Callable

import numpy as np

from genesis.utils.extras import install_hint
from genesis.utils.sparkline import sparkline

from .lr_build import (DEFAULT_LR, Spec, UsageError, build, build_from_config, catalogue_text,
                       parameters_of, resolve, warmup_end, with_owner)

_MAX_STEPS = 10_000_000  # 80 MB of float64 rates per group; a preview needs no more
_SPARK_WIDTH = 60

_EXAMPLES = """\
examples:
  genesis lr cosine --warmup 500 --steps 10000
  genesis lr OneCycleLR --max_lr 0.1 --total_steps 1000
  genesis lr MultiStepLR --milestones 30,80 --gamma 0.1 --steps 100 --csv multistep.csv
  genesis lr CyclicLR --base_lr 0.001 --max_lr 0.1 --step_size_up 200 --mode triangular2 --steps 1200
  genesis lr warmup_stable_decay --warmup 100 --num_decay_steps 300 --decay_type 1-sqrt --steps 1000
  genesis lr SequentialLR --schedulers "[LinearLR(start_factor=0.01, total_iters=100),
      CosineAnnealingLR(T_max=900)]" --milestones 100 --steps 1000 --png warmup_cosine.png

Argument values are Python literals (1e-3, True, None) or plain words (cos); a list is written
with commas and no brackets (--milestones 30,80; one value, --milestones 100, is a list of one):
brackets are a glob pattern to the shell, so [30,80] unquoted fails in zsh and can change in bash.
SequentialLR and ChainedScheduler take --schedulers as a list of calls of the classes above,
with keyword arguments only.  LambdaLR and MultiplicativeLR (Python functions) and
ReduceLROnPlateau (rates that depend on metrics) cannot be previewed from the command line.
"""


class _MissingMatplotlib(Exception):
    """--png without matplotlib installed: exit status 1."""


# --- the command line ------------------------------------------------------------------------------


def _steps_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= _MAX_STEPS:
        raise argparse.ArgumentTypeError(f"expected an int in [1, {_MAX_STEPS:,}], got {text!r}")
    return value


def _warmup_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        # genesis demo's --warmup also takes a fraction; here it is always a number of steps.
        raise argparse.ArgumentTypeError(f"expected a number of steps (an int >= 0), got {text!r}; "
                                         "for 10% of --steps 1000 give --warmup 100")
    return value


def _lr_value(text: str) -> list[float]:
    try:
        rates = [float(part) for part in text.split(",")]
    except ValueError:
        rates = []
    if not rates or not all(math.isfinite(rate) and rate >= 0 for rate in rates):
        raise argparse.ArgumentTypeError(
            f"expected a rate >= 0, or one per param group separated by commas, got {text!r}"
        )
    return rates


# option -> (destination, parser of its text); options may come before or after NAME
_COMMON: dict[str, tuple[str, Callable[[str], Any]]] = {
    "--steps": ("steps", _steps_value),
    "--lr": ("lr", _lr_value),
    "--warmup": ("warmup", _warmup_value),
    "--png": ("png", str),
    "--csv": ("csv", str),
    "--config": ("config", str),
}


def register(subparsers: Any) -> None:
    """Add ``lr``: preview a learning-rate schedule."""
    parser = subparsers.add_parser(
        "lr",
        help="preview a learning-rate schedule: key rates, a sparkline, CSV or PNG",
        usage="genesis lr NAME [--arg value ...] [--steps N] [--lr BASE] [--warmup N] "
              "[--png FILE] [--csv FILE]\n       genesis lr --config FILE.json [--steps N] "
              "[--lr BASE] [--png FILE] [--csv FILE]\n       genesis lr --list",
        description=textwrap.fill(
            "Show the learning rate a schedule sets at each step: the rate at the start, the end "
            "of warmup, the middle, the end, the minimum and maximum, and a sparkline of the "
            "whole curve.  The scheduler is built on a stand-in optimizer with one param group "
            "at rate --lr and the curve is read with genesis.optim.lr_scheduler.preview.  "
            "N steps show the rates optimizer steps 0..N-1 use: step 0 is the rate right after "
            "the scheduler is built, step k the rate after k calls of scheduler.step().", 100
        ) + "\n\n" + catalogue_text(),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("name", nargs="?", metavar="NAME",
                        help="a scheduler class (case-insensitive) or Hugging Face name; see below")
    parser.add_argument("options", nargs=argparse.REMAINDER, metavar="--arg value",
                        help="the scheduler's own arguments, checked against its signature "
                             "(genesis lr --list shows them)")
    parser.add_argument("--steps", type=_steps_value, metavar="N",
                        help="how many steps to show (default: the schedule's own length, "
                             "total_steps or num_training_steps, when it has one)")
    parser.add_argument("--lr", type=_lr_value, metavar="BASE",
                        help=f"the optimizer's rate (default {DEFAULT_LR}); 0.1,0.01 makes two "
                             "param groups.  OneCycleLR's max_lr defaults to it; CyclicLR and "
                             "OneCycleLR then set their own rates")
    parser.add_argument("--warmup", type=_warmup_value, metavar="N",
                        help="Hugging Face names: num_warmup_steps (default 0); their "
                             "num_training_steps defaults to --steps")
    parser.add_argument("--png", metavar="FILE", help="write a plot of the curve (needs matplotlib)")
    parser.add_argument("--csv", metavar="FILE",
                        help="write 'step,lr' rows (one lr column per param group if several)")
    parser.add_argument("--config", metavar="FILE.json",
                        help="a definition saved with scheduler.to_config() (json.dump), instead "
                             "of NAME and its arguments")
    parser.add_argument("--list", action="store_true",
                        help="list the schedulers and Hugging Face names with their arguments")
    parser.set_defaults(func=run, lr_parser=parser)


def _split_options(args: argparse.Namespace) -> tuple[dict[str, Any], list[tuple[str, str | None]]]:
    """The common options (given before or after NAME) and the scheduler's ``(name, text)`` pairs.

    A scheduler argument is ``--name value``, ``--name=value`` or, for a bool, a bare ``--name``.
    """
    common = {dest: getattr(args, dest) for dest, _ in _COMMON.values()}
    common["list"] = args.list
    common["help"] = False
    pairs: list[tuple[str, str | None]] = []
    tokens = list(args.options)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token in ("-h", "--help"):
            common["help"] = True
            continue
        if token == "--list":
            common["list"] = True
            continue
        if not token.startswith("--") or len(token) == 2:
            raise UsageError(f"unexpected {token!r}: scheduler arguments are written --name value")
        option, equals, text = token.partition("=")
        if not equals:
            text = None
            if index < len(tokens) and not _is_option(tokens[index]):
                text = tokens[index]
                index += 1
        if option in _COMMON:
            dest, convert = _COMMON[option]
            if text is None:
                raise UsageError(f"argument {option}: expected one argument")
            try:
                common[dest] = convert(text)
            except argparse.ArgumentTypeError as error:
                raise UsageError(f"argument {option}: {error}") from None
        else:
            pairs.append((option[2:].replace("-", "_"), text))
    return common, pairs


def _is_option(token: str) -> bool:
    """True for ``--name`` and ``-h``; a negative number such as ``-0.5`` is a value."""
    return token.startswith("--") or token == "-h"


# --- output -------------------------------------------------------------------------------------------


def curve(scheduler: Any, steps: int) -> np.ndarray:
    """The ``(steps, num_groups)`` rates optimizer steps ``0..steps-1`` use (row 0: the current rates)."""
    from genesis.optim.lr_scheduler import preview

    current = [float(group["lr"]) for group in scheduler.optimizer.param_groups]
    return np.vstack([np.array([current]), preview(scheduler, steps - 1)])


def _number(value: float) -> str:
    return f"{value:.6g}"


_COLUMN = 12  # width of one group's rate column


def _report(title: str, defaults: str, rates: np.ndarray, warmup_end: int | None,
            base: list[float]) -> str:
    """The header, the key-step table and the sparklines, as printed."""
    return "\n".join([*_header(title, defaults, rates.shape, base), "",
                      *_table(rates, warmup_end), "", *_sparklines(rates)])


def _title_and_defaults(spec: Spec, shown: dict[str, Any]) -> tuple[str, str]:
    arguments = ", ".join(f"{name}={value!r}" for name, value in shown.items())
    defaults = ", ".join(f"{name}={p.default!r}" for name, p in parameters_of(spec.target).items()
                         if name not in shown and p.default is not inspect.Parameter.empty)
    return f"{spec.title()}({arguments})", defaults


def _header(title: str, defaults: str, shape: tuple[int, int], base: list[float]) -> list[str]:
    steps, groups = shape
    lines = [title]
    if defaults:
        lines.append(textwrap.fill(f"defaults: {defaults}", 100, initial_indent="  ",
                                   subsequent_indent="    "))
    lines.append(f"  optimizer: SGD, {groups} param group{'s' * (groups != 1)}, "
                 f"lr={','.join(map(_number, base))}")
    lines.append(f"  {steps} step{'s' * (steps != 1)}: the rates optimizer steps 0..{steps - 1} use "
                 "(step 0 = right after construction)")
    return lines


def _table(rates: np.ndarray, warmup_end: int | None) -> list[str]:
    """Rates at start, end of warmup, middle and end; then each group's min and max with its step."""
    steps, groups = rates.shape
    rows = [("start", 0)]
    if warmup_end is not None and warmup_end < steps:
        rows.append(("end of warmup", warmup_end))
    rows += [("middle", steps // 2), ("end", steps - 1)]
    head = "lr" if groups == 1 else "".join(f"{f'lr group {g}':<{_COLUMN}}" for g in range(groups))
    lines = [f"  {'':<16}{'step':>10}  {head}".rstrip()]
    for label, step in rows:
        values = "".join(f"{_number(rates[step, g]):<{_COLUMN}}" for g in range(groups))
        lines.append(f"  {label:<16}{step:>10}  {values}".rstrip())
    for label, pick in (("min", np.argmin), ("max", np.argmax)):
        for group in range(groups):
            step = int(pick(rates[:, group]))
            name = label if groups == 1 else f"{label} (group {group})"
            under = " " * (_COLUMN * group)  # the value sits in its group's column
            lines.append(f"  {name:<16}{step:>10}  {under}{_number(rates[step, group])}")
    return lines


def _sparklines(rates: np.ndarray) -> list[str]:
    steps, groups = rates.shape
    per = math.ceil(steps / min(steps, _SPARK_WIDTH))
    binned = f" (each column: the mean of ~{per} steps)" if per > 1 else ""
    lines = []
    for group in range(groups):
        column = rates[:, group]
        label = "" if groups == 1 else f"group {group}: "
        lines.append(f"  {label}{sparkline(column, _SPARK_WIDTH)}")
        lines.append(f"  {' ' * len(label)}{_number(column.min())} .. {_number(column.max())} over "
                     f"steps 0..{steps - 1}{binned}")
    return lines


def write_csv(path: str, rates: np.ndarray) -> None:
    """``step,lr`` rows (``step,lr_group0,lr_group1,...`` with several groups), full precision."""
    groups = rates.shape[1]
    header = "step,lr" if groups == 1 else "step," + ",".join(f"lr_group{g}" for g in range(groups))
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(header + "\n")
        for step, row in enumerate(rates.tolist()):
            file.write(f"{step}," + ",".join(repr(value) for value in row) + "\n")


def png_path(path: str) -> str:
    """The file ``--png`` writes: ``path`` when matplotlib knows its suffix, ``path.png`` without one.

    Checked before any work, so that a name like ``plot.txt`` is a usage error (exit 2), not a
    traceback from matplotlib after the report was printed.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if not suffix:
        return path + ".png"  # what matplotlib would write; report the real name
    if suffix not in FigureCanvasBase.get_supported_filetypes():
        raise UsageError(
            f"--png {path}: matplotlib cannot write .{suffix} files; use a name ending in .png "
            "(or .svg, .pdf, .jpg)"
        )
    return path


def _write_png(path: str, scheduler: Any, steps: int, title: str) -> None:
    from matplotlib.figure import Figure

    from genesis.optim.lr_scheduler import plot_schedule

    figure = Figure(figsize=(8, 4.5), layout="tight")
    ax = plot_schedule(scheduler, steps - 1, ax=figure.add_subplot())
    # Two lines hold a SequentialLR's children and its milestones; longer titles are cut.
    ax.set_title("\n".join(textwrap.wrap(title, 100, max_lines=2, placeholder=" ...")), fontsize=9)
    figure.savefig(path, dpi=120)


def run(args: argparse.Namespace) -> int:
    """Print the schedule's key rates and sparkline; write the CSV/PNG asked for."""
    parser = args.lr_parser
    try:
        common, pairs = _split_options(args)
        if common["help"]:
            parser.print_help()
            return 0
        if common["list"]:
            print(catalogue_text())
            return 0
        if common["config"] and (args.name is not None or pairs):
            raise UsageError("--config FILE.json replaces NAME and its arguments; give one or the "
                             "other")
        if args.name is None and not common["config"]:
            raise UsageError("NAME is required: a scheduler class or Hugging Face name (genesis lr --list)")
        if common["png"]:
            _require_matplotlib()
            common["png"] = png_path(common["png"])
        if common["config"]:
            scheduler, title, steps = build_from_config(common)
            defaults, warmup = "", None
        else:
            spec = resolve(args.name)
            scheduler, shown, steps = build(spec, pairs, common)
            title, defaults = _title_and_defaults(spec, shown)
            warmup = warmup_end(spec, scheduler, shown)
        try:
            rates = curve(scheduler, steps)
        except (ValueError, TypeError) as error:
            raise UsageError(with_owner(type(scheduler).__name__, error)) from None
    except UsageError as error:
        parser.error(str(error))  # exits with status 2
    except _MissingMatplotlib as error:
        print(f"genesis lr: error: {error}", file=sys.stderr)
        return 1
    report = _report(title, defaults, rates, warmup, common["lr"] or [DEFAULT_LR])
    print(report)
    try:
        if common["csv"]:
            write_csv(common["csv"], rates)
            print(f"wrote {common['csv']}")
        if common["png"]:
            _write_png(common["png"], scheduler, steps, report.splitlines()[0])
            print(f"wrote {common['png']}")
    except OSError as error:
        print(f"genesis lr: error: cannot write {error.filename}: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise _MissingMatplotlib(
            f"--png needs matplotlib, an optional dependency: {install_hint('plot')}; "
            "or write the curve with --csv FILE"
        ) from None
