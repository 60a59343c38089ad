"""Module-level forms of Tensor methods: ``genesis.exp(x)``, ``genesis.sum(x, dim=1)``, ...

Each is the Tensor method of the same name (PyTorch's ``torch.exp(x)`` is ``x.exp()``).
"""
from __future__ import annotations

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
amax = _method("amax")
amin = _method("amin")
argmax = _method("argmax")
argmin = _method("argmin")
clamp = _method("clamp")
clip = _method("clip")
cos = _method("cos")
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
permute = _method("permute")
_pow = _method("pow")


def pow(input, exponent):  # noqa: A001 - PyTorch's names
    """``genesis.pow(input, exponent)`` is ``input ** exponent``; ``input`` may be a number when
    ``exponent`` is a tensor, as in PyTorch."""
    if not isinstance(input, Tensor) and isinstance(exponent, Tensor):
        return exponent.__rpow__(input)
    return _pow(input, exponent)


relu = _method("relu")
reshape = _method("reshape")
sigmoid = _method("sigmoid")
sign = _method("sign")
sin = _method("sin")
softmax = _method("softmax")
sqrt = _method("sqrt")
squeeze = _method("squeeze")
std = _method("std")
sum = _method("sum")  # noqa: A001
take_along_dim = _method("take_along_dim")
tanh = _method("tanh")
transpose = _method("transpose")
unsqueeze = _method("unsqueeze")
var = _method("var")
