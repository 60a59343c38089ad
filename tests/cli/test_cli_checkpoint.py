"""`genesis checkpoint inspect|convert`: output, conversions and exit statuses."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import torch

import genesis
from genesis import load_checkpoint, save_checkpoint
from genesis.cli import main

REPO = pathlib.Path(__file__).resolve().parents[2]
# The genesis under test (src/ of this checkout, or whatever PYTHONPATH chose) for child processes.
SRC = str(pathlib.Path(genesis.__file__).resolve().parents[1])


class CreatesMarker:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "checkpoint.pth"
    tree = {
        "epoch": 4,
        "model_state_dict": {"fc.weight": np.ones((20, 10), np.float32), "fc.bias": np.zeros(20, np.float32)},
        "optimizer_state_dict": {"state": {0: {"step": np.float32(3.0)}},
                                 "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "params": [0, 1]}]},
        "loss": np.float64(0.5),
    }
    save_checkpoint(tree, path)
    return path


def run_cli(*argv):
    return main(["checkpoint", *map(str, argv)])


def test_inspect_prints_tree_dtypes_shapes_sizes_and_total(checkpoint, capsys):
    assert run_cli("inspect", checkpoint) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"{checkpoint}: Genesis checkpoint (format 1), verified"
    assert "epoch: 4" in lines
    assert "model_state_dict: dict of 2" in lines
    assert "  fc.weight: ndarray float32 [20, 10] (800 bytes)" in lines
    assert "  fc.bias: ndarray float32 [20] (80 bytes)" in lines
    assert "  state: {0: {'step': np.float32(3.0)}}" not in lines  # arrays are never printed inline
    assert "      step: numpy scalar float32 [] = 3.0 (4 bytes)" in lines
    assert "    [0]: dict of 1" in lines
    assert "  param_groups: [{'lr': 0.001, 'betas': (0.9, 0.999), 'params': [0, 1]}]" in lines
    assert "loss: numpy scalar float64 [] = 0.5 (8 bytes)" in lines
    assert lines[-1] == f"total: 4 tensors, {800 + 80 + 4 + 8} bytes"


def test_inspect_of_a_plain_safetensors_file(tmp_path, capsys):
    from safetensors.numpy import save_file

    path = tmp_path / "model.safetensors"
    save_file({"w": np.ones((1024, 1024), np.float16)}, str(path))
    assert run_cli("inspect", path) == 0
    out = capsys.readouterr().out
    assert "without Genesis metadata" in out
    assert "w: Tensor float16 [1024, 1024] (2.0 MiB)" in out
    assert out.splitlines()[-1] == "total: 1 tensor, 2.0 MiB (2,097,152 bytes)"


def test_inspect_of_damaged_missing_and_pickle_files_exits_1(checkpoint, tmp_path, capsys):
    raw = bytearray(checkpoint.read_bytes())
    raw[-1] ^= 1
    checkpoint.write_bytes(raw)
    assert run_cli("inspect", checkpoint) == 1
    err = capsys.readouterr().err
    assert "checksum mismatch" in err and str(checkpoint) in err
    assert run_cli("inspect", tmp_path / "missing.pth") == 1
    assert "missing.pth" in capsys.readouterr().err
    torch.save({"w": torch.ones(2)}, tmp_path / "model.pt")
    assert run_cli("inspect", tmp_path / "model.pt") == 1
    assert "genesis checkpoint convert" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["inspect"], ["frobnicate"], ["convert", "only_one"],
                                  ["inspect", "a", "b"]])
def test_bad_usage_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        run_cli(*argv)
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_python_dash_m_genesis_checkpoint_exit_statuses(checkpoint, tmp_path):
    env = {**os.environ, "PYTHONPATH": SRC}

    def run(*argv):
        return subprocess.run([sys.executable, "-m", "genesis", "checkpoint", *map(str, argv)],
                              capture_output=True, text=True, cwd=REPO, env=env, timeout=120)

    ok = run("inspect", checkpoint)
    assert ok.returncode == 0 and "fc.weight: ndarray float32 [20, 10]" in ok.stdout
    (tmp_path / "junk.pth").write_bytes(b"junk" * 10)
    bad = run("inspect", tmp_path / "junk.pth")
    assert bad.returncode == 1 and "cannot load checkpoint" in bad.stderr
    assert run("inspect").returncode == 2


def test_convert_a_pytorch_training_checkpoint(tmp_path, capsys):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
    model(torch.randn(5, 3)).sum().backward()
    optimizer.step()
    source = {"epoch": 3, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
              "loss": torch.tensor(0.75), "shape": torch.Size([2, 3]), "dtype": torch.float32,
              "half": torch.arange(4, dtype=torch.bfloat16), "bytes": torch.arange(3, dtype=torch.uint8)}
    torch.save(source, tmp_path / "train.pt")
    assert run_cli("convert", tmp_path / "train.pt", tmp_path / "train.safetensors") == 0
    assert "converted" in capsys.readouterr().out
    loaded = load_checkpoint(tmp_path / "train.safetensors")
    assert loaded["epoch"] == 3 and loaded["shape"] == (2, 3) and loaded["dtype"] == "torch.float32"
    assert loaded["loss"].item() == 0.75
    for name, tensor in model.state_dict().items():
        assert isinstance(loaded["model_state_dict"][name], genesis.Tensor)
        np.testing.assert_array_equal(loaded["model_state_dict"][name].numpy(), tensor.numpy())
    state = loaded["optimizer_state_dict"]["state"]
    assert sorted(state) == [0, 1, 2, 3]  # int keys survive
    np.testing.assert_array_equal(state[2]["exp_avg_sq"].numpy(), optimizer.state_dict()["state"][2]["exp_avg_sq"])
    group = loaded["optimizer_state_dict"]["param_groups"][0]
    assert group["betas"] == (0.9, 0.999) and group["params"] == [0, 1, 2, 3] and group["lr"] == 0.01
    np.testing.assert_array_equal(loaded["half"].numpy(), np.arange(4, dtype=np.float32))
    assert loaded["half"].dtype == genesis.float32
    assert loaded["bytes"].dtype == genesis.uint8
    np.testing.assert_array_equal(loaded["bytes"].numpy(), np.arange(3, dtype=np.uint8))


def test_convert_refuses_a_malicious_pickle_without_running_it(tmp_path, capsys):
    marker = tmp_path / "marker"
    torch.save({"w": torch.ones(2), "evil": CreatesMarker(marker)}, tmp_path / "evil.pt")
    assert run_cli("convert", tmp_path / "evil.pt", tmp_path / "out.safetensors") == 1
    assert "weights_only" in capsys.readouterr().err
    assert not marker.exists() and not (tmp_path / "out.safetensors").exists()


def test_convert_errors_exit_1(tmp_path, capsys, monkeypatch):
    assert run_cli("convert", tmp_path / "missing.pt", tmp_path / "out.safetensors") == 1
    assert "missing.pt" in capsys.readouterr().err
    torch.save({"c": torch.ones(2, dtype=torch.complex64)}, tmp_path / "complex.pt")
    assert run_cli("convert", tmp_path / "complex.pt", tmp_path / "out.safetensors") == 1
    assert "at c" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch were not installed
    assert run_cli("convert", tmp_path / "complex.pt", tmp_path / "out.safetensors") == 1
    assert "needs PyTorch" in capsys.readouterr().err


def test_inspect_shows_the_saved_schedule_definitions(tmp_path, capsys):
    from genesis.optim import lr_scheduler

    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    warmup = lr_scheduler.get_linear_schedule_with_warmup(optimizer, 10, 20_000)
    plain = lr_scheduler.LambdaLR(optimizer, lambda epoch: 1.0)  # a function: no definition
    save_checkpoint({"scheduler": warmup.state_dict(), "runs": [{"s": plain.state_dict()}]},
                    tmp_path / "ckpt.safetensors")
    assert run_cli("inspect", tmp_path / "ckpt.safetensors") == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index("saved schedules (scheduler.to_config(); genesis lr --config shows one):")
    assert out[start + 1:] == [
        "  scheduler: LambdaLR(lr_lambda=linear_with_warmup(num_warmup_steps=10, "
        "num_training_steps=20000))"]
