"""The small integer dtypes PyTorch has and NumPy computes (uint8, int8, int16) against PyTorch
2.13: type promotion with every dtype and with Python numbers, true division, conversions, the
legacy tensor types, PyTorch's overflow checks for Python data, reductions and indexing.
Each case is one lambda run with ``torch`` and with ``genesis`` as the module."""
import itertools
import warnings

import numpy as np
import pytest
import torch

import genesis
from test_devices import outcome

SMALL = ["uint8", "int8", "int16"]
DTYPES = SMALL + ["int32", "int64", "bool", "float16", "float32", "float64"]
VALUES = {"uint8": [0, 1, 200, 255], "int8": [-128, -1, 0, 127], "int16": [-300, 0, 5, 32767],
          "int32": [-7, 0, 3, 9], "int64": [-5, 0, 2, 1000], "bool": [True, False, True, False],
          "float16": [0.5, -1.5, 2.0, 3.0], "float32": [0.5, -1.5, 2.0, 3.0],
          "float64": [0.25, -1.0, 3.0, 7.0]}


def make(m, dtype, zero_dim=False):
    values = VALUES[dtype]
    return m.tensor(values[1] if zero_dim else values, dtype=getattr(m, dtype))


def same(fn):
    """Run ``fn(module)`` with both modules; the dtype names and values (or the exception type
    and message start) must agree."""
    def run(m):
        result = fn(m)
        return str(result.dtype).split(".")[1], result.tolist()
    ours, theirs = outcome(lambda: run(genesis)), outcome(lambda: run(torch))
    assert ours[0] == theirs[0] and ours[1][0] == theirs[1][0], (ours, theirs)
    if theirs[0] == "ok":
        if theirs[1][0].startswith("float"):  # float16 rounds differently in its last bit
            np.testing.assert_allclose(ours[1][1], theirs[1][1], rtol=1e-3, equal_nan=True)
        else:
            assert ours[1] == theirs[1]
    else:
        assert ours[2] == theirs[2]


def test_the_dtypes_and_their_names():
    for name in SMALL:
        ours, theirs = getattr(genesis, name), getattr(torch, name)
        assert repr(ours) == repr(theirs).replace("torch", "genesis")
        assert ours.itemsize == theirs.itemsize and not ours.is_floating_point
    assert genesis.short is genesis.int16
    assert genesis.dtypes.as_dtype("torch.uint8") is genesis.uint8


@pytest.mark.parametrize("a, b", [(a, b) for a in SMALL for b in DTYPES]
                         + [(a, b) for a in DTYPES for b in SMALL])
@pytest.mark.parametrize("dims", ["tensor-tensor", "tensor-0d", "0d-tensor"])
def test_promotion_of_two_tensors_matches_torch(a, b, dims):
    zero_a, zero_b = dims == "0d-tensor", dims == "tensor-0d"
    for op in ("add", "mul", "maximum", "eq"):
        same(lambda m: getattr(make(m, a, zero_a), op)(make(m, b, zero_b)))
    if "bool" not in (a, b):
        same(lambda m: make(m, a, zero_a) - make(m, b, zero_b))


@pytest.mark.parametrize("dtype", SMALL)
@pytest.mark.parametrize("number", [1, -1, 300, 70000, 2 ** 40, 2.5, True])
def test_a_python_number_keeps_the_integer_dtype_and_wraps_as_torch(dtype, number):
    for op in ("add", "mul", "sub"):
        same(lambda m: getattr(make(m, dtype), op)(number))
    same(lambda m: number + make(m, dtype))


@pytest.mark.parametrize("a, b", list(itertools.product(SMALL + ["int64", "bool"], repeat=2)))
def test_true_division_of_integers_is_float32_of_the_operands_values(a, b):
    # uint8 / int8(-128): each side converts to float32 itself, never through their common type
    for k in (0, 2, 3):
        same(lambda m: make(m, a) / m.tensor(VALUES[b][k], dtype=getattr(m, b)))
        same(lambda m: m.tensor(VALUES[b][k], dtype=getattr(m, b)) / make(m, a))


@pytest.mark.parametrize("dtype", SMALL)
@pytest.mark.parametrize("number", [-1, 300, 70000, 2.5])
def test_true_division_by_and_of_a_number(dtype, number):
    same(lambda m: make(m, dtype) / number)
    same(lambda m: number / (make(m, dtype).abs() + 1))


@pytest.mark.parametrize("source", DTYPES)
@pytest.mark.parametrize("target", SMALL)
def test_conversions_to_and_from_the_small_integers(source, target):
    same(lambda m: make(m, source).to(getattr(m, target)))
    same(lambda m: make(m, target).to(getattr(m, source)))


@pytest.mark.parametrize("method", ["byte", "char", "short"])
def test_byte_char_short(method):
    same(lambda m: getattr(m.tensor([0, 1, 100, 255]), method)())
    same(lambda m: getattr(m.tensor([0.5, 2.0, 100.75]), method)())


def test_as_tensor_of_a_uint8_array_shares_it():
    array = np.array([[1, 2], [250, 0]], dtype=np.uint8)
    t = genesis.as_tensor(array)
    assert t.dtype == genesis.uint8 and t.numpy() is array or np.shares_memory(t.numpy(), array)
    assert genesis.from_numpy(array).dtype == genesis.uint8
    assert genesis.as_tensor(np.array([1], np.int8)).dtype == genesis.int8
    assert genesis.as_tensor(np.array([1], np.int16)).dtype == genesis.int16


@pytest.mark.parametrize("call", [
    "m.ByteTensor([1, 2])", "m.CharTensor(2).zero_()", "m.ShortTensor([[1], [2]])",
    "m.ByteTensor([300])", "m.ByteTensor([-1])", "m.tensor([1, 2]).type(m.ByteTensor)",
    "m.tensor([1]).type('torch.CharTensor')", "m.tensor([1]).short().type(m.int64)",
])
def test_legacy_tensor_types(call):
    same(lambda m: eval(call, {"m": m}))


def test_legacy_types_isinstance_and_type_names():
    for m, prefix in ((genesis, "genesis"), (torch, "torch")):
        for dtype, cls in (("uint8", "ByteTensor"), ("int8", "CharTensor"),
                           ("int16", "ShortTensor")):
            t = m.zeros(2, dtype=getattr(m, dtype))
            assert isinstance(t, getattr(m, cls)) and not isinstance(t, m.LongTensor)
            assert t.type() == f"{prefix}.{cls}"


@pytest.mark.parametrize("call", [
    "m.tensor([300], dtype=m.uint8)", "m.tensor([-1, -255], dtype=m.uint8)",
    "m.tensor([-256], dtype=m.uint8)", "m.tensor([-0.5], dtype=m.uint8)",
    "m.tensor([255.5], dtype=m.uint8)", "m.tensor([-129], dtype=m.int8)",
    "m.tensor([40000], dtype=m.int16)", "m.tensor([float('nan')], dtype=m.int32)",
    "m.tensor([2 ** 40], dtype=m.int32)", "m.tensor([3.7, -3.7], dtype=m.int8)",
    "m.tensor(300, dtype=m.uint8)", "m.as_tensor([300], dtype=m.uint8)",
    "m.full((2,), 300, dtype=m.uint8)", "m.full((2,), -1, dtype=m.uint8)",
    "m.zeros(2, dtype=m.uint8).fill_(300)", "m.zeros(2, dtype=m.uint8).fill_(-1)",
    "m.zeros(2, dtype=m.int16).fill_(-40000)",
    "m.tensor(np.array([300, -1]), dtype=m.uint8)",
])
def test_python_data_into_an_integer_dtype_is_checked_as_torch(call):
    same(lambda m: eval(call, {"m": m, "np": np}))


@pytest.mark.parametrize("dtype", SMALL)
def test_in_place_arithmetic_with_numbers_wraps(dtype):
    for call in ("add_(300)", "sub_(1)", "mul_(3)", "add_(-70000)"):
        same(lambda m: eval(f"x.{call}", {"x": make(m, dtype)}))


@pytest.mark.parametrize("dtype", SMALL)
@pytest.mark.parametrize("call", [
    "x.sum()", "x.sum(0)", "x.cumsum(0)", "x.max()", "x.argmax()", "x.abs()", "-x", "x.sign()",
    "x.float().mean()", "x.mean()", "x.mean(dtype=m.float64)", "x.sqrt()", "x // 3", "x % 7",
    "x ** 2", "x & 3", "x.clamp(min=1)", "x.clone()", "m.stack([x, x])", "m.cat([x, x.long()])",
    "m.where(x > 0, x, 0)",
])
def test_ops_on_small_integers_match_torch(dtype, call):
    same(lambda m: eval(call, {"m": m, "x": make(m, dtype)}))


@pytest.mark.parametrize("dtype", SMALL + ["int32"])
def test_index_dtypes_as_torch(dtype):
    x = lambda m: m.arange(6.0).reshape(2, 3)  # noqa: E731
    index = lambda m, v: m.tensor(v, dtype=getattr(m, dtype))  # noqa: E731
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        same(lambda m: x(m)[index(m, [1, 0])])
    if dtype == "uint8":  # a mask, with PyTorch's deprecation warning
        assert any("indexing with dtype torch.uint8 is now deprecated" in str(w.message)
                   for w in caught)
    same(lambda m: x(m).gather(1, index(m, [[0], [1]])))
    same(lambda m: x(m).index_select(0, index(m, [1])))
    same(lambda m: x(m).take_along_dim(index(m, [[0], [1]]), 1))
