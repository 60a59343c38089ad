"""`genesis demo --logdir`: a real TensorBoard server serves the demo's rates, equal to the
schedule's preview; a resumed run's log reads as the uninterrupted run's."""
import contextlib
import dataclasses
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator

import genesis
from genesis import demo, optim
from genesis.cli import main

SHORT_CONFIG = demo.DemoConfig(epochs=3, batch_size=128, warmup=4, lr=0.005, seed=7)
SHORT = ["--epochs", "3", "--batch-size", "128", "--warmup", "4", "--lr", "0.005", "--seed", "7",
         "--quiet"]
STEPS = 3 * ((1797 - 450) // 128)  # 10 batches an epoch, the last short one dropped
TAGS = ["loss", "accuracy", "lr/group0", "epoch_loss", "test_accuracy"]
STARTUP_SECONDS = 20


@contextlib.contextmanager
def tensorboard_server(logdir, scratch):
    """A TensorBoard server on a free localhost port (``--port 0``: it picks and prints it),
    loading ``logdir`` once; yields its URL and stops it on the way out."""
    output = scratch / "tensorboard.log"
    with open(output, "w") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host",
             "127.0.0.1", "--port", "0", "--load_fast=false", "--reload_interval", "0"],
            stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not (found := re.search(r"http://127\.0\.0\.1:\d+", output.read_text())):
            assert server.poll() is None, f"tensorboard exited: {output.read_text()}"
            assert time.monotonic() < deadline, f"tensorboard did not start: {output.read_text()}"
            time.sleep(0.05)
        yield found.group(0)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def fetch_json(url, ready):
    """GET ``url`` until ``ready(answer)`` (the server loads the logs in the background)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                answer = json.loads(response.read())
            if ready(answer):
                return answer
        except (urllib.error.URLError, ConnectionError):
            pass
        assert time.monotonic() < deadline, f"no complete answer from {url} in time"
        time.sleep(0.1)


def test_a_tensorboard_server_serves_the_demos_rates_equal_to_the_preview(tmp_path):
    logdir = tmp_path / "logs"
    assert main(["demo", *SHORT, "--out", str(tmp_path / "out"), "--logdir", str(logdir)]) == 0
    history = genesis.load_checkpoint(tmp_path / "out" / "checkpoint.pth")["history"]

    with tensorboard_server(logdir, tmp_path) as url:
        tags = fetch_json(f"{url}/data/plugin/scalars/tags", lambda answer: "." in answer)
        query = urllib.parse.urlencode({"run": ".", "tag": "lr/group0"})
        rates = fetch_json(f"{url}/data/plugin/scalars/scalars?{query}",
                           lambda answer: len(answer) == STEPS)
        query = urllib.parse.urlencode({"run": ".", "tag": "loss"})
        losses = fetch_json(f"{url}/data/plugin/scalars/scalars?{query}",
                            lambda answer: len(answer) == STEPS)

    assert sorted(tags["."]) == sorted(TAGS)
    # The truth: the same schedule, fresh, previewed in closed form. Row i of preview is the
    # rate after i + 1 steps; step 0 trains at the initial rate (0 at the start of warmup).
    model = genesis.nn.Linear(64, 10)
    schedule = optim.get_cosine_schedule_with_warmup(optim.AdamW(model.parameters(), lr=0.005),
                                                     num_warmup_steps=4, num_training_steps=STEPS)
    expected = np.concatenate([[0.0], optim.lr_scheduler.preview(schedule, STEPS - 1)[:, 0]])
    wall_times, steps, values = zip(*rates)
    assert list(steps) == list(range(STEPS))
    assert list(wall_times) == sorted(wall_times)
    # simple_value is a float32: the served value is the rate rounded to float32
    np.testing.assert_allclose(values, expected.astype(np.float32), rtol=1.2e-7, atol=0)
    assert values[4] == np.float32(0.005)  # the peak, at the end of the warmup
    assert [value for _, _, value in losses] == [np.float32(v) for v in history["loss"]]


def series(logdir):
    events = event_accumulator.EventAccumulator(str(logdir), size_guidance={"scalars": 0})
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)]
            for tag in events.Tags()["scalars"]}


def test_a_resumed_run_logs_what_the_uninterrupted_run_logs(tmp_path, monkeypatch):
    demo.run(tmp_path / "whole", SHORT_CONFIG, progress=False, plot=False, echo=lambda _: None,
             logdir=tmp_path / "whole-log")
    step, calls = optim.AdamW.step, [0]

    def interrupted_mid_second_epoch(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] == 15:
            raise KeyboardInterrupt
        return step(self, *args, **kwargs)

    monkeypatch.setattr(optim.AdamW, "step", interrupted_mid_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        demo.run(tmp_path / "cut", SHORT_CONFIG, progress=False, plot=False,
                 echo=lambda _: None, logdir=tmp_path / "cut-log")
    monkeypatch.setattr(optim.AdamW, "step", step)
    before = series(tmp_path / "cut-log")
    assert [s for s, _ in before["loss"]] == list(range(14))  # 4 steps past the checkpoint
    demo.run(tmp_path / "cut", resume=True, progress=False, plot=False, echo=lambda _: None,
             logdir=tmp_path / "cut-log")
    assert series(tmp_path / "cut-log") == series(tmp_path / "whole-log")
    assert [s for s, _ in series(tmp_path / "whole-log")["test_accuracy"]] == [9, 19, 29]
    # a fresh run into a used folder hides the old curves (another seed: other losses)
    demo.run(tmp_path / "again", dataclasses.replace(SHORT_CONFIG, seed=8), progress=False,
             plot=False, echo=lambda _: None, logdir=tmp_path / "cut-log")
    again = series(tmp_path / "cut-log")
    assert [s for s, _ in again["loss"]] == list(range(STEPS))
    assert again["loss"] != series(tmp_path / "whole-log")["loss"]


def test_without_tensorboard_the_demo_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    for name in [m for m in sys.modules if m.split(".")[0] == "tensorboard"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if never installed
    for name in [m for m in sys.modules if m.startswith("genesis.utils.tensorboard.")]:
        if name.rsplit(".", 1)[1] in ("writer", "summary"):
            monkeypatch.delitem(sys.modules, name)
    assert main(["demo", *SHORT, "--out", str(tmp_path / "out"),
                 "--logdir", str(tmp_path / "logs")]) == 1
    assert capsys.readouterr().err == (
        "genesis demo: error: No module named 'tensorboard': TensorBoard logging needs the "
        "tensorboard package: pip install -e \".[tensorboard]\" (in the Genesis source "
        "checkout)\n")
    assert not (tmp_path / "out").exists()  # nothing trained or removed
