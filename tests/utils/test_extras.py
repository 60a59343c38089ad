"""The install hint for optional extras: quoted for every POSIX shell, and used by the messages."""
import doctest
import shlex
import sys

import pytest

import genesis
from genesis.utils import extras
from genesis.utils.extras import install_hint


@pytest.mark.parametrize("extra", ["plot", "demo", "tensorboard"])
def test_hint_installs_from_the_checkout_with_the_brackets_kept(extra):
    # Genesis is not on the package index under its own name ("genesis" there is another
    # project), so the hint must not name an index requirement: it installs the checkout.
    # shlex applies POSIX shell quoting: the quoted requirement reaches pip as one word with
    # its brackets, so zsh's globbing ("no matches found") never sees them.
    command, where = install_hint(extra).split(" (")
    assert shlex.split(command) == ["pip", "install", "-e", f".[{extra}]"]
    assert where == "in the Genesis source checkout)"


def test_extras_named_in_hints_exist_in_pyproject():
    import pathlib
    import tomllib

    project = tomllib.loads((pathlib.Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert {"plot", "demo", "tensorboard"} <= set(project["project"]["optional-dependencies"])


def test_lr_finder_plot_without_matplotlib_gives_the_hint(monkeypatch):
    genesis.manual_seed(0)
    x = genesis.randn(32, 3)
    model = genesis.nn.Linear(3, 1)
    finder = genesis.optim.LRFinder(model, genesis.optim.SGD(model.parameters(), lr=1e-4), genesis.nn.MSELoss())
    finder.range_test([(x, x.sum(dim=1, keepdim=True))], end_lr=1e-2, num_iter=20, progress=False)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match='pip install -e "\\.\\[plot\\]"'):
        finder.plot()


def test_docstring_example():
    assert doctest.testmod(extras).failed == 0
