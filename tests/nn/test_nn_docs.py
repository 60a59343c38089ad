"""Every docstring example in genesis.nn runs and prints what it says."""
import doctest
import importlib
import pkgutil

import pytest

import genesis
from genesis import nn

# Every module of the package, so a new layer's examples run without editing this list.
MODULES = sorted(info.name for info in pkgutil.walk_packages(nn.__path__, "genesis.nn.")
                 if not info.ispkg)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    genesis.manual_seed(0)
    result = doctest.testmod(module, extraglobs={"genesis": genesis, "nn": nn, "F": nn.functional},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
