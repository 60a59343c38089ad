"""Tensor basics against PyTorch: factories and dtypes, repr/format/item/tolist, conversions,
errors for bad input, and the RNG."""
import json
import math
import re

import numpy as np
import pytest
import torch

import genesis
from genesis.nn.parameter import Parameter


def _same_repr(g, t):
    assert repr(g).replace("genesis.", "torch.") == repr(t)


REPR_CASES = [
    [1.0, 2.0], 0.5, 3, [1, 2, 3], [True, False], [[1.5, -2.25], [3.0, 4.125]],
    [1e-5, 1.0], [1e9, 2.0], [123456.0, 1.0], [0.0, 0.0], [float("nan"), 1.0, float("inf")],
    [[[1, -2], [3, 4]], [[5, 6], [7, 800]]], list(range(30)), [x / 7 for x in range(40)],
    np.arange(2000.0).tolist(), np.arange(1200).reshape(30, 40).tolist(), [],
]


@pytest.mark.parametrize("data", REPR_CASES, ids=range(len(REPR_CASES)))
def test_repr_matches_torch(data):
    _same_repr(genesis.tensor(data), torch.tensor(data))


def test_repr_suffixes_match_torch():
    a = np.array([1.0, 2.0])
    _same_repr(genesis.tensor(a), torch.tensor(a))  # float64 shows its dtype
    _same_repr(genesis.tensor([1.0, 2.0], requires_grad=True),
               torch.tensor([1.0, 2.0], requires_grad=True))
    _same_repr(genesis.zeros(0, 3), torch.zeros(0, 3))
    _same_repr(genesis.tensor([1, 2], dtype=genesis.int32), torch.tensor([1, 2], dtype=torch.int32))
    _same_repr(Parameter(genesis.ones(2)), torch.nn.Parameter(torch.ones(2)))
    g = genesis.tensor([1.0, 2.0], requires_grad=True)
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    for fn in (lambda x: x + 1, lambda x: x * 2, lambda x: x.sum(), lambda x: x.exp()):
        assert repr(fn(g)).split("grad_fn=")[0] == repr(fn(t)).split("grad_fn=")[0]
        assert "grad_fn=<" in repr(fn(g))
    long = np.linspace(0, 1, 20)
    _same_repr(genesis.tensor(long, requires_grad=True), torch.tensor(long, requires_grad=True))


def test_format_item_float_int_bool_on_one_element_tensors():
    loss = genesis.tensor(0.123456)
    assert f"{loss:.4f}" == "0.1235" and f"{loss}" == format(torch.tensor(0.123456))
    assert float(loss) == pytest.approx(0.123456) and int(genesis.tensor(3.7)) == 3
    assert isinstance(loss.item(), float) and isinstance(genesis.tensor(3).item(), int)
    assert genesis.tensor([2.5]).item() == 2.5
    assert bool(genesis.tensor([1])) and not bool(genesis.tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(genesis.ones(2))
    with pytest.raises(ValueError, match="only one element tensors"):
        float(genesis.ones(2))
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        genesis.ones(2).item()
    with pytest.raises(TypeError):
        f"{genesis.ones(2):.4f}"
    assert [10, 20, 30][genesis.tensor(1)] == 20
    # Any one-element tensor formats as its number (PyTorch: only 0-d); no spec prints the repr.
    assert f"{genesis.tensor([0.123456]):.3f}" == "0.123" and f"{genesis.tensor([[7]]):03d}" == "007"
    assert f"{genesis.tensor([0.5])}" == str(torch.tensor([0.5])) == "tensor([0.5000])"


def test_repr_matches_torch_on_random_tensors():
    """Seeded fuzz over dtypes, magnitudes, shapes (empty, summarised), nan/inf and grad flags.

    Genesis's dtype suffix is two characters longer ("genesis." for "torch."), so where PyTorch's
    line just fits, ours may wrap the suffix onto the next line: that whitespace is normalised.
    """
    def norm(text):
        return re.sub(r",\s*\n\s*(dtype=|grad_fn=|requires_grad=)", r", \1", text)

    rng = np.random.default_rng(1)
    for _ in range(400):
        shape = tuple(int(n) for n in rng.integers(0, 5, rng.integers(0, 4)))
        if rng.random() < 0.05:
            shape = (int(rng.integers(990, 1100)),)
        a = rng.standard_normal(shape) * 10.0 ** rng.integers(-9, 12)
        kind = rng.integers(0, 7)
        if kind == 1:
            a = np.round(a)
        elif kind == 2:
            a = a.astype(np.float32)
        elif kind == 3:
            a = rng.integers(-10 ** int(rng.integers(1, 12)), 10 ** int(rng.integers(1, 12)), shape)
        elif kind == 4:
            a = a > 0
        elif kind == 5 and a.size:
            a.flat[rng.integers(0, a.size)] = [np.nan, np.inf, -np.inf][rng.integers(0, 3)]
        elif kind == 6:
            a = rng.integers(-100, 100, shape).astype(np.int32)
        grad = bool(rng.random() < 0.2) and a.dtype.kind == "f"
        ours = repr(genesis.tensor(a, requires_grad=grad)).replace("genesis.", "torch.")
        assert norm(ours) == norm(repr(torch.tensor(a, requires_grad=grad))), (a.dtype, shape)


def test_empty_tensors_show_every_non_float32_dtype_like_torch():
    for dtype in ("int64", "bool", "float64", "int32", "float32"):
        for shape in ((0,), (2, 0)):
            _same_repr(genesis.zeros(*shape, dtype=getattr(genesis, dtype)),
                       torch.zeros(*shape, dtype=getattr(torch, dtype)))


def test_tolist_len_iteration_shape():
    data = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    x = genesis.tensor(data)
    assert x.tolist() == torch.tensor(data).tolist()
    assert len(x) == 2 and [row.tolist() for row in x] == data
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(-1) == 3
    assert repr(x.shape) == "genesis.Size([2, 3])"
    assert x.dim() == x.ndim == 2 and x.numel() == 6
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(genesis.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(genesis.tensor(1.0))


def test_iteration_yields_differentiable_rows_like_torch():
    data = np.arange(6.0).reshape(3, 2)
    grads = []
    for m in (genesis, torch):
        x = m.tensor(data, requires_grad=True)
        total = sum((row * (i + 1)).exp().sum() for i, row in enumerate(x))
        total.backward()
        assert [float(v) for v in x[0].detach()] == [0.0, 1.0]
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_hash_is_identity_so_tensors_work_as_dict_keys():
    a, b = genesis.ones(2), genesis.ones(2)
    assert len({a: 1, b: 2}) == 2 and hash(a) == id(a)


def test_numpy_interop():
    arr = np.arange(6.0).reshape(2, 3)
    t = genesis.from_numpy(arr)
    assert t.dtype == genesis.float64
    arr[0, 0] = 42  # from_numpy shares memory
    assert t[0, 0].item() == 42
    assert t.numpy() is arr
    np.testing.assert_array_equal(np.asarray(t), arr)
    assert np.asarray(genesis.ones(2), dtype=np.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="Use tensor.detach\\(\\).numpy\\(\\) instead"):
        genesis.ones(2, requires_grad=True).numpy()
    with pytest.raises(TypeError, match="numpy.ndarray"):
        genesis.from_numpy([1, 2])


@pytest.mark.parametrize("data", [1.5, 2, True, [1.0, 2.0], [1, 2], [True], np.ones(2),
                                  np.ones(2, np.float32), np.ones(2, np.int32), np.float64(1.0),
                                  [[1, 2.5]], np.int64(3)])
def test_tensor_dtype_inference_matches_torch(data):
    assert genesis.tensor(data).dtype.name == str(torch.tensor(data).dtype).split(".")[1]


def test_factories_match_torch_shapes_dtypes_values():
    pairs = [
        (lambda m: m.zeros(2, 3), None), (lambda m: m.ones((2, 3)), None),
        (lambda m: m.full((2, 2), 7), None), (lambda m: m.full((2,), 1.5), None),
        (lambda m: m.full((2,), True), None), (lambda m: m.arange(5), None),
        (lambda m: m.arange(1, 2, 0.25), None), (lambda m: m.arange(0, 10, 3), None),
        (lambda m: m.linspace(0, 1, 5), None), (lambda m: m.empty(3).zero_(), None),
        (lambda m: m.zeros(2, dtype=m.float64), None), (lambda m: m.ones(2, dtype=m.int64), None),
        (lambda m: m.zeros_like(m.ones(2, 3, dtype=m.float64)), None),
        (lambda m: m.ones_like(m.arange(3)), None),
        (lambda m: m.full_like(m.ones(2), 4.0), None),
        (lambda m: m.empty_like(m.ones(2)).fill_(2), None),
        (lambda m: m.stack([m.ones(2), m.zeros(2)], dim=1), None),
        (lambda m: m.cat([m.ones(2, 1), m.zeros(2, 2)], dim=-1), None),
        (lambda m: m.where(m.arange(4) > 1, m.arange(4), 0), None),
        (lambda m: m.where(m.arange(4) > 1, 1.0, m.zeros(4)), None),
        (lambda m: m.tensor([[1, 2], [3, 4]]).new_zeros(3), None),
        (lambda m: m.tensor([1.0]).new_tensor([2, 3]), None),
    ]
    for fn, _ in pairs:
        g, t = fn(genesis), fn(torch)
        assert g.dtype.name == str(t.dtype).split(".")[1]
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-7)


def test_tensor_copies_data_and_as_tensor_does_not():
    arr = np.ones(3)
    assert genesis.tensor(arr).numpy() is not arr
    assert genesis.as_tensor(arr).numpy() is arr
    x = genesis.ones(2)
    assert genesis.as_tensor(x) is x
    assert genesis.as_tensor(x, dtype=genesis.float64).dtype == genesis.float64


def test_to_and_conversions():
    x = genesis.tensor([1.7, -2.2])
    assert x.to(genesis.float32) is x
    assert x.to(genesis.float64).dtype == genesis.float64
    assert x.to("cpu") is x and x.cpu() is x
    assert x.long().tolist() == torch.tensor([1.7, -2.2]).long().tolist()
    assert x.double().dtype == genesis.float64 and x.half().dtype == genesis.float16
    assert x.bool().tolist() == [True, True] and x.int().dtype == genesis.int32
    assert x.to(np.float64).dtype == genesis.float64
    assert x.to(genesis.ones(1, dtype=genesis.float64)).dtype == genesis.float64
    for m, v in ((genesis, x), (torch, torch.tensor([1.7, -2.2]))):  # as a CPU-only PyTorch
        with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled"):
            v.to("cuda")
        with pytest.raises(RuntimeError, match="^Invalid device string: 'float128x'"):
            v.to("float128x")


def test_dtypes_module():
    assert repr(genesis.float32) == "genesis.float32"
    assert genesis.float32.np == np.float32 and genesis.float is genesis.float32
    assert genesis.long is genesis.int64 and genesis.double is genesis.float64
    assert genesis.dtypes.as_dtype(np.float64) is genesis.float64
    assert genesis.dtypes.as_dtype(np.dtype("bool")) is genesis.bool
    assert genesis.float16.is_floating_point and not genesis.int32.is_floating_point
    import copy
    assert copy.deepcopy(genesis.float64) is genesis.float64


def test_factory_argument_errors():
    with pytest.raises(ValueError, match="size must be non-negative ints"):
        genesis.zeros(-1)
    with pytest.raises(ValueError, match="step must be nonzero"):
        genesis.arange(0, 5, 0)
    with pytest.raises(ValueError, match="low < high"):
        genesis.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="could not build a tensor"):
        genesis.tensor([[1, 2], [3]])
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled"):
        genesis.zeros(2, device="cuda")
    with pytest.raises(TypeError, match="randint: low must be an int, got 0.5"):
        genesis.randint(0.5, 4, (2,))
    with pytest.raises(ValueError, match=r"zero-dimensional tensor \(at position 1\)"):
        genesis.cat([genesis.ones(1), genesis.tensor(2.0)])
    for fill in (lambda t: t.uniform_(), lambda t: t.normal_()):  # torch refuses these too
        with pytest.raises(TypeError, match="fills floating point tensors .* dtype genesis.int64"):
            fill(genesis.zeros(2, dtype=genesis.int64))
        with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
            fill(torch.zeros(2, dtype=torch.int64))
    with pytest.raises(TypeError, match="full: fill_value must be a real number or a bool, got 'a'"):
        genesis.full((2,), "a")
    with pytest.raises(TypeError, match="arange: end must be a real number, got 'a'"):
        genesis.arange("a")


def test_random_factories_shapes_dtypes_and_ranges():
    genesis.manual_seed(0)
    assert genesis.rand(2, 3).dtype == genesis.float32 and genesis.rand(2, 3).shape == (2, 3)
    assert genesis.randn(4).shape == (4,) and genesis.randn((2, 2)).shape == (2, 2)
    r = genesis.randint(3, 7, (1000,))
    assert r.dtype == genesis.int64 and r.min().item() == 3 and r.max().item() == 6
    assert genesis.randint(5, (3,)).max().item() < 5
    u = genesis.rand(10000)
    assert 0 <= u.min().item() and u.max().item() < 1 and abs(u.mean().item() - 0.5) < 0.02
    n = genesis.randn(10000, dtype=genesis.float64)
    assert abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1) < 0.05
    x = genesis.empty(5000).uniform_(-2, 3)
    assert -2 <= x.min().item() and x.max().item() < 3
    y = genesis.empty(5000, dtype=genesis.float64).normal_(10, 0.5)
    assert abs(y.mean().item() - 10) < 0.05 and abs(y.std().item() - 0.5) < 0.05
    assert sorted(genesis.randperm(6).tolist()) == list(range(6))
    like = genesis.randint_like(genesis.ones(400, 2), 3, 6)
    assert like.shape == (400, 2) and like.dtype == genesis.float32
    assert set(like.flatten().tolist()) == {3.0, 4.0, 5.0}
    like = genesis.randint_like(genesis.ones(50, dtype=genesis.int64), 2)
    assert like.dtype == genesis.int64 and set(like.tolist()) == {0, 1}
    assert genesis.rand_like(genesis.ones(2, 3, dtype=genesis.float64)).dtype == genesis.float64
    assert genesis.randn_like(genesis.ones(4, 5)).shape == (4, 5)


def test_manual_seed_reproduces_the_same_numbers():
    genesis.manual_seed(123)
    a = genesis.randn(5).tolist()
    genesis.manual_seed(123)
    assert genesis.randn(5).tolist() == a
    assert genesis.initial_seed() == 123


def test_rng_state_round_trip_through_json():
    genesis.manual_seed(7)
    genesis.rand(3)
    state = json.loads(json.dumps(genesis.get_rng_state()))
    a = [genesis.rand(4).tolist(), genesis.randint(0, 100, (3,)).tolist(),
         genesis.empty(2).normal_().tolist()]
    genesis.set_rng_state(state)
    b = [genesis.rand(4).tolist(), genesis.randint(0, 100, (3,)).tolist(),
         genesis.empty(2).normal_().tolist()]
    assert a == b


def test_rng_state_is_validated():
    with pytest.raises(ValueError, match="new_state must be a dict"):
        genesis.set_rng_state({"bogus": 1})
    bad = genesis.get_rng_state()
    bad["bit_generator"] = "MT19937"
    with pytest.raises(ValueError, match="PCG64"):
        genesis.set_rng_state(bad)
    bad = genesis.get_rng_state()
    bad["state"] = {"state": -1, "inc": 3}
    with pytest.raises(ValueError, match="non-negative ints"):
        genesis.set_rng_state(bad)
    with pytest.raises(TypeError, match="seed must be an int"):
        genesis.manual_seed(1.5)


def test_generator_objects_are_independent_of_the_global_rng():
    g = genesis.Generator().manual_seed(5)
    assert isinstance(g.manual_seed(5), genesis.Generator)
    genesis.manual_seed(0)
    a = genesis.rand(3, generator=g).tolist()
    global_draw = genesis.rand(3).tolist()
    genesis.manual_seed(0)
    assert genesis.rand(3).tolist() == global_draw
    g2 = genesis.Generator().manual_seed(5)
    assert genesis.rand(3, generator=g2).tolist() == a
    state = g2.get_state()
    nxt = genesis.randn(2, generator=g2).tolist()
    g2.set_state(state)
    assert genesis.randn(2, generator=g2).tolist() == nxt
    with pytest.raises(TypeError, match="generator must be a genesis.Generator"):
        genesis.rand(2, generator=np.random.default_rng(0))


def test_setitem_without_grad_writes_in_place():
    x = genesis.zeros(2, 3)
    x[0] = 1.0
    x[1, genesis.tensor([0, 2])] = genesis.tensor([5.0, 6.0])
    x[x > 5] = -1
    assert x.tolist() == [[1.0, 1.0, 1.0], [5.0, 0.0, -1.0]]


def test_deepcopy_of_leaf_and_parameter():
    import copy
    p = Parameter(genesis.ones(2))
    q = copy.deepcopy(p)
    assert isinstance(q, Parameter) and q.requires_grad and q.data is not p.data
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(p * 2)


def test_module_level_functions_match_methods():
    x = genesis.tensor([[1.0, -2.0], [3.0, 0.5]])
    assert genesis.exp(x).tolist() == x.exp().tolist()
    assert genesis.sum(x, dim=1).tolist() == x.sum(1).tolist()
    assert genesis.max(x, dim=0).values.tolist() == [3.0, 0.5]
    assert math.isclose(genesis.mean(x).item(), 0.625)
    with pytest.raises(TypeError, match="must be a Tensor"):
        genesis.exp([1.0])


@pytest.mark.parametrize("build", [
    lambda lib: lib.tensor(0.1, dtype=lib.float64),
    lambda lib: lib.tensor([0.1, 1e-300, 2.0], dtype=lib.float64),
    lambda lib: lib.as_tensor([[0.1], [0.3]], dtype=lib.float64),
    lambda lib: lib.DoubleTensor([0.1, 0.7]),
    lambda lib: lib.tensor([2 ** 53 + 1], dtype=lib.int64),
    lambda lib: lib.tensor([1.5, -2.7], dtype=lib.int64),
    lambda lib: lib.tensor([0.1, 1e-40]),
], ids=["0-d", "list", "as_tensor", "DoubleTensor", "big int", "float to int", "default f32"])
def test_python_numbers_convert_straight_to_the_requested_dtype(build):
    # Regression: Python floats were rounded to float32 before a float64 dtype was applied.
    ours, theirs = build(genesis), build(torch)
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    assert ours.tolist() == theirs.tolist()
