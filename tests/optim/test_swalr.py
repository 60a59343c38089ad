"""``SWALR`` against ``torch.optim.swa_utils.SWALR`` (PyTorch 2.13).

Torch's scheduler drives a torch optimizer; Genesis's drives a Genesis optimizer and, separately,
a torch optimizer (a scheduler drives anything with ``param_groups``).  After every step the
group rates and ``get_last_lr()`` agree within rel 1e-9; ``lr_at`` and ``preview`` agree with
stepping within rel 1e-12 (the exactness contract of docs/dev/ARCHITECTURE.md).
"""
import itertools
import json
import warnings

import numpy as np
import pytest
import torch
from torch.optim import swa_utils as theirs

import genesis
from genesis.optim import swa_utils as ours
from genesis.optim.lr_scheduler import CosineAnnealingLR, from_config, preview
from genesis.optim.lr_scheduler.schedules import swa_annealing_lr

REL = 1e-9
EXACT = 1e-12


def torch_sgd(lrs, momentum=0.9):
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0], momentum=momentum)


def genesis_sgd(lrs, momentum=0.9):
    groups = [{"params": [genesis.nn.Parameter(genesis.zeros(2))], "lr": lr} for lr in lrs]
    return genesis.optim.SGD(groups, lr=lrs[0], momentum=momentum)


def rates(optimizer, key="lr"):
    return [float(group[key]) for group in optimizer.param_groups]


def close(actual, expected, rel=REL, where=""):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64), rtol=rel, atol=0,
                               err_msg=where)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


class Trio:
    """Torch's SWALR on a torch optimizer; Genesis's on a Genesis and on a torch optimizer."""

    def __init__(self, lrs, make):
        self.optimizers = [torch_sgd(lrs), genesis_sgd(lrs), torch_sgd(lrs)]
        self.schedulers = [quiet(make, theirs, self.optimizers[0]),
                           quiet(make, ours, self.optimizers[1]),
                           quiet(make, ours, self.optimizers[2])]

    def step(self):
        for optimizer, scheduler in zip(self.optimizers, self.schedulers):
            optimizer.step()
            scheduler.step()

    def check(self, where):
        expected = rates(self.optimizers[0])
        for optimizer, scheduler in zip(self.optimizers[1:], self.schedulers[1:]):
            close(rates(optimizer), expected, where=where)
            close(scheduler.get_last_lr(), self.schedulers[0].get_last_lr(), where=where)


CASES = list(itertools.product([0, 1, 2, 7, 10], ["cos", "linear"]))


@pytest.mark.parametrize("anneal_epochs,strategy", CASES)
@pytest.mark.parametrize("lrs,swa_lr", [([0.1], 0.01), ([0.1], 0.3),
                                        ([0.2, 0.03, 0.05], [0.01, 0.05, 0.0])])
def test_stepping_matches_torch(anneal_epochs, strategy, lrs, swa_lr):
    trio = Trio(lrs, lambda m, o: m.SWALR(o, swa_lr, anneal_epochs=anneal_epochs,
                                          anneal_strategy=strategy))
    trio.check("after construction")
    for group, value in zip(trio.optimizers[1].param_groups, np.broadcast_to(swa_lr, len(lrs))):
        assert group["swa_lr"] == value  # stored in the groups, as PyTorch does
    stepped = [rates(trio.optimizers[1])]
    for i in range(anneal_epochs + 5):
        trio.step()
        trio.check(f"step {i + 1}")
        stepped.append(rates(trio.optimizers[1]))
    genesis_scheduler = trio.schedulers[1]
    close(genesis_scheduler.lr_at(np.arange(len(stepped))), stepped, EXACT, "lr_at")


@pytest.mark.parametrize("anneal_epochs,strategy", [(10, "cos"), (40, "cos"), (25, "linear")])
def test_usual_recipe_cosine_then_swalr_matches_torch(anneal_epochs, strategy):
    """PyTorch's SWA recipe: CosineAnnealingLR until swa_start, then SWALR (both built first),
    annealing from the rate the cosine left, on two groups with their own swa_lr."""
    swa_start, epochs = 12, 12 + anneal_epochs + 6

    def make(module, optimizer):
        lr_scheduler = torch.optim.lr_scheduler if module is theirs else genesis.optim.lr_scheduler
        cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=30)
        return cosine, module.SWALR(optimizer, swa_lr=[0.02, 0.004], anneal_epochs=anneal_epochs,
                                    anneal_strategy=strategy)

    trio = Trio([0.1, 0.03], make)
    stepped = []
    for epoch in range(epochs):
        for optimizer, (cosine, swa) in zip(trio.optimizers, trio.schedulers):
            optimizer.step()
            (swa if epoch > swa_start else cosine).step()
        expected = rates(trio.optimizers[0])
        for optimizer in trio.optimizers[1:]:
            close(rates(optimizer), expected, where=f"epoch {epoch}")
        if epoch == swa_start + 1:  # annealing has begun: the closed form continues from here
            ahead = preview(trio.schedulers[1][1], epochs - epoch - 1)
        elif epoch > swa_start + 1:
            stepped.append(rates(trio.optimizers[1]))
    close(ahead, stepped, EXACT)
    swa = trio.schedulers[1][1]
    close(stepped[-1], [0.02, 0.004], EXACT)
    close(swa.lr_at(np.arange(swa.last_epoch + 1, swa.last_epoch + 10)),
          np.broadcast_to([0.02, 0.004], (9, 2)), EXACT)


def test_preview_before_swa_start_steps_from_the_current_rate():
    opt = genesis_sgd([0.1])
    cosine = CosineAnnealingLR(opt, T_max=10)
    swa = ours.SWALR(opt, swa_lr=0.01, anneal_epochs=4)
    for _ in range(5):
        opt.step()
        cosine.step()
    ahead = preview(swa, 6)  # the cosine moved the rate: the recorded start no longer holds
    for row in ahead:
        opt.step()
        swa.step()
        close(rates(opt), row, EXACT)


def test_closed_form_of_a_long_anneal_with_swa_lr_zero():
    # 1 - alpha keeps few digits near the end of a long cosine anneal (swa_lr 0 exposes it).
    opt = genesis_sgd([0.5, 0.1])
    s = ours.SWALR(opt, swa_lr=[0.0, 1e-6], anneal_epochs=600)
    stepped = [rates(opt)]
    for _ in range(601):
        quiet(s.step)
        stepped.append(rates(opt))
    close(s.lr_at(np.arange(602)), stepped, EXACT)


def test_closed_form_by_hand():
    # anneal 4 steps from 1.0 to 0.2: alpha = (1 - cos(pi k / 4)) / 2
    alphas = [(1 - np.cos(np.pi * k / 4)) / 2 for k in range(5)] + [1.0]
    close(swa_annealing_lr(np.arange(6), 1.0, 0.2, 4), [0.2 * a + (1 - a) for a in alphas], EXACT)
    close(swa_annealing_lr(np.arange(4), 1.0, 0.2, 2, "linear"), [1.0, 0.6, 0.2, 0.2], EXACT)
    close(swa_annealing_lr(np.arange(3), 1.0, 0.2, 0), [0.2, 0.2, 0.2], EXACT)


def test_step_with_epoch_and_resume_with_last_epoch_match_torch():
    # step(epoch) (deprecated): PyTorch's SWALR has no closed form and counts its own steps.
    trio = Trio([0.1, 0.05], lambda m, o: m.SWALR(o, 0.01, anneal_epochs=5))
    for epoch in (3, 3, 9, 1):
        for optimizer, scheduler in zip(trio.optimizers, trio.schedulers):
            optimizer.step()
            quiet(scheduler.step, epoch)
        trio.check(f"step({epoch})")
    ours_scheduler = trio.schedulers[1]
    stepped = []
    for i in range(6):
        trio.step()
        trio.check(f"step {i} after step(epoch)")
        stepped.append(rates(trio.optimizers[1]))
    first = ours_scheduler.last_epoch - 5
    close(ours_scheduler.lr_at(np.arange(first, first + 6)), stepped, EXACT)

    resumed = Trio([0.1, 0.05], lambda m, o: [g.setdefault("initial_lr", g["lr"])
                                              for g in o.param_groups]
                   and m.SWALR(o, 0.01, anneal_epochs=3, last_epoch=6))
    resumed.check("built with last_epoch=6")
    for i in range(5):
        resumed.step()
        resumed.check(f"resumed step {i}")
    assert resumed.schedulers[1].last_epoch == 12
    close(resumed.schedulers[1].lr_at([12, 20]), [rates(resumed.optimizers[1])] * 2, EXACT)


@pytest.mark.parametrize("stop", [0, 1, 3, 6, 12])
def test_state_dict_round_trips_with_torch(stop):
    make = lambda m, o: m.SWALR(o, [0.01, 0.002], anneal_epochs=6, anneal_strategy="cos")
    trio = Trio([0.1, 0.05], make)
    for _ in range(stop):
        trio.step()
    torch_state = trio.schedulers[0].state_dict()
    genesis_state = json.loads(json.dumps(trio.schedulers[1].state_dict()))
    # torch -> Genesis: a fresh Genesis scheduler on a fresh optimizer loads both state dicts
    opt = genesis_sgd([0.1, 0.05])
    loaded = quiet(make, ours, opt)
    opt.load_state_dict(trio.optimizers[0].state_dict())
    loaded.load_state_dict(torch_state)
    # Genesis -> torch
    opt_t = torch_sgd([0.1, 0.05])
    loaded_t = quiet(make, theirs, opt_t)
    opt_t.load_state_dict(trio.optimizers[0].state_dict())
    loaded_t.load_state_dict(genesis_state)
    both = [(opt, loaded), (opt_t, loaded_t)]
    stepped = []
    for i in range(10):
        trio.step()
        for optimizer, scheduler in both:
            optimizer.step()
            scheduler.step()
            close(rates(optimizer), rates(trio.optimizers[0]), where=f"loaded at {stop}, step {i}")
        stepped.append(rates(opt))
    # the start recovered from torch's saved rate carries lr_at on (the anneal ends at 6)
    close(loaded.lr_at(np.arange(stop + 1, stop + 11)), stepped, EXACT)


def test_state_dict_keys_and_json_round_trip():
    opt = genesis_sgd([0.1])
    s = ours.SWALR(opt, 0.05, anneal_epochs=3, anneal_strategy="linear")
    torch_keys = set(theirs.SWALR(torch_sgd([0.1]), 0.05).state_dict())
    state = s.state_dict()
    assert torch_keys - {"_is_initial", "_get_lr_called_within_step"} <= set(state)
    assert set(state) - torch_keys == {"verbose", "start_lrs", "definition"}
    quiet(s.step)
    other = ours.SWALR(genesis_sgd([0.1]), 0.05, anneal_epochs=3, anneal_strategy="linear")
    other.load_state_dict(json.loads(json.dumps(s.state_dict())))
    assert other.state_dict() == s.state_dict()
    assert other.anneal_func is other._linear_anneal
    with pytest.raises(ValueError, match="_anneal_strategy must be 'cos' or 'linear', got 'sin'"):
        other.load_state_dict(dict(state, _anneal_strategy="sin"))
    with pytest.raises(ValueError, match="anneal_epochs must be an int >= 0, got -1"):
        other.load_state_dict(dict(state, anneal_epochs=-1))
    with pytest.raises(ValueError, match=r"start_lrs must be a list of 1 rates"):
        other.load_state_dict(dict(state, start_lrs=[0.1, 0.2]))


def test_config_round_trip_and_field():
    opt = genesis_sgd([0.1, 0.2])
    s = ours.SWALR(opt, [0.01, 0.02], anneal_epochs=3, anneal_strategy="linear")
    config = s.to_config()
    assert config == {"scheduler": "SWALR", "swa_lr": [0.01, 0.02], "anneal_epochs": 3,
                      "anneal_strategy": "linear"}
    rebuilt = from_config(genesis_sgd([0.1, 0.2]), json.loads(json.dumps(config)))
    assert type(rebuilt) is ours.SWALR
    close(rebuilt.lr_at(np.arange(6)), s.lr_at(np.arange(6)), EXACT)
    # field=: drive the momentum towards group["swa_momentum"] exactly as the rate would be
    by_field = genesis_sgd([0.1, 0.2], momentum=0.9)
    m = ours.SWALR(by_field, [0.5, 0.6], anneal_epochs=4, field="momentum")
    by_lr = genesis_sgd([0.9, 0.9])
    r = ours.SWALR(by_lr, [0.5, 0.6], anneal_epochs=4)
    assert [g["swa_momentum"] for g in by_field.param_groups] == [0.5, 0.6]
    assert "swa_lr" not in by_field.param_groups[0]
    assert m.to_config()["field"] == "momentum"
    for _ in range(6):
        quiet(m.step)
        quiet(r.step)
        assert rates(by_field, "momentum") == rates(by_lr)
        assert rates(by_field) == [0.1, 0.2]


def test_inside_sequential_and_chained_schedulers_match_torch():
    def sequential(module, optimizer):
        lr_scheduler = torch.optim.lr_scheduler if module is theirs else genesis.optim.lr_scheduler
        children = [lr_scheduler.LinearLR(optimizer, start_factor=0.5, total_iters=4),
                    module.SWALR(optimizer, 0.01, anneal_epochs=3)]
        return lr_scheduler.SequentialLR(optimizer, children, milestones=[6])

    def chained(module, optimizer):
        lr_scheduler = torch.optim.lr_scheduler if module is theirs else genesis.optim.lr_scheduler
        return lr_scheduler.ChainedScheduler([lr_scheduler.ExponentialLR(optimizer, gamma=0.9),
                                              module.SWALR(optimizer, 0.01, anneal_epochs=3)])

    for make in (sequential, chained):
        trio = Trio([0.1, 0.05], make)
        ahead = preview(trio.schedulers[1], 12)  # steps a copy: SWALR anneals from the running rate
        for i in range(12):
            trio.step()
            trio.check(f"{make.__name__} step {i}")
            close(rates(trio.optimizers[1]), ahead[i], EXACT)
        with pytest.raises(TypeError, match="lr_at"):
            trio.schedulers[1].lr_at([3, 8])


def _message(make):
    with pytest.raises(Exception) as caught:
        make()
    return type(caught.value), str(caught.value)


@pytest.mark.parametrize("kwargs", [
    {"swa_lr": [0.1, 0.2, 0.3]},
    {"swa_lr": 0.1, "anneal_strategy": "cosine"},
    {"swa_lr": 0.1, "anneal_epochs": -1},
    {"swa_lr": 0.1, "anneal_epochs": 2.0},
])
def test_errors_match_torch(kwargs):
    theirs_error = _message(lambda: theirs.SWALR(torch_sgd([0.1, 0.2]), **kwargs))
    opt = genesis_sgd([0.1, 0.2])
    assert _message(lambda: ours.SWALR(opt, **kwargs)) == theirs_error
    assert all("swa_lr" not in group and "initial_lr" not in group for group in opt.param_groups)


@pytest.mark.parametrize("swa_lr,shown", [(-0.1, "-0.1"), (float("nan"), "nan"), ("0.1", "'0.1'"),
                                          ([0.1, None], "None")])
def test_genesis_refuses_rates_that_are_not_finite_numbers(swa_lr, shown):
    with pytest.raises(ValueError, match=rf"swa_lr must be a finite number >= 0 .*, got {shown}$"):
        ours.SWALR(genesis_sgd([0.1, 0.2]), swa_lr)


def test_signature_and_public_module_are_torch_s():
    import inspect
    ours_params = list(inspect.signature(ours.SWALR).parameters)
    theirs_params = list(inspect.signature(theirs.SWALR).parameters)
    assert ours_params[:len(theirs_params)] == theirs_params
    assert ours.SWALR.__module__ == theirs.SWALR.__module__.replace("torch", "genesis")
    assert isinstance(ours.SWALR(genesis_sgd([0.1]), 0.01), genesis.optim.lr_scheduler.LRScheduler)
