"""Genesis's version, and the PyTorch version whose API it follows.

Libraries branch on ``torch.__version__`` (pytorch-lr-finder takes a legacy path below 1.1 and
then shifts every rate by one step). ``packaging.version.parse`` reads the *characters* of the
version string, so no object can make Genesis's own number "0.1.0" compare as PyTorch's: the
text itself has to say which PyTorch behaviour to expect. Genesis therefore writes its version
the way PyTorch writes build variants ("2.13.0+cpu"): the public part is the PyTorch release
whose API and numbers Genesis follows, the local label is Genesis's own release::

    genesis.__version__          '2.13.0+genesis.0.1.0'
    genesis.version.torch_version   '2.13.0'   (what scripts compare against)
    genesis.version.genesis_version '0.1.0'    (the package's own version, as pip reports it)

``__version__`` is a ``TorchVersion``: a ``str`` that also compares with strings, tuples and
``packaging`` versions as PyTorch's does (``genesis.__version__ >= "1.10"`` is a version
comparison, not a string one).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

genesis_version = "0.1.0"
torch_version = "2.13.0"
cuda = None
hip = None
debug = False
git_version = None

_PRE = {"a": "a", "alpha": "a", "b": "b", "beta": "b", "c": "rc", "rc": "rc", "pre": "rc",
        "preview": "rc"}
_PEP440 = re.compile(
    r"v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre_l>alpha|beta|preview|pre|rc|a|b|c)[-_.]?(?P<pre_n>\d+)?)?"
    r"(?:-(?P<post_n1>\d+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>\d+)?)?"
    r"(?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d+)?)?"
    r"(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?", re.IGNORECASE)
_INF, _NEG_INF = (1, ()), (-1, ())


def version_key(text: str) -> tuple:
    """A sort key that orders PEP 440 versions as ``packaging.version.Version`` does.

    Raises ValueError for a string that is not a PEP 440 version.
    """
    match = _PEP440.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"Invalid version: {text!r}")
    release = [int(part) for part in match["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    pre = (0, (_PRE[match["pre_l"].lower()], int(match["pre_n"] or 0))) if match["pre_l"] else None
    post_number = match["post_n1"] or match["post_n2"]
    post = (0, int(post_number or 0)) if (match["post_l"] or match["post_n1"]) else _NEG_INF
    dev = (0, int(match["dev_n"] or 0)) if match["dev_l"] else _INF
    if pre is None:
        pre = _NEG_INF if post == _NEG_INF and dev != _INF else _INF
    local = _NEG_INF
    if match["local"]:
        local = (0, tuple((1, int(part), "") if part.isdigit() else (0, 0, part.lower())
                          for part in re.split(r"[-_.]", match["local"])))
    return int(match["epoch"] or 0), tuple(release), pre, post, dev, local


def _as_key(other) -> tuple:
    if isinstance(other, str):
        return version_key(other)
    if hasattr(other, "release") and hasattr(other, "local"):  # a packaging Version
        return version_key(str(other))
    if isinstance(other, Iterable):
        return version_key(".".join(str(item) for item in other))
    raise ValueError(f"Invalid version: {other!r}")


class TorchVersion(str):
    """A version string that compares as a version (PyTorch's ``torch.torch_version``).

    Comparisons with a string, a tuple such as ``(1, 10)`` or a ``packaging`` ``Version`` are
    version comparisons; an operand that is no version falls back to string comparison.

    Example::

        >>> v = genesis.version.TorchVersion("2.13.0+genesis.0.1.0")
        >>> v > "2.9", v >= (2, 13), v < "2.13.1", v.split("+")[0]
        (True, True, True, '2.13.0')
    """

    __slots__ = ()

    def _compare(self, other, method: str) -> bool:
        try:
            mine, theirs = version_key(self), _as_key(other)
        except ValueError:
            return getattr(str, method)(self, other)
        return getattr(mine, method)(theirs)

    def __lt__(self, other) -> bool:
        return self._compare(other, "__lt__")

    def __le__(self, other) -> bool:
        return self._compare(other, "__le__")

    def __gt__(self, other) -> bool:
        return self._compare(other, "__gt__")

    def __ge__(self, other) -> bool:
        return self._compare(other, "__ge__")

    def __eq__(self, other) -> bool:
        return self._compare(other, "__eq__")

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


__version__ = TorchVersion(f"{torch_version}+genesis.{genesis_version}")

__all__ = ["__version__", "genesis_version", "torch_version", "TorchVersion", "version_key",
           "cuda", "hip", "debug", "git_version"]
