"""Closed forms: ``lr_at`` equals stepping (rel 1e-12, the exactness contract), the recursive
``get_lr`` equals the closed form, hand-computed values at the boundaries, and Genesis
optimizers driven."""
import math
import random
import warnings

import numpy as np
import pytest

import genesis
import genesis.optim.lr_scheduler as ours
from genesis.nn import Linear
from genesis.optim.adam import Adam
from genesis.optim.sgd import SGD
import torch.optim.lr_scheduler as theirs
from test_lr_scheduler import (
    SEQUENCES,
    SIMPLE,
    assert_same_state,
    build,
    config,
    step_both,
    torch_optimizer,
)

STEPS = 200
CURVE_REL = 1e-12


def stepped_rates(scheduler, optimizer, steps):
    rows = [[g["lr"] for g in optimizer.param_groups]]
    for _ in range(steps):
        scheduler.step()
        rows.append([g["lr"] for g in optimizer.param_groups])
    return np.array(rows, dtype=np.float64)


def assert_curve(curve, rates, where):
    np.testing.assert_allclose(curve, rates, rtol=CURVE_REL, atol=1e-300, err_msg=where)


@pytest.mark.parametrize("name", SIMPLE)
def test_lr_at_equals_stepping(name):
    for seed in range(3):
        rng = random.Random(f"curve-{name}-{seed}")
        groups = rng.choice([1, 3])
        opt = torch_optimizer(rng.choice(["sgd", "adam"]), [10 ** rng.uniform(-4, -1) for _ in range(groups)])
        kwargs = config(name, rng, groups, STEPS)
        s = build(ours, name, opt, kwargs)
        before = [dict(g, params=None) for g in opt.param_groups]
        curve = s.lr_at(np.arange(STEPS + 1))
        assert curve.shape == (STEPS + 1, groups) and curve.dtype == np.float64
        assert [dict(g, params=None) for g in opt.param_groups] == before  # nothing moved
        rates = stepped_rates(s, opt, STEPS)
        assert_curve(curve, rates, f"{name} {kwargs}")
        # any order, repetition and shape of steps, and one int
        shuffled = np.array(rng.sample(range(STEPS + 1), 30) * 2).reshape(6, 10)
        assert s.lr_at(shuffled).shape == (6, 10, groups)
        assert_curve(s.lr_at(shuffled), rates[shuffled], f"{name} shuffled")
        assert_curve(s.lr_at(17), rates[17], f"{name} at one step")


COMPOSABLE_SEQUENCES = [names for names in SEQUENCES if "MultiplicativeLR" not in names[1:]]


@pytest.mark.parametrize("names", SEQUENCES)
def test_sequential_lr_at_equals_stepping_where_its_children_compose(names):
    rng = random.Random(f"seq-curve-{names}")
    groups = rng.choice([1, 3])
    opt = torch_optimizer("sgd", [10 ** rng.uniform(-4, -1) for _ in range(groups)])
    milestones = sorted(rng.sample(range(1, STEPS), len(names) - 1))
    children = [build(ours, n, opt, config(n, rng, groups, STEPS)) for n in names]
    s = ours.SequentialLR(opt, children, milestones)
    if names not in COMPOSABLE_SEQUENCES:  # MultiplicativeLR enters by scaling the running rate
        with pytest.raises(TypeError, match="MultiplicativeLR at index 1 of a SequentialLR has no "
                           "closed form"):
            s.lr_at(np.arange(STEPS + 1))
        return
    curve = s.lr_at(np.arange(STEPS + 1))
    assert_curve(curve, stepped_rates(s, opt, STEPS), f"{names} {milestones}")


@pytest.mark.parametrize("names", [("ExponentialLR", "StepLR"),
                                   ("ConstantLR", "MultiplicativeLR", "LinearLR"),
                                   ("PolynomialLR", "MultiStepLR"),
                                   ("LinearLR", "StepLR", "ExponentialLR")])
def test_chained_lr_at_of_scaling_children_equals_stepping(names):
    rng = random.Random(f"chain-curve-{names}")
    groups = rng.choice([1, 3])
    opt = torch_optimizer("sgd", [10 ** rng.uniform(-4, -1) for _ in range(groups)])
    children = [build(ours, n, opt, config(n, rng, groups, STEPS)) for n in names]
    s = ours.ChainedScheduler(children)
    curve = s.lr_at(np.arange(STEPS + 1))
    assert_curve(curve, stepped_rates(s, opt, STEPS), f"{names}")


@pytest.mark.parametrize("names", [("LinearLR", "CosineAnnealingLR"), ("CyclicLR", "ExponentialLR"),
                                   ("StepLR", "LambdaLR")])
def test_chained_children_that_set_or_add_to_the_rate_have_no_closed_form(names):
    rng = random.Random(f"chain-none-{names}")
    opt = torch_optimizer("sgd", [0.1])
    s = ours.ChainedScheduler([build(ours, n, opt, config(n, rng, 1, STEPS)) for n in names])
    with pytest.raises(TypeError, match="of a ChainedScheduler does not scale the rate; preview"):
        s.lr_at(5)


def test_lambda_closed_form_calls_a_vectorised_lambda_once():
    calls = []

    class Vectorised:
        def __call__(self, epoch):
            calls.append(np.ndim(epoch))
            return np.minimum(1.0, (np.asarray(epoch) + 1) / 10.0)

    opt = torch_optimizer("sgd", [0.1])
    s = ours.LambdaLR(opt, Vectorised())
    calls.clear()
    curve = s.lr_at(np.arange(50))
    assert calls == [1]
    np.testing.assert_allclose(curve[:, 0], 0.1 * np.minimum(1.0, (np.arange(50) + 1) / 10.0), rtol=1e-15)


@pytest.mark.parametrize("steps, message", [(-1, "steps must be an int >= 0"), (2.5, "got 2.5"),
                                            ([1, -3], "got \\[1, -3\\]"), ("3", "got '3'")])
def test_lr_at_refuses_steps_that_are_not_counts(steps, message):
    with pytest.raises(ValueError, match=message):
        ours.StepLR(torch_optimizer("sgd", [0.1]), 2).lr_at(steps)


def test_reduce_lr_on_plateau_and_user_subclasses_have_no_lr_at():
    with pytest.raises(TypeError,
                       match="ReduceLROnPlateau.lr_at: ReduceLROnPlateau has no closed form"):
        ours.ReduceLROnPlateau(torch_optimizer("sgd", [0.1])).lr_at(3)

    class Slower(ours.StepLR):
        def get_lr(self):
            return [0.5 * lr for lr in super().get_lr()]

    with pytest.raises(TypeError, match="Slower has no closed form of its own; preview"):
        Slower(torch_optimizer("sgd", [0.1]), 2).lr_at(3)


def test_one_cycle_lr_at_refuses_steps_past_total():
    s = ours.OneCycleLR(torch_optimizer("sgd", [0.1]), max_lr=1.0, total_steps=10)
    with pytest.raises(ValueError,
                       match="Tried to step 11 times. The specified number of total steps is 10"):
        s.lr_at(np.arange(12))


CHAINABLE = ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
             "CosineAnnealingLR", "PolynomialLR"]


@pytest.mark.parametrize("name", CHAINABLE)
def test_recursive_get_lr_agrees_with_closed_form(name):
    for seed in range(3):
        rng = random.Random(f"rec-{name}-{seed}")
        opt = torch_optimizer("sgd", [10 ** rng.uniform(-4, -1) for _ in range(3)])
        s = build(ours, name, opt, config(name, rng, 3, STEPS))
        for _ in range(STEPS):
            s.step()
            np.testing.assert_allclose(s.get_last_lr(), s.lr_at(s.last_epoch), rtol=1e-12,
                                       atol=1e-300)


# --- hand-computed values ----------------------------------------------------------------------

def rates_at(scheduler, epochs):
    out, epoch = {}, 0
    for target in sorted(epochs):
        while epoch < target:
            scheduler.step()
            epoch += 1
        out[target] = scheduler.get_last_lr()[0]
    return [out[e] for e in epochs]


def one_group(lr=0.1):
    return torch_optimizer("sgd", [lr])


def test_cosine_annealing_boundaries():
    s = ours.CosineAnnealingLR(one_group(0.1), T_max=10, eta_min=0.001)
    got = rates_at(s, [0, 5, 10, 15, 20])
    mid = 0.001 + (0.1 - 0.001) * 0.5
    assert got == pytest.approx([0.1, mid, 0.001, mid, 0.1], rel=1e-12)


def test_step_and_multistep_at_milestones():
    assert rates_at(ours.StepLR(one_group(), step_size=3, gamma=0.5), [0, 2, 3, 5, 6, 9]) == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125], rel=1e-15)
    assert rates_at(ours.MultiStepLR(one_group(), milestones=[2, 5, 5], gamma=0.1), [0, 1, 2, 4, 5, 9]) == pytest.approx(
        [0.1, 0.1, 0.01, 0.01, 1e-4, 1e-4], rel=1e-12)


def test_linear_constant_polynomial_boundaries():
    assert rates_at(ours.LinearLR(one_group(), start_factor=0.25, total_iters=4), [0, 1, 2, 4, 8]) == pytest.approx(
        [0.025, 0.04375, 0.0625, 0.1, 0.1], rel=1e-12)
    assert rates_at(ours.ConstantLR(one_group(), factor=0.5, total_iters=3), [0, 2, 3, 7]) == pytest.approx(
        [0.05, 0.05, 0.1, 0.1], rel=1e-15)
    assert rates_at(ours.PolynomialLR(one_group(1.0), total_iters=4, power=2.0), [0, 1, 2, 3, 4, 6]) == pytest.approx(
        [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0], abs=1e-15)


def test_warm_restarts_and_cyclic_and_one_cycle_boundaries():
    s = ours.CosineAnnealingWarmRestarts(one_group(), T_0=4, T_mult=2)
    half = 0.1 * (1 + math.cos(math.pi / 4)) / 2
    assert rates_at(s, [0, 1, 2, 4, 8, 12]) == pytest.approx([0.1, half, 0.05, 0.1, 0.05, 0.1], rel=1e-12)
    c = ours.CyclicLR(one_group(), base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2")
    assert rates_at(c, [0, 1, 2, 3, 4, 6, 8]) == pytest.approx([0.01, 0.055, 0.1, 0.055, 0.01, 0.055, 0.01], rel=1e-12)
    o = ours.OneCycleLR(one_group(), max_lr=1.0, total_steps=10, pct_start=0.3, final_div_factor=100)
    # warm up 0.04 -> 1.0 over steps 0..2 (half cosine), then cosine 1.0 -> 4e-4 over steps 2..9
    at_5 = 4e-4 + (1.0 - 4e-4) / 2 * (math.cos(math.pi * 3 / 7) + 1)
    assert rates_at(o, [0, 1, 2, 5, 9]) == pytest.approx([0.04, 0.52, 1.0, at_5, 4e-4], rel=1e-12)


# --- Genesis optimizers ---------------------------------------------------------------------------

def genesis_optimizer(kind, lrs):
    genesis.manual_seed(0)
    layers = [Linear(3, 2) for _ in lrs]
    groups = [{"params": list(layer.parameters()), "lr": lr} for layer, lr in zip(layers, lrs)]
    if kind == "sgd":
        return SGD(groups, lr=lrs[0], momentum=0.9)
    return Adam(groups, lr=lrs[0], betas=(0.9, 0.999))


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", SIMPLE)
def test_genesis_optimizers_are_driven_like_torch(name, kind):
    rng = random.Random(f"genesis-{name}-{kind}")
    lrs = [10 ** rng.uniform(-4, -1) for _ in range(3)]
    opt_g, opt_t = genesis_optimizer(kind, lrs), torch_optimizer(kind, lrs)
    kwargs = config(name, rng, 3, 100)
    s_g, s_t = build(ours, name, opt_g, kwargs), build(theirs, name, opt_t, kwargs)
    assert_same_state(opt_g, opt_t, f"{name} construction")
    for step in range(100):
        step_both(s_g, s_t)
        assert_same_state(opt_g, opt_t, f"{name} {kind} step {step + 1}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Genesis optimizer step between scheduler steps works
        opt_g.step()
