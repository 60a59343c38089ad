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


def test_foreign_dtypes_bfloat16_widened_and_uint8_kept_as_array(tmp_path):
    path = tmp_path / "mixed.safetensors"
    values = torch.tensor([1.5, -2.0, 3.140625, 1e30], dtype=torch.bfloat16)
    save_torch_file({"bf": values, "u8": torch.arange(5, dtype=torch.uint8),
                     "i64": torch.arange(3), "f64": torch.ones(2, dtype=torch.float64)}, str(path))
    state = load_checkpoint(path)
    assert state["bf"].dtype == genesis.float32
    np.testing.assert_array_equal(state["bf"].numpy(), values.float().numpy())
    assert type(state["u8"]) is np.ndarray and state["u8"].dtype == np.uint8
    assert state["i64"].dtype == genesis.int64 and state["f64"].dtype == genesis.float64


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
