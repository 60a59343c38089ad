"""log_lr: every group's rate (and cycled momentum or beta1) under stable tags, for Genesis and
PyTorch schedulers, optimizers and writers alike; TrainingLog and --logdir."""
import argparse
import doctest

import numpy as np
import pytest
import torch
import torch.utils.tensorboard as torch_tb

import genesis
from genesis.utils import tensorboard as genesis_tb
from genesis.utils.tensorboard import log_lr, rates, training_log

STEPS = 12


def optimizer(lib, kind):
    """Two param groups with their own rates, so that every group's tag is exercised."""
    first, second = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    groups = [{"params": [first]}, {"params": [second], "lr": 0.05}]
    if kind == "sgd":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1, betas=(0.9, 0.99))


SCHEDULES = {
    "OneCycleLR, SGD": ("sgd", lambda s, o: s.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS),
                        ["lr/group0", "momentum/group0", "lr/group1", "momentum/group1"]),
    "OneCycleLR, Adam": ("adam", lambda s, o: s.OneCycleLR(o, max_lr=1.0, total_steps=STEPS),
                         ["lr/group0", "beta1/group0", "lr/group1", "beta1/group1"]),
    "CyclicLR, SGD": ("sgd", lambda s, o: s.CyclicLR(o, 0.01, 0.1, step_size_up=3),
                      ["lr/group0", "momentum/group0", "lr/group1", "momentum/group1"]),
    "CyclicLR without momentum": (
        "sgd", lambda s, o: s.CyclicLR(o, 0.01, 0.1, step_size_up=3, cycle_momentum=False),
        ["lr/group0", "lr/group1"]),
    "StepLR, Adam": ("adam", lambda s, o: s.StepLR(o, step_size=4, gamma=0.5),
                     ["lr/group0", "lr/group1"]),
    "SequentialLR(LinearLR, OneCycleLR)": (
        "sgd", lambda s, o: s.SequentialLR(o, [s.LinearLR(o, 0.5, total_iters=3),
                                               s.OneCycleLR(o, max_lr=1.0, total_steps=STEPS)],
                                           milestones=[3]),
        ["lr/group0", "momentum/group0", "lr/group1", "momentum/group1"]),
}


class Recorder:
    """A writer that keeps what add_scalar receives."""

    def __init__(self):
        self.calls = []

    def add_scalar(self, tag, value, global_step=None, walltime=None):
        self.calls.append((tag, value, global_step, walltime))


def logged(lib, name):
    kind, build, _ = SCHEDULES[name]
    opt = optimizer(lib, kind)
    scheduler = build(lib.optim.lr_scheduler, opt)
    writer, returned = Recorder(), []
    for step in range(STEPS - 1):
        opt.step()
        returned.append(log_lr(writer, scheduler, step))
        scheduler.step()
    return writer.calls, returned


@pytest.mark.parametrize("name", SCHEDULES)
def test_tags_and_values_equal_pytorchs_schedule(name):
    ours, our_dicts = logged(genesis, name)
    theirs, _ = logged(torch, name)
    tags = SCHEDULES[name][2]
    assert [dict_.keys() for dict_ in our_dicts] == [dict.fromkeys(tags).keys()] * (STEPS - 1)
    assert [(tag, step) for tag, _, step, _ in ours] == [(tag, step) for tag, _, step, _ in theirs]
    np.testing.assert_allclose([v for _, v, _, _ in ours], [v for _, v, _, _ in theirs],
                               rtol=1e-9, atol=0)
    # the values are the groups' own: the schedule moves them, log_lr only reads
    assert len({v for tag, v, _, _ in ours if tag == "lr/group0"}) > 2


def test_an_optimizer_logs_its_rates_only():
    opt = optimizer(genesis, "sgd")
    assert log_lr(Recorder(), opt, 0) == {"lr/group0": 0.1, "lr/group1": 0.05}


def test_written_with_either_writer_and_read_back(tmp_path, tb):
    # Genesis's log_lr with PyTorch's optimizer, scheduler and writer, and with Genesis's own
    for name, lib, SummaryWriter in (("torch", torch, torch_tb.SummaryWriter),
                                     ("genesis", genesis, genesis_tb.SummaryWriter)):
        opt = optimizer(lib, "sgd")
        scheduler = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=STEPS)
        with SummaryWriter(tmp_path / name) as writer:
            for step in range(STEPS - 1):
                opt.step()
                log_lr(writer, scheduler, step, walltime=1000.0 + step)
                scheduler.step()
    ours, theirs = tb.load(tmp_path / "genesis"), tb.load(tmp_path / "torch")
    assert ours.Tags()["scalars"] == theirs.Tags()["scalars"] == [
        "lr/group0", "momentum/group0", "lr/group1", "momentum/group1"]
    for tag in ours.Tags()["scalars"]:
        mine, reference = ours.Scalars(tag), theirs.Scalars(tag)
        assert [(e.step, e.wall_time) for e in mine] == [(s, 1000.0 + s) for s in range(STEPS - 1)]
        # stored as float32: Genesis's and PyTorch's rates (equal within 1e-9) round alike
        np.testing.assert_allclose([e.value for e in mine], [e.value for e in reference],
                                   rtol=1.2e-7, atol=0)


def test_anything_else_is_a_type_error():
    with pytest.raises(TypeError, match="log_lr needs a learning-rate scheduler or an optimizer"):
        log_lr(Recorder(), [0.1])


def test_training_log_without_a_directory_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with genesis_tb.TrainingLog(None, scheduler=object()) as log:
        assert not log.enabled and log.writer is None
        log(0, loss=1.0)  # the scheduler is never looked at
    assert list(tmp_path.iterdir()) == []


def test_training_log_writes_scalars_and_rates_and_purges_on_resume(tmp_path, tb):
    opt = optimizer(genesis, "sgd")
    scheduler = genesis.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    with genesis_tb.TrainingLog(tmp_path, scheduler) as log:
        assert log.enabled
        for step in range(6):
            log(step, loss=genesis.tensor(1.0 / (step + 1)), accuracy=0.5)
            scheduler.step()
    with genesis_tb.TrainingLog(tmp_path, purge_step=4) as log:  # resumed at step 4
        log(4, loss=9.0)
    read = tb.scalars(tb.load(tmp_path))
    assert read["loss"] == [(s, np.float32(1.0 / (s + 1))) for s in range(4)] + [(4, 9.0)]
    assert read["accuracy"] == [(s, 0.5) for s in range(4)]
    assert read["lr/group0"] == [(s, np.float32(0.1 * 0.5 ** (s // 2))) for s in range(4)]


def test_add_logdir_argument():
    parser = argparse.ArgumentParser()
    genesis_tb.add_logdir_argument(parser)
    assert parser.parse_args([]).logdir is None
    assert parser.parse_args(["--logdir", "runs/a"]).logdir == "runs/a"


def test_docstring_examples():
    for module in (rates, training_log):
        assert doctest.testmod(module).failed == 0
