"""Module-level forms of Tensor methods: ``genesis.exp(x)``, ``genesis.sum(x, dim=1)``, ...

Each is the Tensor method of the same name (PyTorch's ``torch.exp(x)`` is ``x.exp()``), except
the functions PyTorch has no method for, written out below (``einsum``).
"""
from __future__ import annotations

import builtins
import string

from . import ops
from .mixed_precision import autocast_inputs
from .tensor import Tensor


def _method(name: str):
    unbound = getattr(Tensor, name)

    def function(input: Tensor, *args, **kwargs):  # noqa: A002 - PyTorch's argument name
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be a Tensor, got "
                            f"{type(input).__name__}")
        return unbound(input, *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``genesis.{name}(input, ...)`` is ``input.{name}(...)``: " + (
        (unbound.__doc__ or "").strip().splitlines() or [""])[0]
    return function


abs = _method("abs")  # noqa: A001 - PyTorch's names shadow builtins on purpose
bernoulli = _method("bernoulli")
index_select = _method("index_select")
isfinite = _method("isfinite")
isinf = _method("isinf")
isnan = _method("isnan")
masked_fill = _method("masked_fill")
multinomial = _method("multinomial")
narrow = _method("narrow")
topk = _method("topk")
tril = _method("tril")
triu = _method("triu")
amax = _method("amax")
amin = _method("amin")
argmax = _method("argmax")
argmin = _method("argmin")
clamp = _method("clamp")
clip = _method("clip")
cos = _method("cos")
diagonal = _method("diagonal")
erf = _method("erf")
exp = _method("exp")
expm1 = _method("expm1")
flatten = _method("flatten")
gather = _method("gather")
log = _method("log")
log1p = _method("log1p")
log_softmax = _method("log_softmax")
logsumexp = _method("logsumexp")
matmul = _method("matmul")
max = _method("max")  # noqa: A001
maximum = _method("maximum")
mean = _method("mean")
min = _method("min")  # noqa: A001
minimum = _method("minimum")
moveaxis = _method("moveaxis")
movedim = _method("movedim")
permute = _method("permute")
_pow = _method("pow")


def pow(input, exponent):  # noqa: A001 - PyTorch's names
    """``genesis.pow(input, exponent)`` is ``input ** exponent``; ``input`` may be a number when
    ``exponent`` is a tensor, as in PyTorch."""
    if not isinstance(input, Tensor) and isinstance(exponent, Tensor):
        return exponent.__rpow__(input)
    return _pow(input, exponent)


relu = _method("relu")
select = _method("select")
reshape = _method("reshape")
sigmoid = _method("sigmoid")
sign = _method("sign")
sin = _method("sin")
softmax = _method("softmax")
sqrt = _method("sqrt")
squeeze = _method("squeeze")
std = _method("std")
sum = _method("sum")  # noqa: A001
swapaxes = _method("swapaxes")
swapdims = _method("swapdims")
take_along_dim = _method("take_along_dim")
tanh = _method("tanh")
tile = _method("tile")
transpose = _method("transpose")
unbind = _method("unbind")
unsqueeze = _method("unsqueeze")
var = _method("var")


def einsum(equation: str, *operands) -> Tensor:
    """Sum of products over the indices of ``equation`` (NumPy's and PyTorch's notation):
    ``einsum("ij,jk->ik", a, b)`` is ``a @ b``; ``...`` stands for broadcast dimensions;
    without ``->`` the output holds the indices that appear once, in alphabetical order.
    Operands may also come as one list. Differentiable; a matmul-like op under autocast.

    Example::

        >>> a, b = genesis.ones(2, 3), genesis.ones(3, 4)
        >>> trace = genesis.einsum("ii", genesis.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> genesis.einsum("ij,jk->ik", a, b).shape, trace.item()
        (genesis.Size([2, 4]), 5.0)
    """
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' must be str, not "
                        f"{type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, operand in enumerate(operands):
        if not isinstance(operand, Tensor):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, got "
                            f"{type(operand).__name__}")
    if len({t._array.dtype for t in operands}) > 1:
        raise RuntimeError(f"einsum(): operands must have the same dtype, got "
                           f"{[str(t.dtype) for t in operands]}")
    terms, out = _einsum_subscripts(equation, [t._array.shape for t in operands])
    return ops.einsum(terms, out, autocast_inputs("lower", *operands))


def _einsum_subscripts(equation: str, shapes) -> tuple[list[str], str]:
    """Explicit subscripts (ellipses replaced by unused letters) and the output's, with
    PyTorch's errors for equations that do not fit the operands."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        more = "more" if len(shapes) > len(terms) else "fewer"
        raise RuntimeError(f"einsum(): {more} operands were provided than specified in the "
                           f"equation")
    for term in terms + ([out] if arrow else []):
        bad = [c for c in term.replace("...", "") if c not in string.ascii_letters]
        if bad or term.replace("...", "").count(".") or term.count("...") > 1:
            raise RuntimeError(f"einsum(): invalid subscript given in the equation "
                               f"{equation!r}: subscripts must be letters and at most one "
                               f"ellipsis per term")
    free = iter(c for c in string.ascii_letters if c not in eq)
    widths = [len(shape) - len(term.replace("...", "")) for term, shape in zip(terms, shapes)]
    ellipsis = "".join(next(free) for _ in range(builtins.max(
        [w for w, t in zip(widths, terms) if "..." in t], default=0)))
    explicit, sizes = [], {}
    for i, (term, shape, width) in enumerate(zip(terms, shapes, widths)):
        if "..." in term:
            if width < 0:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(term) - 3}) is more than the number of dimensions "
                                   f"({len(shape)}) for operand {i}")
            term = term.replace("...", ellipsis[len(ellipsis) - width:])
        elif width != 0:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(term)}) does not match the number of dimensions "
                               f"({len(shape)}) for operand {i} and no ellipsis was given")
        for position, (c, n) in enumerate(zip(term, shape)):
            first = term.index(c)
            if first < position:
                if n != shape[first]:
                    raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but "
                                       f"the sizes don't match, {shape[first]} != {n}")
                continue
            seen = sizes.setdefault(c, n)
            if n != seen and 1 not in (n, seen):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which "
                                   f"does not broadcast with previously seen size {seen}")
            sizes[c] = builtins.max(seen, n)
        explicit.append(term)
    if arrow:
        out = out.replace("...", ellipsis)
        for c in out:
            if c not in sizes:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   f"equation for any input operand")
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   f"the output")
    else:
        counts = "".join(terms).replace("...", "")
        out = ellipsis + "".join(sorted(c for c in set(counts) if counts.count(c) == 1))
    return explicit, out
