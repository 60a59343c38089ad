"""Any group field: a scheduler built with ``field="weight_decay"`` (``"momentum"``,
``"betas[0]"``...) drives that entry exactly as it would drive ``lr``.

The truth is PyTorch's scheduler of the same class driving ``lr`` on a twin optimizer whose
rates are the field's starting values: the field must follow that ``lr``, step for step, while
the optimizer's own ``lr`` does not move.
"""
import json
import random
import warnings

import numpy as np
import pytest
import torch

import genesis.optim.lr_scheduler as ours
import torch.optim.lr_scheduler as theirs
from test_lr_scheduler import SIMPLE, build, config, metric_walk, plateau_config

STEPS = 80
REL = 1e-9


def adamw(values, lr=1e-3):
    """An AdamW whose group i has weight_decay values[i] and betas (values[i], 0.999)."""
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "weight_decay": v,
               "betas": (v, 0.999)}
              for v in values]
    return torch.optim.AdamW(groups, lr=lr)


def twin(values):
    """The PyTorch reference: an SGD with momentum whose rates are ``values``."""
    return torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": v}
                            for v in values],
                           lr=values[0], momentum=0.9)


def field_values(optimizer, field):
    if field == "betas[0]":
        return [g["betas"][0] for g in optimizer.param_groups]
    return [g[field] for g in optimizer.param_groups]


def step(scheduler, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler.step(*args)


@pytest.mark.parametrize("field", ["weight_decay", "betas[0]"])
@pytest.mark.parametrize("name", SIMPLE + ["ReduceLROnPlateau"])
def test_a_field_follows_what_pytorch_does_to_lr(name, field):
    rng = random.Random(f"field-{name}-{field}")
    values = [rng.uniform(0.05, 0.5) for _ in range(2)]
    if name == "ReduceLROnPlateau":
        kwargs, metrics = plateau_config(rng, 2), metric_walk(rng, STEPS)
    else:
        kwargs, metrics = config(name, rng, 2, STEPS), None
        if name in ("CyclicLR", "OneCycleLR"):
            kwargs["cycle_momentum"] = False  # the twin cycles lr only
    opt, reference = adamw(values), twin(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours_s = getattr(ours, name)(opt, field=field, **kwargs)
        theirs_s = build(theirs, name, reference, kwargs)
    assert all(g["lr"] == 1e-3 for g in opt.param_groups)
    for index in range(STEPS):
        np.testing.assert_allclose(field_values(opt, field),
                                   [g["lr"] for g in reference.param_groups],
                                   rtol=REL, atol=1e-300, err_msg=f"{name} {field} step {index}")
        np.testing.assert_allclose(ours_s.get_last_lr(), theirs_s.get_last_lr(), rtol=REL,
                                   atol=1e-300)
        args = [] if metrics is None else [metrics[index]]
        step(ours_s, *args)
        step(theirs_s, *args)
    assert all(g["lr"] == 1e-3 for g in opt.param_groups)  # lr is left alone
    if field == "betas[0]":
        assert all(type(g["betas"]) is tuple and g["betas"][1] == 0.999 for g in opt.param_groups)


def test_chained_schedulers_on_one_field_and_another_scheduler_on_lr():
    values = [0.1, 0.2]
    opt, reference = adamw(values), twin(values)
    lr_schedule = ours.CosineAnnealingLR(opt, T_max=30)
    wd_chain = ours.ChainedScheduler([ours.LinearLR(opt, start_factor=0.2, total_iters=10,
                                                    field="weight_decay"),
                                      ours.ExponentialLR(opt, gamma=0.95, field="weight_decay")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference_chain = theirs.ChainedScheduler([theirs.LinearLR(reference, start_factor=0.2,
                                                                   total_iters=10),
                                                   theirs.ExponentialLR(reference, gamma=0.95)])
    lr_reference = twin([1e-3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr_reference_schedule = theirs.CosineAnnealingLR(lr_reference, T_max=30)
    for index in range(40):
        np.testing.assert_allclose(field_values(opt, "weight_decay"),
                                   [g["lr"] for g in reference.param_groups],
                                   rtol=REL, err_msg=f"weight_decay step {index}")
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups],
                                   [lr_reference.param_groups[0]["lr"]] * 2, rtol=REL, atol=1e-300)
        for s in (lr_schedule, wd_chain, reference_chain, lr_reference_schedule):
            step(s)
    np.testing.assert_allclose(wd_chain.lr_at(np.arange(40))[:, 0][-1],
                               0.1 * 0.95 ** 39,
                               rtol=1e-12)  # the chain's closed form, field included


def test_a_field_scheduler_saves_resumes_previews_and_is_described():
    opt = adamw([0.3])
    s = ours.StepLR(opt, step_size=4, gamma=0.5, field="weight_decay")
    assert opt.param_groups[0]["initial_weight_decay"] == 0.3
    assert "initial_lr" not in opt.param_groups[0]
    ahead = ours.preview(s, 12)[:, 0]
    for _ in range(5):
        step(s)
    state = json.loads(json.dumps(s.state_dict()))
    assert state["definition"] == {"scheduler": "StepLR", "step_size": 4, "gamma": 0.5,
                                   "field": "weight_decay"}
    fresh_opt = adamw([0.3])
    fresh = ours.from_config(fresh_opt, state["definition"])
    fresh_opt.load_state_dict(opt.state_dict())
    fresh.load_state_dict(state)
    got = []
    for _ in range(7):
        step(fresh)
        got.append(fresh_opt.param_groups[0]["weight_decay"])
    np.testing.assert_allclose(got, ahead[5:], rtol=1e-12)
    np.testing.assert_allclose(ahead, [0.3 * 0.5 ** ((k + 1) // 4) for k in range(12)], rtol=1e-12)


@pytest.mark.parametrize("make, error, match", [
    (lambda o: ours.StepLR(o, 2, field="dampening"), ValueError,
     r"field 'dampening': param_groups\[0\] holds no number"),
    (lambda o: ours.StepLR(o, 2, field="betas[2]"), ValueError,
     r"field 'betas\[2\]': param_groups\[0\] holds no number"),
    (lambda o: ours.StepLR(o, 2, field="betas[x]"), ValueError,
     "field must be a key or a key with an index"),
    (lambda o: ours.StepLR(o, 2, field=3), TypeError,
     "field must be the name of a param-group entry"),
    (lambda o: ours.OneCycleLR(o, 0.9, total_steps=5, field="betas[0]"), ValueError,
     r"field='betas\[0\]' with cycle_momentum=True: both would drive the momentum"),
    (lambda o: ours.ChainedScheduler([ours.StepLR(o, 2), ours.StepLR(o, 2, field="weight_decay")]),
     ValueError,
     r"schedulers\[1\] drives 'weight_decay', schedulers\[0\] drives 'lr'"),
])
def test_field_errors_name_the_field(make, error, match):
    with pytest.raises(error, match=match):
        make(adamw([0.1]))
