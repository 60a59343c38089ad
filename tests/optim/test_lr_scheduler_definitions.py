"""Schedules as data: ``to_config``/``from_config``, and resumes that notice a changed schedule.

The truth for a definition is PyTorch: the arguments ``to_config`` writes out, given to
``torch.optim.lr_scheduler``'s class of the same name, step as the original does; and a
scheduler rebuilt by ``from_config`` steps exactly as the original.  For a changed schedule,
PyTorch's own resume (the saved values win) is the truth of ``schedule="saved"``, and a
freshly built scheduler stepped to the saved step is the truth of ``schedule="built"``.
"""
import json
import math
import random
import warnings

import numpy as np
import pytest

import genesis.optim.lr_scheduler as ours
import torch.optim.lr_scheduler as theirs
from genesis.optim.lr_scheduler import (Schedule, ScheduleChangedWarning, from_config,
                                        register_schedule)
from test_lr_scheduler import (SEQUENCES, SIMPLE, assert_close, config, plateau_config,
                               torch_optimizer)

STEPS = 60


def json_round_trip(value):
    return json.loads(json.dumps(value))


def describable(name, rng, groups):
    """``config(name)`` with its Python lambdas replaced by registered Schedules."""
    kwargs = config(name, rng, groups, STEPS)
    if "lr_lambda" in kwargs:
        kwargs["lr_lambda"] = Schedule("cosine_with_warmup", num_warmup_steps=rng.randint(0, 9),
                                       num_training_steps=STEPS, num_cycles=rng.uniform(0.3, 1.5))
        if name == "MultiplicativeLR":
            kwargs["lr_lambda"] = Schedule("inverse_sqrt", num_warmup_steps=0,
                                           timescale=rng.randint(5, 50))
    kwargs.pop("scale_fn", None)
    kwargs.pop("scale_mode", None)
    return kwargs


def rates(scheduler, optimizer, steps=STEPS, metrics=None):
    rows = []
    for step in range(steps):
        rows.append([float(g["lr"]) for g in optimizer.param_groups])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            optimizer.step()
            scheduler.step(*([] if metrics is None else [metrics[step]]))
    return np.array(rows)


@pytest.mark.parametrize("name", SIMPLE + ["ReduceLROnPlateau"])
def test_a_definition_holds_pytorchs_arguments_and_rebuilds_the_same_scheduler(name):
    rng = random.Random(f"definition-{name}")
    lrs = [10 ** rng.uniform(-3, -1) for _ in range(2)]
    kwargs = plateau_config(rng, 2) if name == "ReduceLROnPlateau" else describable(name, rng, 2)
    metrics = [math.cos(step / 5) for step in range(STEPS)]
    feed = metrics if name == "ReduceLROnPlateau" else None
    original = getattr(ours, name)(torch_optimizer("sgd", lrs), **kwargs)
    definition = json_round_trip(original.to_config())
    assert definition["scheduler"] == name and "last_epoch" not in definition
    arguments = {k: v for k, v in definition.items() if k != "scheduler"}
    for key in ("lr_lambda", "scale_fn"):  # functions: the Schedule object itself for PyTorch
        if isinstance(arguments.get(key), dict):
            arguments[key] = Schedule(**arguments[key])
        elif key in arguments and arguments[key] is None:
            del arguments[key]
    opt_t, opt_r = torch_optimizer("sgd", lrs), torch_optimizer("sgd", lrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch_built = getattr(theirs, name)(opt_t, **arguments)
    rebuilt = from_config(opt_r, definition)
    assert rebuilt.to_config() == original.to_config()
    expected = rates(torch_built, opt_t, metrics=feed)
    got = rates(rebuilt, opt_r, metrics=feed)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-300)
    np.testing.assert_array_equal(got, rates(original, original.optimizer, metrics=feed))


@pytest.mark.parametrize("names", SEQUENCES[:3])
def test_composite_definitions_hold_their_children(names):
    rng = random.Random(f"composite-definition-{names}")
    opt = torch_optimizer("sgd", [0.1])
    children = [getattr(ours, n)(opt, **describable(n, rng, 1)) for n in names]
    milestones = sorted(rng.sample(range(1, STEPS), len(names) - 1))
    original = ours.SequentialLR(opt, children, milestones)
    definition = json_round_trip(original.to_config())
    assert [c["scheduler"] for c in definition["schedulers"]] == list(names)
    assert definition["milestones"] == milestones
    opt_r = torch_optimizer("sgd", [0.1])
    rebuilt = from_config(opt_r, definition)
    np.testing.assert_array_equal(rates(rebuilt, opt_r), rates(original, opt))
    chain = ours.ChainedScheduler([ours.ExponentialLR(opt, 0.9), ours.StepLR(opt, 3)])
    rebuilt = from_config(torch_optimizer("sgd", [0.1]), chain.to_config())
    assert rebuilt.to_config() == chain.to_config()


def test_hugging_face_schedules_are_written_out_with_their_arguments():
    opt = torch_optimizer("adam", [1e-3])
    s = ours.get_cosine_schedule_with_warmup(opt, num_warmup_steps=100, num_training_steps=10_000)
    assert s.to_config() == {"scheduler": "LambdaLR", "lr_lambda": {
        "schedule": "cosine_with_warmup", "num_warmup_steps": 100, "num_training_steps": 10_000,
        "num_cycles": 0.5, "min_lr_rate": 0.0}}
    assert ours.describe(s.to_config()) == ("LambdaLR(lr_lambda=cosine_with_warmup("
                                            "num_warmup_steps=100, "
                                            "num_training_steps=10000, num_cycles=0.5, "
                                            "min_lr_rate=0.0))")


@register_schedule(name="noam_for_tests")
def noam(step, d_model, warmup_steps):
    """The Transformer schedule, vectorised (a user's registered function)."""
    step = np.maximum(step, 1)
    return d_model ** -0.5 * np.minimum(step ** -0.5, step * warmup_steps ** -1.5)


def test_a_registered_function_is_a_describable_vectorised_lambda():
    opt = torch_optimizer("sgd", [1.0])
    s = ours.LambdaLR(opt, Schedule("noam_for_tests", d_model=512, warmup_steps=40))
    definition = json_round_trip(s.to_config())
    assert definition["lr_lambda"] == {"schedule": "noam_for_tests", "d_model": 512,
                                       "warmup_steps": 40}
    by_hand = [512 ** -0.5 * min(max(t, 1) ** -0.5, max(t, 1) * 40 ** -1.5) for t in range(STEPS)]
    np.testing.assert_allclose(s.lr_at(np.arange(STEPS))[:, 0], by_hand, rtol=1e-12)
    opt_r = torch_optimizer("sgd", [1.0])
    np.testing.assert_allclose(rates(from_config(opt_r, definition), opt_r)[:, 0], by_hand,
                               rtol=1e-12)
    with pytest.raises(ValueError, match="a schedule named 'noam_for_tests' is already registered"):
        register_schedule(lambda step: step, name="noam_for_tests")


@pytest.mark.parametrize("make, where", [
    (lambda o: ours.LambdaLR(o, lambda epoch: 0.9 ** epoch),
     r"lr_lambda\[0\] is the function <lambda>"),
    (lambda o: ours.MultiplicativeLR(o, [math.sqrt, math.sqrt]),
     r"lr_lambda\[0\] is the function sqrt"),
    (lambda o: ours.CyclicLR(o, 0.01, 0.1, scale_fn=lambda x: 1.0), "scale_fn is <lambda>"),
    (lambda o: ours.SequentialLR(o, [ours.LambdaLR(o, lambda e: 1.0), ours.StepLR(o, 2)], [3]),
     r"lr_lambda\[0\] is the function <lambda>"),
])
def test_code_cannot_be_written_out_and_the_error_says_what_to_do(make, where):
    s = make(torch_optimizer("sgd", [0.1, 0.2]))
    with pytest.raises(TypeError,
                       match=f"{where}.*register .* @register_schedule and pass Schedule"):
        s.to_config()
    assert s.state_dict()["definition"] is None  # the state dict itself still works


@pytest.mark.parametrize("bad, message", [
    ({"scheduler": "CosineLR", "T_max": 5},
     "unknown scheduler 'CosineLR' in config; from_config builds LambdaLR"),
    ({"scheduler": "StepLR", "step_size": 3, "gama": 0.5},
     "StepLR has no argument 'gama' .*: step_size, gamma, field"),
    ({"scheduler": "LambdaLR", "lr_lambda": {"schedule": "cosine"}},
     "no schedule named 'cosine' is registered"),
    ({"scheduler": "LambdaLR", "lr_lambda": "cos"},
     r"LambdaLR.lr_lambda must be a schedule definition"),
    ({"T_max": 5}, "config must be a dict with a 'scheduler' class name"),
    ({"scheduler": "StepLR", "step_size": 0}, "step_size must be a positive int, got 0"),
])
def test_from_config_names_what_it_cannot_build(bad, message):
    with pytest.raises(ValueError, match=message):
        from_config(torch_optimizer("sgd", [0.1]), bad)


# --- resuming with a changed schedule -----------------------------------------------------


def run_to(make, optimizer_lrs, steps):
    opt = torch_optimizer("sgd", optimizer_lrs)
    s = make(opt)
    rates(s, opt, steps)
    return s, opt


def resume(module_make, saved, saved_opt, lrs, schedule=None):
    opt = torch_optimizer("sgd", lrs)
    s = module_make(opt)
    opt.load_state_dict(saved_opt)
    if schedule is None:
        s.load_state_dict(saved)
    else:
        s.load_state_dict(saved, schedule=schedule)
    return s, opt


def test_identical_definitions_load_silently():
    saved, opt = run_to(lambda o: ours.CosineAnnealingLR(o, T_max=100), [0.1], 30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resume(lambda o: ours.CosineAnnealingLR(o, T_max=100), saved.state_dict(), opt.state_dict(),
               [0.1])


def test_a_changed_argument_is_named_and_the_saved_values_win_as_in_pytorch():
    saved, opt = run_to(lambda o: ours.CosineAnnealingLR(o, T_max=100), [0.1], 30)
    state = json_round_trip(saved.state_dict())
    with pytest.warns(ScheduleChangedWarning,
                      match=r"CosineAnnealingLR.load_state_dict: the saved schedule differs "
                            r".* \(saved -> built\): T_max: 100 -> 200\. The saved"):
        s, opt_o = resume(lambda o: ours.CosineAnnealingLR(o, T_max=200), state, opt.state_dict(),
                          [0.1])
    torch_saved, torch_opt = run_to(lambda o: theirs.CosineAnnealingLR(o, T_max=100), [0.1], 30)
    t, opt_t = resume(lambda o: theirs.CosineAnnealingLR(o, T_max=200), torch_saved.state_dict(),
                      torch_opt.state_dict(), [0.1])
    assert s.T_max == t.T_max == 100 and s.to_config()["T_max"] == 100
    np.testing.assert_allclose(rates(s, opt_o), rates(t, opt_t), rtol=1e-9)


def test_a_changed_hugging_face_horizon_is_named():
    saved, opt = run_to(lambda o: ours.get_linear_schedule_with_warmup(o, 10, 10_000), [0.1], 20)
    with pytest.warns(ScheduleChangedWarning,
                      match=r"lr_lambda.num_training_steps: 10000 -> 20000\. The saved"):
        s, _ = resume(lambda o: ours.get_linear_schedule_with_warmup(o, 10, 20_000),
                      saved.state_dict(), opt.state_dict(), [0.1])
    assert s.lr_lambdas[0].num_training_steps == 10_000  # saved wins (PyTorch's __dict__.update)


def test_a_changed_child_is_named_once_with_its_path():
    def make(t_max):
        return lambda o: ours.SequentialLR(o, [ours.LinearLR(o, 0.01, total_iters=10),
                                               ours.CosineAnnealingLR(o, T_max=t_max)], [10])
    saved, opt = run_to(make(900), [0.1], 20)
    with pytest.warns(ScheduleChangedWarning) as caught:
        resume(make(1900), saved.state_dict(), opt.state_dict(), [0.1])
    assert len(caught) == 1 and "schedulers[1].T_max: 900 -> 1900" in str(caught[0].message)


def test_pytorch_state_dicts_carry_no_definition_and_load_as_before():
    torch_saved, torch_opt = run_to(lambda o: theirs.CosineAnnealingLR(o, T_max=100), [0.1], 30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, _ = resume(lambda o: ours.CosineAnnealingLR(o, T_max=200), torch_saved.state_dict(),
                      torch_opt.state_dict(), [0.1])
    assert s.T_max == 100


BUILT = {
    "CosineAnnealingLR": (lambda o: ours.CosineAnnealingLR(o, T_max=100, eta_min=1e-4),
                          lambda o: ours.CosineAnnealingLR(o, T_max=200, eta_min=1e-4)),
    "HF linear": (lambda o: ours.get_linear_schedule_with_warmup(o, 10, 100),
                  lambda o: ours.get_linear_schedule_with_warmup(o, 10, 300)),
    "SequentialLR": (lambda o: ours.SequentialLR(o, [ours.LinearLR(o, 0.1, total_iters=10),
                                                     ours.CosineAnnealingLR(o, T_max=50)], [10]),
                     lambda o: ours.SequentialLR(o, [ours.LinearLR(o, 0.1, total_iters=20),
                                                     ours.CosineAnnealingLR(o, T_max=150)], [20])),
    "OneCycleLR": (lambda o: ours.OneCycleLR(o, max_lr=0.1, total_steps=100),
                   lambda o: ours.OneCycleLR(o, max_lr=0.2, total_steps=300)),
    "CosineAnnealingWarmRestarts": (lambda o: ours.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=2),
                                    lambda o: ours.CosineAnnealingWarmRestarts(o, T_0=11,
                                                                               T_mult=2)),
}


@pytest.mark.parametrize("name", sorted(BUILT))
def test_built_continues_from_the_saved_step_on_the_new_schedule(name):
    old, new = BUILT[name]
    saved, opt = run_to(old, [0.1, 0.05], 37)
    with pytest.warns(ScheduleChangedWarning,
                      match=r"continuing from the saved step 37 on the schedule this "
                            r"scheduler was built with; the rate jumps \(group 0: "):
        s, opt_o = resume(new, json_round_trip(saved.state_dict()), opt.state_dict(), [0.1, 0.05],
                          "built")
    # The truth: the new schedule stepped from its construction to step 37, then on.
    truth, opt_t = run_to(new, [0.1, 0.05], 37)
    np.testing.assert_allclose(rates(s, opt_o, 40), rates(truth, opt_t, 40), rtol=1e-12,
                               atol=1e-300)


def test_built_needs_a_closed_form_and_a_known_mode():
    saved, opt = run_to(lambda o: ours.ReduceLROnPlateau(o), [0.1], 0)
    with pytest.raises(ValueError,
                       match=r"load_state_dict\(schedule='built'\) needs a closed form"):
        ours.ReduceLROnPlateau(torch_optimizer("sgd", [0.1])).load_state_dict(
            dict(saved.state_dict(), last_epoch=3), schedule="built")
    with pytest.raises(ValueError, match="schedule must be 'saved' or 'built', got 'new'"):
        ours.StepLR(torch_optimizer("sgd", [0.1]), 2).load_state_dict({}, schedule="new")
