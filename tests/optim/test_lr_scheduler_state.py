"""Saving and resuming schedulers: plain-data state dicts that continue exactly like torch.

A torch scheduler runs uninterrupted; ours runs to a random step, its state (and the optimizer's)
goes through ``json``, a fresh optimizer and scheduler are built and loaded — in PyTorch's order
(both state dicts) and with the scheduler's state alone — and the continuation must equal torch's.
"""
import json
import random
import warnings

import pytest

import genesis.optim.lr_scheduler as ours
import torch.optim.lr_scheduler as theirs
from test_lr_scheduler import (
    SEQUENCES,
    SIMPLE,
    Halving,
    assert_close,
    assert_same_state,
    composite_factory,
    config,
    metric_walk,
    plateau_config,
    simple_factory,
    step_both,
    torch_optimizer,
)

STEPS = 120


def json_round_trip(state):
    return json.loads(json.dumps(state))


def _cases():
    for name in SIMPLE:
        yield name
    yield "seq"
    yield "chain"


def _make_case(case, rng, groups):
    if case == "seq":
        names = rng.choice(SEQUENCES)
        milestones = sorted(rng.sample(range(1, STEPS), len(names) - 1))
        kws = [config(n, rng, groups, STEPS) for n in names]
        return composite_factory("SequentialLR", names, kws, milestones)
    if case == "chain":
        names = ("LinearLR", "CosineAnnealingLR", "MultiplicativeLR")
        kws = [config(n, rng, groups, STEPS) for n in names]
        return composite_factory("ChainedScheduler", names, kws)
    return simple_factory(case, config(case, rng, groups, STEPS))


@pytest.mark.parametrize("order", ["both", "scheduler_only"])
@pytest.mark.parametrize("case", list(_cases()))
def test_resume_continues_like_torch(case, order):
    for seed in range(2):
        rng = random.Random(f"state-{case}-{order}-{seed}")
        groups = rng.choice([1, 3])
        kind = rng.choice(["sgd", "adam"])
        lrs = [10 ** rng.uniform(-4, -1) for _ in range(groups)]
        make = _make_case(case, rng, groups)
        opt_t, opt_o = torch_optimizer(kind, lrs), torch_optimizer(kind, lrs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s_t, s_o = make(theirs, opt_t), make(ours, opt_o)
        stop = rng.randint(0, STEPS - 20)
        for _ in range(stop):
            step_both(s_o, s_t)
        saved = json_round_trip(s_o.state_dict())
        saved_opt = opt_o.state_dict()

        fresh_opt = torch_optimizer(kind, lrs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fresh = make(ours, fresh_opt)
        if order == "both":
            fresh_opt.load_state_dict(saved_opt)
        fresh.load_state_dict(saved)
        assert_same_state(fresh_opt, opt_t, f"{case} {order} right after loading at {stop}")
        assert_close(fresh.get_last_lr(), s_t.get_last_lr())
        for step in range(stop, STEPS):
            step_both(fresh, s_t)
            assert_same_state(fresh_opt, opt_t, f"{case} {order} saved at {stop}, step {step + 1}")
            assert_close(fresh.get_last_lr(), s_t.get_last_lr())


@pytest.mark.parametrize("order", ["both", "scheduler_only"])
def test_reduce_lr_on_plateau_resumes_like_torch(order):
    for seed in range(4):
        rng = random.Random(f"plateau-state-{order}-{seed}")
        groups = rng.choice([1, 3])
        lrs = [10 ** rng.uniform(-4, -1) for _ in range(groups)]
        kwargs = plateau_config(rng, groups)
        metrics = metric_walk(rng, STEPS)
        opt_t, opt_o = torch_optimizer("sgd", lrs), torch_optimizer("sgd", lrs)
        s_t, s_o = theirs.ReduceLROnPlateau(opt_t, **kwargs), ours.ReduceLROnPlateau(opt_o, **kwargs)
        stop = rng.randint(1, STEPS - 10)
        for m in metrics[:stop]:
            step_both(s_o, s_t, m)
        saved, saved_opt = json_round_trip(s_o.state_dict()), opt_o.state_dict()
        fresh_opt = torch_optimizer("sgd", lrs)
        fresh = ours.ReduceLROnPlateau(fresh_opt, **kwargs)
        if order == "both":
            fresh_opt.load_state_dict(saved_opt)
        fresh.load_state_dict(saved)
        for i, m in enumerate(metrics[stop:]):
            step_both(fresh, s_t, m)
            assert_same_state(fresh_opt, opt_t, f"{kwargs} saved at {stop}, step {i}")


def test_state_dict_is_plain_named_data():
    opt = torch_optimizer("sgd", [0.1, 0.2])
    s = ours.LambdaLR(opt, [lambda e: 0.9 ** e, Halving(3)])
    state = s.state_dict()
    assert state["lr_lambdas"] == [None, {"every": 3}]  # functions absent, objects by attributes
    assert state["base_lrs"] == [0.1, 0.2] and state["last_epoch"] == 0
    assert "optimizer" not in state
    assert json_round_trip(state) == state


def test_loading_restores_callable_object_attributes():
    opt = torch_optimizer("sgd", [0.1])
    halving = Halving(3)
    s = ours.LambdaLR(opt, halving)
    state = s.state_dict()
    state["lr_lambdas"][0]["every"] = 7
    s.load_state_dict(state)
    assert halving.every == 7


def test_state_dict_returned_is_independent_of_the_scheduler():
    opt = torch_optimizer("sgd", [0.1])
    s = ours.MultiStepLR(opt, milestones=[2, 4])
    state = s.state_dict()
    state["milestones"].append(99)
    state["base_lrs"][0] = 5.0
    assert s.milestones == [2, 4] and s.base_lrs == [0.1]


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d.pop("last_epoch"), "missing keys \\['last_epoch'\\]"),
    (lambda d: d.update(bogus=1), "unknown keys \\['bogus'\\]"),
    (lambda d: d.update(base_lrs=[0.1, 0.2, 0.3]), "base_lrs has 3 entries but the optimizer has 1"),
])
def test_load_state_dict_validates(mutate, match):
    opt = torch_optimizer("sgd", [0.1])
    s = ours.StepLR(opt, step_size=3)
    state = s.state_dict()
    mutate(state)
    with pytest.raises((KeyError, ValueError), match=match):
        s.load_state_dict(state)


def test_load_state_dict_rejects_another_class_state():
    opt = torch_optimizer("sgd", [0.1])
    with pytest.raises(KeyError, match="does not match CosineAnnealingLR"):
        ours.CosineAnnealingLR(opt, T_max=10).load_state_dict(ours.StepLR(opt, step_size=2).state_dict())


def test_composite_state_holds_children_states():
    opt = torch_optimizer("sgd", [0.1])
    children = [ours.LinearLR(opt, total_iters=3), ours.ExponentialLR(opt, gamma=0.9)]
    s = ours.SequentialLR(opt, children, milestones=[3])
    state = s.state_dict()
    assert [c["last_epoch"] for c in state["_schedulers"]] == [0, -1]
    assert json_round_trip(state) == state
    bad = dict(state, _schedulers=state["_schedulers"][:1])
    with pytest.raises(ValueError, match="_schedulers must hold 2 state dicts"):
        s.load_state_dict(bad)
