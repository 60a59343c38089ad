"""Every docstring example in genesis.nn runs and prints what it says."""
import doctest
import importlib

import pytest

import genesis
from genesis import nn

MODULES = ["module", "containers", "layers", "functional", "loss", "init", "utils"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"genesis.nn.{name}")
    genesis.manual_seed(0)
    result = doctest.testmod(module, extraglobs={"genesis": genesis, "nn": nn, "F": nn.functional},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
