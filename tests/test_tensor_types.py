"""PyTorch's legacy constructors and tensor types: ``Tensor(2, 3)``, ``LongTensor([1, 2])``,
``isinstance(x, FloatTensor)``, ``x.type(...)``, ``x.new(...)`` and ``new_*`` — compared with
PyTorch 2.13 (word_language_model's ``torch.LongTensor(n).zero_()`` and ``torch.Tensor([[i]])``
patterns among them)."""
import numpy as np
import pytest
import torch

import genesis
from test_devices import outcome

CALLS = [
    "m.Tensor(2, 3)", "m.Tensor([2, 3])", "m.Tensor()", "m.Tensor([[m.tensor(3)]])",
    "m.Tensor(m.tensor([1, 2]))", "m.Tensor((2, 3))", "m.Tensor(m.Size([2, 3]))",
    "m.Tensor(np.array([1, 2]))", "m.Tensor(2.5)", "m.LongTensor(3)", "m.LongTensor([1, 2])",
    "m.LongTensor(2, 3)", "m.LongTensor([1.7, -1.7])", "m.LongTensor()",
    "m.FloatTensor([1, 2])", "m.FloatTensor(m.tensor([1.0, 2.0]))",
    "m.DoubleTensor([1])", "m.IntTensor(2)", "m.BoolTensor([1, 0])", "m.HalfTensor([0.5])",
    "m.LongTensor(4).zero_().view(-1, 2)", "m.Tensor([[m.tensor(5)]]).long()",
    "x.new(2, 3)", "x.new([1, 2])", "x.new_zeros(2, 3)", "x.new_zeros((2, 3), dtype=m.int64)",
    "x.new_ones(2)", "x.new_full((2,), 7)", "x.new_empty(2)", "x.new_tensor([1, 2])",
    "x.type(m.int32)", "x.type('torch.LongTensor')", "x.type(m.LongTensor)",
    "x.type(dtype=m.float64)", "x.long().type(m.DoubleTensor)", "x.type('torch.int32')",
]


UNINITIALISED = {"m.Tensor(2, 3)", "m.Tensor(m.Size([2, 3]))", "m.LongTensor(3)",
                 "m.LongTensor(2, 3)", "m.IntTensor(2)", "x.new(2, 3)", "x.new_empty(2)"}


@pytest.mark.parametrize("call", CALLS)
def test_legacy_constructors_match_torch(call):
    def run(m):
        value = eval(call, {"m": m, "np": np, "x": m.tensor([[1.5, 2.0]])})
        values = None if call in UNINITIALISED else value.tolist()  # PyTorch's are garbage
        return str(value.dtype).split(".")[1], tuple(value.shape), values
    ours, theirs = outcome(lambda: run(genesis)), outcome(lambda: run(torch))
    assert ours[:2] == theirs[:2], (ours, theirs)
    if theirs[0] == "ok":
        assert ours[1] == theirs[1]


def test_type_names_isinstance_and_sharing():
    x = genesis.ones(2)
    assert x.type() == "genesis.FloatTensor" and x.long().type() == "genesis.LongTensor"
    assert x.type(genesis.float32) is x and x.type(genesis.float32, non_blocking=True) is x
    for m in (genesis, torch):
        assert isinstance(m.ones(2), m.FloatTensor) and isinstance(m.ones(2), m.Tensor)
        assert not isinstance(m.ones(2, dtype=m.long), m.FloatTensor)
        assert isinstance(m.ones(2, dtype=m.long), m.LongTensor)
        assert m.FloatTensor.dtype == m.float32 and m.LongTensor.dtype == m.int64
        shared = m.ones(2)
        m.Tensor(shared).fill_(3)  # the legacy constructor shares a tensor's storage
        assert shared.tolist() == [3.0, 3.0]
    assert repr(genesis.FloatTensor) == "<class 'genesis.FloatTensor'>"
    assert type(genesis.LongTensor([1])) is genesis.Tensor
    with pytest.raises(TypeError, match="expected a tensor of dtype genesis.int64"):
        genesis.LongTensor(genesis.tensor([1.0]))


def test_new_factories_check_the_device():
    x = genesis.ones(2)
    for make in (lambda: x.new_zeros(2, device="cuda"), lambda: x.new_tensor([1], device="cuda"),
                 lambda: x.new(2, device="cuda"), lambda: genesis.Tensor(2, device="cuda")):
        with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled"):
            make()
