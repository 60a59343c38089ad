"""``genesis.compile`` is the identity (Genesis executes eagerly) with PyTorch's argument
checks; ``genesis.onnx`` imports and refuses to export clearly."""
import pytest
import torch

import genesis
from test_devices import outcome


def test_compile_returns_the_model_and_the_decorator_form_works():
    net = genesis.nn.Linear(2, 1)
    assert genesis.compile(net) is net
    assert genesis.compile(net, mode="max-autotune", fullgraph=True, dynamic=False) is net

    @genesis.compile(mode="reduce-overhead")
    def double(x):
        return x * 2
    assert double(genesis.ones(2)).tolist() == [2.0, 2.0]
    assert genesis.compiler.is_compiling() is False
    assert list(genesis.compile(net).state_dict()) == ["weight", "bias"]  # no _orig_mod.


# torch.compile imports parts of torch.jit that warn about their own deprecation.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kwargs", [{"mode": "foo"}, {"mode": "default", "options": {}}])
def test_compile_refuses_what_torch_refuses(kwargs):
    assert outcome(lambda: genesis.compile(lambda x: x, **kwargs))[:3] == \
        outcome(lambda: torch.compile(lambda x: x, **kwargs))[:3]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_compile_needs_a_callable_as_torch():
    ours, theirs = outcome(lambda: genesis.compile(5)), outcome(lambda: torch.compile(5))
    assert ours == theirs


def test_onnx_imports_and_export_refuses_naming_the_way_out():
    import genesis.onnx  # a script's `import torch.onnx` line
    assert genesis.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match="cannot export ONNX.*state_dict"):
        genesis.onnx.export(genesis.nn.Linear(2, 1), (genesis.ones(1, 2),), "model.onnx")
