"""Every optimizer and scheduler state survives a checkpoint: the resumed schedule continues exactly."""
import pytest

import genesis
from genesis import load_checkpoint, nn, optim, save_checkpoint
from genesis.optim import lr_scheduler as lrs

SCHEDULERS = {
    "LambdaLR": lambda opt: lrs.LambdaLR(opt, lambda epoch: 0.9**epoch),
    "MultiplicativeLR": lambda opt: lrs.MultiplicativeLR(opt, lambda epoch: 0.9),
    "StepLR": lambda opt: lrs.StepLR(opt, step_size=2, gamma=0.5),
    "MultiStepLR": lambda opt: lrs.MultiStepLR(opt, milestones=[2, 5], gamma=0.5),
    "ConstantLR": lambda opt: lrs.ConstantLR(opt, factor=0.5, total_iters=4),
    "LinearLR": lambda opt: lrs.LinearLR(opt, start_factor=0.25, total_iters=5),
    "ExponentialLR": lambda opt: lrs.ExponentialLR(opt, gamma=0.9),
    "PolynomialLR": lambda opt: lrs.PolynomialLR(opt, total_iters=6, power=2.0),
    "CosineAnnealingLR": lambda opt: lrs.CosineAnnealingLR(opt, T_max=5, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda opt: lrs.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2),
    "CyclicLR": lambda opt: lrs.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2),
    "OneCycleLR": lambda opt: lrs.OneCycleLR(opt, max_lr=0.1, total_steps=10),
    "SequentialLR": lambda opt: lrs.SequentialLR(
        opt, [lrs.ConstantLR(opt, factor=0.5, total_iters=2), lrs.ExponentialLR(opt, gamma=0.8)], milestones=[3]),
    "ChainedScheduler": lambda opt: lrs.ChainedScheduler(
        [lrs.ExponentialLR(opt, gamma=0.9), lrs.StepLR(opt, step_size=2, gamma=0.5)]),
    "ReduceLROnPlateau": lambda opt: lrs.ReduceLROnPlateau(opt, patience=1, factor=0.5),
}
OPTIMIZERS = {
    "SGD": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "Adam": lambda params: optim.Adam(params, lr=0.1),
    "AdamW": lambda params: optim.AdamW(params, lr=0.1),
}


def build(make_optimizer, make_scheduler):
    genesis.manual_seed(0)
    model = nn.Linear(3, 2)
    optimizer = make_optimizer(model.parameters())
    return model, optimizer, make_scheduler(optimizer)


def train_steps(model, optimizer, scheduler, steps, start):
    """Run ``steps`` steps; return the rates, momenta and weights seen (plateau gets a fixed metric)."""
    seen = []
    x = genesis.tensor([[1.0, -2.0, 0.5]])
    for step in range(start, start + steps):
        optimizer.zero_grad()
        model(x).pow(2).sum().backward()
        optimizer.step()
        if isinstance(scheduler, lrs.ReduceLROnPlateau):
            scheduler.step(1.0)  # never improves: the rate drops every patience + 1 steps
        else:
            scheduler.step()
        group = optimizer.param_groups[0]
        seen.append((group["lr"], group.get("momentum"), group.get("betas"), model.weight.detach().numpy().tobytes()))
    return seen


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("scheduler_name", sorted(SCHEDULERS))
def test_schedule_resumes_exactly_from_a_checkpoint(tmp_path, scheduler_name, optimizer_name):
    make_optimizer, make_scheduler = OPTIMIZERS[optimizer_name], SCHEDULERS[scheduler_name]
    model, optimizer, scheduler = build(make_optimizer, make_scheduler)
    train_steps(model, optimizer, scheduler, 3, 0)
    path = tmp_path / "checkpoint.pth"
    save_checkpoint({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "scheduler": scheduler.state_dict()}, path)
    expected = train_steps(model, optimizer, scheduler, 5, 3)

    model, optimizer, scheduler = build(make_optimizer, make_scheduler)
    checkpoint = load_checkpoint(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    assert train_steps(model, optimizer, scheduler, 5, 3) == expected
