"""The worked examples in the optimizer docstrings run and print what they claim."""
import doctest
import importlib

import pytest

import genesis
import genesis.nn  # noqa: F401 - the examples use genesis.nn.Parameter
import genesis.optim  # noqa: F401


@pytest.mark.parametrize("module", ["genesis.optim.optimizer", "genesis.optim.sgd",
                                    "genesis.optim.adam", "genesis.optim.adamw", "genesis.optim.rmsprop",
                                    "genesis.optim.adagrad", "genesis.optim.adadelta",
                                    "genesis.optim.adamax", "genesis.optim.nadam", "genesis.optim.radam"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), extraglobs={"genesis": genesis},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
