"""Saving and resuming schedulers: plain-data state dicts that continue exactly like torch.

Torch and ours run side by side to a random step; each one's state (and its optimizer's) goes
through ``json``; a fresh optimizer and scheduler of each library are built and loaded the same
way — in PyTorch's order (both state dicts) or with the scheduler's state alone, which (as in
PyTorch) leaves the optimizer's rates as the fresh construction set them — and the two
continuations must agree.  With both state dicts loaded this is also the uninterrupted run.
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


def _resumed(module, make, kind, lrs, saved, saved_opt, order):
    """A fresh optimizer and scheduler of ``module`` that load the saved states in ``order``."""
    optimizer = torch_optimizer(kind, lrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make(module, optimizer)
    if order == "both":
        optimizer.load_state_dict(saved_opt)
    scheduler.load_state_dict(saved)
    return optimizer, scheduler


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
        fresh_opt, fresh = _resumed(ours, make, kind, lrs, json_round_trip(s_o.state_dict()),
                                    opt_o.state_dict(), order)
        torch_opt, resumed_t = _resumed(theirs, make, kind, lrs, s_t.state_dict(),
                                        opt_t.state_dict(),
                                        order)
        if order == "both":
            assert_same_state(torch_opt, opt_t, f"{case}: torch's own resume is exact")
        assert_same_state(fresh_opt, torch_opt, f"{case} {order} right after loading at {stop}")
        assert_close(fresh.get_last_lr(), resumed_t.get_last_lr())
        for step in range(stop, STEPS):
            step_both(fresh, resumed_t)
            assert_same_state(fresh_opt, torch_opt,
                              f"{case} {order} saved at {stop}, step {step + 1}")
            assert_close(fresh.get_last_lr(), resumed_t.get_last_lr())


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

        def make(module, optimizer):
            return module.ReduceLROnPlateau(optimizer, **kwargs)

        fresh_opt, fresh = _resumed(ours, make, "sgd", lrs, json_round_trip(s_o.state_dict()),
                                    opt_o.state_dict(), order)
        torch_opt, resumed_t = _resumed(theirs, make, "sgd", lrs, s_t.state_dict(),
                                        opt_t.state_dict(),
                                        order)
        for i, m in enumerate(metrics[stop:]):
            step_both(fresh, resumed_t, m)
            assert_same_state(fresh_opt, torch_opt, f"{kwargs} saved at {stop}, step {i}")


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


LOAD_ORDERS = list(__import__("itertools").permutations(["optimizer", "first", "second"]))


@pytest.mark.parametrize("order", LOAD_ORDERS, ids="-".join)
def test_two_schedulers_on_one_optimizer_resume_alike_in_every_load_order(order):
    """Regression: each scheduler's load_state_dict wrote its own last rate into the optimizer,
    so loading the second scheduler before the first (or the optimizer first) left a wrong rate
    that stayed wrong.  PyTorch's loads never touch the optimizer: every order is one run."""
    lrs = [0.05, 0.02]

    def make(module, optimizer):
        return [module.ExponentialLR(optimizer, gamma=0.9),
                module.StepLR(optimizer, step_size=3, gamma=0.5)]

    runs = {}
    for name, module in (("torch", theirs), ("genesis", ours)):
        opt = torch_optimizer("sgd", lrs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            schedulers = make(module, opt)
        for _ in range(6):  # StepLR halves the rate at this last step: the two _last_lr differ
            opt.step()
            for s in schedulers:
                s.step()
        saved = {"optimizer": opt.state_dict(), "first": schedulers[0].state_dict(),
                 "second": schedulers[1].state_dict()}
        fresh_opt = torch_optimizer("sgd", lrs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fresh = dict(zip(("first", "second"), make(module, fresh_opt)))
        targets = {"optimizer": fresh_opt, **fresh}
        for key in order:
            state = saved[key] if key == "optimizer" else json_round_trip(saved[key])
            targets[key].load_state_dict(state)
        rates = []
        for _ in range(10):
            rates.append([g["lr"] for g in fresh_opt.param_groups])
            fresh_opt.step()
            for key in ("first", "second"):
                fresh[key].step()
        uninterrupted = []
        for _ in range(10):
            uninterrupted.append([g["lr"] for g in opt.param_groups])
            opt.step()
            for s in schedulers:
                s.step()
        runs[name] = (rates, uninterrupted)
    assert_close(runs["genesis"][0], runs["torch"][0], f"load order {order}")
    assert_close(runs["genesis"][0], runs["genesis"][1],
                 f"load order {order} vs the uninterrupted run")


def _attributes(value, depth=0):
    """A scheduler's attributes, recursively (children by theirs, functions by identity)."""
    if isinstance(value, ours.LRScheduler):
        return {k: _attributes(v, depth + 1) for k, v in vars(value).items() if k != "optimizer"}
    if isinstance(value, (list, tuple)):
        return [_attributes(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {k: _attributes(v, depth + 1) for k, v in value.items()}
    if callable(value) and not isinstance(value, type):
        return ("callable", id(value), _attributes(getattr(value, "__dict__", {}), depth + 1))
    return value


@pytest.mark.parametrize("case", list(_cases()))
def test_a_loaded_scheduler_keeps_nothing_from_its_own_construction(case):
    """Regression: b.load_state_dict(a.state_dict()) left values that b had cached while it
    stepped (CosineAnnealingLR's last cosine, OneCycleLR's phase): every attribute must be a's."""
    rng = random.Random(f"attributes-{case}")
    groups = rng.choice([1, 3])
    make = _make_case(case, rng, groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = make(ours, torch_optimizer("sgd", [0.1] * groups))
        b = make(ours, torch_optimizer("sgd", [0.1] * groups))
        for _ in range(rng.randint(20, 40)):
            a.step()
        for _ in range(rng.randint(1, 15)):
            b.step()
    b.load_state_dict(json_round_trip(a.state_dict()))
    assert _attributes(b) == _attributes(a)
