"""Differential tests: every PyTorch scheduler against ``torch.optim.lr_scheduler`` (2.13).

Two identical torch optimizers are built; one is driven by torch's scheduler, the other by ours
with the same arguments.  After every step the group rates, momenta/``betas`` and
``get_last_lr()`` must agree within rel 1e-9.  Configurations are drawn from seeded generators
(1 and 3 param groups, SGD with momentum and Adam).  The other test files import the generators.
"""
import math
import random
import warnings

import numpy as np
import pytest
import torch

import genesis.optim.lr_scheduler as ours
import torch.optim.lr_scheduler as theirs

REL = 1e-9
STEPS = 240


# --- optimizers ------------------------------------------------------------------------------

def torch_optimizer(kind: str, lrs: list[float]) -> torch.optim.Optimizer:
    """A torch optimizer with one param group per rate (fresh parameters, same every call)."""
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)
    return torch.optim.Adam(groups, lr=lrs[0], betas=(0.9, 0.999))


def optimizer_pair(rng: random.Random, groups: int, kind: str | None = None):
    lrs = [10 ** rng.uniform(-4, -0.5) for _ in range(groups)]
    kind = kind or rng.choice(["sgd", "adam"])
    return torch_optimizer(kind, lrs), torch_optimizer(kind, lrs), kind


def snapshot(optimizer) -> list[tuple]:
    """Every group's rate and momentum (or beta1), as floats."""
    out = []
    for g in optimizer.param_groups:
        momentum = g["betas"][0] if "betas" in g else g.get("momentum")
        out.append((float(g["lr"]), None if momentum is None else float(momentum)))
    return out


def assert_close(actual, expected, where=""):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                               rtol=REL, atol=1e-300, err_msg=where)


def assert_same_state(opt_ours, opt_theirs, where=""):
    a, b = snapshot(opt_ours), snapshot(opt_theirs)
    assert_close([x[0] for x in a], [x[0] for x in b], f"lr {where}")
    if a[0][1] is not None:
        assert_close([x[1] for x in a], [x[1] for x in b], f"momentum {where}")


# --- seeded configurations -------------------------------------------------------------------

class Halving:
    """A callable object lambda (state_dict records its attributes)."""

    def __init__(self, every: int):
        self.every = every

    def __call__(self, epoch):
        return 0.5 ** (epoch // self.every)


def _lambda_family(rng):
    k = rng.uniform(0.9, 0.999)
    w = rng.randint(1, 20)
    return rng.choice([
        lambda e: k ** e,
        lambda e: min(1.0, (e + 1) / w),
        lambda e: 1.0 / math.sqrt(e + 1),
        Halving(w),
    ])


def config(name: str, rng: random.Random, groups: int, steps: int = STEPS) -> dict:
    """Random valid keyword arguments for scheduler ``name`` (same for torch and ours)."""
    if name == "LambdaLR":
        lam = [_lambda_family(rng) for _ in range(groups)] if rng.random() < 0.5 else _lambda_family(rng)
        return {"lr_lambda": lam}
    if name == "MultiplicativeLR":
        k = rng.uniform(0.9, 1.0)
        return {"lr_lambda": rng.choice([lambda e: k, lambda e: 1.0 if e % 7 else 0.8])}
    if name == "StepLR":
        return {"step_size": rng.randint(1, 40), "gamma": rng.uniform(0.1, 0.99)}
    if name == "MultiStepLR":
        ms = sorted(rng.randint(1, steps) for _ in range(rng.randint(1, 5)))
        return {"milestones": ms, "gamma": rng.uniform(0.1, 0.9)}
    if name == "ConstantLR":
        return {"factor": rng.uniform(0.05, 1.0), "total_iters": rng.randint(1, 60)}
    if name == "LinearLR":
        return {"start_factor": rng.uniform(0.01, 1.0), "end_factor": rng.uniform(0.0, 1.0),
                "total_iters": rng.randint(1, 120)}
    if name == "ExponentialLR":
        return {"gamma": rng.uniform(0.95, 1.0)}
    if name == "CosineAnnealingLR":
        return {"T_max": rng.randint(1, 100), "eta_min": rng.choice([0.0, rng.uniform(0, 1e-4)])}
    if name == "PolynomialLR":
        return {"total_iters": rng.randint(1, 150), "power": rng.uniform(0.3, 3.0)}
    if name == "CosineAnnealingWarmRestarts":
        return {"T_0": rng.randint(1, 30), "T_mult": rng.randint(1, 3), "eta_min": rng.choice([0.0, 1e-5])}
    if name == "CyclicLR":
        base = [10 ** rng.uniform(-4, -2) for _ in range(groups)]
        mode = rng.choice(["triangular", "triangular2", "exp_range"])
        kw = {"base_lr": base if groups > 1 and rng.random() < 0.5 else base[0],
              "max_lr": rng.uniform(0.02, 0.5), "step_size_up": rng.randint(1, 40),
              "step_size_down": rng.choice([None, rng.randint(1, 40)]), "mode": mode,
              "gamma": rng.uniform(0.99, 1.0), "base_momentum": rng.uniform(0.7, 0.85),
              "max_momentum": rng.uniform(0.86, 0.95)}
        if rng.random() < 0.2:
            kw["scale_fn"], kw["scale_mode"] = (lambda x: 0.9 ** x), rng.choice(["cycle", "iterations"])
        return kw
    if name == "OneCycleLR":
        total = rng.randint(steps, steps + 50)
        kw = {"max_lr": [rng.uniform(0.01, 1.0) for _ in range(groups)] if groups > 1 else rng.uniform(0.01, 1.0),
              "pct_start": rng.uniform(0.05, 0.45), "anneal_strategy": rng.choice(["cos", "linear"]),
              "three_phase": rng.random() < 0.5, "div_factor": rng.uniform(5, 50),
              "final_div_factor": rng.uniform(10, 1e4), "base_momentum": rng.uniform(0.7, 0.85),
              "max_momentum": rng.uniform(0.86, 0.99)}
        if rng.random() < 0.5:
            kw["total_steps"] = total
        else:
            kw["epochs"], kw["steps_per_epoch"] = total // 10 + 1, 10
        return kw
    raise KeyError(name)


SIMPLE = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
          "ExponentialLR", "CosineAnnealingLR", "PolynomialLR", "CosineAnnealingWarmRestarts",
          "CyclicLR", "OneCycleLR"]


def build(module, name, optimizer, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(module, name)(optimizer, **kwargs)


def simple_factory(name, kwargs):
    """``make(module, optimizer)`` building scheduler ``name`` of ``module`` with ``kwargs``."""
    return lambda module, opt: build(module, name, opt, kwargs)


def composite_factory(name, names, kws, milestones=None):
    """``make(module, optimizer)`` building a SequentialLR or ChainedScheduler (``name``) of
    ``module`` over children ``names`` configured by ``kws``."""
    def make(module, opt):
        children = [build(module, n, opt, kw) for n, kw in zip(names, kws)]
        if name == "SequentialLR":
            return module.SequentialLR(opt, children, milestones)
        return module.ChainedScheduler(children, opt)
    return make


def step_both(s_ours, s_theirs, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_theirs.step(*args)
    s_ours.step(*args)


# --- the differential tests ------------------------------------------------------------------

@pytest.mark.parametrize("groups", [1, 3])
@pytest.mark.parametrize("name", SIMPLE)
def test_matches_torch_stepping(name, groups):
    for seed in range(4):
        rng = random.Random(f"{name}-{groups}-{seed}")
        opt_t, opt_o, kind = optimizer_pair(rng, groups)
        kwargs = config(name, rng, groups)
        s_t, s_o = build(theirs, name, opt_t, kwargs), build(ours, name, opt_o, kwargs)
        assert_same_state(opt_o, opt_t, f"{name} {kind} seed {seed} at construction")
        assert_close(s_o.get_last_lr(), s_t.get_last_lr())
        for step in range(STEPS):
            step_both(s_o, s_t)
            assert_same_state(opt_o, opt_t, f"{name} {kind} {kwargs} seed {seed} step {step + 1}")
            assert_close(s_o.get_last_lr(), s_t.get_last_lr())
        assert s_o.last_epoch == s_t.last_epoch
        assert_close(s_o.base_lrs, s_t.base_lrs)


CLOSED_FORM = ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
               "CosineAnnealingLR", "PolynomialLR", "LambdaLR", "MultiplicativeLR", "CyclicLR",
               "OneCycleLR"]


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_step_with_epoch_jumps_match_torch(name):
    rng = random.Random(f"jump-{name}")
    opt_t, opt_o, _ = optimizer_pair(rng, 3)
    kwargs = config(name, rng, 3)
    s_t, s_o = build(theirs, name, opt_t, kwargs), build(ours, name, opt_o, kwargs)
    for i in range(60):
        if rng.random() < 0.5:
            epoch = rng.randint(0, STEPS)
            with pytest.warns(UserWarning, match="deprecated"):
                s_o.step(epoch)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s_t.step(epoch)
        else:
            if s_o.last_epoch >= STEPS:
                continue
            step_both(s_o, s_t)
        assert_same_state(opt_o, opt_t, f"{name} {kwargs} move {i}")
        assert s_o.last_epoch == s_t.last_epoch


def test_warm_restarts_fractional_epochs_match_torch():
    rng = random.Random(7)
    for trial in range(6):
        opt_t, opt_o, _ = optimizer_pair(rng, rng.choice([1, 3]))
        kwargs = config("CosineAnnealingWarmRestarts", rng, 1)
        s_t = build(theirs, "CosineAnnealingWarmRestarts", opt_t, kwargs)
        s_o = build(ours, "CosineAnnealingWarmRestarts", opt_o, kwargs)
        iters = rng.randint(3, 17)
        for epoch in range(25):
            for i in range(iters):
                step_both(s_o, s_t, epoch + i / iters)
                assert_same_state(opt_o, opt_t, f"{kwargs} epoch {epoch} + {i}/{iters}")
            if rng.random() < 0.3:  # interleave plain steps
                step_both(s_o, s_t)
                assert_same_state(opt_o, opt_t, f"{kwargs} plain step after {epoch}")
            assert s_o.last_epoch == s_t.last_epoch
            assert s_o.T_i == s_t.T_i
            assert s_o.T_cur == pytest.approx(s_t.T_cur, rel=1e-12)


PAIRS = [("ExponentialLR", "StepLR"), ("LinearLR", "CosineAnnealingLR"),
         ("ConstantLR", "ExponentialLR"), ("MultiplicativeLR", "MultiStepLR"),
         ("PolynomialLR", "LinearLR"), ("CosineAnnealingLR", "ConstantLR"),
         ("StepLR", "LambdaLR"), ("LambdaLR", "ExponentialLR")]


def _pair(rng, groups, names, factory_t, factory_o):
    opt_t, opt_o, kind = optimizer_pair(rng, groups)
    kws = [config(n, rng, groups) for n in names]
    sched_t = [build(theirs, n, opt_t, kw) for n, kw in zip(names, kws)]
    sched_o = [build(ours, n, opt_o, kw) for n, kw in zip(names, kws)]
    return opt_t, opt_o, factory_t(sched_t, opt_t), factory_o(sched_o, opt_o), kws


@pytest.mark.parametrize("names", PAIRS)
def test_two_schedulers_on_one_optimizer_match_torch(names):
    rng = random.Random(f"two-{names}")
    opt_t, opt_o, s_t, s_o, kws = _pair(rng, 3, names, lambda s, o: s, lambda s, o: s)
    assert_same_state(opt_o, opt_t, "construction")
    for step in range(STEPS):
        for a, b in zip(s_o, s_t):
            step_both(a, b)
        assert_same_state(opt_o, opt_t, f"{names} {kws} step {step + 1}")


@pytest.mark.parametrize("names", PAIRS + [("CyclicLR", "ExponentialLR"), ("StepLR", "OneCycleLR")])
def test_chained_scheduler_matches_torch(names):
    rng = random.Random(f"chain-{names}")
    opt_t, opt_o, s_t, s_o, kws = _pair(
        rng, rng.choice([1, 3]), names,
        lambda s, o: theirs.ChainedScheduler(s, o), lambda s, o: ours.ChainedScheduler(s, o))
    assert_close(s_o.get_last_lr(), s_t.get_last_lr())
    for step in range(STEPS):
        step_both(s_o, s_t)
        assert_same_state(opt_o, opt_t, f"{names} {kws} step {step + 1}")
        assert_close(s_o.get_last_lr(), s_t.get_last_lr())


SEQUENCES = [("LinearLR", "CosineAnnealingLR"), ("ConstantLR", "ExponentialLR", "StepLR"),
             ("LambdaLR", "MultiplicativeLR"), ("ExponentialLR", "CyclicLR"),
             ("LinearLR", "PolynomialLR", "CosineAnnealingWarmRestarts"),
             ("MultiStepLR", "OneCycleLR"), ("StepLR", "LambdaLR", "LinearLR")]


@pytest.mark.parametrize("names", SEQUENCES)
def test_sequential_lr_matches_torch(names):
    for seed in range(2):
        rng = random.Random(f"seq-{names}-{seed}")
        milestones = sorted(rng.sample(range(1, STEPS), len(names) - 1))
        opt_t, opt_o, s_t, s_o, kws = _pair(
            rng, rng.choice([1, 3]), names,
            lambda s, o: theirs.SequentialLR(o, s, milestones), lambda s, o: ours.SequentialLR(o, s, milestones))
        assert_same_state(opt_o, opt_t, "construction")
        assert_close(s_o.get_last_lr(), s_t.get_last_lr())
        for step in range(STEPS):
            step_both(s_o, s_t)
            assert_same_state(opt_o, opt_t, f"{names} {milestones} {kws} step {step + 1}")
            assert_close(s_o.get_last_lr(), s_t.get_last_lr())


def plateau_config(rng, groups):
    min_lr = rng.choice([0.0, 1e-5, [1e-6 * (i + 1) for i in range(groups)]])
    return {"mode": rng.choice(["min", "max"]), "factor": rng.uniform(0.1, 0.9),
            "patience": rng.randint(0, 6), "threshold": rng.choice([0.0, 1e-4, 0.05]),
            "threshold_mode": rng.choice(["rel", "abs"]), "cooldown": rng.randint(0, 4),
            "min_lr": min_lr, "eps": rng.choice([1e-8, 1e-3])}


def metric_walk(rng, n):
    value, out = 1.0, []
    for _ in range(n):
        value += rng.gauss(0, 0.05) + rng.choice([0.0, 0.0, -0.02, 0.02])
        out.append(round(value, rng.choice([2, 6])))  # rounding creates exact ties
    return out


@pytest.mark.parametrize("groups", [1, 3])
def test_reduce_lr_on_plateau_matches_torch(groups):
    for seed in range(12):
        rng = random.Random(f"plateau-{groups}-{seed}")
        opt_t, opt_o, _ = optimizer_pair(rng, groups)
        kwargs = plateau_config(rng, groups)
        s_t = theirs.ReduceLROnPlateau(opt_t, **kwargs)
        s_o = ours.ReduceLROnPlateau(opt_o, **kwargs)
        for i, metric in enumerate(metric_walk(rng, STEPS)):
            step_both(s_o, s_t, metric)
            assert_same_state(opt_o, opt_t, f"{kwargs} step {i}")
            assert_close(s_o.get_last_lr(), s_t.get_last_lr())
            assert (s_o.num_bad_epochs, s_o.cooldown_counter, s_o.best) == (
                s_t.num_bad_epochs, s_t.cooldown_counter, s_t.best)


def test_reduce_lr_on_plateau_accepts_tensor_metric_and_epoch():
    opt_t, opt_o, _ = optimizer_pair(random.Random(3), 1)
    s_t, s_o = theirs.ReduceLROnPlateau(opt_t, patience=0), ours.ReduceLROnPlateau(opt_o, patience=0)
    for i, v in enumerate([1.0, 2.0, 3.0, 0.5]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s_t.step(torch.tensor(v), epoch=10 + i)
            s_o.step(torch.tensor(v), epoch=10 + i)
        assert_same_state(opt_o, opt_t, f"step {i}")
        assert s_o.last_epoch == s_t.last_epoch == 10 + i


def test_resuming_with_last_epoch_matches_torch():
    """Build with last_epoch=k on an optimizer that has initial_lr (PyTorch's resume path)."""
    for name in SIMPLE:
        rng = random.Random(f"resume-{name}")
        opt_t, opt_o, _ = optimizer_pair(rng, 2, kind="sgd")
        kwargs = config(name, rng, 2)
        build(theirs, name, opt_t, kwargs), build(ours, name, opt_o, kwargs)
        k = rng.randint(1, 50)
        kwargs = dict(kwargs, last_epoch=k)
        s_t, s_o = build(theirs, name, opt_t, kwargs), build(ours, name, opt_o, kwargs)
        assert_same_state(opt_o, opt_t, f"{name} resumed at {k}")
        for step in range(30):
            step_both(s_o, s_t)
            assert_same_state(opt_o, opt_t, f"{name} resumed at {k}, step {step}")
