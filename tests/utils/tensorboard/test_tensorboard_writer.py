"""SummaryWriter: every value, step and wall time read back with TensorBoard's EventAccumulator,
and the same calls made through PyTorch's SummaryWriter giving the same records."""
import doctest
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.utils.tensorboard as torch_tb
from tensorboard.summary.writer.event_file_writer import EventFileWriter

import genesis
from genesis.utils import tensorboard as genesis_tb
from genesis.utils.tensorboard import summary as summary_module
from genesis.utils.tensorboard import writer as writer_module

SRC = str(Path(genesis.__file__).resolve().parents[1])
WRITERS = {"genesis": genesis_tb.SummaryWriter, "torch": torch_tb.SummaryWriter}


def f32(value):
    """What a simple_value (a float32 field) holds for ``value``."""
    return float(np.float32(value))


def test_scalars_read_back_value_step_and_wall_time_in_order(tmp_path, tb):
    inputs = [0.1, 3, np.float32(2.5), np.float64(1e-7), True, genesis.tensor(0.75),
              genesis.tensor([[1.5]], requires_grad=True), np.array([4.25]), float("nan")]
    before = time.time()
    with genesis_tb.SummaryWriter(tmp_path) as writer:
        for step, value in enumerate(inputs):
            writer.add_scalar("x", value, step * 10)
        writer.add_scalar("pinned", 1.0, 7, walltime=1234.5678)
        writer.add_scalar("no_step", 2.0)
        writer.add_scalar("float_step", 3.0, 5.9)   # PyTorch casts with int(): 5
    after = time.time()
    events = tb.load(tmp_path)
    read = events.Scalars("x")
    assert [e.step for e in read] == [10 * i for i in range(len(inputs))]
    expected = [f32(0.1), 3.0, 2.5, f32(1e-7), 1.0, 0.75, 1.5, 4.25]
    assert [e.value for e in read[:-1]] == expected
    assert np.isnan(read[-1].value)
    times = [e.wall_time for e in read]
    assert times == sorted(times) and before <= times[0] and times[-1] <= after
    assert [(e.step, e.value, e.wall_time) for e in events.Scalars("pinned")] == [(7, 1.0, 1234.5678)]
    assert [(e.step, e.value) for e in events.Scalars("no_step")] == [(0, 2.0)]
    assert [(e.step, e.value) for e in events.Scalars("float_step")] == [(5, 3.0)]


def script(lib, SummaryWriter, log_dir):
    """A logging script as a PyTorch user writes it; ``lib`` is torch or genesis."""
    lib.manual_seed(0)
    weights = lib.tensor(np.linspace(-2.0, 3.0, 200).astype(np.float32))
    with SummaryWriter(log_dir) as writer:
        for step in range(30):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
            writer.add_scalar("lr", lib.tensor(0.1 * 0.9 ** step), step)
            writer.add_scalars("pair", {"a": step * 0.5, "b": -step}, step)
        writer.add_histogram("weights", weights, 0)
        writer.add_histogram("weights_np", weights.numpy() ** 2, 1, bins="auto")
        writer.add_histogram("weights_10", weights, 2, bins=10)
        writer.add_histogram("weights_max", weights * 1e3, 3, max_bins=7)
        writer.add_text("note", "lr **0.1**, cosine", 4)
        writer.add_scalar("new", 0.1, 5, new_style=True)
        writer.add_scalar("double", 0.1, 6, new_style=True, double_precision=True)


def histograms(accumulator):
    return {tag: [(e.step, e.histogram_value) for e in accumulator.Histograms(tag)]
            for tag in accumulator.Tags()["histograms"]}


def tensors(accumulator):
    return {tag: [(e.step, e.tensor_proto) for e in accumulator.Tensors(tag)]
            for tag in accumulator.Tags()["tensors"]}


def test_the_same_script_logs_the_same_records_as_pytorch(tmp_path, tb):
    script(genesis, genesis_tb.SummaryWriter, tmp_path / "genesis")
    script(torch, torch_tb.SummaryWriter, tmp_path / "torch")
    ours, theirs = tb.load_runs(tmp_path / "genesis"), tb.load_runs(tmp_path / "torch")
    assert sorted(ours) == sorted(theirs) == [".", "pair_a", "pair_b"]
    for run in ours:
        assert tb.scalars(ours[run]) == tb.scalars(theirs[run])
        assert ours[run].Tags() == theirs[run].Tags()
    ours, theirs = ours["."], theirs["."]
    assert tb.scalars(ours)["lr"] == [(s, f32(0.1 * 0.9 ** s)) for s in range(30)]
    assert histograms(ours) == histograms(theirs)
    assert tensors(ours) == tensors(theirs)
    assert ours.Tags()["tensors"] == ["note/text_summary", "new", "double"]


def test_histogram_matches_numpy_counts_and_the_moments(tmp_path, tb):
    values = genesis.tensor([[0.5, 1.5, 1.5], [2.5, 2.5, 2.5]])
    with genesis_tb.SummaryWriter(tmp_path) as writer:
        writer.add_histogram("h", values, 3, bins=[0.0, 1.0, 2.0, 3.0])
    (event,) = tb.load(tmp_path).Histograms("h")
    hist = event.histogram_value
    assert event.step == 3
    # TensorBoard reads right edges: an empty bucket in front carries the left edge 0
    assert list(hist.bucket_limit) == [0.0, 1.0, 2.0, 3.0]
    assert list(hist.bucket) == [0.0, 1.0, 2.0, 3.0]
    flat = np.array([0.5, 1.5, 1.5, 2.5, 2.5, 2.5])
    assert (hist.min, hist.max, hist.num) == (0.5, 2.5, 6)
    assert hist.sum == pytest.approx(flat.sum(), rel=1e-12)
    assert hist.sum_squares == pytest.approx(flat @ flat, rel=1e-12)


@pytest.mark.parametrize("values, message", [
    (np.array([1.0, np.nan, 2.0]), "1 of the 3 values are NaN or infinite"),
    (genesis.tensor([np.inf, 1.0]), "1 of the 2 values are NaN or infinite"),
    (np.array([]), "The input has no element."),
])
def test_histogram_refuses_values_it_cannot_bin(tmp_path, values, message):
    with genesis_tb.SummaryWriter(tmp_path) as writer:
        with pytest.raises(ValueError, match=re.escape(message)):
            writer.add_histogram("h", values)


def test_histogram_of_a_list_fails_as_in_pytorch(tmp_path):
    with torch_tb.SummaryWriter(tmp_path / "t") as theirs, \
            genesis_tb.SummaryWriter(tmp_path / "g") as ours:
        with pytest.raises(NotImplementedError, match="Got <class 'list'>, but numpy array"):
            theirs.add_histogram("h", [1.0, 2.0])
        with pytest.raises(NotImplementedError, match="Got <class 'list'>, but numpy array"):
            ours.add_histogram("h", [1.0, 2.0])


def test_default_log_dir_is_runs_date_host_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pattern = (r"runs/[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(socket.gethostname())
               + "_lr0.1$")
    ours = genesis_tb.SummaryWriter(comment="_lr0.1")
    theirs = torch_tb.SummaryWriter(comment="_lr0.1")
    ours.close(), theirs.close()
    assert re.match(pattern, ours.get_logdir()) and re.match(pattern, theirs.get_logdir())
    assert os.listdir(ours.get_logdir())[0].startswith("events.out.tfevents.")
    # an empty log_dir also means the default, as in PyTorch
    with genesis_tb.SummaryWriter("", comment="_x") as writer:
        assert writer.get_logdir().endswith("_x")


def test_a_local_event_file_has_every_event_at_once(tmp_path, tb):
    writer = genesis_tb.SummaryWriter(tmp_path, max_queue=1000, flush_secs=1000,
                                      filename_suffix=".genesis")
    assert writer.get_logdir() == tmp_path  # as given, as in PyTorch
    for step in range(5):
        writer.add_scalar("x", step, step)
    (name,) = os.listdir(tmp_path)
    assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\..+\.%d\.0\.genesis" % os.getpid(), name)
    # no flush(): nothing waits in a queue (PyTorch's would hold these 5 events for 1000 s)
    assert [e.step for e in tb.load(tmp_path).Scalars("x")] == [0, 1, 2, 3, 4]
    with genesis_tb.SummaryWriter(tmp_path, filename_suffix=".genesis"):
        pass  # a second file in the same second gets the next number
    assert len(os.listdir(tmp_path)) == 2
    writer.close()


def test_a_url_goes_through_tensorboards_queue_with_the_options(tmp_path, tb):
    # "file://" stands for the remote file systems tensorboard's EventFileWriter knows
    writer = genesis_tb.SummaryWriter(f"file://{tmp_path}", max_queue=1000, flush_secs=1000,
                                      filename_suffix=".url")
    for step in range(5):
        writer.add_scalar("x", step, step)
    (name,) = os.listdir(tmp_path)
    assert name.startswith("events.out.tfevents.") and name.endswith(".url")
    queue = writer.file_writer.event_writer
    assert isinstance(queue, EventFileWriter)
    writer.flush()
    assert [e.step for e in tb.load(tmp_path).Scalars("x")] == [0, 1, 2, 3, 4]
    writer.close()


def test_purge_step_hides_what_a_crashed_run_logged_from_that_step_on(tmp_path, tb):
    # (Not compared with PyTorch's writer: its file names end in a process-wide counter, so two
    # files made in one second by a process that has made ten writers sort ...9 after ...10,
    # and TensorBoard then reads the resumed file first.)
    with genesis_tb.SummaryWriter(tmp_path) as crashed:
        for step in range(10):
            crashed.add_scalar("loss", float(step), step)
    with genesis_tb.SummaryWriter(tmp_path, purge_step=6) as resumed:
        for step in range(6, 9):
            resumed.add_scalar("loss", 100.0 + step, step)
    expected = [(s, float(s)) for s in range(6)] + [(s, 100.0 + s) for s in range(6, 9)]
    assert tb.scalars(tb.load(tmp_path)) == {"loss": expected}


def test_close_is_idempotent_and_logging_after_it_opens_a_new_file(tmp_path, tb):
    writer = genesis_tb.SummaryWriter(tmp_path)
    writer.add_scalar("x", 1.0, 0)
    writer.close()
    writer.close()
    writer.flush()
    writer.add_scalar("x", 2.0, 1)
    writer.close()
    assert len(os.listdir(tmp_path)) == 2
    assert tb.scalars(tb.load(tmp_path)) == {"x": [(0, 1.0), (1, 2.0)]}


def test_context_manager_closes(tmp_path):
    with genesis_tb.SummaryWriter(tmp_path) as writer:
        writer.add_scalar("x", 1.0, 0)
    assert writer.all_writers is None and writer.file_writer is None


def test_a_writer_never_closed_still_writes_everything_at_exit(tmp_path, tb):
    # PyTorch's writer loses the events still queued (up to max_queue) when a script ends
    # without close(); Genesis's closes its files at exit.
    code = ("from genesis.utils.tensorboard import SummaryWriter\n"
            f"w = SummaryWriter({str(tmp_path)!r})\n"
            "for i in range(100):\n    w.add_scalar('x', i, i)\n")
    env = {**os.environ, "PYTHONPATH": SRC}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
    assert tb.scalars(tb.load(tmp_path)) == {"x": [(i, float(i)) for i in range(100)]}


def test_text_is_read_back(tmp_path, tb):
    with genesis_tb.SummaryWriter(tmp_path) as writer:
        writer.add_text("notes", "première ligne\n**bold**", 2)
    (event,) = tb.load(tmp_path).Tensors("notes/text_summary")
    assert event.step == 2
    assert event.tensor_proto.string_val == ["première ligne\n**bold**".encode()]


def hparams_records(runs):
    """{run: {tag: parsed plugin content as a dict}} of the hparams records, plus its scalars."""
    from google.protobuf.json_format import MessageToDict
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

    result = {}
    for run, accumulator in runs.items():
        try:
            contents = accumulator.PluginTagToContent("hparams")
        except KeyError:  # no hparams records in this run
            contents = {}
        parsed = {}
        for tag, content in contents.items():
            data = HParamsPluginData()
            data.ParseFromString(content)
            parsed[tag] = MessageToDict(data)
        result[run] = (parsed, {tag: [(e.step, e.value) for e in accumulator.Scalars(tag)]
                                for tag in accumulator.Tags()["scalars"]})
    return result


def test_hparams_match_pytorch(tmp_path, tb):
    for name, SummaryWriter, lib in (("genesis", genesis_tb.SummaryWriter, genesis),
                                     ("torch", torch_tb.SummaryWriter, torch)):
        with SummaryWriter(tmp_path / name) as writer:
            writer.add_hparams({"lr": 0.1, "batch": 64, "opt": "sgd", "nesterov": True,
                                "decay": lib.tensor([0.01]), "skipped": None},
                               {"hparam/accuracy": 0.9, "hparam/loss": lib.tensor(0.25)},
                               hparam_domain_discrete={"opt": ["sgd", "adam"], "batch": [32, 64]},
                               run_name="trial", global_step=3)
    ours = hparams_records(tb.load_runs(tmp_path / "genesis"))
    theirs = hparams_records(tb.load_runs(tmp_path / "torch"))
    assert ours == theirs
    assert sorted(ours) == [".", "trial"] and ours["."] == ({}, {})
    parsed, metrics = ours["trial"]
    assert metrics == {"hparam/accuracy": [(3, f32(0.9))], "hparam/loss": [(3, 0.25)]}
    values = parsed["_hparams_/session_start_info"]["sessionStartInfo"]["hparams"]
    assert values == {"lr": 0.1, "batch": 64.0, "opt": "sgd", "nesterov": 1.0,  # as PyTorch: a number
                      "decay": f32(0.01)}


def test_hparams_errors_as_pytorch(tmp_path):
    with genesis_tb.SummaryWriter(tmp_path) as writer:
        with pytest.raises(TypeError, match="hparam_dict and metric_dict should be dictionary."):
            writer.add_hparams([("lr", 0.1)], {})
        with pytest.raises(ValueError, match=r"value should be one of int, float, str, bool"):
            writer.add_hparams({"layers": [1, 2]}, {})
        with pytest.raises(ValueError, match=r"^Tensor should contain one element"):
            writer.add_hparams({"lrs": genesis.tensor([0.1, 0.2])}, {})


def decoded(accumulator, tag):
    from PIL import Image
    import io

    return [(e.step, np.asarray(Image.open(io.BytesIO(e.encoded_image_string))))
            for e in accumulator.Images(tag)]


IMAGE_CASES = {
    "CHW": (np.linspace(0, 1, 3 * 4 * 5).reshape(3, 4, 5), "CHW"),
    "HWC": (np.linspace(-0.5, 1.5, 4 * 5 * 3).reshape(4, 5, 3), "HWC"),
    "HW": (np.arange(20, dtype=np.uint8).reshape(4, 5) * 12, "HW"),
    "CHW grey": (np.linspace(0, 1, 20).reshape(1, 4, 5).astype(np.float32), "CHW"),
    "RGBA": (np.linspace(0, 1, 4 * 4 * 5).reshape(4, 4, 5), "CHW"),
    "NCHW grid": (np.linspace(0, 1, 10 * 3 * 2 * 3).reshape(10, 3, 2, 3), "NCHW"),
}


def test_images_read_back_as_pytorch_writes_them(tmp_path, tb):
    for name, SummaryWriter, lib in (("genesis", genesis_tb.SummaryWriter, genesis),
                                     ("torch", torch_tb.SummaryWriter, torch)):
        with SummaryWriter(tmp_path / name) as writer:
            for step, (tag, (image, formats)) in enumerate(IMAGE_CASES.items()):
                as_tensor = lib.tensor(image) if image.dtype != np.uint8 else image
                writer.add_image(tag, as_tensor, step, dataformats=formats)
            writer.add_images("batch", lib.tensor(IMAGE_CASES["NCHW grid"][0]), 9)
    ours, theirs = tb.load(tmp_path / "genesis"), tb.load(tmp_path / "torch")
    for tag in [*IMAGE_CASES, "batch"]:
        (step, mine), (their_step, reference) = decoded(ours, tag)[0], decoded(theirs, tag)[0]
        assert step == their_step and np.array_equal(mine, reference), tag
    # an independent check of one: floats in [0, 1] scaled by 255, channels last
    chw = IMAGE_CASES["CHW"][0].astype(np.float32)
    expected = (chw * 255).clip(0, 255).astype(np.uint8).transpose(1, 2, 0)
    assert np.array_equal(decoded(ours, "CHW")[0][1], expected)
    assert decoded(ours, "NCHW grid")[0][1].shape == (2 * 2, 8 * 3, 3)  # 8 per row


def test_image_errors(tmp_path):
    with genesis_tb.SummaryWriter(tmp_path) as writer:
        with pytest.raises(ValueError, match="^size of input tensor and input format are different"):
            writer.add_image("i", np.zeros((3, 4, 4)), dataformats="HW")
        with pytest.raises(ValueError, match="^You can not use the same dimension shorthand twice"):
            writer.add_image("i", np.zeros((3, 4, 4)), dataformats="CHH")
        with pytest.raises(ValueError, match="an image needs 1, 3 or 4 channels, got 2"):
            writer.add_image("i", np.zeros((2, 4, 4)))
        with pytest.raises(ValueError, match="NaN or infinite"):
            writer.add_image("i", np.full((3, 2, 2), np.nan))
        with pytest.raises(ValueError, match="dataformats must name the axes"):
            writer.add_image("i", np.zeros((3, 4, 4)), dataformats="CHX")


def test_figure_is_the_image_pytorch_logs(tmp_path, tb):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    def draw(figure):
        axes = figure.subplots()
        axes.plot([0, 1, 2], [2, 0, 1])
        axes.set_title("rates")
        return figure

    for name, SummaryWriter in WRITERS.items():
        with SummaryWriter(tmp_path / name) as writer:
            figure = draw(plt.figure(figsize=(2, 1.5), dpi=50))
            writer.add_figure("fig", figure, 1)
            assert not plt.fignum_exists(figure.number)  # close=True closed pyplot's window
            writer.add_figure("pair", [draw(Figure((2, 1.5), dpi=50)) for _ in range(2)], 2)
    ours, theirs = tb.load(tmp_path / "genesis"), tb.load(tmp_path / "torch")
    for tag in ("fig", "pair"):
        (step, mine), (_, reference) = decoded(ours, tag)[0], decoded(theirs, tag)[0]
        assert np.array_equal(mine, reference)
    assert decoded(ours, "fig")[0][1].shape == (75, 100, 3)
    assert decoded(ours, "pair")[0][1].shape == (75, 200, 3)


def test_scalar_errors_name_the_problem_and_keep_pytorchs_words(tmp_path):
    with genesis_tb.SummaryWriter(tmp_path) as ours, torch_tb.SummaryWriter(tmp_path / "t") as theirs:
        # PyTorch's AssertionError is a ValueError, as for every bad argument in Genesis
        for writer, lib, error in ((ours, genesis, ValueError), (theirs, torch, AssertionError)):
            with pytest.raises(error, match=r"^Tensor should contain one element \(0 dimensions\)"):
                writer.add_scalar("x", lib.tensor([1.0, 2.0]), 0)
            with pytest.raises(ValueError, match="^could not convert string to float: 'abc'"):
                writer.add_scalar("x", "abc", 0)
        with pytest.raises(TypeError, match="tag must be a str, got 3"):
            ours.add_scalar(3, 1.0)
        with pytest.raises(TypeError, match=r"scalar_value must be a real number .* got \[1\.0\]"):
            ours.add_scalar("x", [1.0])
        with pytest.raises(TypeError, match="walltime must be seconds"):
            ours.add_scalar("x", 1.0, 0, walltime="now")
        with pytest.raises(TypeError, match="tag_scalar_dict must be a dict"):
            ours.add_scalars("x", [1.0])
        with pytest.raises(TypeError, match="text_string must be a str, got 3"):
            ours.add_text("t", 3)


@pytest.mark.parametrize("kwargs, message", [
    ({"purge_step": 2.5}, "purge_step must be an int step or None, got 2.5"),
    ({"max_queue": "10"}, "max_queue must be an int, got '10'"),
    ({"flush_secs": None}, "flush_secs must be a number of seconds, got None"),
    ({"filename_suffix": 1}, "filename_suffix must be a str, got 1"),
    ({"comment": 1}, "comment must be a str, got 1"),
])
def test_constructor_errors(tmp_path, kwargs, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        genesis_tb.SummaryWriter(tmp_path, **kwargs)


def test_importing_the_writer_without_tensorboard_names_the_install_command():
    code = ("import sys\nsys.modules['tensorboard'] = None\n"
            "from genesis.utils.tensorboard import log_lr, TrainingLog\n"
            "try:\n    from genesis.utils.tensorboard import SummaryWriter\n"
            "except ModuleNotFoundError as error:\n    print(error.name, '|', error)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": SRC}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "tensorboard | No module named 'tensorboard': TensorBoard logging needs the tensorboard "
        "package: pip install -e \".[tensorboard]\" (in the Genesis source checkout)")


def test_reachable_as_genesis_utils_tensorboard():
    assert genesis.utils.tensorboard.SummaryWriter is writer_module.SummaryWriter
    with pytest.raises(AttributeError, match="has no attribute 'add_graph'"):
        genesis.utils.tensorboard.add_graph


def test_docstring_examples():
    for module in (writer_module, summary_module):
        assert doctest.testmod(module).failed == 0


TRAINING_SCRIPT = """
torch.manual_seed(0)
inputs = torch.tensor(np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32))
targets = inputs.sum(dim=1, keepdim=True)
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
with torch.no_grad():  # the same start for both frameworks
    for parameter, value in zip(model.parameters(), start):
        parameter.copy_(torch.tensor(value))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=40)
writer = SummaryWriter(log_dir)
for step in range(40):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(inputs), targets)
    loss.backward()
    optimizer.step()
    writer.add_scalar("loss", loss, step)
    writer.add_scalar("lr", scheduler.get_last_lr()[0], step)
    writer.add_scalars("momentum", {"group0": optimizer.param_groups[0]["momentum"]}, step)
    scheduler.step()
writer.close()
"""
HEADERS = {
    "torch": "import torch\nimport torch.nn as nn\nfrom torch.utils.tensorboard import SummaryWriter\n",
    "genesis": "import genesis as torch\nimport genesis.nn as nn\n"
               "from genesis.utils.tensorboard import SummaryWriter\n",
}


def test_a_pytorch_training_script_with_the_import_changed_shows_the_same_curves(tmp_path, tb):
    rng = np.random.default_rng(1)
    start = [rng.normal(size=shape).astype(np.float32) for shape in [(8, 4), (8,), (1, 8), (1,)]]
    for name, header in HEADERS.items():
        exec(header + TRAINING_SCRIPT, {"np": np, "start": start, "log_dir": str(tmp_path / name)})
    ours, theirs = tb.load_runs(tmp_path / "genesis"), tb.load_runs(tmp_path / "torch")
    assert sorted(ours) == sorted(theirs) == [".", "momentum_group0"]
    for run in ours:
        mine, reference = tb.scalars(ours[run]), tb.scalars(theirs[run])
        assert mine.keys() == reference.keys()
        for tag in mine:
            assert [s for s, _ in mine[tag]] == [s for s, _ in reference[tag]] == list(range(40))
            # float32 training in two frameworks: equal to float32 rounding
            np.testing.assert_allclose([v for _, v in mine[tag]], [v for _, v in reference[tag]],
                                       rtol=1e-5, atol=0)
