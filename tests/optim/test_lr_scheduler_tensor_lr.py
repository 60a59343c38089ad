"""A param group whose ``lr`` is a 0-d tensor (``SGD(params, lr=torch.as_tensor(0.1))``).

PyTorch 2.13 supports it: schedulers write into the tensor with ``fill_``, so the group keeps
the very same tensor.  Genesis's schedulers do the same, duck-typed (PyTorch and Genesis
tensors alike), while ``base_lrs``, ``initial_lr`` and ``get_last_lr()`` hold plain numbers
that never alias the group's tensor.  The rates are compared with PyTorch's own run at float32
precision (the tensor is float32 in both runs).
"""
import random
import warnings

import numpy as np
import pytest
import torch

import genesis
import genesis.optim.lr_scheduler as ours
import torch.optim.lr_scheduler as theirs
from test_lr_scheduler import (SEQUENCES, SIMPLE, composite_factory, config, metric_walk,
                               plateau_config)

STEPS = 60
REL = 2e-5


def tensor_sgd(lrs):
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": torch.as_tensor(lr)}
              for lr in lrs]
    return torch.optim.SGD(groups, lr=torch.as_tensor(lrs[0]), momentum=0.9)


def make_case(name, rng, groups):
    if name == "SequentialLR":
        names = SEQUENCES[0]
        return composite_factory(name, names, [config(n, rng, groups, STEPS) for n in names], [20])
    if name == "ChainedScheduler":
        names = ("LinearLR", "ExponentialLR")
        return composite_factory(name, names, [config(n, rng, groups, STEPS) for n in names])
    if name == "ReduceLROnPlateau":
        kwargs = plateau_config(rng, groups)
        return lambda module, opt: module.ReduceLROnPlateau(opt, **kwargs)
    kwargs = config(name, rng, groups, STEPS)
    return lambda module, opt: getattr(module, name)(opt, **kwargs)


@pytest.mark.parametrize("name", SIMPLE + ["SequentialLR", "ChainedScheduler", "ReduceLROnPlateau"])
def test_a_tensor_lr_stays_the_same_tensor_and_follows_pytorch(name):
    rng = random.Random(f"tensor-lr-{name}")
    groups = 2
    lrs = [10 ** rng.uniform(-3, -1) for _ in range(groups)]
    make = make_case(name, rng, groups)
    metrics = metric_walk(rng, STEPS)
    opt_t, opt_o = tensor_sgd(lrs), tensor_sgd(lrs)
    tensors = [g["lr"] for g in opt_o.param_groups]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_t, s_o = make(theirs, opt_t), make(ours, opt_o)
    base = getattr(s_o, "base_lrs", [])
    assert all(type(b) is float for b in base), base  # plain numbers, never the group's tensor
    assert all(type(g.get("initial_lr", 0.0)) in (float, int) for g in opt_o.param_groups)
    for step in range(STEPS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for s, opt in ((s_t, opt_t), (s_o, opt_o)):
                opt.step()
                s.step(metrics[step]) if name == "ReduceLROnPlateau" else s.step()
        assert [g["lr"] for g in opt_o.param_groups] == tensors  # the same objects ...
        assert all(g["lr"] is t for g, t in zip(opt_o.param_groups, tensors))
        ours_now = [float(g["lr"]) for g in opt_o.param_groups]
        np.testing.assert_allclose(ours_now, [float(g["lr"]) for g in opt_t.param_groups],
                                   rtol=REL, atol=1e-12, err_msg=f"{name} step {step}")
        last = s_o.get_last_lr()
        assert all(type(v) is float for v in last) and last == ours_now
    assert getattr(s_o, "base_lrs", []) == base  # not moved by the writes into the tensors


class GenesisTensorGroups:
    """A duck-typed optimizer whose rates are Genesis 0-d tensors."""

    def __init__(self, *lrs):
        self.param_groups = [{"lr": genesis.from_numpy(np.array(lr)), "momentum": 0.9}
                             for lr in lrs]
        self.defaults = {"momentum": 0.9}


@pytest.mark.parametrize("make, expected", [
    (lambda o: ours.StepLR(o, step_size=2, gamma=0.5), [0.1, 0.05, 0.05, 0.025]),
    (lambda o: ours.LambdaLR(o, lambda e: 1.0 / (e + 1)), [0.05, 0.1 / 3, 0.025, 0.02]),
    (lambda o: ours.CyclicLR(o, base_lr=0.0, max_lr=0.4, step_size_up=2), [0.2, 0.4, 0.2, 0.0]),
])
def test_genesis_tensors_are_written_in_place_too(make, expected):
    opt = GenesisTensorGroups(0.1)
    tensor = opt.param_groups[0]["lr"]
    s = make(opt)
    got = []
    for _ in range(4):
        s.step()
        assert opt.param_groups[0]["lr"] is tensor
        got.append(tensor.item())
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert type(s.base_lrs[0]) is float
    assert s.get_last_lr() == [pytest.approx(expected[-1], rel=1e-12)]


def test_reduce_lr_on_plateau_writes_into_a_genesis_tensor_lr():
    opt = GenesisTensorGroups(0.1)
    tensor = opt.param_groups[0]["lr"]
    s = ours.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    for metric in (1.0, 2.0, 3.0):
        s.step(metric)
    assert opt.param_groups[0]["lr"] is tensor and tensor.item() == pytest.approx(0.025, rel=1e-15)
    assert s.get_last_lr() == [pytest.approx(0.025, rel=1e-15)]
    assert type(s.get_last_lr()[0]) is float


def test_a_genesis_optimizer_with_a_tensor_lr_keeps_it():
    import genesis.optim as optim

    params = [genesis.nn.Parameter(genesis.zeros(2))]
    opt = optim.SGD(params, lr=genesis.from_numpy(np.array(0.1)), momentum=0.9)
    tensor = opt.param_groups[0]["lr"]
    s = optim.CosineAnnealingLR(opt, T_max=10)
    for step in range(1, 8):
        opt.step()
        s.step()
        assert opt.param_groups[0]["lr"] is tensor
        assert tensor.item() == pytest.approx(0.05 * (1 + np.cos(np.pi * step / 10)), rel=1e-12)
    assert type(s.base_lrs[0]) is float and type(opt.param_groups[0]["initial_lr"]) is float
