"""The "scheduler.step() before optimizer.step()" warnings, call for call against PyTorch 2.13.

Each scenario is one sequence of calls, run with ``torch.optim`` and with ``genesis.optim``
(on a Genesis optimizer and on a PyTorch one); the warnings each call raises must be the same
kinds in the same places.
"""
import copy
import gc
import pickle
import warnings
import weakref

import numpy as np
import pytest
import torch

import genesis
import genesis.optim.lr_scheduler as glr


def _kind(message: str) -> str | None:
    """Which of the two step-order warnings a message is (by PyTorch's opening words), else None."""
    if message.startswith("Detected call of `lr_scheduler.step()` before `optimizer.step()`."):
        return "order"
    if message.startswith("Seems like `optimizer.step()` has been overridden after learning rate "
                          "scheduler"):
        return "replaced"
    return None


class Run:
    """One framework's side of a scenario: builds optimizers and records warnings per call."""

    def __init__(self, lr_module, make_optimizer):
        self.lr = lr_module
        self.make_optimizer = make_optimizer
        self.events = []

    def __call__(self, label, fn):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = fn()
        kinds = [k for k in (_kind(str(w.message)) for w in caught) if k]
        self.events.append((label, kinds))
        return out


def genesis_sgd():
    return genesis.optim.SGD([genesis.nn.Parameter(genesis.ones(3))], lr=0.1, momentum=0.9)


def genesis_adam():
    return genesis.optim.Adam([genesis.nn.Parameter(genesis.ones(3))], lr=0.1)


def torch_sgd():
    return torch.optim.SGD([torch.nn.Parameter(torch.ones(3))], lr=0.1, momentum=0.9)


SIDES = {
    "genesis-sgd": (glr, genesis_sgd),
    "genesis-adam": (glr, genesis_adam),
    "genesis-on-torch-sgd": (glr, torch_sgd),
}


def _opt_step(opt):
    return lambda: opt.step()


def scenario_scheduler_first(r):
    opt = r.make_optimizer()
    s = r("build", lambda: r.lr.StepLR(opt, step_size=2))
    r("sched", s.step)
    r("opt", _opt_step(opt))
    r("sched", s.step)


def scenario_right_order(r):
    opt = r.make_optimizer()
    s = r("build", lambda: r.lr.LambdaLR(opt, lambda e: 0.9**e))
    for _ in range(3):
        r("opt", _opt_step(opt))
        r("sched", s.step)


def scenario_optimizer_stepped_before_build(r):
    opt = r.make_optimizer()
    r("opt", _opt_step(opt))
    s = r("build", lambda: r.lr.ExponentialLR(opt, gamma=0.5))
    r("sched", s.step)


def scenario_step_replaced_after_build(r):
    opt = r.make_optimizer()
    s = r("build", lambda: r.lr.CosineAnnealingLR(opt, T_max=10))
    original = opt.step
    opt.step = lambda closure=None: original(closure)
    r("opt", _opt_step(opt))
    r("sched", s.step)


def scenario_step_replaced_before_build(r):
    opt = r.make_optimizer()
    original = opt.step
    opt.step = type(original)(type(opt).step, opt)  # a fresh bound method, set on the instance
    s = r("build", lambda: r.lr.LinearLR(opt, start_factor=0.5, total_iters=3))
    r("sched", s.step)


def scenario_second_scheduler_after_optimizer_ran(r):
    opt = r.make_optimizer()
    first = r("build", lambda: r.lr.StepLR(opt, step_size=1, gamma=0.9))
    r("opt", _opt_step(opt))
    r("sched", first.step)
    second = r("build", lambda: r.lr.MultiplicativeLR(opt, lambda e: 0.99))
    r("sched", second.step)


def scenario_epoch_argument(r):
    opt = r.make_optimizer()
    s = r("build", lambda: r.lr.MultiStepLR(opt, milestones=[2, 4]))
    r("sched", lambda: s.step(3))


def scenario_plateau(r):
    opt = r.make_optimizer()
    s = r("build", lambda: r.lr.ReduceLROnPlateau(opt, patience=0))
    r("sched", lambda: s.step(1.0))
    r("sched", lambda: s.step(2.0))


def scenario_plateau_then_steplr(r):
    # ReduceLROnPlateau does not wrap optimizer.step in PyTorch: the StepLR built later warns.
    opt = r.make_optimizer()
    plateau = r("build", lambda: r.lr.ReduceLROnPlateau(opt))
    r("opt", _opt_step(opt))
    r("sched", lambda: plateau.step(1.0))
    s = r("build", lambda: r.lr.StepLR(opt, step_size=3))
    r("sched", s.step)


def scenario_warm_restarts(r):
    opt = r.make_optimizer()
    s = r("build", lambda: r.lr.CosineAnnealingWarmRestarts(opt, T_0=3))
    r("sched", s.step)
    r("sched", lambda: s.step(1.5))


def scenario_cyclic_and_one_cycle(r):
    opt = r.make_optimizer()
    s = r("build", lambda: r.lr.OneCycleLR(opt, max_lr=1.0, total_steps=10))
    r("sched", s.step)
    opt2 = r.make_optimizer()
    c = r("build", lambda: r.lr.CyclicLR(opt2, base_lr=0.01, max_lr=0.1, step_size_up=2))
    r("sched", c.step)


def scenario_sequential_across_milestone(r):
    opt = r.make_optimizer()
    warm = r("build", lambda: r.lr.LinearLR(opt, start_factor=0.1, total_iters=2))
    decay = r("build", lambda: r.lr.ExponentialLR(opt, gamma=0.9))
    s = r("build", lambda: r.lr.SequentialLR(opt, [warm, decay], milestones=[2]))
    for _ in range(4):
        r("sched", s.step)


def scenario_sequential_optimizer_first(r):
    opt = r.make_optimizer()
    warm = r("build", lambda: r.lr.ConstantLR(opt, factor=0.5, total_iters=2))
    decay = r("build", lambda: r.lr.PolynomialLR(opt, total_iters=5))
    s = r("build", lambda: r.lr.SequentialLR(opt, [warm, decay], milestones=[1]))
    for _ in range(3):
        r("opt", _opt_step(opt))
        r("sched", s.step)


def scenario_chained(r):
    opt = r.make_optimizer()
    a = r("build", lambda: r.lr.ConstantLR(opt, factor=0.5, total_iters=2))
    b = r("build", lambda: r.lr.ExponentialLR(opt, gamma=0.9))
    s = r("build", lambda: r.lr.ChainedScheduler([a, b]))
    r("sched", s.step)
    r("sched", s.step)


def scenario_resumed_from_state_dict(r):
    opt = r.make_optimizer()
    s = r("build", lambda: r.lr.StepLR(opt, step_size=2))
    for _ in range(3):
        r("opt", _opt_step(opt))
        r("sched", s.step)
    state = s.state_dict()
    fresh_opt = r.make_optimizer()
    fresh = r("build", lambda: r.lr.StepLR(fresh_opt, step_size=2))
    fresh.load_state_dict(state)
    r("sched", fresh.step)  # the loaded step count is past the first step: no check


SCENARIOS = [value for name, value in sorted(globals().items()) if name.startswith("scenario_")]


@pytest.mark.parametrize("side", sorted(SIDES))
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__[len("scenario_"):])
def test_warns_where_pytorch_warns(scenario, side):
    expected = Run(torch.optim.lr_scheduler, torch_sgd)
    scenario(expected)
    actual = Run(*SIDES[side])
    scenario(actual)
    assert actual.events == expected.events


def test_pytorch_warns_in_the_scenarios_at_all():
    """The scenarios exercise both warnings (so the comparison above is not vacuous)."""
    seen = set()
    for scenario in SCENARIOS:
        run = Run(torch.optim.lr_scheduler, torch_sgd)
        scenario(run)
        seen.update(kind for _, kinds in run.events for kind in kinds)
    assert seen == {"order", "replaced"}


def test_message_says_what_to_do():
    opt = genesis_sgd()
    s = glr.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning) as caught:
        s.step()
    (message,) = [str(w.message) for w in caught]
    assert message.startswith("Detected call of `lr_scheduler.step()` before `optimizer.step()`.")
    assert "(StepLR: the first rate of the schedule was skipped" in message
    assert "genesis.optim.lr_scheduler.preview(scheduler, num_steps)" in message
    assert caught[0].filename == __file__  # points at the user's call


def test_tracked_step_updates_parameters_as_before():
    """The wrapped step is the optimizer's own step: same trajectory as an untracked optimizer."""
    params = [genesis.nn.Parameter(genesis.tensor([1.0, -2.0, 3.0])) for _ in range(2)]
    opts = [genesis.optim.Adam([p], lr=0.1) for p in params]
    glr.StepLR(opts[0], step_size=1, gamma=1.0)
    for _ in range(3):
        for p, opt in zip(params, opts):
            (p * p).sum().backward()
            opt.step()
            opt.zero_grad()
    np.testing.assert_array_equal(params[0].data, params[1].data)


def test_copied_optimizer_steps_its_own_parameters():
    """A deep copy (or pickle) of a tracked optimizer wraps its own step, not the original's."""
    opt = genesis_sgd()
    glr.StepLR(opt, step_size=2)
    original = opt.param_groups[0]["params"][0]
    for clone in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        param = clone.param_groups[0]["params"][0]
        param.grad = genesis.ones(3)
        clone.step()
        np.testing.assert_allclose(param.data, 0.9)
        np.testing.assert_array_equal(original.data, 1.0)
        assert clone._opt_called and not getattr(opt, "_opt_called", False)


def test_tracking_keeps_no_reference_cycle():
    gc.disable()
    try:
        opt = genesis_sgd()
        s = glr.StepLR(opt, step_size=2)
        alive = weakref.ref(opt)
        del opt, s
        assert alive() is None  # freed by reference counting alone
    finally:
        gc.enable()


def test_shares_pytorchs_wrapper_both_ways():
    """A Genesis and a PyTorch scheduler on one PyTorch optimizer wrap its step once."""
    for first, second in ((torch.optim.lr_scheduler, glr), (glr, torch.optim.lr_scheduler)):
        opt = torch_sgd()
        first.StepLR(opt, step_size=2)
        wrapped = opt.step
        later = second.StepLR(opt, step_size=2)
        assert opt.step is wrapped
        opt.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            later.step()


def test_duck_typed_optimizer_without_step_is_silent():
    class Opt:
        param_groups = [{"lr": 1.0}]

    s = glr.StepLR(Opt(), step_size=1, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()
    assert s.get_last_lr() == [0.5]
