"""``lr_scheduler.preview`` and ``plot_schedule``: the rates of the next steps, without stepping.

The truth is stepping the real scheduler afterwards: preview must give the same rates
(rel 1e-12) and leave the scheduler and its optimizer deep-equal to what they were.
"""
import doctest
import math
import sys
import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import genesis  # noqa: E402
import genesis.optim as optim  # noqa: E402
from genesis.nn import Linear  # noqa: E402
from genesis.optim import lr_scheduler as lrs  # noqa: E402
from genesis.optim.lr_scheduler import plot_schedule, preview  # noqa: E402

PREVIEW_MODULE = sys.modules["genesis.optim.lr_scheduler.preview"]
STEPS = 150


def make_optimizer(groups=2, momentum=0.9):
    """A Genesis SGD with momentum over small Linear layers, group i at rate 0.1 * (i + 1)."""
    genesis.manual_seed(0)
    specs = [{"params": Linear(3, 2).parameters(), "lr": 0.1 * (i + 1)} for i in range(groups)]
    return optim.SGD(specs, lr=0.1, momentum=momentum)


# --- deep snapshots of a scheduler and an optimizer ----------------------------------------------------


def snapshot(value, depth=0):
    """A comparable copy: plain data as is, objects by their attributes, optimizers by identity."""
    if depth > 8:
        return repr(value)
    if isinstance(value, (bool, int, float, str, type(None))):
        return value
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.tolist())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [snapshot(v, depth + 1) for v in value])
    if isinstance(value, dict):
        return ("dict", {k: snapshot(v, depth + 1) for k, v in value.items()})
    if isinstance(value, (types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
        return ("function", id(value))
    if hasattr(value, "param_groups"):
        return ("optimizer", id(value))
    if hasattr(value, "__dict__"):
        return (type(value).__name__, snapshot(vars(value), depth + 1))
    return repr(value)


def optimizer_snapshot(optimizer):
    groups = [{k: ([id(p) for p in v] if k == "params" else v) for k, v in g.items()} for g in optimizer.param_groups]
    params = [np.array(p.detach().numpy(), copy=True) for g in optimizer.param_groups for p in g["params"]]
    return snapshot(groups), params, len(optimizer.state)


def assert_unchanged(before, scheduler):
    assert snapshot(scheduler) == before[0]
    groups, params, state = optimizer_snapshot(scheduler.optimizer)
    assert groups == before[1][0] and state == before[1][2]
    for old, new in zip(before[1][1], params):
        np.testing.assert_array_equal(old, new)


def take(scheduler):
    return snapshot(scheduler), optimizer_snapshot(scheduler.optimizer)


def stepped(scheduler, num_steps):
    """The truth: step the real scheduler and read every group's rate after each step."""
    rates = []
    for _ in range(num_steps):
        scheduler.step()
        rates.append([g["lr"] for g in scheduler.optimizer.param_groups])
    return np.array(rates, dtype=np.float64).reshape(num_steps, -1)


def assert_preview_matches_stepping(scheduler, num_steps=STEPS):
    before = take(scheduler)
    rates = preview(scheduler, num_steps)
    assert isinstance(rates, np.ndarray) and rates.dtype == np.float64
    assert rates.shape == (num_steps, len(scheduler.optimizer.param_groups))
    assert_unchanged(before, scheduler)
    np.testing.assert_allclose(rates, stepped(scheduler, num_steps), rtol=1e-12, atol=0)
    return rates


@pytest.fixture
def stepping_calls(monkeypatch):
    """Counts the fallback (stepping a copy) so tests can tell which path preview took."""
    calls = []
    original = PREVIEW_MODULE._stepped

    def spy(scheduler, num_steps):
        calls.append(type(scheduler).__name__)
        return original(scheduler, num_steps)

    monkeypatch.setattr(PREVIEW_MODULE, "_stepped", spy)
    return calls


# --- every scheduler class, fresh and part-way ------------------------------------------------------------

BUILDERS = {
    "LambdaLR": lambda o: lrs.LambdaLR(o, lambda e: 0.97**e),
    "LambdaLR-per-group": lambda o: lrs.LambdaLR(o, [lambda e: 0.97**e, lambda e: 1.0 / (1.0 + e)]),
    "MultiplicativeLR": lambda o: lrs.MultiplicativeLR(o, lambda e: 0.97),
    "StepLR": lambda o: lrs.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda o: lrs.MultiStepLR(o, milestones=[5, 20, 20, 60], gamma=0.3),
    "ConstantLR": lambda o: lrs.ConstantLR(o, factor=0.25, total_iters=10),
    "LinearLR": lambda o: lrs.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=12),
    "ExponentialLR": lambda o: lrs.ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR": lambda o: lrs.CosineAnnealingLR(o, T_max=40, eta_min=0.001),
    "CosineAnnealingLR-to-zero": lambda o: lrs.CosineAnnealingLR(o, T_max=40),
    "CosineAnnealingWarmRestarts": lambda o: lrs.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.001),
    "CyclicLR": lambda o: lrs.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10, mode="triangular2"),
    "CyclicLR-exp": lambda o: lrs.CyclicLR(o, 0.01, [0.1, 0.3], step_size_up=7, step_size_down=4, mode="exp_range", gamma=0.99),
    "OneCycleLR": lambda o: lrs.OneCycleLR(o, max_lr=0.1, total_steps=200),
    "OneCycleLR-three-phase": lambda o: lrs.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=180, three_phase=True, anneal_strategy="linear"),
    "PolynomialLR": lambda o: lrs.PolynomialLR(o, total_iters=50, power=2.0),
    "SequentialLR": lambda o: lrs.SequentialLR(
        o, [lrs.LinearLR(o, start_factor=0.1, total_iters=5), lrs.CosineAnnealingLR(o, T_max=50, eta_min=0.01)], milestones=[5]
    ),
    "SequentialLR-three": lambda o: lrs.SequentialLR(
        o,
        [lrs.ConstantLR(o, factor=0.5, total_iters=3), lrs.ExponentialLR(o, 0.95), lrs.StepLR(o, 10, 0.5)],
        milestones=[8, 40],
    ),
    "ChainedScheduler": lambda o: lrs.ChainedScheduler([lrs.ExponentialLR(o, 0.98), lrs.StepLR(o, 10, 0.5)]),
    "ChainedScheduler-warmup": lambda o: lrs.ChainedScheduler(
        [lrs.LinearLR(o, start_factor=0.2, total_iters=8), lrs.CosineAnnealingLR(o, T_max=60, eta_min=0.001)], optimizer=o
    ),
    "HF-cosine": lambda o: optim.get_cosine_schedule_with_warmup(o, 15, 140),
    "HF-linear": lambda o: optim.get_linear_schedule_with_warmup(o, 15, 140),
    "HF-restarts": lambda o: optim.get_cosine_with_hard_restarts_schedule_with_warmup(o, 15, 140, 3),
    "HF-polynomial": lambda o: optim.get_polynomial_decay_schedule_with_warmup(o, 15, 140, lr_end=1e-3, power=2.0),
    "HF-inverse-sqrt": lambda o: optim.get_inverse_sqrt_schedule(o, 15),
    "HF-constant": lambda o: optim.get_constant_schedule_with_warmup(o, 15),
    "HF-min-lr": lambda o: optim.get_cosine_with_min_lr_schedule_with_warmup(o, 15, 140, min_lr_rate=0.1),
    "HF-wsd": lambda o: optim.get_wsd_schedule(o, 15, 40, 140, warmup_type="1-sqrt", decay_type="cosine", min_lr_ratio=0.1),
}


@pytest.mark.parametrize("already", [0, 13])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builtin_preview_equals_stepping_by_closed_form(name, already, stepping_calls):
    scheduler = BUILDERS[name](make_optimizer())
    for _ in range(already):
        scheduler.step()
    assert_preview_matches_stepping(scheduler)
    # Built-ins and their compositions use the closed form, except a chain of a cosine (which
    # adds to the rate instead of scaling it): that one is stepped.
    assert stepping_calls == (["ChainedScheduler"] if name == "ChainedScheduler-warmup" else [])


def test_cyclic_momentum_is_left_alone():
    opt = make_optimizer()
    scheduler = lrs.OneCycleLR(opt, max_lr=0.1, total_steps=200)
    momenta = [g["momentum"] for g in opt.param_groups]
    preview(scheduler, 100)
    assert [g["momentum"] for g in opt.param_groups] == momenta


def test_preview_drives_a_pytorch_optimizer_too(stepping_calls):
    t_opt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": 0.1},
                             {"params": [torch.zeros(3, requires_grad=True)], "lr": 0.3}], momentum=0.9)
    scheduler = optim.get_cosine_schedule_with_warmup(t_opt, 10, 100)
    rates = preview(scheduler, 120)
    expected = [[0.1 * min(e / 10, 0.5 * (1 + math.cos(math.pi * max(e - 10, 0) / 90))) * k for k in (1, 3)]
                for e in range(1, 121)]
    np.testing.assert_allclose(rates, expected, rtol=1e-12, atol=1e-17)
    # the fallback (hand-changed rate) works on a PyTorch optimizer as well
    t_opt.param_groups[0]["lr"] = 7.0
    assert_preview_matches_stepping(scheduler, 20)
    assert stepping_calls == ["LambdaLR"]


def test_zero_steps():
    scheduler = lrs.StepLR(make_optimizer(groups=3), 5)
    assert preview(scheduler, 0).shape == (0, 3)


# --- when the closed form cannot be trusted: step a copy ---------------------------------------------------


class HalvingEveryThree(lrs.LRScheduler):
    """A user scheduler with no closed form."""

    def get_lr(self):
        return [base * 0.5 ** (self.last_epoch // 3) for base in self.base_lrs]


class SlowerStepLR(lrs.StepLR):
    """A user subclass that changes get_lr but inherits StepLR's closed form."""

    def get_lr(self):
        return [lr * 0.99 for lr in (g["lr"] for g in self.optimizer.param_groups)]


class ConfiguredStepLR(lrs.StepLR):
    """A user subclass that only fixes arguments."""

    def __init__(self, optimizer):
        super().__init__(optimizer, step_size=4, gamma=0.8)


def test_user_subclass_without_closed_form(stepping_calls):
    scheduler = HalvingEveryThree(make_optimizer())
    scheduler.step()
    rates = assert_preview_matches_stepping(scheduler, 20)
    np.testing.assert_allclose(rates[:, 0], [0.1 * 0.5 ** (e // 3) for e in range(2, 22)], rtol=1e-15)
    assert stepping_calls == ["HalvingEveryThree"]


def test_user_subclass_overriding_get_lr_is_stepped(stepping_calls):
    assert_preview_matches_stepping(SlowerStepLR(make_optimizer(), step_size=5), 30)
    assert stepping_calls == ["SlowerStepLR"]


def test_any_user_subclass_is_stepped(stepping_calls):
    # Only the class that wrote a closed form uses it: a subclass could change what get_lr uses.
    assert_preview_matches_stepping(ConfiguredStepLR(make_optimizer()), 30)
    assert stepping_calls == ["ConfiguredStepLR"]


def test_user_scheduler_inside_a_composite_is_stepped(stepping_calls):
    opt = make_optimizer()
    scheduler = lrs.ChainedScheduler([lrs.ExponentialLR(opt, 0.9), HalvingEveryThree(opt)])
    assert_preview_matches_stepping(scheduler, 30)
    assert stepping_calls == ["ChainedScheduler"]


def test_non_vectorisable_lambdas(stepping_calls):
    """Lambdas written for ints (math.cos, if/else): the closed form loops over them."""

    def noam(step):
        if step == 0:
            return 0.0
        return min(step**-0.5, step * 10**-1.5)

    opt = make_optimizer()
    scheduler = lrs.LambdaLR(opt, [lambda e: 0.5 * (1 + math.cos(math.pi * (e % 50) / 50)), noam])
    rates = assert_preview_matches_stepping(scheduler, 120)
    np.testing.assert_allclose(rates[9, 1], 0.2 * 10**-0.5, rtol=1e-15)  # the Noam peak at step 10
    assert stepping_calls == []


def test_rates_changed_by_hand_are_continued_from(stepping_calls):
    opt = make_optimizer()
    scheduler = lrs.StepLR(opt, step_size=7, gamma=0.5)
    scheduler.step()
    opt.param_groups[0]["lr"] = 5.0  # chainable: stepping continues from 5.0, the closed form would not
    rates = assert_preview_matches_stepping(scheduler, 20)
    assert rates[0, 0] == 5.0 and rates[5, 0] == 2.5
    assert stepping_calls == ["StepLR"]


def test_fractional_epoch_of_warm_restarts_is_continued_from(stepping_calls):
    opt = make_optimizer()
    scheduler = lrs.CosineAnnealingWarmRestarts(opt, T_0=10, eta_min=0.001)
    scheduler.step(2.5)  # T_cur = 2.5: the integer-epoch closed form does not continue from here
    rates = assert_preview_matches_stepping(scheduler, 30)
    np.testing.assert_allclose(rates[0, 0], 0.001 + 0.099 * 0.5 * (1 + math.cos(math.pi * 3.5 / 10)), rtol=1e-12)
    assert stepping_calls == ["CosineAnnealingWarmRestarts"]


def test_one_cycle_past_its_end_raises_like_stepping():
    scheduler = lrs.OneCycleLR(make_optimizer(), max_lr=0.1, total_steps=20)
    before = take(scheduler)
    with pytest.raises(ValueError, match="OneCycleLR was built for total_steps=20"):
        preview(scheduler, 25)
    assert_unchanged(before, scheduler)
    assert preview(scheduler, 19).shape == (19, 2)


def test_two_schedulers_on_one_optimizer(stepping_calls):
    opt = make_optimizer()
    first = lrs.ExponentialLR(opt, 0.9)
    second = lrs.StepLR(opt, 3, 0.5)
    for _ in range(4):
        first.step()
        second.step()
    assert_preview_matches_stepping(second, 25)  # what stepping `second` alone would do
    assert stepping_calls == ["StepLR"]


def test_verbose_scheduler_prints_nothing_while_previewing(capsys):
    opt = make_optimizer()
    scheduler = lrs.StepLR(opt, 2, verbose=True)
    capsys.readouterr()
    preview(scheduler, 10)
    opt.param_groups[0]["lr"] = 1.0  # forces the stepped fallback
    preview(scheduler, 10)
    assert capsys.readouterr().out == ""
    assert scheduler.verbose is True


def test_fallback_does_not_copy_parameters(monkeypatch):
    opt = make_optimizer()
    scheduler = HalvingEveryThree(opt)
    copied = []
    original = genesis.Tensor.__deepcopy__ if hasattr(genesis.Tensor, "__deepcopy__") else None

    def spy(self, memo):
        copied.append(id(self))
        return original(self, memo) if original else self

    monkeypatch.setattr(genesis.Tensor, "__deepcopy__", spy, raising=False)
    preview(scheduler, 5)
    assert copied == []


# --- errors ----------------------------------------------------------------------------------------------


def test_reduce_lr_on_plateau_cannot_be_previewed():
    scheduler = lrs.ReduceLROnPlateau(make_optimizer())
    with pytest.raises(TypeError, match="ReduceLROnPlateau cannot be previewed or plotted: its rates depend on the metrics"):
        preview(scheduler, 10)
    with pytest.raises(TypeError, match="ReduceLROnPlateau cannot be previewed"):
        plot_schedule(scheduler, 10)


@pytest.mark.parametrize("num_steps", [-1, 2.5, True, "10", None])
def test_bad_num_steps(num_steps):
    with pytest.raises(ValueError, match=f"num_steps must be an int >= 0, got {num_steps!r}"):
        preview(lrs.StepLR(make_optimizer(), 5), num_steps)


def test_not_a_scheduler():
    with pytest.raises(TypeError, match="scheduler must be a learning-rate scheduler .* got SGD"):
        preview(make_optimizer(), 10)


# --- plot_schedule ---------------------------------------------------------------------------------------


def test_plot_schedule_draws_one_labelled_line_per_group(tmp_path):
    opt = make_optimizer(groups=2)
    scheduler = optim.get_cosine_schedule_with_warmup(opt, 10, 100)
    for _ in range(3):
        scheduler.step()
    before = take(scheduler)
    ax = plot_schedule(scheduler, 100)
    assert_unchanged(before, scheduler)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["group 0", "group 1"]
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "learning rate"
    np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(3, 104))
    expected = np.vstack([[[0.03, 0.06]], preview(scheduler, 100)])
    np.testing.assert_allclose(lines[1].get_ydata(), expected[:, 1], rtol=1e-15)
    assert lines[0].get_ydata()[7] == pytest.approx(0.1)  # the end of warmup, step 10
    ax.figure.savefig(tmp_path / "schedule.png")
    assert (tmp_path / "schedule.png").stat().st_size > 1000
    plt.close(ax.figure)


def test_plot_schedule_on_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    ax = plot_schedule(lrs.StepLR(make_optimizer(groups=1), 5, 0.5), 20, ax=right)
    assert ax is right and len(right.get_lines()) == 1 and len(left.get_lines()) == 0
    plt.close(fig)


def test_plot_schedule_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[plot\]" \(in the Genesis source checkout\)'):
        plot_schedule(lrs.StepLR(make_optimizer(), 5), 10)


def test_docstring_examples():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for function in (preview, plot_schedule):  # they report the package as their module
        for test in finder.find(function, globs={"genesis": genesis, "preview": preview,
                                                 "plot_schedule": plot_schedule}):
            runner.run(test)
    result = runner.summarize(verbose=False)
    plt.close("all")
    assert result.attempted >= 4 and result.failed == 0


def test_sequential_whose_later_child_has_no_closed_form_is_stepped():
    """Regression: a SequentialLR whose second child (MultiplicativeLR) enters from the running
    rate passed the check at the current step and then raised NotImplementedError for the
    later steps; preview now steps a copy there."""
    opt = make_optimizer()
    children = [lrs.LinearLR(opt, start_factor=0.5, total_iters=4),
                lrs.MultiplicativeLR(opt, lambda epoch: 0.9)]
    s = lrs.SequentialLR(opt, children, milestones=[6])
    ahead = preview(s, 12)
    for row in ahead:
        opt.step()
        s.step()
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups], row, rtol=1e-12, atol=0)
