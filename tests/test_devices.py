"""``genesis.device``, memory formats and ``Tensor.to``/``Module.to`` against a CPU-only PyTorch
2.13 (this machine's torch is the CPU wheel): the same construction, printing, comparison,
argument parsing, and the same exception type and message start for every refusal."""
import copy
import pickle

import numpy as np
import pytest
import torch

import genesis


def outcome(fn):
    """``("ok", value)`` or ``("raised", type name, first words of the message)``."""
    try:
        return ("ok", fn())
    except Exception as error:  # noqa: BLE001 - the comparison is the point
        return ("raised", type(error).__name__, str(error).split(" (Genesis")[0].split("\n")[0])


DEVICE_CALLS = [
    lambda m: m.device("cpu"), lambda m: m.device("cuda"), lambda m: m.device("cuda:0"),
    lambda m: m.device("cuda", 1), lambda m: m.device(type="cuda", index=2),
    lambda m: m.device("cpu:0"), lambda m: m.device("mps"), lambda m: m.device("meta"),
    lambda m: m.device(m.device("cuda:3")), lambda m: m.device("foo"), lambda m: m.device("CPU"),
    lambda m: m.device(" cpu"), lambda m: m.device("cuda:-1"), lambda m: m.device("cuda:x"),
    lambda m: m.device("cuda0"), lambda m: m.device("x_y"), lambda m: m.device(""),
    lambda m: m.device("cpu", -1), lambda m: m.device("cuda:0", 1), lambda m: m.device(0),
    lambda m: m.device("cuda", "1"),
]


@pytest.mark.parametrize("call", range(len(DEVICE_CALLS)))
def test_device_construction_matches_torch(call):
    theirs = outcome(lambda: DEVICE_CALLS[call](torch))
    ours = outcome(lambda: DEVICE_CALLS[call](genesis))
    if theirs[0] == "ok":
        assert ours[0] == "ok", ours
        d, t = ours[1], theirs[1]
        assert (repr(d), str(d), d.type, d.index) == (repr(t), str(t), t.type, t.index)
    else:
        assert ours[:2] == theirs[:2], (ours, theirs)
        # A bad type/index gets PyTorch's words; the TypeErrors word the overloads our way.
        if theirs[1] != "TypeError":
            assert ours[2] == theirs[2]


def test_device_equality_hash_pickle_and_immutability_as_torch():
    for m in (torch, genesis):
        d = m.device("cuda:1")
        assert d == m.device("cuda", 1) and d != m.device("cuda") and d != m.device("cpu")
        assert m.device("cpu") == m.device("cpu", None) and not (m.device("cpu") == "cpu")
        assert hash(d) == hash(m.device("cuda", 1)) and len({d, m.device("cuda:1")}) == 1
        assert copy.deepcopy(d) == d and pickle.loads(pickle.dumps(d)) == d
        with pytest.raises(AttributeError):
            d.type = "cpu"
    assert f"{genesis.device('cuda:0')}" == "cuda:0"
    assert genesis.zeros(1).device == genesis.device("cpu")
    assert genesis.zeros(1).device.type == "cpu"


def test_tensor_device_attributes_as_torch():
    for m in (torch, genesis):
        x = m.zeros(2)
        assert (str(x.device), x.is_cuda, x.is_cpu, x.get_device(), x.is_pinned()) == \
            ("cpu", False, True, -1, False)
        assert x.cpu() is x
    with pytest.raises(RuntimeError, match="^Cannot access accelerator device when none is"):
        genesis.zeros(2).pin_memory()


TO_CALLS = {
    "dtype": lambda m, x: x.to(m.float64),
    "python_float": lambda m, x: x.to(float),
    "python_int": lambda m, x: x.to(int),
    "device_dtype": lambda m, x: x.to("cpu", m.float64),
    "device_kw_dtype": lambda m, x: x.to("cpu", dtype=m.int32),
    "device_obj": lambda m, x: x.to(m.device("cpu")),
    "none": lambda m, x: x.to(None),
    "none_dtype": lambda m, x: x.to(None, m.float64),
    "dtype_nonblocking_copy": lambda m, x: x.to(m.float64, True, True),
    "keywords": lambda m, x: x.to(dtype=m.float64, device="cpu", non_blocking=True, copy=True),
    "tensor": lambda m, x: x.to(m.zeros(2, dtype=m.int32)),
    "tensor_copy": lambda m, x: x.to(m.zeros(2), copy=True),
    "nothing": lambda m, x: x.to(),
    "contiguous_format": lambda m, x: x.to(memory_format=m.contiguous_format),
    "cuda": lambda m, x: x.to("cuda"),
    "cuda_index": lambda m, x: x.to("cuda:1"),
    "cuda_device": lambda m, x: x.to(m.device("cuda")),
    "xpu": lambda m, x: x.to("xpu"),
    "mps": lambda m, x: x.to("mps"),
    "int_device": lambda m, x: x.to(0),
    "bad_device": lambda m, x: x.to("foo"),
    "channels_last_2d": lambda m, x: x.to(memory_format=m.channels_last),
    "channels_last_3d_on_2d": lambda m, x: x.to(memory_format=m.channels_last_3d),
    "tensor_and_dtype": lambda m, x: x.to(m.zeros(1), m.float64),
    "device_device": lambda m, x: x.to("cpu", "cpu"),
    "dtype_dtype": lambda m, x: x.to(m.float64, m.float32),
    "unknown_keyword": lambda m, x: x.to(device="cpu", foo=1),
    "tensor_with_device_kw": lambda m, x: x.to(m.zeros(1), device="cpu"),
    "nonblocking_not_bool": lambda m, x: x.to(non_blocking=1),
    "too_many": lambda m, x: x.to("cpu", None, True, True, True),
    "cuda_method": lambda m, x: x.cuda(),
    "cuda_method_index": lambda m, x: x.cuda(0),
    "cpu_channels_last": lambda m, x: x.cpu(memory_format=m.channels_last),
    "contiguous_channels_last": lambda m, x: x.contiguous(memory_format=m.channels_last),
    "clone_channels_last": lambda m, x: x.clone(memory_format=m.channels_last),
}


@pytest.mark.parametrize("name", sorted(TO_CALLS))
def test_tensor_to_parses_and_refuses_as_torch(name):
    data = np.array([[1.5, -2.0], [3.25, 0.0]], dtype=np.float32)
    g, t = genesis.tensor(data), torch.tensor(data)
    ours = outcome(lambda: TO_CALLS[name](genesis, g))
    theirs = outcome(lambda: TO_CALLS[name](torch, t))
    assert ours[0] == theirs[0], (ours, theirs)
    if theirs[0] == "raised":
        assert ours[1] == theirs[1]
        if theirs[1] != "TypeError":  # PyTorch's overload listing is its own
            assert ours[2] == theirs[2], (ours, theirs)
        return
    out_g, out_t = ours[1], theirs[1]
    assert str(out_g.dtype).split(".")[1] == str(out_t.dtype).split(".")[1]
    np.testing.assert_array_equal(out_g.numpy(), out_t.numpy())
    assert (out_g is g) == (out_t is t)  # unchanged -> the same object, else a new one


def test_to_keeps_the_graph_and_channels_last_keeps_4d_values():
    x = genesis.tensor([1.0, 2.0], requires_grad=True)
    (x.to(genesis.float64) * 3).sum().backward()
    assert x.grad.dtype == genesis.float32 and x.grad.tolist() == [3.0, 3.0]
    images = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    for fmt in ("channels_last", "contiguous_format", "preserve_format"):
        g = genesis.tensor(images).to(memory_format=getattr(genesis, fmt))
        t = torch.tensor(images).to(memory_format=getattr(torch, fmt))
        np.testing.assert_array_equal(g.numpy(), t.numpy())
        assert repr(getattr(genesis, fmt)) == repr(getattr(torch, fmt)).replace("torch", "genesis")
    assert genesis.zeros(2, 3, 4, 5, 6).to(memory_format=genesis.channels_last_3d).shape == \
        (2, 3, 4, 5, 6)


FACTORIES = {
    "zeros": lambda m, d: m.zeros(2, device=d), "ones": lambda m, d: m.ones(2, device=d),
    "empty": lambda m, d: m.empty([2, 1], device=d).shape,
    "full": lambda m, d: m.full((2,), 3.0, device=d),
    "tensor": lambda m, d: m.tensor([1], device=d),
    "as_tensor": lambda m, d: m.as_tensor([1.0], device=d),
    "arange": lambda m, d: m.arange(3, device=d),
    "linspace": lambda m, d: m.linspace(0, 1, 3, device=d),
    "rand": lambda m, d: m.rand(2, device=d).shape,
    "randn": lambda m, d: m.randn(2, device=d).shape,
    "randint": lambda m, d: m.randint(3, (2,), device=d).shape,
    "randperm": lambda m, d: m.randperm(3, device=d).shape,
    "zeros_like": lambda m, d: m.zeros_like(m.ones(2), device=d),
    "ones_like": lambda m, d: m.ones_like(m.ones(2), device=d),
    "full_like": lambda m, d: m.full_like(m.ones(2), 7.0, device=d),
    "rand_like": lambda m, d: m.rand_like(m.ones(2), device=d).shape,
    "new_zeros": lambda m, d: m.ones(1).new_zeros(2, device=d),
    "new_tensor": lambda m, d: m.ones(1).new_tensor([2.0], device=d),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("where", ["cpu", "cpu:0", "device_cpu", "cuda", "cuda:1", "device_cuda"])
def test_factories_take_device_as_torch(name, where):
    def run(m):
        d = m.device(where.split("_")[1]) if where.startswith("device_") else where
        value = FACTORIES[name](m, d)
        return tuple(value) if isinstance(value, tuple) else value.tolist()
    assert outcome(lambda: run(genesis)) == outcome(lambda: run(torch))


def test_device_as_a_context_manager():
    with genesis.device("cpu") as d:
        assert d == genesis.device("cpu") and genesis.zeros(1).device == d
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled"):
        with genesis.device("cuda"):
            pass


MODULE_CALLS = {
    "dtype": lambda m, net: net.to(m.float64),
    "device": lambda m, net: net.to("cpu"),
    "device_dtype": lambda m, net: net.to("cpu", m.float64),
    "keywords": lambda m, net: net.to(device=m.device("cpu"), dtype=m.float64, non_blocking=True),
    "tensor": lambda m, net: net.to(m.zeros(1, dtype=m.float64)),
    "channels_last": lambda m, net: net.to(memory_format=m.channels_last),
    "int_dtype": lambda m, net: net.to(m.int64),
    "cuda": lambda m, net: net.to("cuda"),
    "cuda_method": lambda m, net: net.cuda(),
    "cuda_index": lambda m, net: net.cuda(0),
    "cpu_method": lambda m, net: net.cpu(),
    "bad_keyword": lambda m, net: net.to(dev="cpu"),
}


@pytest.mark.parametrize("name", sorted(MODULE_CALLS))
def test_module_to_matches_torch(name):
    def run(m):
        net = m.nn.Sequential(m.nn.Linear(2, 3), m.nn.ReLU())
        result = MODULE_CALLS[name](m, net)
        assert result is net
        return [str(v.dtype).split(".")[1] for v in net.state_dict().values()]
    ours, theirs = outcome(lambda: run(genesis)), outcome(lambda: run(torch))
    assert ours[:2] == theirs[:2], (ours, theirs)
    if theirs[0] == "raised" and theirs[1] != "TypeError":
        assert ours[2] == theirs[2]


def test_devices_docstring_examples_run():
    import doctest

    import genesis.devices
    result = doctest.testmod(genesis.devices, extraglobs={"genesis": genesis})
    assert result.failed == 0 and result.attempted > 0
