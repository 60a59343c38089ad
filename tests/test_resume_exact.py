"""A run checkpointed after epoch k and resumed in a fresh process ends bit-identical.

The training (an MLP with Dropout, AdamW, a warmup + cosine LambdaLR stepped per batch, a
shuffling DataLoader) runs in subprocesses: the uninterrupted run, the run that stops after
saving at epoch k, and the resumption, which follows the recipe of ``genesis.checkpoint``.
"""
import pathlib
import subprocess
import sys
import textwrap

import numpy as np

import genesis

REPO = pathlib.Path(__file__).resolve().parents[1]
# The genesis under test (src/ of this checkout, or whatever PYTHONPATH chose) for child processes.
SRC = str(pathlib.Path(genesis.__file__).resolve().parents[1])
EPOCHS, STOP_AFTER = 4, 2

TRAIN = textwrap.dedent(f"""
    import math, sys
    import numpy as np
    import genesis
    from genesis import nn, optim
    from genesis.utils.data import DataLoader, TensorDataset

    mode, checkpoint_path, out_path = sys.argv[1:4]
    EPOCHS, STOP_AFTER, STEPS_PER_EPOCH = {EPOCHS}, {STOP_AFTER}, 4
    WARMUP, TOTAL = 3, EPOCHS * STEPS_PER_EPOCH + 2  # +2: the last rate is not 0

    def warmup_cosine(step):
        if step < WARMUP:
            return (step + 1) / WARMUP
        return 0.5 * (1.0 + math.cos(math.pi * (step - WARMUP) / (TOTAL - WARMUP)))

    data = np.random.default_rng(0)
    inputs = data.standard_normal((64, 8)).astype(np.float32)
    targets = data.integers(0, 3, 64)
    genesis.manual_seed(1234)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
    optimizer = optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.01)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine)
    loader = DataLoader(TensorDataset(genesis.tensor(inputs), genesis.tensor(targets)), batch_size=16,
                        shuffle=True)
    criterion = nn.CrossEntropyLoss()

    start = 0
    if mode.startswith("resume"):
        checkpoint = genesis.load_checkpoint(checkpoint_path)
        model.load_state_dict(checkpoint["model_state_dict"])
        optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
        scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
        if mode == "resume":
            genesis.set_rng_state(checkpoint["rng_state"])
        start = checkpoint["epoch"] + 1

    for epoch in range(start, EPOCHS):
        model.train()
        for batch, (x, y) in enumerate(loader):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
        if mode == "first" and epoch == STOP_AFTER - 1:
            genesis.save_checkpoint({{
                "epoch": epoch,
                "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(),
                "scheduler_state_dict": scheduler.state_dict(),
                "loss": loss,
                "rng_state": genesis.get_rng_state(),
            }}, checkpoint_path)
            sys.exit(0)

    genesis.save_checkpoint({{"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                             "lr": scheduler.get_last_lr(), "loss": loss}}, out_path)
""")


def train(tmp_path, mode, out_name="out.pth"):
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    result = subprocess.run(
        [sys.executable, str(script), mode, str(tmp_path / "checkpoint.pth"), str(tmp_path / out_name)],
        capture_output=True, text=True, cwd=REPO, env={"PYTHONPATH": SRC, "PATH": ""}, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return genesis.load_checkpoint(tmp_path / out_name) if mode != "first" else None


def as_array(value):
    return value.numpy() if isinstance(value, genesis.Tensor) else np.asarray(value)


def weights(result):
    return {name: tensor.numpy() for name, tensor in result["model"].items()}


def test_resumed_run_is_bit_identical_to_the_uninterrupted_one(tmp_path):
    uninterrupted = train(tmp_path, "full", "full.pth")
    train(tmp_path, "first")
    checkpoint = genesis.load_checkpoint(tmp_path / "checkpoint.pth")
    assert checkpoint["epoch"] == STOP_AFTER - 1 and isinstance(checkpoint["loss"].item(), float)
    resumed = train(tmp_path, "resume", "resumed.pth")

    expected, got = weights(uninterrupted), weights(resumed)
    assert list(got) == list(expected)
    for name in expected:
        assert got[name].dtype == expected[name].dtype
        assert got[name].tobytes() == expected[name].tobytes(), name
    for index, state in uninterrupted["optimizer"]["state"].items():
        for key, value in state.items():
            assert as_array(resumed["optimizer"]["state"][index][key]).tobytes() == as_array(value).tobytes()
    assert resumed["lr"] == uninterrupted["lr"]
    assert resumed["loss"].item() == uninterrupted["loss"].item()

    # the RNG state is what makes it exact: without it dropout masks and batch order differ
    unseeded = train(tmp_path, "resume_without_rng", "unseeded.pth")
    assert any(weights(unseeded)[name].tobytes() != expected[name].tobytes() for name in expected)
