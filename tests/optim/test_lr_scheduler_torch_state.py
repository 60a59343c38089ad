"""Migrating mid-training: Genesis schedulers load PyTorch 2.13's scheduler state dicts.

A torch optimizer and scheduler run ``k`` steps (``k`` random); both state dicts go through
``genesis.save_checkpoint``/``load_checkpoint`` (the path of ``genesis checkpoint convert``); a
fresh Genesis optimizer and scheduler with the same arguments load them (PyTorch's order: build,
then load both; or the scheduler's state alone) and both schedulers step on.  Rates,
momenta/``betas[0]`` and ``get_last_lr()`` must equal torch's uninterrupted run within rel 1e-12.
The reverse direction (torch loading a Genesis state dict) is checked where it works.
"""
import random
import warnings

import numpy as np
import pytest
import torch

import genesis
import genesis.optim.lr_scheduler as ours
import torch.optim.lr_scheduler as theirs
from genesis.optim.lr_scheduler.base import SchedulerStateError
from genesis.optim.lr_scheduler.torch_state import TRANSIENT_KEYS
from test_lr_scheduler import (
    SEQUENCES, SIMPLE, composite_factory, config, metric_walk, plateau_config,
    simple_factory, snapshot,
)

REL = 1e-12
MORE = 40  # steps after loading
ALL = SIMPLE + ["SequentialLR", "ChainedScheduler", "ReduceLROnPlateau"]

# torch loads with __dict__.update; these two keep values in a form torch's get_lr cannot read
# (MultiStepLR's milestones as a list, not a Counter; OneCycleLR's phases as lists, not dicts).
TORCH_CANNOT_LOAD = ("MultiStepLR", "OneCycleLR")


def _params(module, count):
    if module is torch:
        return [torch.zeros(2, requires_grad=True) for _ in range(count)]
    return [genesis.nn.Parameter(genesis.zeros(2)) for _ in range(count)]


def make_optimizer(module, kind, lrs):
    """An SGD (momentum) or Adam optimizer of ``module`` (torch or genesis), one group per rate."""
    groups = [{"params": [p], "lr": lr} for p, lr in zip(_params(module, len(lrs)), lrs)]
    if kind == "sgd":
        return module.optim.SGD(groups, lr=lrs[0], momentum=0.9)
    return module.optim.Adam(groups, lr=lrs[0], betas=(0.9, 0.999))


def make_factory(name, rng, groups, steps, avoid=()):
    """``make(module, optimizer)`` building scheduler ``name`` with one random configuration
    (a SequentialLR made of children not named in ``avoid``)."""
    if name == "ReduceLROnPlateau":
        kwargs = plateau_config(rng, groups)
        return lambda module, opt: module.ReduceLROnPlateau(opt, **kwargs)
    if name in ("SequentialLR", "ChainedScheduler"):
        # (no chained CosineAnnealingLR: torch's recursive form can drive the rate below 0,
        # which a Genesis optimizer refuses to load)
        sequences = [seq for seq in SEQUENCES if not set(seq) & set(avoid)]
        names = rng.choice(sequences) if name == "SequentialLR" else ("LinearLR", "ExponentialLR", "StepLR")
        kws = [config(n, rng, groups, steps) for n in names]
        milestones = sorted(rng.sample(range(1, steps), len(names) - 1))
        return composite_factory(name, names, kws, milestones)
    return simple_factory(name, config(name, rng, groups, steps))


def step(scheduler, metric):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(scheduler, (ours.ReduceLROnPlateau, theirs.ReduceLROnPlateau)):
            scheduler.step(metric)
        else:
            scheduler.step()


def through_checkpoint(tmp_path, tree):
    path = tmp_path / "ckpt.safetensors"
    genesis.save_checkpoint(tree, path)
    return genesis.load_checkpoint(path)


def assert_same(a_opt, a_sched, b_opt, b_sched, where):
    a, b = snapshot(a_opt), snapshot(b_opt)
    np.testing.assert_allclose([x[0] for x in a], [x[0] for x in b], rtol=REL, atol=0, err_msg=f"lr {where}")
    if a[0][1] is not None:
        np.testing.assert_allclose([x[1] for x in a], [x[1] for x in b], rtol=REL, atol=0,
                                   err_msg=f"momentum {where}")
    np.testing.assert_allclose(a_sched.get_last_lr(), b_sched.get_last_lr(), rtol=REL, atol=0,
                               err_msg=f"get_last_lr {where}")


def _resume(module, lib, make, kind, lrs, saved, order):
    """A fresh optimizer and scheduler of ``module`` loading ``saved`` in ``order``."""
    optimizer = make_optimizer(module, kind, lrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make(lib, optimizer)
    if order == "both":
        optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    return optimizer, scheduler


def _run(name, groups, order, seed, source, target, tmp_path):
    """Run ``source`` (torch or genesis) k steps, load into a fresh ``target``, compare MORE steps
    with ``source`` resumed the same way (with both state dicts: the uninterrupted run)."""
    rng = random.Random(f"migrate-{name}-{groups}-{order}-{seed}-{source.__name__}")
    k = rng.randint(0, 60)
    kind = rng.choice(["sgd", "adam"])
    lrs = [10 ** rng.uniform(-4, -1) for _ in range(groups)]
    make = make_factory(name, rng, groups, k + MORE, avoid=() if source is torch else TORCH_CANNOT_LOAD)
    metrics = metric_walk(rng, k + MORE)
    src_mod, dst_mod = (theirs, ours) if source is torch else (ours, theirs)
    src_opt = make_optimizer(source, kind, lrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        src = make(src_mod, src_opt)
    for i in range(k):
        src_opt.step()
        step(src, metrics[i])
    saved = through_checkpoint(tmp_path, {"optimizer": src_opt.state_dict(), "scheduler": src.state_dict()})
    dst_opt, dst = _resume(target, dst_mod, make, kind, lrs, saved, order)
    if order != "both":  # the reference resumes the same way
        src_opt, src = _resume(source, src_mod, make, kind, lrs,
                               {"scheduler": src.state_dict()}, order)
    where = f"{name} groups={groups} {order}, loaded at step {k}"
    assert_same(dst_opt, dst, src_opt, src, where)
    for i in range(k, k + MORE):
        src_opt.step()
        dst_opt.step()
        step(src, metrics[i])
        step(dst, metrics[i])
        assert_same(dst_opt, dst, src_opt, src, f"{where}, step {i + 1}")


@pytest.mark.parametrize("order", ["both", "scheduler_only"])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("name", ALL)
def test_genesis_resumes_torch_state(name, groups, order, tmp_path):
    _run(name, groups, order, 0, torch, genesis, tmp_path)


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("name", [n for n in ALL if n not in TORCH_CANNOT_LOAD])
def test_torch_resumes_genesis_state(name, groups, tmp_path):
    _run(name, groups, "both", 0, genesis, torch, tmp_path)


def test_torch_state_dict_is_not_modified_by_loading():
    opt_t = make_optimizer(torch, "sgd", [0.1])
    state = theirs.OneCycleLR(opt_t, max_lr=0.1, total_steps=10).state_dict()
    before = repr(state)
    ours.OneCycleLR(make_optimizer(genesis, "sgd", [0.1]), max_lr=0.1, total_steps=10).load_state_dict(state)
    assert repr(state) == before


def test_transient_flags_are_ignored_but_other_torch_keys_are_refused():
    opt = make_optimizer(genesis, "sgd", [0.1])
    s = ours.StepLR(opt, step_size=3)
    state = theirs.StepLR(make_optimizer(torch, "sgd", [0.1]), step_size=3).state_dict()
    assert set(TRANSIENT_KEYS) <= set(state)
    s.load_state_dict(dict(state))  # accepted
    with pytest.raises(SchedulerStateError, match=r"unknown keys \['_scale_fn_ref', 'bogus'\]"):
        s.load_state_dict(dict(state, bogus=1, _scale_fn_ref=None))  # _scale_fn_ref: CyclicLR only


@pytest.mark.parametrize("verbose", [False, True])
def test_missing_verbose_keeps_the_current_value(verbose):
    opt = make_optimizer(genesis, "sgd", [0.1])
    s = ours.ExponentialLR(opt, gamma=0.5, verbose=verbose)
    state = theirs.ExponentialLR(make_optimizer(torch, "sgd", [0.1]), gamma=0.5).state_dict()
    assert "verbose" not in state
    s.load_state_dict(state)
    assert s.verbose is verbose


def test_cyclic_lr_ignores_scale_fn_ref_as_torch_drops_it():
    opt_t = make_optimizer(torch, "sgd", [0.1])
    t = theirs.CyclicLR(opt_t, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range", gamma=0.9)
    state = dict(t.state_dict(), _scale_fn_ref=t._scale_fn_ref)  # as older torch versions saved it
    opt_o = make_optimizer(genesis, "sgd", [0.1])
    s = ours.CyclicLR(opt_o, base_lr=0.01, max_lr=0.1, step_size_up=3)  # triangular until loaded
    s.load_state_dict(state)
    for _ in range(8):
        step(t, None)
        step(s, None)
        np.testing.assert_allclose(s.get_last_lr(), t.get_last_lr(), rtol=REL)


@pytest.mark.parametrize("milestones", [{"2": 1, "5": 2}, {2: 1, 5: 2}])
def test_multistep_counter_with_int_or_json_string_keys(milestones):
    s = ours.MultiStepLR(make_optimizer(genesis, "sgd", [1.0]), milestones=[9])
    state = dict(s.state_dict(), milestones=milestones)
    s.load_state_dict(state)
    assert s.milestones == [2, 5, 5]
    with pytest.raises(ValueError,
                       match=r"milestones must map int milestones to counts, got \{'x': 1\}"):
        s.load_state_dict(dict(state, milestones={"x": 1}))


def test_sequential_state_with_a_cyclic_child_not_entered_yet_loads():
    # The CyclicLR child is at last_epoch -1 before its milestone: loading must not ask for its
    # momentum there (Genesis's own round trip raised "epochs must be ints >= 0" before).
    def make(module, opt):
        children = [module.ExponentialLR(opt, gamma=0.9),
                    module.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3)]
        return module.SequentialLR(opt, children, milestones=[5])
    opt_t, opt_o = make_optimizer(torch, "sgd", [0.1]), make_optimizer(genesis, "sgd", [0.1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_t, s_o = make(theirs, opt_t), make(ours, opt_o)
    for _ in range(2):
        step(s_t, None)
        step(s_o, None)
    fresh_opt = make_optimizer(genesis, "sgd", [0.1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = make(ours, fresh_opt)
    fresh_opt.load_state_dict(opt_o.state_dict())
    fresh.load_state_dict(s_o.state_dict())
    for i in range(10):
        step(s_t, None)
        step(fresh, None)
        assert_same(fresh_opt, fresh, opt_t, s_t, f"step {i}")


def test_resume_from_a_converted_torch_checkpoint(tmp_path, capsys):
    # The user's path: torch.save -> `genesis checkpoint convert` (torch.load weights_only=True,
    # which keeps MultiStepLR's Counter) -> load_checkpoint -> load both state dicts, continue.
    from genesis.cli import main

    def make(module, opt):
        children = [module.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.5),
                    module.OneCycleLR(opt, max_lr=0.3, total_steps=30, three_phase=True)]
        return module.SequentialLR(opt, children, milestones=[7])
    opt_t = make_optimizer(torch, "adam", [0.1, 0.02])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_t = make(theirs, opt_t)
    for _ in range(9):
        opt_t.step()
        step(s_t, None)
    torch.save({"optimizer": opt_t.state_dict(), "scheduler": s_t.state_dict()}, tmp_path / "ckpt.pt")
    assert main(["checkpoint", "convert", str(tmp_path / "ckpt.pt"), str(tmp_path / "ckpt.safetensors")]) == 0
    saved = genesis.load_checkpoint(tmp_path / "ckpt.safetensors")
    opt_o = make_optimizer(genesis, "adam", [0.1, 0.02])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_o = make(ours, opt_o)
    opt_o.load_state_dict(saved["optimizer"])
    s_o.load_state_dict(saved["scheduler"])
    for i in range(20):
        opt_t.step()
        opt_o.step()
        step(s_t, None)
        step(s_o, None)
        assert_same(opt_o, s_o, opt_t, s_t, f"step {10 + i}")


def test_refusal_names_only_the_keys_that_differ():
    s = ours.StepLR(make_optimizer(genesis, "sgd", [0.1]), step_size=3)
    state = s.state_dict()
    with pytest.raises(SchedulerStateError) as missing:
        s.load_state_dict({k: v for k, v in state.items() if k != "gamma"})
    assert str(missing.value) == "StepLR.load_state_dict: state_dict does not match StepLR (missing keys ['gamma'])"
    with pytest.raises(SchedulerStateError) as both:
        s.load_state_dict({**{k: v for k, v in state.items() if k != "gamma"}, "gama": 0.5})
    assert str(both.value).endswith("(missing keys ['gamma'], unknown keys ['gama'])")


def _resume_and_compare(make, kind="sgd", lrs=(0.1, 0.02), stop=7, more=25):
    """Torch runs ``stop`` steps; Genesis loads both state dicts and both continue ``more``."""
    opt_t = make_optimizer(torch, kind, list(lrs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_t = make(theirs, opt_t)
    for _ in range(stop):
        opt_t.step()
        step(s_t, None)
    opt_o = make_optimizer(genesis, kind, list(lrs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_o = make(ours, opt_o)
    opt_o.load_state_dict(opt_t.state_dict())
    s_o.load_state_dict(s_t.state_dict())
    for i in range(more):
        assert_same(opt_o, s_o, opt_t, s_t, f"step {stop + i}")
        opt_t.step()
        opt_o.step()
        step(s_t, None)
        step(s_o, None)


@pytest.mark.parametrize("make", [
    lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False),
    lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=40, cycle_momentum=False),
], ids=["CyclicLR", "OneCycleLR"])
def test_torch_state_without_cycle_momentum_loads(make):
    """Regression: PyTorch stores no momentum keys without cycle_momentum; Genesis refused them."""
    opt = make_optimizer(torch, "sgd", [0.1])
    assert "base_momentums" not in make(theirs, opt).state_dict()
    _resume_and_compare(make)


NESTED = {
    "SequentialLR(ChainedScheduler, ...)": lambda m, o: m.SequentialLR(o, [
        m.ChainedScheduler([m.LinearLR(o, start_factor=0.2, total_iters=4),
                            m.ExponentialLR(o, 0.9)]),
        m.StepLR(o, step_size=3, gamma=0.5)], milestones=[6]),
    "SequentialLR(SequentialLR, ...)": lambda m, o: m.SequentialLR(o, [
        m.SequentialLR(o, [m.ConstantLR(o, factor=0.5, total_iters=2), m.ExponentialLR(o, 0.8)],
                       milestones=[3]),
        m.CosineAnnealingLR(o, T_max=10)], milestones=[5]),
}


@pytest.mark.parametrize("name", sorted(NESTED))
def test_nested_composites_step_and_resume_like_torch(name):
    """Regression: a composite nested first in a SequentialLR has a `_step_count` in PyTorch's
    state dict, which Genesis refused.  Stepping must match too (PyTorch's own quirks included)."""
    make = NESTED[name]
    opt_t = make_optimizer(torch, "sgd", [0.1, 0.02])
    opt_o = make_optimizer(genesis, "sgd", [0.1, 0.02])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_t, s_o = make(theirs, opt_t), make(ours, opt_o)
    for i in range(20):
        assert_same(opt_o, s_o, opt_t, s_t, f"{name} step {i}")
        step(s_t, None)
        step(s_o, None)
    assert "_step_count" in s_t.state_dict()["_schedulers"][0]
    for stop in (2, 9):
        _resume_and_compare(make, stop=stop)
