"""``genesis lr NAME [--arg value ...] --steps N``: see a learning-rate schedule before training.

NAME is a scheduler class of ``genesis.optim.lr_scheduler`` (``OneCycleLR``) or a Hugging Face
schedule name of ``genesis.optim.get_scheduler`` (``cosine``).  The scheduler is built on a
stand-in SGD optimizer (one tensor per param group) with the given arguments, checked against
its real signature, and its curve comes from ``lr_scheduler.preview``.  The command prints the
rate at key steps and a sparkline, and writes a CSV or PNG on request.

Steps are counted as in a training loop (``for step in range(N): optimizer.step();
scheduler.step()``): the curve holds the N rates that optimizer steps 0..N-1 use, step 0 being
the rate right after construction.  Bad arguments exit with status 2 (argparse's convention);
a PNG or CSV that cannot be written, or a missing matplotlib, exits with 1.
"""
from __future__ import annotations

import argparse
import ast
import difflib
import inspect
import math
import sys
import textwrap
from typing import Any, Callable

import numpy as np

from genesis.utils.sparkline import sparkline

_MAX_STEPS = 10_000_000  # 80 MB of float64 rates per group; a preview needs no more
_SPARK_WIDTH = 60
_DEFAULT_LR = 0.1

# Arguments the command sets itself, or that need Python objects.
_NOT_SETTABLE = {
    "optimizer": "the command builds a stand-in optimizer; set its rate with --lr",
    "last_epoch": "the preview starts from a freshly built scheduler",
    "verbose": "it only prints while stepping",
    "lr_lambda": "it takes a Python function",
    "scale_fn": "it takes a Python function; use --mode triangular|triangular2|exp_range",
}
# Whole schedulers the command cannot build, and why.
_UNAVAILABLE = {
    "LambdaLR": "it takes a Python function (lr_lambda), which cannot be given on the command "
                "line; preview it from Python with genesis.optim.lr_scheduler.preview, or use a "
                "Hugging Face name (genesis lr --list)",
    "MultiplicativeLR": "it takes a Python function (lr_lambda), which cannot be given on the "
                        "command line; preview it from Python with genesis.optim.lr_scheduler.preview",
    "ReduceLROnPlateau": "its rates depend on the metrics passed to step(metrics) during training, "
                         "which are not known in advance",
}
_COMPOSITES = ("SequentialLR", "ChainedScheduler")

_EXAMPLES = """\
examples:
  genesis lr cosine --warmup 500 --steps 10000
  genesis lr OneCycleLR --max_lr 0.1 --total_steps 1000
  genesis lr MultiStepLR --milestones [30,80] --gamma 0.1 --steps 100 --csv multistep.csv
  genesis lr CyclicLR --base_lr 0.001 --max_lr 0.1 --step_size_up 200 --mode triangular2 --steps 1200
  genesis lr warmup_stable_decay --warmup 100 --num_decay_steps 300 --decay_type 1-sqrt --steps 1000
  genesis lr SequentialLR --schedulers "[LinearLR(start_factor=0.01, total_iters=100),
      CosineAnnealingLR(T_max=900)]" --milestones [100] --steps 1000 --png warmup_cosine.png

Argument values are Python literals (1e-3, [30,80], True, None) or plain words (cos).
SequentialLR and ChainedScheduler take --schedulers as a list of calls of the classes above,
with keyword arguments only.  LambdaLR and MultiplicativeLR (Python functions) and
ReduceLROnPlateau (rates that depend on metrics) cannot be previewed from the command line.
"""


class UsageError(Exception):
    """A bad command line; reported by argparse with exit status 2."""


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
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {text!r}")
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
}


def register(subparsers: Any) -> None:
    """Add ``lr``: preview a learning-rate schedule."""
    parser = subparsers.add_parser(
        "lr",
        help="preview a learning-rate schedule: key rates, a sparkline, CSV or PNG",
        usage="genesis lr NAME [--arg value ...] [--steps N] [--lr BASE] [--warmup N] "
              "[--png FILE] [--csv FILE]\n       genesis lr --list",
        description=textwrap.fill(
            "Show the learning rate a schedule sets at each step: the rate at the start, the end "
            "of warmup, the middle, the end, the minimum and maximum, and a sparkline of the "
            "whole curve.  The scheduler is built on a stand-in optimizer with one param group "
            "at rate --lr and the curve is read with genesis.optim.lr_scheduler.preview.  "
            "N steps show the rates optimizer steps 0..N-1 use: step 0 is the rate right after "
            "the scheduler is built, step k the rate after k calls of scheduler.step().", 100
        ) + "\n\n" + _catalogue_text(),
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
                        help=f"the optimizer's rate (default {_DEFAULT_LR}); 0.1,0.01 makes two "
                             "param groups.  OneCycleLR's max_lr defaults to it; CyclicLR and "
                             "OneCycleLR then set their own rates")
    parser.add_argument("--warmup", type=_warmup_value, metavar="N",
                        help="Hugging Face names: num_warmup_steps (default 0); their "
                             "num_training_steps defaults to --steps")
    parser.add_argument("--png", metavar="FILE", help="write a plot of the curve (needs matplotlib)")
    parser.add_argument("--csv", metavar="FILE",
                        help="write 'step,lr' rows (one lr column per param group if several)")
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


_BARE = object()


def _literal(text: str | None) -> Any:
    """A Python literal (``1e-3``, ``[30, 80]``, ``True``), else the text itself (``cos``).

    A bare ``--name`` (no text) gives ``_BARE``, which only a bool argument accepts (as True).
    """
    if text is None:
        return _BARE
    spelled = {"true": "True", "false": "False", "none": "None"}.get(text.strip().lower(), text)
    try:
        return ast.literal_eval(spelled)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


# --- what NAME means ---------------------------------------------------------------------------------


def _scheduler_classes() -> dict[str, type]:
    from genesis.optim import lr_scheduler

    classes = {}
    for name in lr_scheduler.__all__:
        value = getattr(lr_scheduler, name)
        if isinstance(value, type) and name not in ("LRScheduler", "_LRScheduler", "LRList"):
            classes[name] = value
    return classes


def _hf_factories() -> dict[str, Callable]:
    from genesis.optim import hf

    return dict(hf._FACTORIES)  # the table get_scheduler reads


class _Spec:
    """A resolved NAME: a scheduler class or a Hugging Face name with its factory."""

    def __init__(self, name: str, target: Any, is_hf: bool) -> None:
        self.name = name
        self.target = target
        self.is_hf = is_hf

    def title(self) -> str:
        return f"{self.name} = {self.target.__name__}" if self.is_hf else self.name


def _resolve(name: str) -> _Spec:
    """The scheduler NAME designates, exactly or ignoring case and ``-``/``_``; else a UsageError."""
    classes, factories = _scheduler_classes(), _hf_factories()
    if name in classes:
        return _check_available(_Spec(name, classes[name], False))
    if name in factories:
        return _check_available(_Spec(name, factories[name], True))
    key = name.lower().replace("-", "_")
    loose = {cls.lower(): _Spec(cls, target, False) for cls, target in classes.items()}
    for hf_name, factory in factories.items():
        loose[hf_name] = loose[factory.__name__.lower()] = _Spec(hf_name, factory, True)
    if key in loose:
        return _check_available(loose[key])
    close = difflib.get_close_matches(name, [*classes, *factories], n=3, cutoff=0.6)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    raise UsageError(
        f"unknown scheduler {name!r}{hint}; valid names: {', '.join(classes)}; Hugging Face names: "
        f"{', '.join(factories)} (genesis lr --list shows their arguments)"
    )


def _check_available(spec: _Spec) -> _Spec:
    name = "ReduceLROnPlateau" if spec.name == "reduce_lr_on_plateau" else spec.name
    if name in _UNAVAILABLE:
        raise UsageError(f"{spec.name} cannot be previewed from the command line: {_UNAVAILABLE[name]}")
    return spec


def _parameters(target: Any) -> dict[str, inspect.Parameter]:
    """The arguments of ``target`` a user may set here, in signature order."""
    return {
        name: parameter for name, parameter in inspect.signature(target).parameters.items()
        if name not in _NOT_SETTABLE and parameter.kind is not inspect.Parameter.VAR_KEYWORD
    }


# What the command fills in for the Hugging Face factories' step counts.
_HF_FILLED = {"num_warmup_steps": "--warmup, default 0", "num_training_steps": "default --steps"}


def _usage_of(parameters: dict[str, inspect.Parameter], is_hf: bool = False) -> str:
    """``--T_max (required), --eta_min=0.0`` for a signature."""
    parts = []
    for name, parameter in parameters.items():
        if is_hf and name in _HF_FILLED:
            parts.append(f"--{name} ({_HF_FILLED[name]})")
        elif parameter.default is inspect.Parameter.empty:
            parts.append(f"--{name} (required)")
        else:
            parts.append(f"--{name}={parameter.default!r}")
    return ", ".join(parts) or "(none)"


def _catalogue_text() -> str:
    """The schedulers and Hugging Face names with their arguments (``--help`` and ``--list``)."""
    lines = ["scheduler classes (arguments with their defaults):"]
    for name, cls in _scheduler_classes().items():
        if name in _UNAVAILABLE:
            lines.append(f"  {name}: not from the command line")
        elif name in _COMPOSITES:
            lines.append(f"  {name}: {_usage_of(_parameters(cls))}  (see the examples)")
        else:
            lines.append(f"  {name}: {_usage_of(_parameters(cls))}")
    lines.append("Hugging Face names (genesis.optim.get_scheduler; --warmup N = --num_warmup_steps, "
                 "num_training_steps defaults to --steps):")
    for name, factory in _hf_factories().items():
        if name == "reduce_lr_on_plateau":
            lines.append(f"  {name}: not from the command line (depends on metrics)")
            continue
        lines.append(f"  {name}: {_usage_of(_parameters(factory), is_hf=True)}")
    return "\n".join(textwrap.fill(line, 100, subsequent_indent="      ") for line in lines)


# --- building the scheduler ---------------------------------------------------------------------------


def _stand_in_optimizer(rates: list[float]) -> Any:
    """An SGD with momentum (cyclic schedulers cycle it) and one 1-element tensor per group."""
    import genesis
    from genesis.optim import SGD

    groups = [{"params": [genesis.zeros(1, requires_grad=True)], "lr": rate} for rate in rates]
    return SGD(groups, lr=rates[0], momentum=0.9)


def _check_arguments(owner: str, parameters: dict[str, inspect.Parameter], given: dict[str, Any],
                     is_hf: bool = False) -> None:
    """Unknown names, Python objects and words where a number belongs: UsageErrors naming them."""
    for name, value in given.items():
        if name in _NOT_SETTABLE:
            raise UsageError(f"{owner}: --{name} cannot be set from the command line: {_NOT_SETTABLE[name]}")
        if name not in parameters:
            close = difflib.get_close_matches(name, list(parameters), n=1)
            hint = f" (did you mean --{close[0]}?)" if close else ""
            raise UsageError(
                f"{owner} has no argument --{name}{hint}; its arguments are: {_usage_of(parameters, is_hf)}"
            )
        if value is _BARE:
            if not isinstance(parameters[name].default, bool):
                raise UsageError(f"{owner}: --{name} needs a value")
            given[name] = True
        annotation = str(parameters[name].annotation)
        if isinstance(value, str) and "str" not in annotation and name != "schedulers":
            raise UsageError(f"{owner}: --{name} expects {annotation}, got {value!r}")


def _check_required(owner: str, parameters: dict[str, inspect.Parameter], given: dict[str, Any],
                    is_hf: bool = False) -> None:
    missing = [name for name, parameter in parameters.items()
               if parameter.default is inspect.Parameter.empty and name not in given]
    if missing:
        flags = ", ".join(f"--{name}" for name in missing)
        raise UsageError(f"{owner} needs {flags} (required); its arguments are: {_usage_of(parameters, is_hf)}")


class _Call:
    """A child scheduler of a composite, shown as the call that built it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _children(text: Any, optimizer: Any, common: dict[str, Any]) -> tuple[list[Any], _Call]:
    """Build ``--schedulers "[LinearLR(total_iters=10), CosineAnnealingLR(T_max=90)]"``."""
    try:
        tree = ast.parse(str(text), mode="eval").body
    except SyntaxError:
        tree = None
    if not isinstance(tree, (ast.List, ast.Tuple)) or not tree.elts:
        raise UsageError(
            "--schedulers must be a list of scheduler calls with keyword arguments, e.g. "
            f"\"[LinearLR(start_factor=0.1, total_iters=10), CosineAnnealingLR(T_max=90)]\", got {text!r}"
        )
    classes = _scheduler_classes()
    built, shown = [], []
    for node in tree.elts:
        name = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None
        if name not in classes or name in _UNAVAILABLE or name in _COMPOSITES or node.args:
            raise UsageError(
                f"--schedulers: {ast.unparse(node)!r} is not a call of a scheduler class with keyword "
                f"arguments; classes allowed here: "
                f"{', '.join(n for n in classes if n not in _UNAVAILABLE and n not in _COMPOSITES)}"
            )
        given = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise UsageError(f"--schedulers: {name}(**...) is not allowed; write each argument as name=value")
            try:
                given[keyword.arg] = ast.literal_eval(keyword.value)
            except ValueError:
                raise UsageError(
                    f"--schedulers: {name}({keyword.arg}=...) must be a Python literal, got "
                    f"{ast.unparse(keyword.value)!r}"
                ) from None
        parameters = _parameters(classes[name])
        _check_arguments(name, parameters, given)
        _defaults_from_common(name, given, common)
        _check_required(name, parameters, given)
        built.append(_construct(name, classes[name], optimizer, given))
        shown.append(_Call(f"{name}({', '.join(f'{k}={v!r}' for k, v in given.items())})"))
    return built, _Call(repr(shown))


def _defaults_from_common(name: str, given: dict[str, Any], common: dict[str, Any]) -> None:
    """OneCycleLR's max_lr defaults to --lr and its total_steps to --steps."""
    if name != "OneCycleLR":
        return
    rates = common["lr"] or [_DEFAULT_LR]
    given.setdefault("max_lr", rates[0] if len(rates) == 1 else rates)
    if not {"total_steps", "epochs", "steps_per_epoch"} & given.keys() and common["steps"]:
        given["total_steps"] = common["steps"]


def _construct(owner: str, target: Any, optimizer: Any, given: dict[str, Any]) -> Any:
    """``target(optimizer=optimizer, **given)``; its ValueError/TypeError becomes a UsageError."""
    try:
        return target(optimizer=optimizer, **given)
    except (ValueError, TypeError) as error:
        raise UsageError(_prefixed(owner, error)) from None


def _prefixed(owner: str, error: Exception) -> str:
    """The error's message, after ``owner: `` unless it already starts with the name."""
    text = str(error)
    return text if text.startswith(owner) else f"{owner}: {text}"


def _build(spec: _Spec, pairs: list[tuple[str, str | None]], common: dict[str, Any]) -> tuple[Any, dict[str, Any], int]:
    """The scheduler, the arguments it was given (shown in the header) and the number of steps."""
    parameters = _parameters(spec.target)
    given: dict[str, Any] = {}
    for name, text in pairs:
        if name in given:
            raise UsageError(f"--{name} given twice")
        given[name] = _literal(text)
    _check_arguments(spec.name, parameters, given, spec.is_hf)
    optimizer = _stand_in_optimizer(common["lr"] or [_DEFAULT_LR])
    if spec.is_hf:
        _hf_defaults(spec.name, parameters, given, common)
    else:
        _defaults_from_common(spec.name, given, common)
    steps = common["steps"] or _natural_length(spec.name, given)
    if steps is None:
        raise UsageError(f"--steps N is required for {spec.name}: how many steps to show")
    _check_required(spec.name, parameters, given, spec.is_hf)
    shown = dict(given)
    if spec.name in _COMPOSITES:
        given["schedulers"], shown["schedulers"] = _children(given["schedulers"], optimizer, common)
    return _construct(spec.name, spec.target, optimizer, given), shown, steps


def _hf_defaults(name: str, parameters: dict[str, inspect.Parameter], given: dict[str, Any],
                 common: dict[str, Any]) -> None:
    """--warmup is num_warmup_steps (default 0); num_training_steps defaults to --steps."""
    warmup = common["warmup"]
    if "num_warmup_steps" not in parameters:
        if warmup is not None:
            raise UsageError(f"{name} has no warmup (--warmup {warmup}); try constant_with_warmup")
        return
    if warmup is not None and given.get("num_warmup_steps", warmup) != warmup:
        raise UsageError(f"--warmup {warmup} and --num_warmup_steps {given['num_warmup_steps']!r} disagree")
    given.setdefault("num_warmup_steps", 0 if warmup is None else warmup)
    # warmup_stable_decay sized by num_stable_steps needs no num_training_steps
    if "num_training_steps" in parameters and "num_stable_steps" not in given and common["steps"]:
        given.setdefault("num_training_steps", common["steps"])


def _natural_length(name: str, given: dict[str, Any]) -> int | None:
    """The schedule's own length when --steps is not given: total_steps, num_training_steps..."""
    def count(key: str) -> int | None:
        value = given.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None

    if name == "OneCycleLR":
        if count("total_steps"):
            return count("total_steps")
        if count("epochs") and count("steps_per_epoch"):
            return count("epochs") * count("steps_per_epoch")
    if count("num_training_steps"):
        return count("num_training_steps")
    if name == "warmup_stable_decay" and "num_stable_steps" in given:
        parts = [given.get(key, 0) for key in ("num_warmup_steps", "num_stable_steps", "num_decay_steps")]
        if all(isinstance(part, int) and part >= 0 for part in parts) and sum(parts) > 0:
            return sum(parts)
    return None


def _warmup_end(spec: _Spec, scheduler: Any, given: dict[str, Any]) -> int | None:
    """The first step at or after the end of warmup, for schedules that have one."""
    from genesis.optim import schedules

    if spec.is_hf:
        warmup = given.get("num_warmup_steps", 0)
        return warmup if warmup > 0 else None
    if spec.name == "OneCycleLR":
        rise = schedules.one_cycle_phases(scheduler.total_steps, given.get("pct_start", 0.3))[0][0]
        return max(0, math.ceil(rise))
    return None


# --- output -------------------------------------------------------------------------------------------


def curve(scheduler: Any, steps: int) -> np.ndarray:
    """The ``(steps, num_groups)`` rates optimizer steps ``0..steps-1`` use (row 0: the current rates)."""
    from genesis.optim.lr_scheduler import preview

    current = [float(group["lr"]) for group in scheduler.optimizer.param_groups]
    return np.vstack([np.array([current]), preview(scheduler, steps - 1)])


def _number(value: float) -> str:
    return f"{value:.6g}"


_COLUMN = 12  # width of one group's rate column


def _report(spec: _Spec, shown: dict[str, Any], rates: np.ndarray, warmup_end: int | None,
            base: list[float]) -> str:
    """The header, the key-step table and the sparklines, as printed."""
    return "\n".join([*_header(spec, shown, rates.shape, base), "", *_table(rates, warmup_end), "",
                      *_sparklines(rates)])


def _header(spec: _Spec, shown: dict[str, Any], shape: tuple[int, int], base: list[float]) -> list[str]:
    steps, groups = shape
    arguments = ", ".join(f"{name}={value!r}" for name, value in shown.items())
    defaults = ", ".join(f"{name}={p.default!r}" for name, p in _parameters(spec.target).items()
                         if name not in shown and p.default is not inspect.Parameter.empty)
    lines = [f"{spec.title()}({arguments})"]
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


def _write_png(path: str, scheduler: Any, steps: int, title: str) -> None:
    from matplotlib.figure import Figure

    from genesis.optim.lr_scheduler import plot_schedule

    figure = Figure(figsize=(8, 4.5), layout="tight")
    ax = plot_schedule(scheduler, steps - 1, ax=figure.add_subplot())
    ax.set_title(textwrap.shorten(title, 110, placeholder=" ..."), fontsize=9)
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
            print(_catalogue_text())
            return 0
        if args.name is None:
            raise UsageError("NAME is required: a scheduler class or Hugging Face name (genesis lr --list)")
        spec = _resolve(args.name)
        if common["png"]:
            _require_matplotlib()
        scheduler, shown, steps = _build(spec, pairs, common)
        try:
            rates = curve(scheduler, steps)
        except (ValueError, TypeError) as error:
            raise UsageError(_prefixed(spec.name, error)) from None
    except UsageError as error:
        parser.error(str(error))  # exits with status 2
    except _MissingMatplotlib as error:
        print(f"genesis lr: error: {error}", file=sys.stderr)
        return 1
    report = _report(spec, shown, rates, _warmup_end(spec, scheduler, shown),
                     common["lr"] or [_DEFAULT_LR])
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
            "--png needs matplotlib, an optional dependency: pip install genesis[plot] "
            "(or write the curve with --csv FILE)"
        ) from None
