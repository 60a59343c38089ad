"""Module machinery against PyTorch: registration, traversal, state_dict keys/order, loading, repr."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import genesis
from genesis import nn
from nn_testing import assert_close, numpy_state, pair


def mlp(m):
    return m.Sequential(m.Linear(784, 256), m.ReLU(), m.Linear(256, 10))


def make_nested(m):
    """The same custom architecture written against ``m`` (torch.nn or genesis.nn)."""

    class Block(m.Module):
        def __init__(self, width):
            super().__init__()
            self.norm = m.LayerNorm(width)
            self.ff = m.Sequential(m.Linear(width, 2 * width), m.GELU(), m.Dropout(0.1),
                                   m.Linear(2 * width, width))

        def forward(self, x):
            return x + self.ff(self.norm(x))

    class Net(m.Module):
        def __init__(self):
            super().__init__()
            self.embed = m.Embedding(11, 6, padding_idx=0)
            self.blocks = m.ModuleList([Block(6), Block(6)])
            self.heads = m.ModuleDict({"cls": m.Linear(6, 3), "reg": m.Linear(6, 1, bias=False)})
            self.scale = m.Parameter(torch.ones(1) if m is torch.nn else genesis.ones(1))
            self.register_buffer("steps", torch.zeros(2) if m is torch.nn else genesis.zeros(2))
            self.register_buffer("cache", torch.zeros(3) if m is torch.nn else genesis.zeros(3),
                                 persistent=False)
            self.register_parameter("unused", None)
            self.act = m.Tanh()

        def forward(self, idx):
            h = self.embed(idx)
            for block in self.blocks:
                h = block(h)
            return self.heads["cls"](self.act(h)) * self.scale

    return Net()


ARCHITECTURES = {
    "mlp": mlp,
    "nested": make_nested,
    "layernorm": lambda m: m.Sequential(m.LayerNorm((2, 3)), m.Flatten(), m.Linear(6, 2)),
    "embedding": lambda m: m.Sequential(m.Embedding(7, 3), m.Linear(3, 3)),
    "repeated": lambda m: m.ModuleList([m.Linear(2, 2), m.Linear(2, 2), m.Linear(2, 2), m.ReLU(),
                                        m.Linear(2, 3)]),
    "ordered": lambda m: m.Sequential(OrderedDict([("fc", m.Linear(3, 4)), ("act", m.SiLU()),
                                                   ("out", m.Linear(4, 1))])),
}


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_state_dict_keys_shapes_and_order_match_torch(arch):
    ours, ref = ARCHITECTURES[arch](nn), ARCHITECTURES[arch](torch.nn)
    ours_state, ref_state = ours.state_dict(), ref.state_dict()
    assert list(ours_state) == list(ref_state)
    assert [tuple(v.shape) for v in ours_state.values()] == [tuple(v.shape) for v in ref_state.values()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in ref.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in ref.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in ref.named_children()]


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_repr_matches_torch(arch):
    assert repr(ARCHITECTURES[arch](nn)) == repr(ARCHITECTURES[arch](torch.nn))


def test_repr_of_every_layer_matches_torch():
    builders = [
        lambda m: m.Linear(3, 2, bias=False), lambda m: m.ReLU(), lambda m: m.ReLU(inplace=True),
        lambda m: m.GELU("tanh"), lambda m: m.SiLU(), lambda m: m.Tanh(), lambda m: m.Sigmoid(),
        lambda m: m.Softmax(), lambda m: m.LogSoftmax(dim=1), lambda m: m.Dropout(0.2),
        lambda m: m.LayerNorm([2, 3], elementwise_affine=False), lambda m: m.LayerNorm(4, bias=False),
        lambda m: m.Embedding(5, 2), lambda m: m.Embedding(5, 2, padding_idx=-2),
        lambda m: m.Identity(), lambda m: m.Flatten(0, 2), lambda m: m.Sequential(),
        lambda m: m.ModuleList(), lambda m: m.ModuleDict({"a": m.ReLU()}),
        lambda m: m.CrossEntropyLoss(label_smoothing=0.1), lambda m: m.MSELoss(),
    ]
    for build in builders:
        assert repr(build(nn)) == repr(build(torch.nn))


def test_torch_state_dict_as_numpy_loads_and_gives_same_outputs():
    torch.manual_seed(0)
    ref = make_nested(torch.nn).double().eval()
    ours = make_nested(nn).double().eval()
    with torch.no_grad():
        ref.scale.fill_(1.5)
        ref.steps.fill_(4.0)
    result = ours.load_state_dict(numpy_state(ref))
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    idx = np.array([[0, 3, 10], [5, 5, 1]])
    assert_close(ours(genesis.tensor(idx)), ref(torch.from_numpy(idx)), 1e-12)
    np.testing.assert_array_equal(ours.steps.numpy(), [4.0, 4.0])


def test_load_accepts_torch_tensors_lists_and_genesis_tensors_and_keeps_dtype():
    ours = nn.Linear(2, 2)  # float32
    weight_address = ours.weight.data_ptr()
    ours.load_state_dict({"weight": torch.ones(2, 2, dtype=torch.float64), "bias": [0.5, -0.5]})
    assert ours.weight.dtype == genesis.float32 and ours.weight.data_ptr() == weight_address  # in place
    np.testing.assert_array_equal(ours.weight.numpy() if False else ours.weight.detach().numpy(), np.ones((2, 2)))
    other = nn.Linear(2, 2)
    other.load_state_dict(ours.state_dict())
    np.testing.assert_array_equal(other.bias.detach().numpy(), [0.5, -0.5])


def test_state_dict_values_share_storage_and_are_detached():
    layer = nn.Linear(2, 3)
    state = layer.state_dict()
    assert not state["weight"].requires_grad
    state["weight"].data[0, 0] = 42.0
    assert layer.weight.data[0, 0] == 42.0
    assert layer.state_dict(keep_vars=True)["weight"] is layer.weight


def test_strict_load_lists_missing_unexpected_and_shape_mismatches_at_once():
    ours = mlp(nn)
    state = numpy_state(mlp(torch.nn))
    del state["2.bias"]
    state["3.weight"] = np.zeros(2)
    state["0.weight"] = np.zeros((256, 783))
    with pytest.raises(RuntimeError) as info:
        ours.load_state_dict(state)
    message = str(info.value)
    assert 'Missing key(s) in state_dict: "2.bias"' in message
    assert 'Unexpected key(s) in state_dict: "3.weight"' in message
    assert "size mismatch for 0.weight" in message and "(256, 783)" in message and "(256, 784)" in message
    before = ours.state_dict()["2.weight"].numpy().copy()
    np.testing.assert_array_equal(ours.state_dict()["2.weight"].numpy(), before)  # nothing copied

    # torch raises the same three complaints for the same input
    with pytest.raises(RuntimeError) as torch_info:
        mlp(torch.nn).load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    assert '"2.bias"' in str(torch_info.value) and '"3.weight"' in str(torch_info.value)


def test_non_strict_load_returns_keys_like_torch_but_still_rejects_shapes():
    state = numpy_state(mlp(torch.nn))
    del state["0.bias"]
    state["extra"] = np.zeros(1)
    ours, ref = mlp(nn), mlp(torch.nn)
    got = ours.load_state_dict(state, strict=False)
    want = ref.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    assert got.missing_keys == want.missing_keys and got.unexpected_keys == want.unexpected_keys
    missing, unexpected = got
    assert missing == ["0.bias"] and unexpected == ["extra"]
    state["0.weight"] = np.zeros((1, 1))
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        ours.load_state_dict(state, strict=False)


def test_load_state_dict_rejects_non_mappings_and_non_numeric_values():
    with pytest.raises(TypeError, match="dict-like"):
        nn.Linear(1, 1).load_state_dict([("weight", 1)])
    with pytest.raises(RuntimeError, match='"weight"'):
        nn.Linear(1, 1).load_state_dict({"weight": "abc", "bias": np.zeros(1)})


def test_parameters_buffers_children_and_shared_parameters():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2  # shared weights counted once, like torch
    ref_shared = torch.nn.Linear(2, 2)
    ref = torch.nn.Sequential(ref_shared, torch.nn.ReLU(), ref_shared)
    assert list(model.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert len(list(model.children())) == 2 and len(list(model.modules())) == 3
    assert [n for n, _ in model.named_parameters(prefix="net")] == ["net.0.weight", "net.0.bias"]
    assert len(list(model.parameters(recurse=False))) == 0


def test_user_subclass_returning_a_loss_trains():
    class Regressor(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 1)
            self.loss_fn = nn.MSELoss()
            self.note = "plain attribute"

        def forward(self, x, y):
            return self.loss_fn(self.fc(x), y)

    genesis.manual_seed(0)
    model = Regressor()
    x, y = genesis.randn(8, 3), genesis.randn(8, 1)
    loss = model(x, y)
    loss.backward()
    assert model.fc.weight.grad is not None and model.note == "plain attribute"
    assert [n for n, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]
    model.zero_grad()
    assert model.fc.weight.grad is None
    model(x, y).backward()
    model.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(model.fc.weight.grad.numpy(), np.zeros((1, 3)))


def test_forgetting_super_init_gives_torch_like_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__\(\) call"):
        Broken()

    class BrokenParam(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(genesis.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        BrokenParam()


def test_missing_forward_and_missing_attribute_errors():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        nn.Linear(1, 1).nope


def test_registration_rules():
    m = nn.Module()
    with pytest.raises(TypeError, match="buffer"):
        m.register_buffer("b", np.zeros(2))
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", genesis.zeros(1))
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("p", genesis.zeros(1))
    m.register_parameter("p", nn.Parameter(genesis.zeros(1)))
    with pytest.raises(TypeError, match="cannot assign"):
        m.p = genesis.zeros(1)  # a plain tensor where a Parameter lives
    m.p = None
    assert m.p is None and list(m.state_dict()) == []
    with pytest.raises(TypeError, match="not a Module subclass"):
        m.add_module("x", 3)
    m.register_buffer("b", genesis.ones(2))
    m.b = genesis.zeros(2)  # buffers may be reassigned tensors
    assert list(m.state_dict()) == ["b"] and m.b.numpy().sum() == 0
    del m.b
    assert list(m.state_dict()) == []
    assert "p" in dir(m)


def test_train_eval_apply_requires_grad_and_to():
    model = make_nested(nn)
    assert all(mod.training for mod in model.modules())
    assert model.eval() is model and not any(mod.training for mod in model.modules())
    model.train()
    assert model.blocks[0].ff[2].training
    with pytest.raises(ValueError, match="boolean"):
        model.train("yes")
    seen = []
    model.apply(lambda mod: seen.append(type(mod).__name__))
    ref_seen = []
    make_nested(torch.nn).apply(lambda mod: ref_seen.append(type(mod).__name__))
    assert seen == ref_seen
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    assert model.double() is model
    assert all(v.dtype == genesis.float64 for v in model.state_dict().values())
    model.to(genesis.float32)
    assert all(v.dtype == genesis.float32 for v in model.state_dict().values())
    model.to("cpu", dtype=genesis.float64)
    assert model.scale.dtype == genesis.float64 and isinstance(model.scale, nn.Parameter)
    with pytest.raises(TypeError, match="floating point"):
        model.to(genesis.int64)
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled"):
        model.to("cuda")  # as on a CPU-only PyTorch (tests/test_devices.py compares)


def test_to_casts_existing_gradients_and_keeps_parameter_identity():
    layer = nn.Linear(2, 1)
    weight = layer.weight
    layer(genesis.ones(1, 2)).sum().backward()
    layer.double()
    assert layer.weight is weight and weight.grad.dtype == genesis.float64
    x, _ = pair(np.ones((1, 2)))
    assert layer(x).dtype == genesis.float64


def test_sequential_indexing_slicing_append_and_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and seq[0] is layers[0] and seq[-1] is layers[2]
    assert list(seq) == layers
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    seq.append(nn.Sigmoid())
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert repr(seq).startswith("Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)")
    del seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "Linear", "Sigmoid"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    out = seq(genesis.ones(4, 2))
    assert tuple(out.shape) == (4, 1)


def test_module_list_and_dict_behave_like_torch():
    items = nn.ModuleList([nn.Linear(1, 1)])
    items.append(nn.ReLU())
    items += [nn.Tanh()]
    items.insert(0, nn.Identity())
    ref = torch.nn.ModuleList([torch.nn.Linear(1, 1)])
    ref.append(torch.nn.ReLU())
    ref += [torch.nn.Tanh()]
    ref.insert(0, torch.nn.Identity())
    assert repr(items) == repr(ref) and list(items.state_dict()) == list(ref.state_dict())
    assert isinstance(items[1:], nn.ModuleList) and len(items[1:]) == 3
    heads = nn.ModuleDict({"a": nn.Linear(1, 2)})
    heads["b"] = nn.Linear(2, 1)
    heads.update([("c", nn.ReLU())])
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert isinstance(heads.pop("c"), nn.ReLU) and list(heads.keys()) == ["a", "b"]
