"""The scheduler API around the numbers: ``get_last_lr()`` formatting, ``verbose``, exports,
and every documented error (each message names the argument and the value)."""
import doctest
import math

import numpy as np
import pytest
import torch

import genesis.optim as optim
import genesis.optim.lr_scheduler as ours
import genesis.optim.schedules as schedules
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


@pytest.mark.parametrize("module", [schedules, ours])
def test_docstring_examples_run(module):
    # The scheduler classes report their public path (genesis.optim.lr_scheduler), so doctest
    # finds them all on the package.
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_scheduler_classes_report_their_public_module_as_torch_does():
    import torch.optim.lr_scheduler as theirs
    for name in NAMES + ["LRScheduler"]:
        assert getattr(theirs, name).__module__ == theirs.__name__
        assert getattr(ours, name).__module__ == ours.__name__ == "genesis.optim.lr_scheduler"


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
    (lambda o: ours.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0 must be a positive int, got 0"),
    (lambda o: ours.CosineAnnealingWarmRestarts(o, T_0=2.5), ValueError, "T_0 .* got 2.5"),
    (lambda o: ours.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0), ValueError, "T_mult .* got 0"),
    (lambda o: ours.StepLR(o, step_size=0), ValueError, "step_size must be a positive int, got 0"),
    (lambda o: ours.StepLR(o, step_size=2, gamma=0.0), ValueError, "gamma .* > 0, got 0.0"),
    (lambda o: ours.ExponentialLR(o, gamma=-0.5), ValueError, "gamma .* got -0.5"),
    (lambda o: ours.MultiStepLR(o, milestones=[5, 3]), ValueError, r"milestones must be sorted .* \[5, 3\]"),
    (lambda o: ours.MultiStepLR(o, milestones=[-1, 3]), ValueError, "milestones must hold ints >= 0, got -1"),
    (lambda o: ours.MultiStepLR(o, milestones=[1.5]), ValueError, "milestones .* got 1.5"),
    (lambda o: ours.MultiStepLR(o, milestones=3), TypeError, "milestones must be a list of ints, got int"),
    (lambda o: ours.ConstantLR(o, factor=1.5), ValueError, "factor must be a number in \\(0, 1\\], got 1.5"),
    (lambda o: ours.ConstantLR(o, total_iters=0), ValueError, "total_iters .* got 0"),
    (lambda o: ours.LinearLR(o, start_factor=0.0), ValueError, "start_factor .* got 0.0"),
    (lambda o: ours.LinearLR(o, end_factor=1.5), ValueError, "end_factor .* got 1.5"),
    (lambda o: ours.PolynomialLR(o, total_iters=0), ValueError, "total_iters .* got 0"),
    (lambda o: ours.LambdaLR(o, [lambda e: 1.0] * 3), ValueError, "lr_lambda .* 2 groups, got a list of 3"),
    (lambda o: ours.MultiplicativeLR(o, [lambda e: 1.0]), ValueError, "lr_lambda .* 2 groups, got a list of 1"),
    (lambda o: ours.LambdaLR(o, 0.5), TypeError, "lr_lambda\\[0\\] must be callable .* got float"),
    (lambda o: ours.OneCycleLR(o, max_lr=0.1), ValueError, "needs total_steps, or both epochs and steps_per_epoch"),
    (lambda o: ours.OneCycleLR(o, max_lr=0.1, epochs=3), ValueError, "steps_per_epoch=None"),
    (lambda o: ours.OneCycleLR(o, max_lr=0.1, total_steps=0), ValueError, "total_steps .* got 0"),
    (lambda o: ours.OneCycleLR(o, max_lr=0.1, total_steps=9, pct_start=1.5), ValueError, "pct_start .* got 1.5"),
    (lambda o: ours.OneCycleLR(o, max_lr=0.1, total_steps=9, anneal_strategy="exp"), ValueError, "anneal_strategy .* 'exp'"),
    (lambda o: ours.OneCycleLR(o, max_lr=[0.1], total_steps=9), ValueError, "max_lr must have one value per param group \\(2\\)"),
    (lambda o: ours.CyclicLR(o, 0.01, 0.1, mode="triangle"), ValueError, "mode must be .* got 'triangle'"),
    (lambda o: ours.CyclicLR(o, 0.01, 0.1, scale_mode="epoch"), ValueError, "scale_mode .* got 'epoch'"),
    (lambda o: ours.CyclicLR(o, 0.01, 0.1, step_size_up=0), ValueError, "step_size_up .* got 0"),
    (lambda o: ours.ReduceLROnPlateau(o, mode="low"), ValueError, "mode must be 'min' or 'max', got 'low'"),
    (lambda o: ours.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError, "threshold_mode .* got 'pct'"),
    (lambda o: ours.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor must be a number in \\[0, 1\\), got 1.0"),
    (lambda o: ours.ReduceLROnPlateau(o, min_lr=[0.0]), ValueError, "min_lr must have one value per param group"),
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
        with pytest.raises(TypeError, match=f"optimizer must be .* got {type(bad).__name__}"):
            make(bad)


def test_duck_typed_optimizer_is_accepted():
    class Bare:
        param_groups = [{"lr": 0.5}]

    s = ours.StepLR(Bare(), step_size=1, gamma=0.5)
    s.step()
    assert Bare.param_groups[0]["lr"] == 0.25


def test_cycle_momentum_needs_momentum_or_betas():
    opt = torch.optim.Adagrad([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="cycle_momentum=True needs .* Adagrad has neither"):
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
    with pytest.raises(ValueError, match="built for total_steps=4 steps, asked for step 5"):
        s.step()
    assert s.last_epoch == 4  # the refused step changed nothing


def test_one_cycle_with_an_empty_phase_is_explained():
    with pytest.raises(ValueError, match="phase 0 is empty"):
        ours.OneCycleLR(sgd(0.1), max_lr=1.0, total_steps=10, pct_start=0.1)


def test_composites_check_their_children():
    opt, other = sgd(0.1), sgd(0.1)
    a, b = ours.StepLR(opt, 2), ours.ExponentialLR(other, 0.9)
    with pytest.raises(ValueError, match=r"schedulers\[1\] \(ExponentialLR\) drives another optimizer"):
        ours.SequentialLR(opt, [a, b], milestones=[3])
    with pytest.raises(ValueError, match=r"schedulers\[1\] \(ExponentialLR\) drives another optimizer"):
        ours.ChainedScheduler([a, b])
    c = ours.ExponentialLR(opt, 0.9)
    with pytest.raises(ValueError, match=r"one milestone fewer than schedulers: got 2 schedulers and milestones=\[3, 5\]"):
        ours.SequentialLR(opt, [a, c], milestones=[3, 5])
    with pytest.raises(ValueError, match="milestones must be sorted"):
        ours.SequentialLR(opt, [a, c, ours.StepLR(opt, 3)], milestones=[5, 3])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        ours.ChainedScheduler([a, ours.ReduceLROnPlateau(opt)])
    with pytest.raises(TypeError, match=r"schedulers\[0\] must be an LRScheduler, got str"):
        ours.SequentialLR(opt, ["cosine"], milestones=[])
    with pytest.raises(ValueError, match="non-empty list of schedulers"):
        ours.ChainedScheduler([])


def test_resuming_without_initial_lr_is_a_clear_key_error():
    with pytest.raises(KeyError) as info:
        ours.CosineAnnealingLR(sgd(0.1), T_max=10, last_epoch=5)
    message = str(info.value)
    assert "param_groups[0] has no 'initial_lr'" in message and "last_epoch=5" in message
    assert not message.startswith("'")  # printed as a sentence, not a quoted repr


def test_step_with_epoch_warns_deprecation_but_works():
    opt = sgd(1.0)
    s = ours.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        s.step(3)
    assert opt.param_groups[0]["lr"] == 0.125 and s.last_epoch == 3
