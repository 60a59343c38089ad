"""Every ```python block of the spec page (tests/spec/schedulers.zh.md) runs unchanged.

Each block is executed as written, in a fresh namespace that supplies only what the page leaves
undefined (a model it did not build, a data loader, ``train_one_epoch``, ``train_step``, ...), made
of real Genesis objects at small sizes.  Then the numbers the page's text implies are checked
against values computed by hand from its formulas.
"""
import inspect
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import genesis
import genesis.nn as nn
import genesis.optim as optim
from genesis.optim.lr_scheduler import LRScheduler, preview
from genesis.utils.data import DataLoader, TensorDataset

PAGE = Path(__file__).parent / "spec" / "schedulers.zh.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)

# One distinctive line per block: the tests below find their block by it, whatever its position.
KEYS = {
    "signature_lambdalr": "class LambdaLR:",
    "lambdalr_usage": "def lr_lambda(epoch):",
    "signature_cosine": "def get_cosine_schedule_with_warmup(",
    "cosine_usage": "steps_per_epoch = 1000",
    "signature_step": "def step(self, epoch=None):",
    "signature_get_last_lr": "def get_last_lr(self):",
    "signature_state_dict": "def state_dict(self):",
    "signature_load_state_dict": "def load_state_dict(self, state_dict):",
    "exponential": "lr_lambda=lambda epoch: 0.95 ** epoch",
    "step_decay": "def step_decay(epoch):",
    "polynomial": "def poly_decay(",
    "cosine_restart": "def cosine_restart(",
    "training_loop": "for batch_idx, (data, targets) in enumerate(train_loader):",
    "checkpoint": "genesis.save_checkpoint(checkpoint, 'checkpoint.pth')",
    "transformer": "def get_transformer_schedule(",
    "range_test": "def lr_range_test(",
    "migration": "import torch.optim as optim",
}


def block(key):
    (found,) = [b for b in BLOCKS if KEYS[key] in b]
    return found


def run(key, **names):
    """Execute the block unchanged in a namespace holding only ``names``; return the namespace."""
    namespace = dict(names)
    exec(compile(block(key), f"{PAGE.name}:{key}", "exec"), namespace)
    return namespace


def floats(text):
    return [float(x) for x in re.findall(r"\d+\.\d+(?:e-?\d+)?", text)]


def test_every_block_is_covered_exactly_once():
    assert len(BLOCKS) == 17
    for text in BLOCKS:
        assert sum(key in text for key in KEYS.values()) == 1, text[:80]


# --- things the page uses without building them: real Genesis objects, small ------------------------


def regression_data(n=8, features=10, seed=0):
    genesis.manual_seed(seed)
    return genesis.randn(n, features), genesis.randn(n, 1)


def train_one_epoch(model, dataloader, optimizer):
    """One pass of mean-squared-error training; returns the last batch's loss as a float."""
    loss = None
    for x, y in dataloader:
        loss = ((model(x) - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


class LossModel(nn.Module):
    """A model whose forward pass returns the training loss of a batch (the page writes ``loss = model(batch)``)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(10, 1)

    def forward(self, batch):
        x, y = batch
        return ((self.linear(x) - y) ** 2).mean()


def small_optimizer(lr=0.1):
    genesis.manual_seed(0)
    return optim.SGD(nn.Linear(4, 2).parameters(), lr=lr)


def rates_by_stepping(scheduler, epochs):
    out = {}
    for epoch in sorted(epochs):
        while scheduler.last_epoch < epoch:
            scheduler.step()
        out[epoch] = scheduler.get_last_lr()[0]
    return out


def assert_rates(scheduler, expected):
    got = rates_by_stepping(scheduler, expected)
    for epoch, value in expected.items():
        assert got[epoch] == pytest.approx(value, rel=1e-12, abs=1e-18), f"epoch {epoch}"


# --- the signature blocks ----------------------------------------------------------------------------


def _parameters(function):
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]


def test_signature_blocks_exec_and_match_genesis():
    page_lambdalr = run("signature_lambdalr")["LambdaLR"]
    assert _parameters(page_lambdalr.__init__) == _parameters(optim.LambdaLR.__init__)[:5]
    page_cosine = run("signature_cosine")["get_cosine_schedule_with_warmup"]
    ours = _parameters(optim.get_cosine_schedule_with_warmup)
    assert [name for name, _ in _parameters(page_cosine)] == [name for name, _ in ours[:3]]
    for key, method in [
        ("signature_step", LRScheduler.step),
        ("signature_get_last_lr", LRScheduler.get_last_lr),
        ("signature_state_dict", LRScheduler.state_dict),
        ("signature_load_state_dict", LRScheduler.load_state_dict),
    ]:
        (page_function,) = [v for k, v in run(key).items() if not k.startswith("__")]
        page = _parameters(page_function)  # Genesis may add keyword arguments after the page's
        assert page == _parameters(method)[:len(page)]


# --- LambdaLR usage: 0.95 every 10 epochs ---------------------------------------------------------------


def test_lambdalr_usage(capsys):
    x, y = regression_data()
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    ns = run("lambdalr_usage", train_one_epoch=train_one_epoch, dataloader=loader)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 100
    for epoch, line in enumerate(lines):
        assert line.startswith(f"轮次 {epoch}: lr=[")
        (rate,) = floats(line)
        assert rate == pytest.approx(0.001 * 0.95 ** ((epoch + 1) // 10), rel=1e-12)
    assert ns["scheduler"].get_last_lr()[0] == pytest.approx(0.001 * 0.95**10, rel=1e-12)
    assert ns["optimizer"].param_groups[0]["lr"] == ns["scheduler"].get_last_lr()[0]


# --- cosine with warmup ------------------------------------------------------------------------------------


def test_cosine_usage(capsys):
    x, y = regression_data(n=6)
    loader = DataLoader(TensorDataset(x, y), batch_size=2)  # 3 batches: 100 epochs make 300 steps
    genesis.manual_seed(1)
    ns = run("cosine_usage", model=LossModel(), dataloader=loader)
    out = capsys.readouterr().out
    # warmup 10,000 of 100,000 steps at 5e-4: step k of warmup has rate 5e-4 * k / 10,000
    assert out.splitlines() == ["步骤 100: lr=0.000005", "步骤 200: lr=0.000010", "步骤 300: lr=0.000015"]
    scheduler, base = ns["scheduler"], 5e-4
    assert scheduler.last_epoch == 300
    factor = scheduler.lr_lambdas[0]
    assert factor(0) == 0.0  # 0 at step 0
    ahead = preview(scheduler, 100_000 - 300)  # row i is step 301 + i
    at = {step: ahead[step - 301, 0] for step in (10_000, 55_000, 100_000)}
    assert at[10_000] == pytest.approx(base, rel=1e-12)  # the base rate at the end of warmup
    assert at[55_000] == pytest.approx(base / 2, rel=1e-12)  # half in the middle of the decay
    assert at[100_000] == pytest.approx(0.0, abs=1e-18)  # 0 at the end
    assert np.argmax(ahead[:, 0]) == 10_000 - 301


# --- the patterns --------------------------------------------------------------------------------------------


def test_exponential_pattern():
    ns = run("exponential", optim=optim, optimizer=small_optimizer())
    assert_rates(ns["scheduler"], {0: 0.1, 1: 0.095, 10: 0.1 * 0.95**10, 50: 0.1 * 0.95**50})


def test_step_decay_pattern():
    ns = run("step_decay", optim=optim, optimizer=small_optimizer())
    assert_rates(ns["scheduler"], {0: 0.1, 29: 0.1, 30: 0.05, 59: 0.05, 60: 0.025, 90: 0.0125})


def test_polynomial_pattern():
    ns = run("polynomial", optim=optim, optimizer=small_optimizer())
    # (the page's poly_decay is defined up to total_epochs=100 only: past it the base goes negative)
    assert_rates(ns["scheduler"], {0: 0.1, 50: 0.1 * 0.5**0.9, 99: 0.1 * 0.01**0.9, 100: 0.0})


def test_cosine_restart_pattern():
    ns = run("cosine_restart", optim=optim, optimizer=small_optimizer())
    scheduler = ns["scheduler"]
    ahead = preview(scheduler, 120)
    expected = {0: 0.1, 25: 0.05, 49: 0.1 * 0.5 * (1 + math.cos(math.pi * 49 / 50)), 50: 0.1, 75: 0.05, 100: 0.1}
    assert_rates(scheduler, expected)
    np.testing.assert_allclose(ahead[[24, 49, 74, 99], 0], [0.05, 0.1, 0.05, 0.1], rtol=1e-12)


# --- the basic training loop -----------------------------------------------------------------------------------


def test_training_loop(capsys):
    genesis.manual_seed(0)
    data = genesis.randn(48, 784)
    targets = genesis.randint(0, 10, (48,))
    loader = DataLoader(TensorDataset(data, targets), batch_size=16)  # 3 batches per epoch
    ns = run("training_loop", num_epochs=2, train_loader=loader)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2  # batch_idx % 100 == 0: the first batch of each epoch
    # printed after scheduler.step(): epoch 0 is step 1, epoch 1 is step 4; warmup 1000 at 1e-3
    for line, epoch, step in zip(lines, (0, 1), (1, 4)):
        assert line.startswith(f"轮次: {epoch}, 批次: 0, LR: {0.001 * step / 1000:.6f}, 损失: ")
        assert math.isfinite(floats(line.split("损失: ")[1])[0])
    assert ns["scheduler"].get_last_lr()[0] == pytest.approx(0.001 * 6 / 1000, rel=1e-12)
    assert isinstance(ns["model"], nn.Sequential)


# --- checkpoints ----------------------------------------------------------------------------------------------------


def _checkpoint_setup(seed):
    genesis.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    optimizer = optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = optim.get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=5, num_training_steps=50)
    return model, optimizer, scheduler


def _train(model, optimizer, scheduler, steps, seed):
    genesis.manual_seed(seed)
    x, y = genesis.randn(16, 4), genesis.randint(0, 3, (16,))
    loss = None
    for _ in range(steps):
        loss = nn.CrossEntropyLoss()(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    return loss


def test_checkpoint_round_trip_and_resume(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model, optimizer, scheduler = _checkpoint_setup(seed=0)
    loss = _train(model, optimizer, scheduler, steps=7, seed=1)
    saved_state = scheduler.state_dict()
    ns = run("checkpoint", model=model, optimizer=optimizer, scheduler=scheduler, epoch=3, loss=loss)
    assert (tmp_path / "checkpoint.pth").is_file()
    assert ns["checkpoint"]["epoch"] == 3
    assert float(ns["checkpoint"]["loss"]) == pytest.approx(loss.item(), rel=1e-6)
    assert scheduler.state_dict() == saved_state

    # Resume in fresh objects from the file the page wrote; continue both runs identically.
    fresh_model, fresh_optimizer, fresh_scheduler = _checkpoint_setup(seed=99)
    checkpoint = genesis.load_checkpoint("checkpoint.pth")
    fresh_model.load_state_dict(checkpoint["model_state_dict"])
    fresh_optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    fresh_scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
    assert fresh_scheduler.get_last_lr() == scheduler.get_last_lr()
    _train(model, optimizer, scheduler, steps=1, seed=2)
    _train(fresh_model, fresh_optimizer, fresh_scheduler, steps=1, seed=2)
    expected = 1e-3 * 0.5 * (1 + math.cos(math.pi * (8 - 5) / 45))  # step 8: decay progress 3/45
    assert fresh_scheduler.get_last_lr()[0] == pytest.approx(expected, rel=1e-12)
    assert scheduler.get_last_lr()[0] == fresh_scheduler.get_last_lr()[0]
    for a, b in zip(model.parameters(), fresh_model.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


# --- the Transformer (Noam) schedule ------------------------------------------------------------------------------


def test_transformer_schedule():
    optimizer = small_optimizer(lr=1.0)
    ns = run("transformer", optim=optim, optimizer=optimizer)
    scheduler = ns["scheduler"]
    assert scheduler.get_last_lr()[0] == 0.0  # 0 at step 0
    ahead = preview(scheduler, 8000)  # row i is step i + 1
    assert np.argmax(ahead[:, 0]) == 4000 - 1  # the peak is at the end of warmup
    assert ahead[0, 0] == pytest.approx(1 * 4000**-1.5 * 512**-0.5, rel=1e-12)
    assert ahead[3999, 0] == pytest.approx(4000**-0.5 * 512**-0.5, rel=1e-12)
    assert ahead[7999, 0] == pytest.approx(8000**-0.5 * 512**-0.5, rel=1e-12)
    assert_rates(scheduler, {1: 4000**-1.5 * 512**-0.5, 100: 100 * 4000**-1.5 * 512**-0.5})


# --- the LR range test -------------------------------------------------------------------------------------------------


def test_lr_range_test():
    genesis.manual_seed(0)
    model = nn.Linear(3, 1)
    x = genesis.randn(32, 3)
    batch = (x, x @ genesis.tensor([[1.0], [-2.0], [0.5]]) + 0.1)

    def train_step(model, batch):
        inputs, targets = batch
        loss = ((model(inputs) - targets) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    optimizer = optim.SGD(model.parameters(), lr=1e-7)  # the base rate is the range's start_lr
    ns = run("range_test", optim=optim, train_step=train_step, batch=batch)
    lrs, losses = ns["lr_range_test"](model, optimizer)
    rates = [r[0] for r in lrs]
    assert rates[0] == pytest.approx(1e-7, rel=1e-12)
    growth = (10 / 1e-7) ** (1 / 100)
    np.testing.assert_allclose(np.array(rates[1:]) / np.array(rates[:-1]), growth, rtol=1e-9)
    # it stopped early, at the first loss above 4x the best so far, and not before
    assert len(losses) < 100
    assert losses[-1] > 4 * min(losses)
    assert all(loss <= 4 * min(losses[: i + 1]) for i, loss in enumerate(losses[:-1]))
    assert all(math.isfinite(loss) for loss in losses)


# --- migrating from PyTorch --------------------------------------------------------------------------------------------


def test_migration_block_equals_cosine_annealing():
    # The block first builds PyTorch's CosineAnnealingLR, which accepts only a PyTorch optimizer;
    # Genesis's LambdaLR then drives that same optimizer.
    t_opt = torch.optim.SGD([torch.zeros(3, requires_grad=True)], lr=0.1)
    ns = run("migration", optimizer=t_opt, math=math)
    scheduler = ns["scheduler"]
    assert type(scheduler) is optim.LambdaLR

    genesis_cosine = optim.lr_scheduler.CosineAnnealingLR(small_optimizer(lr=0.1), T_max=100)
    torch_cosine = torch.optim.lr_scheduler.CosineAnnealingLR(
        torch.optim.SGD([torch.zeros(3, requires_grad=True)], lr=0.1), T_max=100
    )
    for epoch in range(101):
        ours = scheduler.get_last_lr()[0]
        assert ours == pytest.approx(genesis_cosine.get_last_lr()[0], rel=1e-9, abs=1e-15), epoch
        assert ours == pytest.approx(torch_cosine.get_last_lr()[0], rel=1e-9, abs=1e-15), epoch
        scheduler.step()
        genesis_cosine.step()
        torch_cosine.optimizer.step()
        torch_cosine.step()


def test_get_last_lr_formats_as_a_number():
    scheduler = optim.get_cosine_schedule_with_warmup(small_optimizer(lr=5e-4), 10, 100)
    scheduler.step()
    assert f"{scheduler.get_last_lr():.6f}" == "0.000050"
