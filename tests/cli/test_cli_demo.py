"""`genesis demo`: accuracy checked by PyTorch, the rates against the closed form, exact resume
after a real Ctrl-C (SIGINT) in a subprocess, the PNG, and every error's message and status.

Short runs (3 epochs of 10 batches) keep the file fast; one test runs the defaults end to end.
"""
import dataclasses
import doctest
import math
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import genesis
from genesis import demo
from genesis.cli import main

REPO = pathlib.Path(__file__).resolve().parents[2]
# The genesis under test (src/ of this checkout, or whatever PYTHONPATH chose) for child processes.
SRC = str(pathlib.Path(genesis.__file__).resolve().parents[1])
SHORT_CONFIG = demo.DemoConfig(epochs=3, batch_size=128, warmup=4, lr=0.005, seed=7)
SHORT = ["--epochs", "3", "--batch-size", "128", "--warmup", "4", "--lr", "0.005", "--seed", "7"]
SHORT_STEPS_PER_EPOCH = (1797 - 450) // 128  # the last short batch is dropped

# Runs `genesis demo ARGS` and waits, blocked inside the optimizer step number STOP_AT (mid
# second epoch, after the first checkpoint), for the test to press Ctrl-C (send SIGINT).
INTERRUPTIBLE = textwrap.dedent("""
    import pathlib, signal, sys
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a background shell ignores it
    from genesis import optim
    from genesis.cli import main

    marker, stop_at, argv = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    step, calls = optim.AdamW.step, [0]

    def step_or_wait(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] == stop_at:
            marker.touch()
            signal.pause()
        return step(self, *args, **kwargs)

    optim.AdamW.step = step_or_wait
    sys.exit(main(["demo", *argv]))
""")


def digits_test_split():
    """The 450 held-out digits, split as the demo documents (fixed permutation, seed 0)."""
    images, labels = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(images))
    test, train = order[:450], order[450:]
    mean, std = images[train].mean(axis=0), images[train].std(axis=0) + 1e-8
    return ((images[test] - mean) / std).astype(np.float32), labels[test]


def torch_accuracy(model_state):
    """Accuracy of the saved weights, evaluated by PyTorch on the held-out digits."""
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                                torch.nn.Linear(128, 10)).eval()
    model.load_state_dict({name: torch.tensor(value.numpy())
                           for name, value in model_state.items()})
    images, labels = digits_test_split()
    with torch.no_grad():
        predicted = model(torch.tensor(images)).argmax(dim=1).numpy()
    return float(np.mean(predicted == labels))


def leaves(tree, prefix=""):
    """Every leaf of a checkpoint tree as (path, bytes or value), for bit-for-bit comparison."""
    if isinstance(tree, dict):
        return [leaf for key, value in tree.items() for leaf in leaves(value, f"{prefix}/{key}")]
    if isinstance(tree, (list, tuple)):
        return [leaf for i, value in enumerate(tree) for leaf in leaves(value, f"{prefix}[{i}]")]
    if isinstance(tree, genesis.Tensor):
        tree = tree.detach().numpy()
    if isinstance(tree, (np.ndarray, np.generic)):
        return [(prefix, tree.dtype.str, tree.shape, tree.tobytes())]
    return [(prefix, tree)]


def weight_bytes(directory):
    state = genesis.load_checkpoint(directory / "checkpoint.pth")["model_state_dict"]
    return {name: value.numpy().tobytes() for name, value in state.items()}


def closed_form_rates(peak, warmup, total):
    """The cosine-with-warmup rate of every step, written out from its definition."""
    return [peak * step / warmup if step < warmup
            else peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))
            for step in range(total)]


def test_defaults_reach_95_percent_checked_by_torch_and_write_the_png(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["demo", "--out", str(out)]) == 0
    stdout, stderr = capsys.readouterr()
    checkpoint = genesis.load_checkpoint(out / "checkpoint.pth")
    accuracy = torch_accuracy(checkpoint["model_state_dict"])
    assert accuracy >= 0.95
    assert "for 20 epochs of 21 batches: AdamW lr 0.003, cosine schedule with 42 of 420" in stdout
    assert f"Test accuracy: {accuracy:.2%} ({round(accuracy * 450)} of 450 digits)" in stdout
    assert checkpoint["epoch"] == 19 and checkpoint["config"] == {
        "epochs": 20, "lr": 3e-3, "warmup": 0.1, "batch_size": 64, "seed": 0}

    steps_per_epoch = (1797 - 450) // 64
    total = 20 * steps_per_epoch
    rates = checkpoint["history"]["lr"]
    np.testing.assert_allclose(rates, closed_form_rates(3e-3, round(0.1 * total), total),
                               rtol=1e-12, atol=1e-18)
    assert checkpoint["scheduler_state_dict"]["last_epoch"] == total
    moments = checkpoint["optimizer_state_dict"]["state"].values()
    assert all(state["step"] == total for state in moments)
    assert f"epoch 20/20: 100%" in stderr and "lr=" in stderr and "loss=" in stderr

    image = pytest.importorskip("matplotlib.image").imread(out / "curves.png")
    assert image.ndim == 3 and image.shape[0] > 400 and image.shape[1] > 600
    assert f"Curves: {out / 'curves.png'}" in stdout


def test_ctrl_c_keeps_the_last_checkpoint_and_resume_is_bit_identical(tmp_path, capsys):
    uninterrupted = tmp_path / "uninterrupted"
    quiet = {"progress": False, "plot": False, "echo": lambda line: None}
    demo.run(uninterrupted, SHORT_CONFIG, **quiet)

    interrupted, marker = tmp_path / "interrupted dir", tmp_path / "waiting"
    (tmp_path / "interruptible.py").write_text(INTERRUPTIBLE)
    stop_at = SHORT_STEPS_PER_EPOCH + 4  # the fifth batch of the second epoch
    process = subprocess.Popen(
        [sys.executable, str(tmp_path / "interruptible.py"), str(marker), str(stop_at),
         "--out", str(interrupted), *SHORT],
        cwd=REPO, env={**os.environ, "PYTHONPATH": SRC},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the demo never reached the second epoch"
            try:
                process.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                pass
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert f"interrupted; resume with: genesis demo --resume --out '{interrupted}'" in stderr
    assert "Traceback" not in stderr
    kept = genesis.load_checkpoint(interrupted / "checkpoint.pth")
    assert kept["epoch"] == 0 and len(kept["history"]["lr"]) == SHORT_STEPS_PER_EPOCH

    capsys.readouterr()
    assert main(["demo", "--quiet", "--resume", "--out", str(interrupted)]) == 0
    resumed_out = capsys.readouterr().out
    assert f"Resuming {interrupted / 'checkpoint.pth'} after epoch 1 of 3." in resumed_out
    expected = leaves(genesis.load_checkpoint(uninterrupted / "checkpoint.pth"))
    resumed = leaves(genesis.load_checkpoint(interrupted / "checkpoint.pth"))
    assert [leaf[0] for leaf in resumed] == [leaf[0] for leaf in expected]
    for got, want in zip(resumed, expected):
        assert got == want, got[0]

    # without the saved RNG state the batch order and dropout differ: the comparison has teeth
    genesis.save_checkpoint({**kept, "rng_state": genesis.Generator().manual_seed(1).get_state()},
                            interrupted / "checkpoint.pth")
    demo.run(interrupted, resume=True, **quiet)
    assert weight_bytes(interrupted) != weight_bytes(uninterrupted)


def test_resume_of_a_finished_run_trains_nothing_and_reports_the_same_accuracy(tmp_path, capsys):
    config = demo.DemoConfig(epochs=1, batch_size=256, warmup=0, lr=0.01)
    first = demo.run(tmp_path, config, progress=False, plot=False)
    before = weight_bytes(tmp_path)
    capsys.readouterr()
    # options given with --resume are accepted when they match the saved settings
    assert main(["demo", "--resume", "--out", str(tmp_path), "--lr", "0.01", "--warmup", "0"]) == 0
    assert weight_bytes(tmp_path) == before
    assert first.correct == round(torch_accuracy(
        genesis.load_checkpoint(tmp_path / "checkpoint.pth")["model_state_dict"]) * 450)
    assert f"Test accuracy: {first.accuracy:.2%} ({first.correct} of 450 digits)" in (
        capsys.readouterr().out)


def test_a_fresh_run_replaces_an_old_checkpoint(tmp_path, capsys):
    config = demo.DemoConfig(epochs=1, batch_size=256)
    demo.run(tmp_path, config, progress=False, plot=False)
    old = weight_bytes(tmp_path)
    demo.run(tmp_path, dataclasses.replace(config, seed=1), progress=False, plot=False)
    assert f"Starting over: removing {tmp_path / 'checkpoint.pth'}" in capsys.readouterr().out
    assert weight_bytes(tmp_path) != old
    assert genesis.load_checkpoint(tmp_path / "checkpoint.pth")["config"]["seed"] == 1


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "epochs must be a positive int, got 0"),
    (["--batch-size", "-3"], "batch_size must be a positive int, got -3"),
    (["--batch-size", "1348"], "batch_size must be at most the 1347 training digits, got 1348"),
    (["--lr", "0"], "lr must be a positive finite number, got 0.0"),
    (["--lr", "nan"], "lr must be a positive finite number, got nan"),
    (["--epochs", "1", "--warmup", "500"],
     f"warmup must be at most the {(1797 - 450) // 64} training steps (1 epoch of "
     f"{(1797 - 450) // 64}), got 500"),
])
def test_bad_settings_exit_2_naming_the_setting(tmp_path, capsys, argv, message):
    assert main(["demo", "--out", str(tmp_path), *argv]) == 2
    assert capsys.readouterr().err == f"genesis demo: error: {message}\n"


@pytest.mark.parametrize("text, message", [
    ("1.5", "warmup must be a fraction in [0, 1) of the training steps (or a whole number of "
            "steps), got 1.5"),
    ("-2", "warmup must be a non-negative number of steps, got -2"),
    ("ten", "warmup must be a number of steps (50) or a fraction of the steps (0.1), got 'ten'"),
])
def test_bad_warmup_is_an_argparse_error(text, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--warmup", text])
    assert exit_info.value.code == 2
    assert f"argument --warmup: {message}" in capsys.readouterr().err


def test_warmup_spellings():
    assert [demo.parse_warmup(text) for text in ("0", "50", "0.05", "0.0", "1e-1")] == [
        0, 50, 0.05, 0.0, 0.1]
    config = demo.DemoConfig(epochs=10, warmup=0.05)
    assert config.warmup_steps(21) == round(0.05 * 210) == 10
    assert demo.DemoConfig(warmup=50).warmup_steps(21) == 50
    with pytest.raises(ValueError, match="seed must be an int, got 1.5"):
        demo.DemoConfig(seed=1.5)
    with pytest.raises(ValueError, match="warmup must be an int number of steps or a float "
                                         "fraction in \\[0, 1\\), got True"):
        demo.DemoConfig(warmup=True)


def test_resume_without_a_checkpoint_exits_1(tmp_path, capsys):
    assert main(["demo", "--resume", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (f"genesis demo: error: nothing to resume: "
                                       f"{tmp_path / 'checkpoint.pth'} does not exist (start a "
                                       f"run without --resume)\n")


def test_resume_with_other_settings_exits_2_naming_them(tmp_path, capsys):
    demo.run(tmp_path, demo.DemoConfig(epochs=1, batch_size=256, lr=0.01), progress=False,
             plot=False)
    capsys.readouterr()
    assert main(["demo", "--resume", "--out", str(tmp_path), "--epochs", "2", "--lr", "0.02"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"genesis demo: error: resume continues {tmp_path / 'checkpoint.pth'} "
                          f"with its saved settings; these differ: ")
    assert "epochs=2 (saved 1), lr=0.02 (saved 0.01)" in err


def test_resume_of_a_foreign_checkpoint_exits_1(tmp_path, capsys):
    genesis.save_checkpoint({"epoch": 3}, tmp_path / "checkpoint.pth")
    assert main(["demo", "--resume", "--out", str(tmp_path)]) == 1
    assert "is not a checkpoint of genesis demo" in capsys.readouterr().err


def test_without_scikit_learn_it_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert main(["demo", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        "genesis demo: error: the demo trains on scikit-learn's handwritten digits, and "
        "scikit-learn is not installed: pip install -e \".[demo]\" (in the Genesis source checkout)\n")


def test_without_matplotlib_it_skips_the_png(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert main(["demo", "--quiet", "--out", str(tmp_path), "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert 'Curves: skipped, matplotlib is not installed: pip install -e ".[demo]"' in out
    assert not (tmp_path / "curves.png").exists()


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--epochs", "--lr", "--warmup", "--batch-size", "--seed", "--out", "--resume",
                   "--quiet", 'pip install -e ".[demo]"'):
        assert option in out


def test_docstring_examples():
    assert doctest.testmod(demo).failed == 0
