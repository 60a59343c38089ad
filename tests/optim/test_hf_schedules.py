"""The Hugging Face schedule family (``genesis.optim.lr_scheduler.hf``) against hand-computed
values.

Expected numbers are written from the documented formulas (transformers' ``optimization.py``)
by hand, e.g. ``0.1 * 0.5 * (1 + cos(pi * 0.25))``, never produced by our code.  Rates are read by
stepping a real scheduler on a real Genesis optimizer; far-away steps are read from the lambda.
"""
import doctest
import json
import math

import numpy as np
import pytest
import torch

import genesis
import genesis.optim as optim
from genesis.nn import Linear
from genesis.optim.lr_scheduler import hf
from genesis.optim.lr_scheduler import LambdaLR, ReduceLROnPlateau, ScheduleChangedWarning

BASE = 0.1
pi, cos, sqrt = math.pi, math.cos, math.sqrt


def make_optimizer(lr=BASE, groups=1):
    """A Genesis SGD over small Linear layers, one param group per layer (rates lr, 2 lr, ...)."""
    genesis.manual_seed(0)
    layers = [Linear(3, 2) for _ in range(groups)]
    if groups == 1:
        return optim.SGD(layers[0].parameters(), lr=lr)
    specs = [{"params": layer.parameters(), "lr": lr * (i + 1)} for i, layer in enumerate(layers)]
    return optim.SGD(specs, lr=lr)


def rates_at(scheduler, steps):
    """Group-0 rate after stepping to each of ``steps`` (ascending), as a dict step -> rate."""
    out = {}
    for target in sorted(steps):
        while scheduler.last_epoch < target:
            scheduler.step()
        out[target] = scheduler.get_last_lr()[0]
        assert scheduler.optimizer.param_groups[0]["lr"] == out[target]
    return out


def check(scheduler, expected):
    got = rates_at(scheduler, expected)
    for step, value in expected.items():
        assert got[step] == pytest.approx(value, rel=1e-12, abs=1e-15), f"step {step}"


# --- hand-computed values at step 0, end of warmup, the middle, the last step and past the end ----


def test_constant():
    check(hf.get_constant_schedule(make_optimizer()), {0: 0.1, 1: 0.1, 50: 0.1})


def test_constant_with_warmup():
    s = hf.get_constant_schedule_with_warmup(make_optimizer(), num_warmup_steps=4)
    check(s, {0: 0.0, 1: 0.025, 2: 0.05, 3: 0.075, 4: 0.1, 100: 0.1})


def test_constant_with_zero_warmup_is_constant():
    s = hf.get_constant_schedule_with_warmup(make_optimizer(), num_warmup_steps=0)
    check(s, {0: 0.1, 7: 0.1})


def test_linear_with_warmup():
    s = hf.get_linear_schedule_with_warmup(make_optimizer(), num_warmup_steps=10, num_training_steps=110)
    expected = {
        0: 0.0,
        5: 0.1 * 5 / 10,
        10: 0.1,
        60: 0.1 * (110 - 60) / 100,
        109: 0.1 * 1 / 100,
        110: 0.0,
        125: 0.0,
    }
    check(s, expected)


def test_cosine_with_warmup():
    s = hf.get_cosine_schedule_with_warmup(make_optimizer(), num_warmup_steps=10, num_training_steps=110)
    expected = {
        0: 0.0,
        5: 0.05,
        9: 0.09,
        10: 0.1,
        35: 0.1 * 0.5 * (1 + cos(pi * 0.25)),
        60: 0.05,
        109: 0.1 * 0.5 * (1 + cos(pi * 0.99)),
        110: 0.0,
        # Past the end the half wave continues upwards, as in transformers (only floored at 0).
        130: 0.1 * 0.5 * (1 + cos(pi * 1.2)),
    }
    check(s, expected)


def test_cosine_with_warmup_full_cycle():
    s = hf.get_cosine_schedule_with_warmup(make_optimizer(), 0, 100, num_cycles=1.0)
    check(s, {0: 0.1, 25: 0.05, 50: 0.0, 75: 0.05, 100: 0.1})


def test_cosine_with_hard_restarts():
    s = hf.get_cosine_with_hard_restarts_schedule_with_warmup(make_optimizer(), 10, 110, num_cycles=2)
    expected = {
        0: 0.0,
        10: 0.1,
        35: 0.1 * 0.5 * (1 + cos(pi * 0.5)),
        59: 0.1 * 0.5 * (1 + cos(pi * 0.98)),
        60: 0.1,  # the restart
        85: 0.05,
        109: 0.1 * 0.5 * (1 + cos(pi * 0.98)),
        110: 0.0,
        150: 0.0,
    }
    check(s, expected)


def test_cosine_with_hard_restarts_default_is_one_cycle():
    s = hf.get_cosine_with_hard_restarts_schedule_with_warmup(make_optimizer(), 0, 100)
    check(s, {0: 0.1, 50: 0.05, 99: 0.1 * 0.5 * (1 + cos(pi * 0.99)), 100: 0.0})


def test_polynomial_decay():
    s = hf.get_polynomial_decay_schedule_with_warmup(make_optimizer(), 10, 110, lr_end=0.01, power=2.0)
    expected = {
        0: 0.0,
        5: 0.05,
        10: 0.1,
        60: (0.1 - 0.01) * 0.5**2 + 0.01,
        109: (0.1 - 0.01) * 0.01**2 + 0.01,
        110: 0.01,
        111: 0.01,
        150: 0.01,
    }
    check(s, expected)


def test_polynomial_default_is_linear_to_1e_7():
    s = hf.get_polynomial_decay_schedule_with_warmup(make_optimizer(), 0, 100)
    check(s, {0: 0.1, 50: (0.1 - 1e-7) * 0.5 + 1e-7, 100: 1e-7, 120: 1e-7})


def test_polynomial_warmup_equal_to_total_holds_then_ends():
    # Our choice: transformers divides by zero at step == T here.
    s = hf.get_polynomial_decay_schedule_with_warmup(make_optimizer(), 4, 4, lr_end=0.01)
    check(s, {2: 0.05, 4: 0.1, 5: 0.01})


def test_inverse_sqrt():
    s = hf.get_inverse_sqrt_schedule(make_optimizer(), num_warmup_steps=4)
    check(s, {0: 0.0, 2: 0.05, 4: 0.1, 16: 0.1 / sqrt(16 / 4), 36: 0.1 / 3})
    s = hf.get_inverse_sqrt_schedule(make_optimizer(), num_warmup_steps=4, timescale=10)
    check(s, {4: 0.1, 14: 0.1 / sqrt((14 + 6) / 10)})


def test_inverse_sqrt_without_warmup_uses_timescale_10000():
    s = hf.get_inverse_sqrt_schedule(make_optimizer(), num_warmup_steps=0)
    factor = s.lr_lambdas[0]
    assert factor.timescale == 10_000
    assert factor(0) == 1.0
    assert factor(30_000) == pytest.approx(1 / sqrt(40_000 / 10_000), rel=1e-15)


def test_cosine_with_min_lr():
    s = hf.get_cosine_with_min_lr_schedule_with_warmup(make_optimizer(), 10, 110, min_lr=0.01)
    expected = {
        0: 0.0,
        10: 0.1,
        35: 0.1 * (0.5 * (1 + cos(pi * 0.25)) * 0.9 + 0.1),
        60: 0.055,
        110: 0.01,
    }
    check(s, expected)
    s = hf.get_cosine_with_min_lr_schedule_with_warmup(make_optimizer(), 0, 100, min_lr_rate=0.2)
    check(s, {0: 0.1, 50: 0.1 * (0.5 * 0.8 + 0.2), 100: 0.02})


def test_wsd_linear_warmup_cosine_decay():
    s = hf.get_wsd_schedule(make_optimizer(), num_warmup_steps=10, num_decay_steps=20, num_training_steps=100)
    assert s.lr_lambdas[0].num_stable_steps == 70
    expected = {0: 0.0, 5: 0.05, 10: 0.1, 79: 0.1, 80: 0.1, 90: 0.05, 95: 0.1 * 0.5 * (1 + cos(pi * 0.75)), 100: 0.0, 130: 0.0}
    check(s, expected)


def test_wsd_shapes_and_floor():
    s = hf.get_wsd_schedule(
        make_optimizer(), 10, 20, num_stable_steps=70, warmup_type="1-sqrt", decay_type="1-sqrt", min_lr_ratio=0.1
    )
    expected = {
        0: 0.1 * 0.1,
        5: 0.1 * ((1 - sqrt(0.5)) * 0.9 + 0.1),
        10: 0.1,
        85: 0.1 * ((1 - sqrt(0.25)) * 0.9 + 0.1),
        99: 0.1 * ((1 - sqrt(19 / 20)) * 0.9 + 0.1),
        100: 0.01,
        120: 0.01,
    }
    check(s, expected)
    s = hf.get_wsd_schedule(make_optimizer(), 10, 20, 100, warmup_type="cosine", decay_type="linear")
    check(s, {0: 0.0, 5: 0.1 * 0.5 * (1 - cos(pi * 0.5)), 90: 0.05, 99: 0.1 * 0.05, 100: 0.0})


def test_schedules_drive_every_group_from_its_own_rate():
    opt = make_optimizer(groups=3)
    s = hf.get_linear_schedule_with_warmup(opt, 10, 110)
    for _ in range(60):
        s.step()
    assert s.get_last_lr() == pytest.approx([0.05, 0.1, 0.15], rel=1e-12)


# --- the formulas, step by step, as transformers documents them (scalar math) -----------------------


def _warm(step, warmup):
    return step / max(1, warmup)


REFERENCE = {
    "linear": lambda t, w, n: _warm(t, w) if t < w else max(0.0, (n - t) / max(1, n - w)),
    "cosine": lambda t, w, n: _warm(t, w) if t < w else max(0.0, 0.5 * (1 + cos(pi * 0.5 * 2 * (t - w) / max(1, n - w)))),
    "cosine_with_restarts": lambda t, w, n: _warm(t, w)
    if t < w
    else (0.0 if (t - w) / max(1, n - w) >= 1 else 0.5 * (1 + cos(pi * (((t - w) / max(1, n - w)) % 1.0)))),
    "constant_with_warmup": lambda t, w, n: _warm(t, w) if t < w else 1.0,
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
@pytest.mark.parametrize("warmup,total", [(0, 50), (7, 50), (50, 50), (1, 2)])
def test_every_step_matches_the_documented_formula(name, warmup, total):
    opt = make_optimizer()
    s = hf.get_scheduler(name, opt, num_warmup_steps=warmup, num_training_steps=total)
    for step in range(total + 10):
        expected = BASE * REFERENCE[name](step, warmup, total)
        assert s.get_last_lr()[0] == pytest.approx(expected, rel=1e-12, abs=1e-16), step
        s.step()


# --- the lambdas: small, vectorised callables ---------------------------------------------------------

ALL_FACTORIES = [
    ("constant", lambda o: hf.get_constant_schedule(o)),
    ("constant_with_warmup", lambda o: hf.get_constant_schedule_with_warmup(o, 5)),
    ("linear", lambda o: hf.get_linear_schedule_with_warmup(o, 5, 40)),
    ("cosine", lambda o: hf.get_cosine_schedule_with_warmup(o, 5, 40, num_cycles=0.7)),
    ("restarts", lambda o: hf.get_cosine_with_hard_restarts_schedule_with_warmup(o, 5, 40, 3)),
    ("polynomial", lambda o: hf.get_polynomial_decay_schedule_with_warmup(o, 5, 40, 1e-3, 0.5)),
    ("inverse_sqrt", lambda o: hf.get_inverse_sqrt_schedule(o, 5)),
    ("min_lr", lambda o: hf.get_cosine_with_min_lr_schedule_with_warmup(o, 5, 40, min_lr_rate=0.1)),
    ("wsd", lambda o: hf.get_wsd_schedule(o, 5, 10, 40, warmup_type="cosine", min_lr_ratio=0.05)),
]


@pytest.mark.parametrize("name,build", ALL_FACTORIES)
def test_lambda_is_vectorised_and_agrees_with_scalar_calls(name, build):
    factor = build(make_optimizer()).lr_lambdas[0]
    assert type(factor(3)) is float
    steps = np.arange(0, 60, dtype=np.int64)
    values = factor(steps)
    assert isinstance(values, np.ndarray) and values.dtype == np.float64 and values.shape == (60,)
    # The exactness contract: within rel 1e-12, not bit for bit (SIMD paths differ by CPU).
    np.testing.assert_allclose(values, [factor(int(s)) for s in steps], rtol=1e-12, atol=1e-300)
    assert all(isinstance(v, (int, float, str)) for v in vars(factor).values())


@pytest.mark.parametrize("name,build", ALL_FACTORIES)
def test_torch_lambdalr_with_our_lambda_gives_our_rates(name, build):
    """PyTorch's LambdaLR, driven by the same callable object, is an independent stepping oracle."""
    ours = build(make_optimizer())
    t_opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=BASE)
    theirs = torch.optim.lr_scheduler.LambdaLR(t_opt, build(make_optimizer()).lr_lambdas[0])
    for _ in range(60):
        assert ours.get_last_lr()[0] == pytest.approx(theirs.get_last_lr()[0], rel=1e-12, abs=1e-16)
        t_opt.step()  # no gradients: nothing moves, but PyTorch sees the order it expects
        ours.step()
        theirs.step()


def test_schedules_drive_a_pytorch_optimizer():
    t_opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=BASE)
    s = hf.get_polynomial_decay_schedule_with_warmup(t_opt, 10, 110, lr_end=0.01, power=2.0)
    check(s, {0: 0.0, 10: 0.1, 60: 0.09 * 0.25 + 0.01})
    assert t_opt.param_groups[0]["lr"] == pytest.approx(0.0325, rel=1e-12)


# --- state ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,build", ALL_FACTORIES)
def test_state_dict_is_json_and_restores_the_schedule(name, build):
    opt = make_optimizer(groups=2)
    s = build(opt)
    for _ in range(17):
        s.step()
    state = json.loads(json.dumps(s.state_dict()))
    assert state["lr_lambdas"][0] == vars(s.lr_lambdas[0])
    expected = [s.step() or list(s.get_last_lr()) for _ in range(30)]

    # A fresh scheduler whose schedule has other numbers takes the saved schedule from the state.
    fresh = build(make_optimizer(groups=2))
    for factor in fresh.lr_lambdas:
        for key, value in vars(factor).items():
            if not isinstance(value, str):
                setattr(factor, key, value * 3 + 1)
    if fresh.to_config() == s.to_config():  # nothing to change (the constant schedule)
        fresh.load_state_dict(state)
    else:
        with pytest.warns(ScheduleChangedWarning,
                          match="the saved schedule differs .* lr_lambda.num"):
            fresh.load_state_dict(state)
    assert [vars(f) for f in fresh.lr_lambdas] == [vars(f) for f in s.lr_lambdas]
    got = [fresh.step() or list(fresh.get_last_lr()) for _ in range(30)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-16)


# --- argument errors -----------------------------------------------------------------------------------

ERRORS = [
    (hf.get_linear_schedule_with_warmup, (20, 10), {}, r"num_warmup_steps \(20\) must not exceed num_training_steps \(10\)"),
    (hf.get_cosine_schedule_with_warmup, (-1, 10), {}, r"num_warmup_steps must be an int >= 0, got -1"),
    (hf.get_cosine_schedule_with_warmup, (2.5, 10), {}, r"num_warmup_steps must be an int >= 0, got 2.5"),
    (hf.get_cosine_schedule_with_warmup, (True, 10), {}, r"num_warmup_steps must be an int >= 0, got True"),
    (hf.get_cosine_schedule_with_warmup, (0, 0), {}, r"num_training_steps must be a positive int, got 0"),
    (hf.get_cosine_schedule_with_warmup, (1, 10), {"num_cycles": 0},
     r"num_cycles must be in \(0.0, inf\], got 0$"),
    (hf.get_cosine_with_hard_restarts_schedule_with_warmup, (1, 10), {"num_cycles": -2}, r"num_cycles must be in \(0.0"),
    (hf.get_constant_schedule_with_warmup, (-3,), {}, r"num_warmup_steps must be an int >= 0, got -3"),
    (hf.get_polynomial_decay_schedule_with_warmup, (1, 10), {"power": 0},
     r"power must be in \(0.0, inf\], got 0$"),
    (hf.get_polynomial_decay_schedule_with_warmup, (1, 10), {"lr_end": 0.1}, r"lr_end \(0.1\) must be smaller than the optimizer's initial lr \(0.1\)"),
    (hf.get_polynomial_decay_schedule_with_warmup, (1, 10), {"lr_end": -1.0}, r"lr_end must be in \[0.0, inf\], got -1.0"),
    (hf.get_inverse_sqrt_schedule, (4,), {"timescale": 0}, r"timescale must be a positive int, got 0"),
    (hf.get_cosine_with_min_lr_schedule_with_warmup, (1, 10), {}, r"one of min_lr or min_lr_rate must be given"),
    (hf.get_cosine_with_min_lr_schedule_with_warmup, (1, 10), {"min_lr": 0.01, "min_lr_rate": 0.1}, r"only one of min_lr and min_lr_rate"),
    (hf.get_cosine_with_min_lr_schedule_with_warmup, (1, 10), {"min_lr": 0.5}, r"min_lr must be in \[0.0, 0.1\], got 0.5"),
    (hf.get_cosine_with_min_lr_schedule_with_warmup, (1, 10), {"min_lr_rate": 1.5}, r"min_lr_rate must be in \[0.0, 1.0\], got 1.5"),
    (hf.get_wsd_schedule, (1, 2), {}, r"needs num_training_steps or num_stable_steps"),
    (hf.get_wsd_schedule, (5, 6, 10), {}, r"num_warmup_steps \+ num_decay_steps \(5 \+ 6\) must not exceed num_training_steps \(10\)"),
    (hf.get_wsd_schedule, (1, 2, 10, 3), {}, r"\(1 \+ 3 \+ 2\) must equal num_training_steps \(10\)"),
    (hf.get_wsd_schedule, (1, 2, 10), {"warmup_type": "exp"}, r"warmup_type must be one of \['linear', 'cosine', '1-sqrt'\], got 'exp'"),
    (hf.get_wsd_schedule, (1, 2, 10), {"decay_type": "step"}, r"decay_type must be one of"),
    (hf.get_wsd_schedule, (1, 2, 10), {"min_lr_ratio": 2},
     r"min_lr_ratio must be in \[0.0, 1.0\], got 2$"),
    (hf.get_wsd_schedule, (1, -2), {"num_stable_steps": 3}, r"num_decay_steps must be an int >= 0, got -2"),
]


@pytest.mark.parametrize("factory,args,kwargs,message", ERRORS)
def test_argument_errors(factory, args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        factory(make_optimizer(), *args, **kwargs)


def test_non_optimizer_is_rejected():
    with pytest.raises(TypeError, match="optimizer"):
        hf.get_cosine_schedule_with_warmup(object(), 1, 10)
    with pytest.raises(TypeError, match="optimizer"):
        hf.get_polynomial_decay_schedule_with_warmup(42, 1, 10)


# --- get_scheduler ----------------------------------------------------------------------------------------

DISPATCH = [
    ("linear", {}, hf.get_linear_schedule_with_warmup, (5, 40), {}),
    ("cosine", {"num_cycles": 0.7}, hf.get_cosine_schedule_with_warmup, (5, 40), {"num_cycles": 0.7}),
    ("cosine_with_restarts", {"num_cycles": 3}, hf.get_cosine_with_hard_restarts_schedule_with_warmup, (5, 40), {"num_cycles": 3}),
    ("polynomial", {"lr_end": 1e-3, "power": 2.0}, hf.get_polynomial_decay_schedule_with_warmup, (5, 40), {"lr_end": 1e-3, "power": 2.0}),
    ("constant", {}, hf.get_constant_schedule, (), {}),
    ("constant_with_warmup", {}, hf.get_constant_schedule_with_warmup, (5,), {}),
    ("inverse_sqrt", {"timescale": 8}, hf.get_inverse_sqrt_schedule, (5,), {"timescale": 8}),
    ("cosine_with_min_lr", {"min_lr": 0.01}, hf.get_cosine_with_min_lr_schedule_with_warmup, (5, 40), {"min_lr": 0.01}),
    ("warmup_stable_decay", {"num_decay_steps": 10}, hf.get_wsd_schedule, (5, 10, 40), {}),
]


@pytest.mark.parametrize("name,specific,factory,args,kwargs", DISPATCH)
def test_get_scheduler_dispatches_by_name(name, specific, factory, args, kwargs):
    by_name = hf.get_scheduler(name, make_optimizer(), num_warmup_steps=5, num_training_steps=40,
                               scheduler_specific_kwargs=specific)
    direct = factory(make_optimizer(), *args, **kwargs)
    assert type(by_name) is LambdaLR
    assert type(by_name.lr_lambdas[0]) is type(direct.lr_lambdas[0])
    assert vars(by_name.lr_lambdas[0]) == vars(direct.lr_lambdas[0])
    # Extra keyword arguments work like scheduler_specific_kwargs.
    as_keywords = hf.get_scheduler(name, make_optimizer(), 5, 40, **specific)
    assert vars(as_keywords.lr_lambdas[0]) == vars(direct.lr_lambdas[0])


def test_get_scheduler_reduce_lr_on_plateau():
    s = hf.get_scheduler("reduce_lr_on_plateau", make_optimizer(), scheduler_specific_kwargs={"mode": "max", "factor": 0.5})
    assert type(s) is ReduceLROnPlateau
    assert (s.mode, s.factor) == ("max", 0.5)


def test_get_scheduler_names_are_transformers():
    assert hf.SCHEDULER_NAMES == (
        "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
        "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "warmup_stable_decay",
    )


def test_get_scheduler_errors():
    opt = make_optimizer()
    with pytest.raises(ValueError, match=r"unknown scheduler name 'cosin'; valid names are: linear, cosine, "
                                         r"cosine_with_restarts, .*warmup_stable_decay"):
        hf.get_scheduler("cosin", opt, 1, 10)
    with pytest.raises(ValueError, match=r"linear requires `num_warmup_steps`, please provide that argument"):
        hf.get_scheduler("linear", opt, num_training_steps=10)
    with pytest.raises(ValueError, match=r"cosine requires `num_training_steps`, please provide that argument"):
        hf.get_scheduler("cosine", opt, num_warmup_steps=1)
    with pytest.raises(ValueError, match=r"inverse_sqrt requires `num_warmup_steps`"):
        hf.get_scheduler("inverse_sqrt", opt)
    with pytest.raises(ValueError, match=r"warmup_stable_decay requires `num_decay_steps`"):
        hf.get_scheduler("warmup_stable_decay", opt, 1, 10)
    with pytest.raises(TypeError, match=r"\['num_cycles'\] both in scheduler_specific_kwargs and as keywords"):
        hf.get_scheduler("cosine", opt, 1, 10, scheduler_specific_kwargs={"num_cycles": 1}, num_cycles=2)
    with pytest.raises(TypeError, match="unexpected keyword argument 'num_cycle'"):
        hf.get_scheduler("cosine", opt, 1, 10, num_cycle=2)
    with pytest.raises(ValueError, match=r"unknown scheduler name 3; valid names are"):
        hf.get_scheduler(3, opt)
    # constant needs neither count
    assert hf.get_scheduler("constant", opt).get_last_lr() == [0.1]


def test_get_scheduler_accepts_an_enum_member():
    import enum

    class SchedulerType(enum.Enum):
        COSINE = "cosine"

    s = hf.get_scheduler(SchedulerType.COSINE, make_optimizer(), 10, 110)
    assert s.lr_lambdas[0].schedule == "cosine_with_warmup"


def test_exported_from_genesis_optim():
    for name in hf.__all__:
        if name != "SCHEDULER_NAMES":
            assert getattr(optim, name) is getattr(hf, name)


def test_docstring_examples():
    result = doctest.testmod(hf, extraglobs={"genesis": genesis}, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10 and result.failed == 0
