"""Whole modules and other objects in checkpoints (genesis.checkpoint.objects): saved as data,
rebuilt only for Genesis's nn classes and allowed classes, never by running code from the file.

PyTorch's torch.save(model) / torch.load(weights_only=False) is the reference for what comes
back; its weights_only=True refusal is the reference for what an unallowed class gets."""
import dataclasses
import io
import json
import pickle

import numpy as np
import pytest
import torch

import genesis
import genesis.nn as nn
from genesis.checkpoint import CheckpointError, UnsupportedGlobalError
from genesis.checkpoint import fileformat
from genesis.serialization import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals


def round_trip(obj, **kwargs):
    buffer = io.BytesIO()
    genesis.save(obj, buffer)
    buffer.seek(0)
    return genesis.load(buffer, **kwargs)


def build(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Dropout(0.25),
                              lib.nn.LayerNorm(4), lib.nn.Linear(4, 2))
    model.eval()
    return model


def test_a_genesis_model_comes_back_whole_like_torch_s():
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    results = []
    for lib in (torch, genesis):
        model = build(lib)
        if lib is genesis:  # the same weights in both
            for ours, theirs in zip(model.parameters(), build(torch).parameters()):
                ours.data = genesis.tensor(theirs.detach().numpy())
        buffer = io.BytesIO()
        lib.save(model, buffer)
        buffer.seek(0)
        loaded = lib.load(buffer, weights_only=False)
        results.append((type(loaded).__name__, loaded.training, [type(p).__name__ for p in loaded.parameters()],
                        repr(loaded), loaded(lib.tensor(x)).detach().numpy(), list(loaded.state_dict())))
    theirs, ours = results
    assert ours[:4] == theirs[:4]
    np.testing.assert_allclose(ours[4], theirs[4], rtol=1e-5)
    assert ours[5] == theirs[5]


def test_genesis_s_own_classes_load_with_weights_only():
    # PyTorch's weights_only=True (its default) refuses even torch.nn.Linear; Genesis rebuilds its
    # own nn classes (docs/en/migrating-from-pytorch.md, "Where Genesis differs")
    buffer = io.BytesIO()
    torch.save(torch.nn.Linear(2, 1), buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL torch.nn.modules.linear.Linear"):
        torch.load(buffer)
    model = nn.Linear(2, 1)
    loaded = round_trip(model, weights_only=True)
    assert isinstance(loaded, nn.Linear) and loaded is not model
    assert loaded.weight.tolist() == model.weight.tolist() and isinstance(loaded.weight, nn.Parameter)
    assert loaded.weight.requires_grad and loaded.weight.grad is None


def test_every_genesis_layer_round_trips():
    layers = [nn.Linear(2, 3), nn.Identity(), nn.ReLU(), nn.GELU(approximate="tanh"), nn.SiLU(), nn.Tanh(),
              nn.Sigmoid(), nn.Softmax(dim=1), nn.LogSoftmax(dim=0), nn.Dropout(0.3), nn.LayerNorm([2, 3]),
              nn.Embedding(5, 2, padding_idx=0), nn.Flatten(0), nn.CrossEntropyLoss(label_smoothing=0.1),
              nn.NLLLoss(), nn.MSELoss(reduction="sum"), nn.L1Loss(), nn.BCEWithLogitsLoss(),
              nn.ModuleList([nn.ReLU()]), nn.ModuleDict({"a": nn.Tanh()})]
    for layer in layers:
        loaded = round_trip(layer)
        assert type(loaded) is type(layer) and repr(loaded) == repr(layer)
        assert {k: v.tolist() for k, v in loaded.state_dict().items()} == \
            {k: v.tolist() for k, v in layer.state_dict().items()}


def test_tied_weights_and_shared_submodules_stay_shared():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared, nn.Linear(2, 2))
    model[3].weight = model[0].weight
    loaded = round_trip(model)
    assert loaded[0] is loaded[2] and loaded[3].weight is loaded[0].weight
    loaded[0].weight.data.fill_(0.5)
    assert loaded[3].weight.tolist() == [[0.5, 0.5], [0.5, 0.5]]


class Net(nn.Module):
    def __init__(self, config=None):
        super().__init__()
        self.config = config
        self.body = nn.Linear(3, 2)
        self.register_buffer("steps", genesis.tensor(4))
        self.register_buffer("cache", genesis.zeros(2), persistent=False)
        self.scale = 0.5

    def forward(self, x):
        return self.body(x) * self.scale


@dataclasses.dataclass
class Config:
    width: int = 3
    name: str = "tiny"


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Linear(3, 2)


def test_a_user_model_needs_its_class_allowed_as_with_torch_weights_only():
    buffer = io.BytesIO()
    torch.save(TorchNet(), buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(buffer)
    model = Net()
    buffer = io.BytesIO()
    genesis.save(model, buffer)
    for weights_only in (True, False):
        buffer.seek(0)
        with pytest.raises(UnsupportedGlobalError) as ours:
            genesis.load(buffer, weights_only=weights_only)
        assert isinstance(ours.value, CheckpointError) and isinstance(ours.value, pickle.UnpicklingError)
    path = f"{__name__}.Net"
    assert f"Unsupported global: GLOBAL {__name__}.TorchNet was not an allowed global by default" in str(theirs.value)
    assert f"Unsupported global: GLOBAL {path} was not an allowed global by default. Please use " \
           "`genesis.serialization.add_safe_globals([Net])`" in str(ours.value)
    assert str(ours.value).startswith("cannot load checkpoint '<BytesIO>': Weights only load failed")
    with safe_globals([Net]):
        buffer.seek(0)
        loaded = genesis.load(buffer)
    assert get_safe_globals() == []
    x = genesis.randn(4, 3)
    assert type(loaded) is Net and loaded.scale == 0.5 and loaded.steps.item() == 4
    np.testing.assert_array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())
    assert loaded._non_persistent_buffers_set == {"cache"} and list(loaded.state_dict()) == \
        ["steps", "body.weight", "body.bias"]


def test_a_config_dataclass_inside_a_model_and_add_safe_globals():
    model = Net(Config(width=5))
    buffer = io.BytesIO()
    genesis.save(model, buffer)
    add_safe_globals([Net])
    try:
        buffer.seek(0)
        with pytest.raises(UnsupportedGlobalError, match=r"GLOBAL .*\.Config was not an allowed global"):
            genesis.load(buffer)
        add_safe_globals([(Config, f"{__name__}.Config")])
        assert get_safe_globals() == [Net, (Config, f"{__name__}.Config")]
        buffer.seek(0)
        loaded = genesis.load(buffer)
    finally:
        clear_safe_globals()
    assert loaded.config == Config(width=5) and type(loaded.config) is Config


def test_the_registry_checks_its_entries_as_torch_does():
    with pytest.raises(ValueError, match="Expected tuple of length 2"):
        add_safe_globals([(Net, "a", "b")])
    with pytest.raises(TypeError, match="Expected second item in tuple to be str"):
        add_safe_globals([(Net, 3)])
    assert get_safe_globals() == []


def test_objects_that_are_not_data_are_refused_at_save_with_the_path():
    model = nn.Linear(2, 1)
    optimizer = genesis.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"genesis.optim.sgd.SGD at <root>.*save its state_dict\(\) instead"):
        genesis.save(optimizer, io.BytesIO())
    model.hook = lambda x: x
    with pytest.raises(TypeError, match=r"function \(.*<lambda>\) at hook"):
        genesis.save(model, io.BytesIO())


def tampered(path):
    """A valid checkpoint of a Linear whose tree names ``path`` as its class."""
    buffer = io.BytesIO()
    genesis.save(nn.Linear(1, 1), buffer)
    raw = buffer.getvalue()
    length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + length])
    tree = json.loads(header["__metadata__"]["genesis.tree"])
    tree["@object"][1] = path
    header["__metadata__"]["genesis.tree"] = json.dumps(tree)
    arrays = {name: np.frombuffer(raw[8 + length:], np.uint8)[e["data_offsets"][0]:e["data_offsets"][1]]
              .view(fileformat.DTYPE_CODES[e["dtype"]]).reshape(e["shape"])
              for name, e in header.items() if name != "__metadata__"}
    head, ordered = fileformat.build_head(tree, list(arrays.items()), version=2)
    out = io.BytesIO()
    fileformat.write_checkpoint(out, head, ordered)
    out.seek(0)
    return out


@pytest.mark.parametrize("path", ["os.system", "subprocess.Popen", "builtins.eval",
                                  "genesis.nn.modules.module._addindent", "genesis.nn.init.zeros_",
                                  "genesis.nn.no_such.Thing", "genesis.tensor.Tensor",
                                  "genesis.nn.modules.linear.Linear.__init__"])
def test_a_file_naming_any_other_global_is_refused_without_importing_it(path):
    import sys

    before = set(sys.modules)
    with pytest.raises(UnsupportedGlobalError, match="Unsupported global"):
        genesis.load(tampered(path))
    assert not {m for m in set(sys.modules) - before if not m.startswith("genesis.nn")}
    assert type(genesis.load(tampered("genesis.nn.modules.linear.Linear"))) is nn.Linear


def test_whole_objects_use_format_version_2_and_state_dicts_stay_version_1(tmp_path):
    def version(obj):
        buffer = io.BytesIO()
        genesis.save(obj, buffer)
        raw = buffer.getvalue()
        return json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])["__metadata__"]["genesis.version"]

    model = nn.Linear(2, 1)
    assert version(model.state_dict()) == "1"
    assert version({"model": model.state_dict(), "opt": genesis.optim.Adam(model.parameters()).state_dict()}) == "1"
    assert version(model) == "2" and version({"s": {1, 2}}) == "2" and version(model.weight) == "2"


def test_sets_and_parameters_outside_modules_round_trip():
    weight = nn.Parameter(genesis.ones(2))
    loaded = round_trip({"names": {"b", "a"}, "ids": frozenset({1, 2}), "w": weight})
    assert loaded["names"] == {"a", "b"} and loaded["ids"] == {1, 2}
    assert type(loaded["w"]) is nn.Parameter and loaded["w"].requires_grad


def test_map_location_reaches_the_parameters_of_a_module():
    seen = []
    loaded = round_trip(nn.Linear(2, 1), map_location=lambda t, loc: seen.append(loc) or t * 0)
    assert seen == ["cpu", "cpu"] and isinstance(loaded.weight, nn.Parameter)
    assert loaded.weight.tolist() == [[0.0, 0.0]]


def test_inspect_shows_a_user_model_without_rebuilding_it(tmp_path, capsys):
    from genesis.cli import main

    genesis.save(Net(), tmp_path / "net.pth")
    assert main(["checkpoint", "inspect", str(tmp_path / "net.pth")]) == 0
    out = capsys.readouterr().out
    assert f"<root>: {__name__}.Net object" in out and "weight: Parameter float32 [2, 3] requires_grad" in out
    assert "format 2" in out


def test_sequence_layers_and_their_activation_functions_round_trip():
    # A transformer layer keeps F.relu / F.gelu (functions, as in PyTorch) as its activation:
    # Genesis's own nn functions are stored by name and come back as the same function.
    genesis.manual_seed(0)
    layers = [nn.LSTM(3, 4, 2, bidirectional=True, proj_size=2), nn.GRU(3, 4), nn.RNN(3, 4),
              nn.LSTMCell(3, 4), nn.MultiheadAttention(4, 2, kdim=3, vdim=5),
              nn.TransformerEncoderLayer(4, 2, 8), nn.TransformerDecoderLayer(4, 2, 8, activation="gelu"),
              nn.Transformer(4, 2, 1, 1, 8)]
    for layer in layers:
        loaded = round_trip(layer)
        assert type(loaded) is type(layer) and repr(loaded) == repr(layer)
        assert {k: v.tolist() for k, v in loaded.state_dict().items()} == \
            {k: v.tolist() for k, v in layer.state_dict().items()}
    encoder = nn.TransformerEncoderLayer(4, 2, 8).eval()
    loaded = round_trip(encoder)
    assert loaded.activation is nn.functional.relu
    x = genesis.randn(3, 2, 4)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), encoder(x).detach().numpy())


def test_functions_outside_genesis_nn_need_allowing():
    model = nn.Linear(2, 1)
    model.transform = np.tanh  # not a Python function: refused at save
    with pytest.raises(TypeError, match="at transform"):
        genesis.save(model, io.BytesIO())

    def scale(x):
        return 2 * x

    model.transform = scale
    with pytest.raises(TypeError, match=r"function \(.*scale\) at transform"):
        genesis.save(model, io.BytesIO())
    with safe_globals([scale]):
        assert round_trip(model).transform is scale
    buffer = io.BytesIO()
    with safe_globals([scale]):
        genesis.save(model, buffer)
    buffer.seek(0)
    with pytest.raises(UnsupportedGlobalError, match="Unsupported global"):
        genesis.load(buffer)  # the loading side has not allowed it
