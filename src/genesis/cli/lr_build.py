"""What ``genesis lr`` builds: NAME and its ``--arg value`` pairs checked and turned into a scheduler.

NAME is a class of ``genesis.optim.lr_scheduler`` or a Hugging Face name of
``genesis.optim.get_scheduler``; every argument is checked against the real signature, values
are Python literals, and bad input is a ``UsageError`` naming the argument (the command reports it
with exit status 2).  The scheduler drives a stand-in SGD optimizer, one tensor per param group.
"""
from __future__ import annotations

import ast
import difflib
import inspect
import math
import textwrap
from typing import Any, Callable

DEFAULT_LR = 0.1  # the stand-in optimizer's rate without --lr

# Arguments the command sets itself, or that need Python objects.
_NOT_SETTABLE = {
    "optimizer": "the command builds a stand-in optimizer; set its rate with --lr",
    "last_epoch": "the preview starts from a freshly built scheduler",
    "verbose": "it only prints while stepping",
    "lr_lambda": "it takes a Python function",
    "scale_fn": "it takes a Python function; use --mode triangular|triangular2|exp_range",
    "field": "the command shows the learning rate (a config file may drive another field)",
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


class UsageError(Exception):
    """A bad command line; reported by argparse with exit status 2."""


_BARE = object()


def _literal(text: str | None) -> Any:
    """A Python literal (``1e-3``, ``30,80``, ``[30, 80]``, ``True``), else the text (``cos``).

    A list may be written without brackets, ``30,80`` (brackets are a glob pattern to the
    shell); comma-separated values become a list.  A bare ``--name`` (no text) gives ``_BARE``,
    which only a bool argument accepts (as True).
    """
    if text is None:
        return _BARE
    spelled = {"true": "True", "false": "False", "none": "None"}.get(text.strip().lower(), text)
    try:
        value = ast.literal_eval(spelled)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    return list(value) if isinstance(value, tuple) else value


def _as_list_where_expected(parameters: dict[str, inspect.Parameter],
                            given: dict[str, Any]) -> None:
    """``--milestones 100`` for a parameter that only takes a list: one number is a list of one."""
    for name, value in given.items():
        annotation = str(parameters[name].annotation) if name in parameters else ""
        takes_only_lists = (annotation.startswith(("Iterable[", "Sequence[", "list["))
                            and "|" not in annotation)
        if takes_only_lists and isinstance(value, (int, float)) and not isinstance(value, bool):
            given[name] = [value]


# --- what NAME means ---------------------------------------------------------------------------------


def _scheduler_classes() -> dict[str, type]:
    from genesis.optim import lr_scheduler

    return {name: value for name, value in vars(lr_scheduler).items()
            if isinstance(value, type) and issubclass(value, lr_scheduler.LRScheduler)
            and name in lr_scheduler.__all__ and name not in ("LRScheduler", "_LRScheduler")}


def _hf_factories() -> dict[str, Callable]:
    from genesis.optim.lr_scheduler import hf

    return dict(hf.SCHEDULER_FACTORIES)  # the table get_scheduler reads


class Spec:
    """A resolved NAME: a scheduler class or a Hugging Face name with its factory."""

    def __init__(self, name: str, target: Any, is_hf: bool) -> None:
        self.name = name
        self.target = target
        self.is_hf = is_hf

    def title(self) -> str:
        """``OneCycleLR``, or ``cosine = get_cosine_schedule_with_warmup`` for a Hugging Face name."""
        return f"{self.name} = {self.target.__name__}" if self.is_hf else self.name


def resolve(name: str) -> Spec:
    """The scheduler NAME designates, exactly or ignoring case and ``-``/``_``; else a UsageError."""
    classes, factories = _scheduler_classes(), _hf_factories()
    if name in classes:
        return _check_available(Spec(name, classes[name], False))
    if name in factories:
        return _check_available(Spec(name, factories[name], True))
    key = name.lower().replace("-", "_")
    loose = {cls.lower(): Spec(cls, target, False) for cls, target in classes.items()}
    for hf_name, factory in factories.items():
        loose[hf_name] = loose[factory.__name__.lower()] = Spec(hf_name, factory, True)
    if key in loose:
        return _check_available(loose[key])
    close = difflib.get_close_matches(name, [*classes, *factories], n=3, cutoff=0.6)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    raise UsageError(
        f"unknown scheduler {name!r}{hint}; valid names: {', '.join(classes)}; Hugging Face names: "
        f"{', '.join(factories)} (genesis lr --list shows their arguments)"
    )


def _check_available(spec: Spec) -> Spec:
    name = "ReduceLROnPlateau" if spec.name == "reduce_lr_on_plateau" else spec.name
    if name in _UNAVAILABLE:
        raise UsageError(f"{spec.name} cannot be previewed from the command line: {_UNAVAILABLE[name]}")
    return spec


def parameters_of(target: Any) -> dict[str, inspect.Parameter]:
    """The arguments of ``target`` a user may set here, in signature order."""
    return {
        name: parameter for name, parameter in inspect.signature(target).parameters.items()
        if name not in _NOT_SETTABLE and parameter.kind is not inspect.Parameter.VAR_KEYWORD
    }


# What the command fills in for the Hugging Face factories' step counts.
_HF_FILLED = {"num_warmup_steps": "--warmup, default 0", "num_training_steps": "default --steps"}
# The same for the classes (see _defaults_from_common).
_CLASS_FILLED = {"OneCycleLR": {"max_lr": "default --lr"}}


def _usage_of(parameters: dict[str, inspect.Parameter], owner: str = "", is_hf: bool = False) -> str:
    """``--T_max (required), --eta_min=0.0`` for ``owner``'s signature."""
    filled = _HF_FILLED if is_hf else _CLASS_FILLED.get(owner, {})
    parts = []
    for name, parameter in parameters.items():
        if name in filled:
            parts.append(f"--{name} ({filled[name]})")
        elif parameter.default is inspect.Parameter.empty:
            parts.append(f"--{name} (required)")
        else:
            parts.append(f"--{name}={parameter.default!r}")
    return ", ".join(parts) or "(none)"


def catalogue_text() -> str:
    """The schedulers and Hugging Face names with their arguments (``--help`` and ``--list``)."""
    lines = ["scheduler classes (arguments with their defaults):"]
    for name, cls in _scheduler_classes().items():
        if name in _UNAVAILABLE:
            lines.append(f"  {name}: not from the command line")
        elif name in _COMPOSITES:
            lines.append(f"  {name}: {_usage_of(parameters_of(cls), name)}  (see the examples)")
        else:
            lines.append(f"  {name}: {_usage_of(parameters_of(cls), name)}")
    lines.append("Hugging Face names (genesis.optim.get_scheduler; --warmup N = --num_warmup_steps, "
                 "num_training_steps defaults to --steps):")
    for name, factory in _hf_factories().items():
        if name == "reduce_lr_on_plateau":
            lines.append(f"  {name}: not from the command line (depends on metrics)")
            continue
        lines.append(f"  {name}: {_usage_of(parameters_of(factory), name, is_hf=True)}")
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
                f"{owner} has no argument --{name}{hint}; its arguments are: {_usage_of(parameters, owner, is_hf)}"
            )
        if value is _BARE:
            if not isinstance(parameters[name].default, bool):
                raise UsageError(f"{owner}: --{name} needs a value")
            given[name] = True
        annotation = parameters[name].annotation
        if annotation is inspect.Parameter.empty or name == "schedulers":
            continue  # nothing to check against; --schedulers is parsed as calls later
        if isinstance(value, str) and "str" not in str(annotation):
            raise UsageError(f"{owner}: --{name} expects {annotation}, got {value!r}")


def _check_required(owner: str, parameters: dict[str, inspect.Parameter], given: dict[str, Any],
                    is_hf: bool = False) -> None:
    missing = [name for name, parameter in parameters.items()
               if parameter.default is inspect.Parameter.empty and name not in given]
    if missing:
        flags = ", ".join(f"--{name}" for name in missing)
        raise UsageError(f"{owner} needs {flags} (required); its arguments are: "
                         f"{_usage_of(parameters, owner, is_hf)}")


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
        parameters = parameters_of(classes[name])
        _check_arguments(name, parameters, given)
        _defaults_from_common(name, given, common)
        _check_required(name, parameters, given)
        built.append(_construct(name, classes[name], optimizer, given))
        arguments = _in_signature_order(parameters, given)
        shown.append(_Call(f"{name}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})"))
    return built, _Call(repr(shown))


def _in_signature_order(parameters: dict[str, inspect.Parameter], given: dict[str, Any]) -> dict[str, Any]:
    return {name: given[name] for name in parameters if name in given}


def _defaults_from_common(name: str, given: dict[str, Any], common: dict[str, Any]) -> None:
    """OneCycleLR's max_lr defaults to --lr and its total_steps to --steps."""
    if name != "OneCycleLR":
        return
    rates = common["lr"] or [DEFAULT_LR]
    given.setdefault("max_lr", rates[0] if len(rates) == 1 else rates)
    if not {"total_steps", "epochs", "steps_per_epoch"} & given.keys() and common["steps"]:
        given["total_steps"] = common["steps"]


def _construct(owner: str, target: Any, optimizer: Any, given: dict[str, Any]) -> Any:
    """``target(optimizer=optimizer, **given)``; its ValueError/TypeError becomes a UsageError."""
    try:
        return target(optimizer=optimizer, **given)
    except (ValueError, TypeError) as error:
        raise UsageError(with_owner(owner, error)) from None


def with_owner(owner: str, error: Exception) -> str:
    """The error's message, after ``owner: `` unless it already starts with the name."""
    text = str(error)
    return text if text.startswith(owner) else f"{owner}: {text}"


def build(spec: Spec, pairs: list[tuple[str, str | None]], common: dict[str, Any]) -> tuple[Any, dict[str, Any], int]:
    """The scheduler, the arguments it was given (shown in the header) and the number of steps."""
    parameters = parameters_of(spec.target)
    given: dict[str, Any] = {}
    for name, text in pairs:
        if name in given:
            raise UsageError(f"--{name} given twice")
        given[name] = _literal(text)
    _check_arguments(spec.name, parameters, given, spec.is_hf)
    _as_list_where_expected(parameters, given)
    optimizer = _stand_in_optimizer(common["lr"] or [DEFAULT_LR])
    if spec.is_hf:
        _hf_defaults(spec.name, parameters, given, common)
    else:
        _defaults_from_common(spec.name, given, common)
    steps = common["steps"] or _natural_length(spec.name, given)
    if steps is None:
        raise UsageError(f"--steps N is required for {spec.name}: how many steps to show")
    _check_required(spec.name, parameters, given, spec.is_hf)
    shown = _in_signature_order(parameters, given)
    if spec.name in _COMPOSITES:
        given["schedulers"], shown["schedulers"] = _children(given["schedulers"], optimizer, common)
    return _construct(spec.name, spec.target, optimizer, given), shown, steps


def build_from_config(common: dict[str, Any]) -> tuple[Any, str, int]:
    """The scheduler of ``--config FILE.json`` on the stand-in optimizer, its title, the steps."""
    import json

    from genesis.optim.lr_scheduler import describe, from_config

    path = common["config"]
    try:
        with open(path, encoding="utf-8") as file:
            config = json.load(file)
    except OSError as error:
        raise UsageError(f"--config {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise UsageError(f"--config {path}: not JSON ({error})") from None
    try:
        scheduler = from_config(_stand_in_optimizer(common["lr"] or [DEFAULT_LR]), config)
    except (ValueError, TypeError) as error:
        raise UsageError(f"--config {path}: {error}") from None
    steps = common["steps"] or _length_in(config)
    if steps is None:
        raise UsageError(f"--steps N is required for --config {path}: how many steps to show")
    return scheduler, describe(config), steps


def _length_in(config: Any) -> int | None:
    """The first total_steps or num_training_steps in a definition, its natural length."""
    if isinstance(config, dict):
        for key in ("total_steps", "num_training_steps"):
            value = config.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
        config = list(config.values())
    if isinstance(config, list):
        return next((n for n in map(_length_in, config) if n is not None), None)
    return None


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


def warmup_end(spec: Spec, scheduler: Any, given: dict[str, Any]) -> int | None:
    """The first step at or after the end of warmup, for schedules that have one."""
    from genesis.optim.lr_scheduler import schedules

    if spec.is_hf:
        warmup = given.get("num_warmup_steps", 0)
        return warmup if warmup > 0 else None
    if spec.name == "OneCycleLR":
        rise = schedules.one_cycle_phases(scheduler.total_steps, given.get("pct_start", 0.3))[0][0]
        return max(0, math.ceil(rise))
    return None
