"""The scheduler API around the numbers: ``get_last_lr()`` formatting, ``verbose``, exports,
and every documented error (each message names the argument and the value)."""
import doctest
import math
import warnings

import numpy as np
import pytest
import torch

import genesis.optim as optim
import genesis.optim.lr_scheduler as ours
import genesis.optim.lr_scheduler.schedules as schedules
from genesis.optim.lr_scheduler import base, LRList
from test_lr_scheduler import torch_optimizer

NAMES = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
         "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler",
         "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR"]


def sgd(*lrs):
    return torch_optimizer("sgd", list(lrs) or [0.1])


# --- exports and docs --------------------------------------------------------------------------

def test_every_scheduler_is_exported_both_ways_and_documented():
    for name in NAMES + ["LRScheduler", "_LRScheduler"]:
        cls = getattr(ours, name)
        assert getattr(optim, name) is cls
        assert cls.__doc__ and cls.__doc__.strip()
    assert issubclass(ours._LRScheduler, ours.LRScheduler) and ours._LRScheduler.__name__ == "_LRScheduler"
    assert optim.lr_scheduler.CosineAnnealingLR is ours.CosineAnnealingLR


def test_docstring_examples_run():
    # The package holds the classes (they report it as their module); the family modules
    # hold the helper functions.
    attempted = 0
    for module in (ours, schedules, base, ours.multiplicative, ours.step, ours.annealing,
                   ours.cyclic, ours.composite, ours.plateau):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module
        attempted += result.attempted
    assert attempted >= 20


def test_scheduler_classes_report_their_public_module_as_torch_does():
    import torch.optim.lr_scheduler as theirs
    for name in NAMES + ["LRScheduler"]:
        assert getattr(theirs, name).__module__ == theirs.__name__
        assert getattr(ours, name).__module__ == ours.__name__ == "genesis.optim.lr_scheduler"
    # Genesis's own public classes too (LRList, Schedule, ScheduleChangedWarning...)
    public = [getattr(ours, n) for n in ours.__all__ if isinstance(getattr(ours, n), type)]
    assert len(public) > len(NAMES) + 1
    assert all(cls.__module__ == ours.__name__ for cls in public)


def test_verbose_is_accepted_by_every_scheduler():
    opt = sgd()
    made = [
        ours.LambdaLR(opt, lambda e: 1.0, verbose=False),
        ours.MultiplicativeLR(opt, lambda e: 1.0, verbose=False),
        ours.StepLR(opt, 2, verbose=False), ours.MultiStepLR(opt, [2], verbose=False),
        ours.ConstantLR(opt, verbose=False), ours.LinearLR(opt, verbose=False),
        ours.ExponentialLR(opt, 0.9, verbose=False), ours.CosineAnnealingLR(opt, 5, verbose=False),
        ours.ReduceLROnPlateau(opt, verbose=False), ours.CyclicLR(opt, 0.01, 0.1, verbose=False),
        ours.CosineAnnealingWarmRestarts(opt, 3, verbose=False),
        ours.OneCycleLR(opt, 0.1, total_steps=10, verbose=False), ours.PolynomialLR(opt, verbose=False),
    ]
    a, b = ours.StepLR(opt, 2), ours.StepLR(opt, 3)
    made += [ours.SequentialLR(opt, [a, b], [2], verbose=False), ours.ChainedScheduler([a, b], verbose=False)]
    assert {type(s).__name__ for s in made} == set(NAMES)


def test_verbose_prints_one_line_per_change(capsys):
    opt = sgd(0.001, 0.002)
    s = ours.StepLR(opt, step_size=2, gamma=0.5, verbose=True)
    assert capsys.readouterr().out == ""  # the initial step changes nothing
    s.step()
    assert capsys.readouterr().out == ""
    s.step()
    assert capsys.readouterr().out.splitlines() == [
        "Adjusting learning rate of group 0 to 5.0000e-04.",
        "Adjusting learning rate of group 1 to 1.0000e-03.",
    ]
    noam = ours.LambdaLR(sgd(0.001), lambda e: 0.0 if e == 0 else 1.0, verbose=True)
    assert capsys.readouterr().out == "Adjusting learning rate of group 0 to 0.0000e+00.\n"
    noam.step()
    assert capsys.readouterr().out == "Adjusting learning rate of group 0 to 1.0000e-03.\n"


# --- get_last_lr ---------------------------------------------------------------------------------

def test_get_last_lr_prints_like_a_list_and_formats_like_a_number():
    s = ours.LambdaLR(sgd(0.001), lambda e: 1.0)
    rates = s.get_last_lr()
    assert isinstance(rates, list) and rates == [0.001] and rates[0] == 0.001
    assert str(rates) == repr(rates) == f"{rates}" == "[0.001]" == str([0.001])
    assert f"lr={rates}" == "lr=[0.001]"
    assert f"{rates:.6f}" == "0.001000" and f"{rates:.2e}" == "1.00e-03" and format(rates, "g") == "0.001"
    assert float(rates) == 0.001 and math.isclose(np.float64(float(rates)), 0.001)
    assert np.asarray(rates).tolist() == [0.001]


def test_get_last_lr_before_and_after_steps_returns_fresh_objects():
    s = ours.ExponentialLR(sgd(1.0), gamma=0.5)
    first = s.get_last_lr()
    first.append(42.0)
    first[0] = -1.0
    assert s.get_last_lr() == [1.0]
    collected = []
    for _ in range(3):
        s.step()
        collected.append(s.get_last_lr())
    assert collected == [[0.5], [0.25], [0.125]]
    assert collected[0] is not collected[1]


def test_get_last_lr_with_several_groups_says_to_index_it():
    rates = ours.StepLR(sgd(0.1, 0.2), step_size=3).get_last_lr()
    assert f"{rates}" == "[0.1, 0.2]"
    with pytest.raises(TypeError, match=r"holds 2 rates .* get_last_lr\(\)\[0\]"):
        f"{rates:.4f}"
    with pytest.raises(TypeError, match=r"get_last_lr\(\)\[0\]"):
        float(rates)
    assert f"{rates[1]:.2f}" == "0.20"


def test_lr_list_keeps_list_semantics():
    rates = LRList([0.5])
    assert rates * 2 == [0.5, 0.5] and rates + [1.0] == [0.5, 1.0]
    assert rates == [0.5] and rates != [0.25]


def test_reduce_lr_on_plateau_get_last_lr_and_composites():
    s = ours.ReduceLROnPlateau(sgd(0.1), patience=0, factor=0.5)
    assert s.get_last_lr() == [0.1]
    s.step(1.0)
    s.step(2.0)
    assert f"{s.get_last_lr():.3f}" == "0.050"
    opt = sgd(1.0)
    chain = ours.ChainedScheduler([ours.ConstantLR(opt, factor=0.5, total_iters=1), ours.ExponentialLR(opt, 0.9)])
    assert f"{chain.get_last_lr():.2f}" == "0.50"


# --- errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, error, match", [
    (lambda o: ours.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be a positive int, got 0"),
    (lambda o: ours.CosineAnnealingLR(o, T_max=-3), ValueError, "T_max .* got -3"),
    (lambda o: ours.CosineAnnealingLR(o, T_max=10, eta_min=-1.0), ValueError, "eta_min .* got -1.0"),
    (lambda o: ours.CosineAnnealingWarmRestarts(o, T_0=0), ValueError,
     "Expected positive integer T_0, but got 0"),
    (lambda o: ours.CosineAnnealingWarmRestarts(o, T_0=2.5), ValueError, "T_0, but got 2.5"),
    (lambda o: ours.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0), ValueError, "T_mult .* got 0"),
    (lambda o: ours.StepLR(o, step_size=0), ValueError, "step_size must be a positive int, got 0"),
    (lambda o: ours.StepLR(o, step_size=2, gamma=0.0), ValueError, "gamma .* > 0, got 0.0"),
    (lambda o: ours.ExponentialLR(o, gamma=-0.5), ValueError, "gamma .* got -0.5"),
    (lambda o: ours.MultiStepLR(o, milestones=[5, 3]), ValueError, r"milestones must be sorted .* \[5, 3\]"),
    (lambda o: ours.MultiStepLR(o, milestones=[-1, 3]), ValueError, "milestones must hold ints >= 0, got -1"),
    (lambda o: ours.MultiStepLR(o, milestones=[1.5]), ValueError, "milestones .* got 1.5"),
    (lambda o: ours.MultiStepLR(o, milestones=3), TypeError, "milestones must be a list of ints, got int"),
    (lambda o: ours.ConstantLR(o, factor=1.5), ValueError, "between 0 and 1. Got factor=1.5"),
    (lambda o: ours.ConstantLR(o, factor=0.0), ValueError,
     "factor must be a number in \\(0, 1\\], got 0.0"),
    (lambda o: ours.ConstantLR(o, total_iters=0), ValueError, "total_iters .* got 0"),
    (lambda o: ours.LinearLR(o, start_factor=0.0), ValueError, "Got start_factor=0.0"),
    (lambda o: ours.LinearLR(o, end_factor=1.5), ValueError, "Got end_factor=1.5"),
    (lambda o: ours.PolynomialLR(o, total_iters=0), ValueError, "total_iters .* got 0"),
    (lambda o: ours.LambdaLR(o, [lambda e: 1.0] * 3), ValueError,
     "Expected 2 lr_lambdas, but got 3"),
    (lambda o: ours.MultiplicativeLR(o, [lambda e: 1.0]), ValueError,
     "Expected 2 lr_lambdas, but got 1"),
    (lambda o: ours.LambdaLR(o, 0.5), TypeError,
     "lr_lambda should be a function, but got float \\(lr_lambda\\[0\\]"),
    (lambda o: ours.OneCycleLR(o, max_lr=0.1), ValueError,
     "either total_steps OR \\(epochs AND steps_per_epoch\\)"),
    (lambda o: ours.OneCycleLR(o, max_lr=0.1, epochs=3), ValueError, "steps_per_epoch=None"),
    (lambda o: ours.OneCycleLR(o, max_lr=0.1, total_steps=0), ValueError,
     "Expected positive integer total_steps, but got 0"),
    (lambda o: ours.OneCycleLR(o, max_lr=0.1, total_steps=9, pct_start=1.5), ValueError,
     "pct_start, but got 1.5"),
    (lambda o: ours.OneCycleLR(o, max_lr=0.1, total_steps=9, anneal_strategy="exp"), ValueError,
     "anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
    (lambda o: ours.OneCycleLR(o, max_lr=[0.1], total_steps=9), ValueError,
     "max_lr has 1 values, param_groups has 2"),
    (lambda o: ours.CyclicLR(o, 0.01, 0.1, mode="triangle"), ValueError,
     "mode is invalid .* got mode='triangle'"),
    (lambda o: ours.CyclicLR(o, 0.01, 0.1, scale_mode="epoch"), ValueError, "scale_mode .* got 'epoch'"),
    (lambda o: ours.CyclicLR(o, 0.01, 0.1, step_size_up=0), ValueError, "step_size_up .* got 0"),
    (lambda o: ours.ReduceLROnPlateau(o, mode="low"), ValueError, "mode must be 'min' or 'max', got 'low'"),
    (lambda o: ours.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError, "threshold_mode .* got 'pct'"),
    (lambda o: ours.ReduceLROnPlateau(o, factor=1.0), ValueError,
     "Factor should be < 1.0. \\(got factor=1.0\\)"),
    (lambda o: ours.ReduceLROnPlateau(o, factor=-0.5), ValueError,
     "factor must be a number in \\[0, 1\\), got -0.5"),
    (lambda o: ours.ReduceLROnPlateau(o, min_lr=[0.0]), ValueError, "expected 2 min_lrs, got 1"),
    (lambda o: ours.ReduceLROnPlateau(o, patience=-1), ValueError, "patience .* got -1"),
    (lambda o: ours.StepLR(o, step_size=2, last_epoch=-2), ValueError, "last_epoch must be an int >= -1, got -2"),
])
def test_bad_arguments_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make(sgd(0.1, 0.2))


@pytest.mark.parametrize("bad", [None, 3, object(), {"param_groups": []}, [{"lr": 0.1}]])
def test_a_non_optimizer_is_a_type_error_naming_its_type(bad):
    for make in (lambda o: ours.StepLR(o, 2), lambda o: ours.ReduceLROnPlateau(o),
                 lambda o: ours.OneCycleLR(o, 0.1, total_steps=5), lambda o: ours.CyclicLR(o, 0.1, 1.0)):
        with pytest.raises(TypeError,
                           match=f"^{type(bad).__name__} is not an Optimizer: a scheduler needs an "
                           "optimizer"):
            make(bad)


def test_duck_typed_optimizer_is_accepted():
    class Bare:
        param_groups = [{"lr": 0.5}]

    s = ours.StepLR(Bare(), step_size=1, gamma=0.5)
    s.step()
    assert Bare.param_groups[0]["lr"] == 0.25


def test_cycle_momentum_needs_momentum_or_betas():
    opt = torch.optim.Adagrad([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1 with "
                       "`cycle_momentum` option enabled \\(Adagrad has neither"):
        ours.CyclicLR(opt, 0.01, 0.1)
    ours.OneCycleLR(opt, 0.1, total_steps=5, cycle_momentum=False)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -0.5])
def test_lambda_returning_a_bad_factor_raises_at_its_step(value):
    opt = sgd(0.1)
    s = ours.LambdaLR(opt, lambda e: value if e == 3 else 1.0)
    s.step()
    s.step()
    with pytest.raises(ValueError, match=f"returned {value!r} at epoch 3: the factor must be a finite number >= 0"):
        s.step()
    m = ours.MultiplicativeLR(sgd(0.1), lambda e: value if e == 2 else 1.0)
    m.step()
    with pytest.raises(ValueError, match="at epoch 2"):
        m.step()


def test_one_cycle_past_total_steps_says_both_numbers():
    opt = sgd(0.1)
    s = ours.OneCycleLR(opt, max_lr=1.0, total_steps=4)
    for _ in range(4):
        s.step()  # like PyTorch, step total_steps itself is still allowed
    with pytest.raises(ValueError,
                       match="Tried to step 5 times. The specified number of total steps is 4"):
        s.step()
    assert s.last_epoch == 4  # the refused step changed nothing


def test_one_cycle_with_an_empty_phase_is_explained():
    with pytest.raises(ValueError, match="phase 0 is empty"):
        ours.OneCycleLR(sgd(0.1), max_lr=1.0, total_steps=10, pct_start=0.1)


def test_composites_check_their_children():
    opt, other = sgd(0.1), sgd(0.1)
    a, b = ours.StepLR(opt, 2), ours.ExponentialLR(other, 0.9)
    for make in (lambda: ours.SequentialLR(opt, [a, b], milestones=[3]),
                 lambda: ours.ChainedScheduler([a, b])):
        with pytest.raises(ValueError,
                           match=r"(?s)but got scheduler ExponentialLR at index 1 has .*"
                                             r"schedulers\[1\] drives another optimizer"):
            make()
    c = ours.ExponentialLR(opt, 0.9)
    with pytest.raises(ValueError, match=r"number of schedulers 2 and the number of milestones to "
                       r"be equal to 2"):
        ours.SequentialLR(opt, [a, c], milestones=[3, 5])
    with pytest.raises(ValueError, match="milestones must be sorted"):
        ours.SequentialLR(opt, [a, c, ours.StepLR(opt, 3)], milestones=[5, 3])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        ours.ChainedScheduler([a, ours.ReduceLROnPlateau(opt)])
    with pytest.raises(TypeError,
                       match=r"SequentialLR at index 0 should have `optimizer` as its attribute. "
                                        r"\(schedulers\[0\] is a str, not a scheduler\)"):
        ours.SequentialLR(opt, ["cosine"], milestones=[])
    with pytest.raises(ValueError, match="expects at least one scheduler to be chained"):
        ours.ChainedScheduler([])


def test_chained_scheduler_names_a_bad_first_child():
    # Regression: ChainedScheduler([3]) blamed the optimizer ("got NoneType"), not schedulers[0].
    with pytest.raises(TypeError,
                       match=r"at index 0 should have `optimizer` .*schedulers\[0\] is a int"):
        ours.ChainedScheduler([3])


def test_resuming_without_initial_lr_is_a_clear_key_error():
    with pytest.raises(KeyError) as info:
        ours.CosineAnnealingLR(sgd(0.1), T_max=10, last_epoch=5)
    message = str(info.value)
    assert message.startswith("param 'initial_lr' is not specified in param_groups[0] when "
                              "resuming")
    assert "last_epoch=5" in message
    assert not message.startswith("'")  # printed as a sentence, not a quoted repr


def test_step_with_epoch_warns_deprecation_but_works():
    opt = sgd(1.0)
    s = ours.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        s.step(3)
    assert opt.param_groups[0]["lr"] == 0.125 and s.last_epoch == 3


# --- regressions: arguments PyTorch turns into NaN or negative rates, refused, not stepped ---

CYCLIC_ARGUMENTS = [
    (lambda o, v: ours.CyclicLR(o, base_lr=v, max_lr=0.1), "base_lr"),
    (lambda o, v: ours.CyclicLR(o, base_lr=0.01, max_lr=v), "max_lr"),
    (lambda o, v: ours.CyclicLR(o, base_lr=0.01, max_lr=[0.1, v]), r"max_lr\[1\]"),
    (lambda o, v: ours.CyclicLR(o, 0.01, 0.1, base_momentum=v), "base_momentum"),
    (lambda o, v: ours.CyclicLR(o, 0.01, 0.1, max_momentum=v), "max_momentum"),
    (lambda o, v: ours.OneCycleLR(o, max_lr=v, total_steps=10), "max_lr"),
    (lambda o, v: ours.OneCycleLR(o, max_lr=0.1, total_steps=10, base_momentum=v), "base_momentum"),
    (lambda o, v: ours.OneCycleLR(o, max_lr=0.1, total_steps=10, max_momentum=[v, 0.9]),
     r"max_momentum\[0\]"),
]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -0.5, "0.1"])
@pytest.mark.parametrize("make, name", CYCLIC_ARGUMENTS)
def test_cyclic_rates_and_momenta_must_be_finite_and_not_negative(make, name, value):
    opt = sgd(0.1, 0.2)
    before = [dict(g, params=None) for g in opt.param_groups]
    with pytest.raises(ValueError, match=f"^{name} must be a finite number >= 0, got {value!r}"):
        make(opt, value)
    assert [dict(g, params=None) for g in opt.param_groups] == before  # refused before any write


def test_pytorch_computes_nan_from_such_arguments():
    """Why they are refused: PyTorch accepts them and steps NaN rates into the optimizer."""
    opt = sgd(0.1)
    s = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=float("nan"))
    opt.step()
    s.step()
    assert math.isnan(opt.param_groups[0]["lr"])


def test_cyclic_arguments_may_be_zero_dim_tensors_as_in_pytorch():
    """Accepted as PyTorch accepts them; the numbers are PyTorch's for the same plain numbers
    (PyTorch's own run with tensors drifts: its base_lrs alias the group's rate tensor)."""
    made = {}
    for name, module, wrap in (("torch", torch.optim.lr_scheduler, float),
                               ("genesis", ours, torch.tensor)):
        opt = sgd(0.1)
        s = module.CyclicLR(opt, base_lr=wrap(0.01), max_lr=wrap(0.1), step_size_up=3,
                            base_momentum=wrap(0.8), max_momentum=wrap(0.9))
        rates = []
        for _ in range(8):
            opt.step()
            s.step()
            rates.append((float(opt.param_groups[0]["lr"]), float(opt.param_groups[0]["momentum"])))
        made[name] = rates
    np.testing.assert_allclose(made["genesis"], made["torch"], rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda o: ours.StepLR(o, step_size=3), lambda o: ours.LambdaLR(o, lambda e: 0.9 ** e),
    lambda o: ours.MultiStepLR(o, [2, 4]), lambda o: ours.OneCycleLR(o, 0.1, total_steps=20),
    lambda o: ours.CyclicLR(o, 0.01, 0.1), lambda o: ours.MultiplicativeLR(o, lambda e: 0.9),
])
@pytest.mark.parametrize("epoch", [2.5, -1, "3", None])
def test_a_refused_epoch_changes_nothing(make, epoch):
    """Regression: step(2.5) raised only after setting last_epoch = 2.5."""
    opt = sgd(0.1)
    s = make(opt)
    s.step()
    before = (dict(vars(s), optimizer=None), [dict(g, params=None) for g in opt.param_groups])
    if epoch is None:  # a plain step is fine; refusals below are for given epochs
        return
    with pytest.raises(ValueError, match=f"epoch must be an int >= 0, got {epoch!r}"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s.step(epoch)
    assert (dict(vars(s), optimizer=None),
            [dict(g, params=None) for g in opt.param_groups]) == before


def test_an_integral_float_epoch_is_an_epoch():
    a = ours.StepLR(sgd(1.0), step_size=2, gamma=0.5)
    b = ours.StepLR(sgd(1.0), step_size=2, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a.step(4.0)
        b.step(4)
    assert a.last_epoch == b.last_epoch == 4 and type(a.last_epoch) is int
    assert a.get_last_lr() == b.get_last_lr() == [0.25]


@pytest.mark.parametrize("min_lr", [1e-4, [1e-4]])
def test_reduce_lr_on_plateau_after_add_param_group_does_what_pytorch_does(min_lr):
    outcomes = {}
    for name, module in (("torch", torch.optim.lr_scheduler), ("genesis", ours)):
        opt = sgd(0.1)
        s = module.ReduceLROnPlateau(opt, min_lr=min_lr, patience=0, factor=0.5)
        opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": 0.3})
        trace = []
        try:
            for metric in (1.0, 2.0, 3.0, 0.5, 4.0):
                s.step(metric)
                trace.append([g["lr"] for g in opt.param_groups])
        except RuntimeError as error:
            trace.append(str(error))
        outcomes[name] = (trace, s.get_last_lr(), list(s.min_lrs))
    assert outcomes["genesis"] == outcomes["torch"]


def test_a_param_group_added_after_construction_is_a_value_error_as_in_pytorch():
    for module in (torch.optim.lr_scheduler, ours):
        opt = sgd(0.1)
        s = module.LambdaLR(opt, lambda e: 0.5)
        opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": 0.2})
        opt.step()
        with pytest.raises(ValueError) as error:
            s.step()
        if module is ours:
            assert str(error.value) == ("LambdaLR computed 1 rates for 2 param groups: param "
                                        "groups were added or removed after the scheduler was "
                                        "built")
