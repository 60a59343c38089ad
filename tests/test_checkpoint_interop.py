"""Plain .safetensors files from elsewhere load as Genesis tensors; our files open elsewhere."""
import json

import numpy as np
import pytest
import torch
from safetensors.numpy import save_file as save_numpy_file
from safetensors.torch import load_file as load_torch_file
from safetensors.torch import save_file as save_torch_file

import genesis
from genesis import load_checkpoint, nn, save_checkpoint


@pytest.mark.parametrize("mmap", [False, True])
def test_torch_state_dict_saved_with_safetensors_loads_into_a_genesis_linear(tmp_path, mmap):
    torch.manual_seed(0)
    reference = torch.nn.Linear(5, 3)
    path = tmp_path / "model.safetensors"
    save_torch_file(reference.state_dict(), str(path))
    state = load_checkpoint(path, mmap=mmap)
    assert sorted(state) == ["bias", "weight"]
    assert all(isinstance(v, genesis.Tensor) and v.dtype == genesis.float32 for v in state.values())
    model = nn.Linear(5, 3)
    model.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    expected = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(genesis.tensor(x)).detach().numpy(), expected, rtol=1e-6, atol=1e-6)


def test_foreign_dtypes_bfloat16_widened_and_uint16_kept_as_array(tmp_path):
    path = tmp_path / "mixed.safetensors"
    values = torch.tensor([1.5, -2.0, 3.140625, 1e30], dtype=torch.bfloat16)
    save_torch_file({"bf": values, "u16": torch.tensor([0, 1, 65535], dtype=torch.uint16),
                     "i64": torch.arange(3), "f64": torch.ones(2, dtype=torch.float64)}, str(path))
    state = load_checkpoint(path)
    assert state["bf"].dtype == genesis.float32
    np.testing.assert_array_equal(state["bf"].numpy(), values.float().numpy())
    assert type(state["u16"]) is np.ndarray and state["u16"].dtype == np.uint16
    assert state["i64"].dtype == genesis.int64 and state["f64"].dtype == genesis.float64


def test_small_integer_dtypes_load_as_tensors_of_that_dtype(tmp_path):
    path = tmp_path / "ints.safetensors"
    source = {"u8": torch.tensor([0, 7, 255], dtype=torch.uint8),
              "i8": torch.tensor([-128, 0, 127], dtype=torch.int8),
              "i16": torch.tensor([-32768, 5, 32767], dtype=torch.int16)}
    save_torch_file(source, str(path))
    state = load_checkpoint(path)
    for name, tensor in source.items():
        assert isinstance(state[name], genesis.Tensor)
        assert str(state[name].dtype).split(".")[1] == str(tensor.dtype).split(".")[1]
        np.testing.assert_array_equal(state[name].numpy(), tensor.numpy())


def test_a_torch_state_dict_with_a_uint8_buffer_loads_into_a_module(tmp_path):
    def build(lib):
        class Masked(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.linear = lib.nn.Linear(3, 2)
                self.register_buffer("keep", lib.zeros(3, dtype=lib.uint8))

            def forward(self, x):
                return self.linear(x * self.keep)
        return Masked()

    reference = build(torch)
    reference.keep.copy_(torch.tensor([1, 0, 1], dtype=torch.uint8))
    path = tmp_path / "masked.safetensors"
    save_torch_file(reference.state_dict(), str(path))
    model = build(genesis)
    model.load_state_dict(load_checkpoint(path))
    assert model.keep.dtype == genesis.uint8
    np.testing.assert_array_equal(model.keep.numpy(), [1, 0, 1])
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    expected = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(genesis.tensor(x)).detach().numpy(), expected, rtol=1e-6, atol=1e-6)


def test_unaligned_foreign_layout_is_read_correctly(tmp_path):
    # a writer that packs a 3-byte tensor before a float64 one leaves the float64 misaligned
    header = {"a": {"dtype": "U8", "shape": [3], "data_offsets": [0, 3]},
              "b": {"dtype": "F64", "shape": [2], "data_offsets": [3, 19]}}
    text = json.dumps(header).encode()
    data = bytes([7, 8, 9]) + np.array([1.25, -0.5], "<f8").tobytes()
    path = tmp_path / "packed.safetensors"
    path.write_bytes(len(text).to_bytes(8, "little") + text + data)
    for mmap in (False, True):
        state = load_checkpoint(path, mmap=mmap)
        np.testing.assert_array_equal(state["a"], [7, 8, 9])
        np.testing.assert_array_equal(state["b"].numpy(), [1.25, -0.5])


def test_numpy_safetensors_file_without_metadata_loads(tmp_path):
    path = tmp_path / "arrays.safetensors"
    save_numpy_file({"x": np.arange(6, dtype=np.int32).reshape(2, 3)}, str(path), metadata={"note": "hi"})
    state = load_checkpoint(path)
    assert list(state) == ["x"] and state["x"].dtype == genesis.int32
    np.testing.assert_array_equal(state["x"].numpy(), np.arange(6).reshape(2, 3))


def test_a_genesis_state_dict_checkpoint_loads_into_pytorch(tmp_path):
    genesis.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    path = tmp_path / "model.safetensors"
    save_checkpoint(model.state_dict(), path)
    reference = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    reference.load_state_dict(load_torch_file(str(path)))  # safetensors' own reader, tensor names = keys
    x = np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_allclose(model(genesis.tensor(x)).detach().numpy(),
                               reference(torch.from_numpy(x)).detach().numpy(), rtol=1e-6, atol=1e-6)
