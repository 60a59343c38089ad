"""The examples in examples/ run, and do what their docstrings claim."""
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import genesis

ROOT = pathlib.Path(__file__).resolve().parents[1]
SRC = str(pathlib.Path(genesis.__file__).resolve().parents[1])
LARGE_BATCH = str(ROOT / "examples" / "large_batch_digits.py")


def _accuracy(command: list[str]) -> float:
    # a waiting rank yields its core (see tests/distributed/test_two_processes.py)
    env = dict(os.environ, PYTHONPATH=SRC, OMPI_MCA_mpi_yield_when_idle="1")
    env.pop("RANK", None)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return float(re.search(r"test accuracy: ([0-9.]+)", done.stdout).group(1))


def test_two_processes_with_the_linear_scaling_rule_reach_the_one_process_accuracy():
    one = _accuracy([sys.executable, LARGE_BATCH])
    two = _accuracy([sys.executable, "-m", "genesis", "run", "--nproc-per-node", "2", LARGE_BATCH])
    assert one >= 0.95 and two >= 0.95
    assert two >= one - 0.02, (one, two)


# ---------------------------------------------------------------- the training examples

EXAMPLES = ROOT / "examples"
TINY = {  # a few seconds each: two epochs of three batches, the smallest layers
    "cnn_digits": ["--epochs", "2", "--steps", "3", "--batch-size", "8", "--channels", "2"],
    "char_transformer": ["--epochs", "2", "--steps", "3", "--batch-size", "4", "--d-model", "8",
                         "--nhead", "2", "--layers", "1", "--context", "8",
                         "--warmup-steps", "2"],
    "lstm_lm": ["--epochs", "2", "--steps", "3", "--batch-size", "4", "--hidden", "8",
                "--embedding", "4", "--context", "8"],
}


def _example(name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=SRC)
    done = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), "--quiet", *args],
                          env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def _import_example(name: str, monkeypatch):
    import importlib

    monkeypatch.syspath_prepend(str(EXAMPLES))  # the examples import _common by its name
    return importlib.import_module(name)


def _scalars(logdir: pathlib.Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar tag in ``logdir``'s event files: ``[(step, value), ...]``."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(logdir))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)]
            for tag in events.Tags()["scalars"]}


@pytest.mark.parametrize("name", sorted(TINY))
def test_example_trains_plots_logs_and_resumes_exactly(name, tmp_path):
    tiny = TINY[name]
    png, logdir = tmp_path / "curves.png", tmp_path / "logs"
    straight = _example(name, *tiny, "--out", str(tmp_path / "straight"), "--plot", str(png),
                        "--logdir", str(logdir))
    _example(name, *tiny, "--out", str(tmp_path / "split"), "--stop-after", "1")
    stopped = genesis.load_checkpoint(tmp_path / "split" / "checkpoint.pth")
    assert stopped["epoch"] == 0 and len(stopped["history"]["loss"]) == 3
    resumed = _example(name, *tiny, "--out", str(tmp_path / "split"), "--resume")
    assert "Resuming" in resumed.stdout

    one, two = (genesis.load_checkpoint(tmp_path / run / "checkpoint.pth")
                for run in ("straight", "split"))
    assert one["epoch"] == two["epoch"] == 1
    assert one["history"] == two["history"] and len(one["history"]["loss"]) == 6
    assert one["model_state_dict"].keys() == two["model_state_dict"].keys()
    for key, value in one["model_state_dict"].items():
        assert np.array_equal(value.numpy(), two["model_state_dict"][key].numpy()), key
    final = [line for line in straight.stdout.splitlines() if line.startswith("Final:")]
    assert final and final[0] in resumed.stdout

    from PIL import Image

    with Image.open(png) as image:
        image.verify()
        assert image.format == "PNG" and image.size[0] > 100
    assert any(f.name.startswith("events.out.tfevents") for f in logdir.iterdir())
    scalars = _scalars(logdir)
    assert [value for _, value in scalars["loss"]] == pytest.approx(one["history"]["loss"],
                                                                    rel=1e-6)
    assert [step for step, _ in scalars["lr/group0"]] == list(range(6))
    assert [value for _, value in scalars["lr/group0"]] == pytest.approx(one["history"]["lr"],
                                                                         rel=1e-6)


def test_resume_refuses_other_settings(tmp_path):
    out = str(tmp_path / "run")
    _example("lstm_lm", *TINY["lstm_lm"], "--out", out, "--stop-after", "1")
    other = _example("lstm_lm", *TINY["lstm_lm"], "--steps", "4", "--out", out, "--resume",
                     check=False)
    assert other.returncode != 0 and "--steps 4 (saved 3)" in other.stderr
    missing = _example("lstm_lm", "--out", str(tmp_path / "none"), "--resume", check=False)
    assert missing.returncode != 0 and "nothing to resume" in missing.stderr


def _noam(base_lr: float, d_model: int, warmup_steps: int, step: int) -> float:
    # "Attention Is All You Need", eq. (3), times the base rate; the spec makes step 0 give 0
    if step == 0:
        return 0.0
    return base_lr * d_model ** -0.5 * min(step ** -0.5, step * warmup_steps ** -1.5)


def test_noam_schedule_rates_are_the_formula(monkeypatch):
    module = _import_example("char_transformer", monkeypatch)
    optimizer = genesis.optim.Adam(genesis.nn.Linear(2, 1).parameters(), lr=0.5)
    schedule = module.get_transformer_schedule(optimizer, d_model=16, warmup_steps=5)
    rates = []
    for _ in range(30):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert rates == pytest.approx([_noam(0.5, 16, 5, step) for step in range(30)], rel=1e-12)
    # by hand: 0 at first; linear to the peak 0.5 / 4 / sqrt(5) at step 5; then 1/sqrt(step)
    assert rates[0] == 0.0
    assert rates[1] == pytest.approx(0.5 / 4 * 5 ** -1.5, rel=1e-12)
    assert rates[5] == pytest.approx(0.5 / 4 / 5 ** 0.5, rel=1e-12) == max(rates)
    assert rates[20] == pytest.approx(rates[5] / 2, rel=1e-12)  # sqrt(5 / 20) = 1/2


def test_the_transformer_example_trains_with_the_noam_rates(tmp_path):
    _example("char_transformer", *TINY["char_transformer"], "--out", str(tmp_path), "--lr", "2")
    history = genesis.load_checkpoint(tmp_path / "checkpoint.pth")["history"]
    assert history["lr"] == pytest.approx([_noam(2.0, 8, 2, step) for step in range(6)],
                                          rel=1e-12)


def test_unigram_entropy_is_the_entropy_of_the_character_frequencies(monkeypatch):
    import collections
    import math

    common = _import_example("_common", monkeypatch)
    # "aab": p = 2/3, 1/3
    assert common.Text("aab").unigram_entropy() == pytest.approx(
        -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)), rel=1e-12)
    content = pathlib.Path(common.TEXT).read_text(encoding="utf-8")
    counts = collections.Counter(content)
    by_hand = -sum(n / len(content) * math.log(n / len(content)) for n in counts.values())
    assert common.Text.load().unigram_entropy() == pytest.approx(by_hand, rel=1e-12)


def test_text_windows_are_the_text_shifted_by_one(monkeypatch):
    common = _import_example("_common", monkeypatch)
    text = common.Text("the quick brown fox jumps over the lazy dog", val_fraction=0.25)
    genesis.manual_seed(0)
    [(inputs, targets)] = text.random_windows(1, 5, 6)
    decode = lambda row: "".join(text.vocabulary[i] for i in row)  # noqa: E731
    train_text = "the quick brown fox jumps over the lazy dog"[:len(text.train)]
    for x, y in zip(inputs.numpy(), targets.numpy()):
        assert decode(x)[1:] == decode(y)[:-1] and decode(x) + decode(y)[-1] in train_text
    val_inputs, val_targets = text.val_windows(3)
    assert val_inputs.shape == (3, 3) and decode(val_targets.numpy()[0]) == decode(
        text.val[1:4])


@pytest.mark.parametrize("name", ["_common", "char_transformer"])
def test_example_docstrings_run(name, monkeypatch):
    import doctest

    module = _import_example(name, monkeypatch)
    failures, tried = doctest.testmod(module, extraglobs={"genesis": genesis,
                                                          "nn": genesis.nn})[:2]
    assert tried > 0 and failures == 0
