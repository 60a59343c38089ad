"""``genesis.optim.LRFinder``: the LR range test.

Truths: torch-lr-finder's ramp formulas (and PyTorch's LambdaLR stepping the same ramp), hand
recurrences for the smoothing, closed-form stopping iterations for losses that are known
functions of the rate, hand-computed gradients for the suggestion, and bit-for-bit copies taken
before the test for the restore.
"""
import copy
import doctest
import math
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import genesis  # noqa: E402
import genesis.nn as nn  # noqa: E402
import genesis.optim as optim  # noqa: E402
from genesis.optim import LRFinder  # noqa: E402
from genesis.utils.data import DataLoader, TensorDataset  # noqa: E402

LR_FINDER_MODULE = sys.modules["genesis.optim.lr_finder"]


# --- a probe whose loss is a known function of the rate ------------------------------------------


class Probe(nn.Module):
    """One parameter that never moves (its gradient is 0); returns its input."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(genesis.zeros(1))

    def forward(self, x):
        return x + self.w * 0


class LossOfRate:
    """A criterion whose loss is ``fn(rate of group 0, call number)``; it records every call."""

    def __init__(self, optimizer, fn):
        self.optimizer, self.fn = optimizer, fn
        self.rates, self.inputs, self.modes, self.grad_modes = [], [], [], []

    def __call__(self, outputs, targets):
        self.rates.append([group["lr"] for group in self.optimizer.param_groups])
        self.inputs.append(float(outputs.detach().numpy().ravel()[0]))
        self.grad_modes.append(genesis.is_grad_enabled())
        return (outputs * 0).sum() + self.fn(self.rates[-1][0], len(self.rates) - 1)


def probe_finder(fn, lr=1e-3, groups=1):
    """A finder on a Probe, SGD at ``lr`` (group i at ``lr * 100**i``), loss ``fn(lr, call)``."""
    model = Probe()
    params = [model.w] + [nn.Parameter(genesis.zeros(1)) for _ in range(groups - 1)]
    optimizer = optim.SGD([{"params": [p], "lr": lr * 100**i} for i, p in enumerate(params)])
    criterion = LossOfRate(optimizer, fn)
    return LRFinder(model, optimizer, criterion), criterion


ONE_BATCH = [(genesis.zeros(2, 1), genesis.zeros(2, 1))]
CONSTANT = lambda lr, call: 1.0  # noqa: E731


# --- the ramp ------------------------------------------------------------------------------------


def test_exp_ramp_is_torch_lr_finders_formula_and_the_rate_each_step_used():
    finder, criterion = probe_finder(CONSTANT, lr=1e-6)
    finder.range_test(ONE_BATCH, end_lr=1, num_iter=37, smooth_f=0, progress=False)
    # torch-lr-finder's ExponentialLR: base_lr * (end_lr / base_lr) ** (step / (num_iter - 1))
    expected = [1e-6 * (1 / 1e-6) ** (step / 36) for step in range(37)]
    np.testing.assert_allclose(finder.history["lr"], expected, rtol=1e-12, atol=0)
    assert finder.history["lr"][-1] == pytest.approx(1.0, rel=1e-12)
    # the recorded rate is the one the optimizer held while the loss of that step was computed
    assert [rates[0] for rates in criterion.rates] == finder.history["lr"]
    assert all(type(lr) is float for lr in finder.history["lr"])


def test_exp_ramp_equals_pytorch_lambdalr_stepping_the_same_ramp():
    finder, _ = probe_finder(CONSTANT, lr=1e-4)
    finder.range_test(ONE_BATCH, end_lr=10, num_iter=20, smooth_f=0, progress=False)
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-4)
    t_sched = torch.optim.lr_scheduler.LambdaLR(t_opt, lambda step: (10 / 1e-4) ** (step / 19))
    t_rates = []
    for _ in range(20):
        t_rates.append(t_sched.get_last_lr()[0])
        t_opt.step()
        t_sched.step()
    np.testing.assert_allclose(finder.history["lr"], t_rates, rtol=1e-12, atol=0)


def test_linear_ramp_hand_values():
    finder, _ = probe_finder(CONSTANT, lr=0.5)
    finder.range_test(ONE_BATCH, start_lr=0.01, end_lr=1, num_iter=5, step_mode="linear",
                      smooth_f=0, progress=False)
    np.testing.assert_allclose(finder.history["lr"], [0.01, 0.2575, 0.505, 0.7525, 1.0],
                               rtol=1e-14, atol=0)


def test_each_group_ramps_from_its_own_rate_or_its_start_lr_and_gets_it_back():
    finder, criterion = probe_finder(CONSTANT, lr=1e-4, groups=2)  # group rates 1e-4, 1e-2
    finder.range_test(ONE_BATCH, end_lr=1, num_iter=3, smooth_f=0, progress=False)
    np.testing.assert_allclose(criterion.rates, [[1e-4, 1e-2], [1e-2, 1e-1], [1, 1]], rtol=1e-12)
    np.testing.assert_allclose(finder.history["lr"], [1e-4, 1e-2, 1], rtol=1e-12)
    assert [g["lr"] for g in finder.optimizer.param_groups] == [1e-4, 1e-2]

    criterion.rates.clear()
    finder.range_test(ONE_BATCH, start_lr=[1e-3, 0.25], end_lr=4, num_iter=3, smooth_f=0,
                      progress=False)
    np.testing.assert_allclose(criterion.rates, [[1e-3, 0.25], [4e-3 ** 0.5, 1], [4, 4]],
                               rtol=1e-12)
    assert [g["lr"] for g in finder.optimizer.param_groups] == [1e-4, 1e-2]


# --- smoothing and stopping ----------------------------------------------------------------------

RAW = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]


def test_smoothing_equals_the_hand_recurrence():
    finder, _ = probe_finder(lambda lr, call: RAW[call])
    finder.range_test(ONE_BATCH, end_lr=1, num_iter=8, smooth_f=0.3, progress=False)
    # s_0 = 3; s_i = 0.3 * raw_i + 0.7 * s_{i-1}, worked by hand
    hand = [3.0, 2.4, 2.88, 2.316, 3.1212, 4.88484, 4.019388, 4.6135716]
    np.testing.assert_allclose(finder.history["loss"], hand, rtol=1e-12)
    assert finder.best_loss == pytest.approx(2.316, rel=1e-12)


def test_smooth_f_zero_records_the_raw_losses():
    finder, _ = probe_finder(lambda lr, call: RAW[call])
    finder.range_test(ONE_BATCH, end_lr=1, num_iter=8, smooth_f=0, diverge_th=10, progress=False)
    assert finder.history["loss"] == RAW
    assert finder.best_loss == 1.0


def test_divergence_stops_at_the_closed_form_iteration():
    # loss = lr on 1e-3 .. 1e3 in 61 steps: lr_i = 10**(-3 + i/10); best = 1e-3 (the first);
    # stop at the first lr_i > 5e-3, i.e. i > 10 * log10(5) = 6.99: i = 7, recorded.
    finder, criterion = probe_finder(lambda lr, call: lr)
    finder.range_test(ONE_BATCH, end_lr=1e3, num_iter=61, smooth_f=0, diverge_th=5,
                      progress=False)
    assert len(finder.history["lr"]) == len(criterion.rates) == 8
    assert finder.history["lr"][-1] == pytest.approx(10**-2.3, rel=1e-12)
    # with diverge_th=2.6, 10**(i/10) > 2.6 first at i = 5 (10**0.4 = 2.51, 10**0.5 = 3.16)
    finder.range_test(ONE_BATCH, end_lr=1e3, num_iter=61, smooth_f=0, diverge_th=2.6,
                      progress=False)
    assert len(finder.history["loss"]) == 6


def test_divergence_is_judged_on_the_smoothed_loss():
    # raw losses 1, 1, 1, 100, 100, ...; smoothed with 0.05: 1, 1, 1, 5.95 > 5 x 1: stops at i = 3
    finder, _ = probe_finder(lambda lr, call: 1.0 if call < 3 else 100.0)
    finder.range_test(ONE_BATCH, end_lr=1, num_iter=20, smooth_f=0.05, progress=False)
    np.testing.assert_allclose(finder.history["loss"], [1, 1, 1, 5.95], rtol=1e-12)
    # with diverge_th=10: 5.95, then 0.05 * 100 + 0.95 * 5.95 = 10.6525 > 10 stops at i = 4
    finder, _ = probe_finder(lambda lr, call: 1.0 if call < 3 else 100.0)
    finder.range_test(ONE_BATCH, end_lr=1, num_iter=20, smooth_f=0.05, diverge_th=10,
                      progress=False)
    np.testing.assert_allclose(finder.history["loss"], [1, 1, 1, 5.95, 10.6525], rtol=1e-12)


def test_a_negative_best_loss_gets_the_same_margin_above_it():
    # best -2, diverge_th 3: stop above -2 + 2 * |-2| = 2, i.e. at the first raw 2.5 (smooth_f=0)
    finder, _ = probe_finder(lambda lr, call: [-1.0, -2.0, 1.5, 2.0, 2.5, 0.0][call])
    finder.range_test(ONE_BATCH, end_lr=1, num_iter=6, smooth_f=0, diverge_th=3, progress=False)
    assert finder.history["loss"] == [-1.0, -2.0, 1.5, 2.0, 2.5]


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_non_finite_loss_stops_the_test_unrecorded(bad):
    # lr_i = 10**(-3 + i/10): the loss turns bad at i = 20 (lr = 0.1 > 0.095)
    finder, criterion = probe_finder(lambda lr, call: 1.0 if lr < 0.095 else bad)
    finder.range_test(ONE_BATCH, end_lr=10, num_iter=41, smooth_f=0.05, progress=False)
    assert len(criterion.rates) == 21
    assert finder.history["loss"] == [1.0] * 20
    assert finder.history["lr"][-1] == pytest.approx(10**-1.1, rel=1e-12)


# --- the suggestion ------------------------------------------------------------------------------


def test_suggestion_hand_computed_gradient():
    finder, _ = probe_finder(CONSTANT)
    finder.history = {"lr": [1.0, 10.0, 100.0, 1000.0, 10000.0], "loss": [5.0, 4.0, 1.0, 0.5, 3.0]}
    # d loss / d ln(lr), h = ln 10: ends one-sided, inside central:
    # [-1/h, (1 - 5)/2h = -2/h, (0.5 - 4)/2h = -1.75/h, (3 - 1)/2h = 1/h, 2.5/h] -> index 1
    assert finder.suggestion(skip_start=0, skip_end=0) == 10.0
    # skipping the first two: [1, 0.5, 3] -> [-0.5/h, 1/h, 2.5/h] -> index 0, lr 100
    assert finder.suggestion(skip_start=2, skip_end=0) == 100.0
    # skipping the last three: [5, 4] -> [-1/h, -1/h] -> a tie goes to the first
    assert finder.suggestion(skip_start=0, skip_end=3) == 1.0


def test_suggestion_lands_on_the_steepest_point_of_a_u_shaped_curve():
    # loss = 2 - tanh(ln(lr / 1e-2)) + 0.5 * log10(lr)**2 above lr = 1: falls fastest at
    # lr = 1e-2 (the tanh's inflection), which is point 30 of the ramp 1e-5 .. 10 in 61 steps.
    def u_shape(lr, call):
        return 2 - math.tanh(math.log(lr / 1e-2)) + 0.5 * max(0.0, math.log10(lr)) ** 2

    finder, _ = probe_finder(u_shape, lr=1e-5)
    finder.range_test(ONE_BATCH, end_lr=10, num_iter=61, smooth_f=0, progress=False)
    assert len(finder.history["lr"]) == 61  # no divergence: the loss stays under 5 x its best
    assert finder.suggestion() == pytest.approx(1e-2, rel=1e-9)
    # torch-lr-finder's rule (argmin of np.gradient over the index) agrees on an exp ramp
    lrs, losses = finder.history["lr"][10:-5], finder.history["loss"][10:-5]
    assert finder.suggestion() == lrs[int(np.argmin(np.gradient(losses)))]
    # skipping past the inflection moves the suggestion to the first point kept (lr 10**-1.5)
    assert finder.suggestion(skip_start=35) == pytest.approx(10**-1.5, rel=1e-9)


def test_suggestion_errors():
    finder, _ = probe_finder(CONSTANT)
    with pytest.raises(RuntimeError, match="call range_test"):
        finder.suggestion()
    finder.range_test(ONE_BATCH, end_lr=1, num_iter=16, progress=False)
    with pytest.raises(ValueError, match=r"at least 2 points.*skip_start=10 and skip_end=5.*16"):
        finder.suggestion()
    with pytest.raises(ValueError, match="skip_start must be an int >= 0, got -1"):
        finder.suggestion(skip_start=-1)
    with pytest.raises(ValueError, match="skip_end must be an int >= 0, got 1.5"):
        finder.suggestion(skip_end=1.5)
    assert finder.suggestion(skip_start=10, skip_end=4) > 0  # exactly 2 points left


# --- argument errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, error, message", [
    ({"num_iter": 1}, ValueError, "num_iter must be an int >= 2, got 1"),
    ({"num_iter": 10.0}, ValueError, "num_iter must be an int >= 2, got 10.0"),
    ({"step_mode": "cos"}, ValueError, r"step_mode must be one of \('exp', 'linear'\), got 'cos'"),
    ({"end_lr": 1e-4}, ValueError, "end_lr must be greater than start_lr .*default.*got "
                                   "end_lr=0.0001 <= 0.001"),
    ({"start_lr": 0.5, "end_lr": 0.5}, ValueError, "end_lr must be greater than start_lr, got "
                                                   "end_lr=0.5 <= 0.5"),
    ({"end_lr": "10"}, TypeError, "end_lr must be a real number, got '10'"),
    ({"end_lr": math.inf}, ValueError, "end_lr must be a positive finite number, got inf"),
    ({"start_lr": 0.0}, ValueError, "start_lr must be a positive finite number, got 0.0"),
    ({"start_lr": -1e-3}, ValueError, "start_lr must be a positive finite number, got -0.001"),
    ({"start_lr": [1e-3, 1e-2]}, ValueError, "start_lr has 2 values, but the optimizer has 1"),
    ({"start_lr": [math.nan]}, ValueError, r"start_lr\[0\] must be a positive finite number"),
    ({"smooth_f": 1}, ValueError, r"smooth_f must be in \[0, 1\), got 1"),
    ({"smooth_f": -0.1}, ValueError, r"smooth_f must be in \[0, 1\), got -0.1"),
    ({"smooth_f": None}, TypeError, "smooth_f must be a real number, got None"),
    ({"diverge_th": 1}, ValueError, "diverge_th must be > 1 .*got 1"),
    ({"diverge_th": 0.5}, ValueError, "diverge_th must be > 1 .*got 0.5"),
    ({"train_loader": 5}, TypeError, "train_loader must be an iterable .*got int"),
    ({"val_loader": 5}, TypeError, "val_loader must be None or an iterable .*got int"),
])
def test_range_test_argument_errors_leave_everything_untouched(kwargs, error, message):
    finder, criterion = probe_finder(CONSTANT, lr=1e-3)
    kwargs = {"train_loader": ONE_BATCH, "progress": False, **kwargs}
    with pytest.raises(error, match=message):
        finder.range_test(**kwargs)
    assert criterion.rates == []
    assert finder.optimizer.param_groups[0]["lr"] == 1e-3


def test_constructor_argument_errors():
    model = Probe()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="model must be a genesis.nn.Module, got function"):
        LRFinder(lambda x: x, opt, nn.MSELoss())
    with pytest.raises(TypeError, match="optimizer must be a genesis.optim optimizer.*got list"):
        LRFinder(model, [0.1], nn.MSELoss())
    with pytest.raises(TypeError, match="criterion must be callable.*got str"):
        LRFinder(model, opt, "mse")


# --- loaders -------------------------------------------------------------------------------------


def batches(*values):
    return [(genesis.full((1, 1), float(v)), genesis.zeros(1, 1)) for v in values]


def test_the_train_loader_restarts_when_it_runs_out():
    finder, criterion = probe_finder(CONSTANT)
    finder.range_test(batches(0, 1, 2), end_lr=1, num_iter=7, progress=False)
    assert criterion.inputs == [0, 1, 2, 0, 1, 2, 0]


def test_accumulating_two_half_batches_equals_one_full_batch():
    genesis.manual_seed(4)
    x = genesis.randn(32, 5)
    y = x @ genesis.randn(5, 1)
    halves, whole = [(x[:16], y[:16]), (x[16:], y[16:])], [(x, y)]
    histories = []
    for loader, steps in ((halves, 2), (whole, 1)):
        genesis.manual_seed(5)
        model = nn.Linear(5, 1)
        finder = LRFinder(model, optim.SGD(model.parameters(), lr=1e-3), nn.MSELoss())
        finder.range_test(loader, end_lr=1, num_iter=30, accumulation_steps=steps,
                          smooth_f=0, progress=False)
        histories.append(finder.history)
    assert histories[0]["lr"] == histories[1]["lr"]
    # the mean of two half-batch means is the full-batch mean (and so are the gradients, SGD
    # being sensitive to their scale); only float32 rounding differs
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-5)
    assert histories[0]["loss"][-1] < 0.5 * histories[0]["loss"][0]  # it did train


def test_accumulation_takes_the_next_batches_in_turn():
    finder, criterion = probe_finder(CONSTANT)
    finder.range_test(batches(0, 1, 2), end_lr=1, num_iter=4, accumulation_steps=2,
                      progress=False)
    assert criterion.inputs == [0, 1, 2, 0, 1, 2, 0, 1]
    assert [rates[0] for rates in criterion.rates[::2]] == finder.history["lr"]
    with pytest.raises(ValueError, match="accumulation_steps must be an int >= 1, got 0"):
        finder.range_test(ONE_BATCH, accumulation_steps=0, progress=False)


def test_loader_errors():
    finder, criterion = probe_finder(CONSTANT)
    with pytest.raises(ValueError, match="ran out .*not an iterator"):
        finder.range_test(iter(batches(0, 1, 2)), end_lr=1, num_iter=5, progress=False)
    assert criterion.inputs == [0, 1, 2]
    with pytest.raises(ValueError, match="train_loader yielded no batches"):
        finder.range_test([], end_lr=1, num_iter=5, progress=False)
    with pytest.raises(TypeError, match=r"train_loader must yield \(inputs, targets\) batches, "
                                        "got a Tensor"):
        finder.range_test([genesis.zeros(1, 1)], end_lr=1, num_iter=5, progress=False)
    with pytest.raises(ValueError, match="val_loader yielded no samples"):
        finder.range_test(ONE_BATCH, end_lr=1, num_iter=5, val_loader=[], progress=False)
    with pytest.raises(TypeError, match="criterion must return a one-element Tensor, got str"):
        LRFinder(Probe(), finder.optimizer, lambda out, t: "loss").range_test(
            ONE_BATCH, end_lr=1, num_iter=5, progress=False)


def test_val_loader_loss_is_the_size_weighted_mean_in_eval_mode_without_grad():
    model = Probe()
    optimizer = optim.SGD(model.parameters(), lr=1e-3)

    def mean_output(outputs, targets):
        modes.append((model.training, genesis.is_grad_enabled()))
        return outputs.mean()

    modes = []
    val_x = np.array([[1.0], [2.0], [6.0], [-3.0]], dtype=np.float32)
    val = [(genesis.tensor(val_x[:3]), genesis.zeros(3)),
           (genesis.tensor(val_x[3:]), genesis.zeros(1))]
    model.eval()
    finder = LRFinder(model, optimizer, mean_output)
    finder.range_test(batches(7), end_lr=1, num_iter=4, val_loader=val, progress=False)
    # the parameter does not move (zero gradient), so every validation gives mean(val_x) = 1.5
    np.testing.assert_allclose(finder.history["loss"], [val_x.mean()] * 4, rtol=1e-6)
    assert modes == [(True, True), (False, False), (False, False)] * 4
    assert model.training is False  # the mode from before the test


# --- restoring the model, the optimizer and the RNG ----------------------------------------------


def mlp():
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.25), nn.Linear(16, 3))


def classification_loader(seed=0, n=96, batch_size=16):
    genesis.manual_seed(seed)
    x = genesis.randn(n, 6)
    y = (x @ genesis.randn(6, 3)).argmax(dim=1)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)


def make_optimizer(name, params):
    if name == "SGD":
        return optim.SGD(params, lr=1e-3, momentum=0.9, weight_decay=1e-4)
    if name == "Adam":
        return optim.Adam(params, lr=1e-3)
    return optim.AdamW(params, lr=1e-3, amsgrad=True)


def train(model, optimizer, loader, steps):
    criterion = nn.CrossEntropyLoss()
    done = 0
    while done < steps:
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
            done += 1
            if done == steps:
                return


def exact_copy(model, optimizer):
    """Everything the finder must restore, as independent arrays and plain values."""
    def plain(value):
        if isinstance(value, genesis.Tensor):
            return value.detach().numpy().copy()
        return copy.deepcopy(value)

    state = optimizer.state_dict()
    return {
        "params": [(p.detach().numpy().copy(), None if p.grad is None else p.grad.numpy().copy())
                   for p in model.parameters()],
        "modes": [m.training for m in model.modules()],
        "opt_state": {i: {k: plain(v) for k, v in s.items()} for i, s in state["state"].items()},
        "groups": copy.deepcopy(state["param_groups"]),
        "rng": genesis.get_rng_state(),
    }


def assert_bit_identical(a, b):
    assert a["modes"] == b["modes"]
    assert a["groups"] == b["groups"]
    assert a["rng"] == b["rng"]
    for (pa, ga), (pb, gb) in zip(a["params"], b["params"], strict=True):
        assert pa.dtype == pb.dtype and pa.tobytes() == pb.tobytes()
        assert (ga is None) == (gb is None)
        if ga is not None:
            assert ga.dtype == gb.dtype and ga.tobytes() == gb.tobytes()
    assert a["opt_state"].keys() == b["opt_state"].keys()
    for index, state in a["opt_state"].items():
        assert state.keys() == b["opt_state"][index].keys()
        for key, value in state.items():
            other = b["opt_state"][index][key]
            assert type(value) is type(other)
            if isinstance(value, np.ndarray):
                assert value.dtype == other.dtype and value.tobytes() == other.tobytes(), key
            else:
                assert value == other, key


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_range_test_restores_everything_bit_for_bit(name):
    loader = classification_loader()
    model = mlp()
    optimizer = make_optimizer(name, model.parameters())
    train(model, optimizer, loader, 3)  # momentum / moments exist; the last gradients stay
    model[2].eval()  # mixed modes must come back as they were
    before = exact_copy(model, optimizer)
    params = list(model.parameters())
    finder = LRFinder(model, optimizer, nn.CrossEntropyLoss())
    finder.range_test(loader, end_lr=1e3, num_iter=40, progress=False)
    assert 2 < len(finder.history["lr"]) < 40  # it trained, then diverged
    assert_bit_identical(before, exact_copy(model, optimizer))
    assert list(model.parameters()) == params  # the same tensors, restored in place
    assert [p for g in optimizer.param_groups for p in g["params"]] == params


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_training_after_the_test_is_identical_to_training_without_it(name):
    # Dropout masks and the shuffling DataLoader both draw from the global RNG: it is rewound too.
    runs = []
    for run_finder in (False, True):
        loader = classification_loader(seed=1)
        model = mlp()
        optimizer = make_optimizer(name, model.parameters())
        if run_finder:
            LRFinder(model, optimizer, nn.CrossEntropyLoss()).range_test(
                loader, end_lr=10, num_iter=20, progress=False)
        train(model, optimizer, loader, 8)
        runs.append(exact_copy(model, optimizer))
    assert_bit_identical(*runs)


def test_a_scheduler_attached_before_the_test_keeps_its_schedule():
    rates = {False: [], True: []}
    for run_finder in (False, True):
        loader = classification_loader(seed=1)
        model = mlp()
        optimizer = make_optimizer("SGD", model.parameters())
        scheduler = optim.CosineAnnealingLR(optimizer, T_max=10, eta_min=1e-5)
        train(model, optimizer, loader, 1)
        scheduler.step()
        if run_finder:
            LRFinder(model, optimizer, nn.CrossEntropyLoss()).range_test(
                loader, end_lr=10, num_iter=20, progress=False)
        for _ in range(4):
            train(model, optimizer, loader, 1)
            scheduler.step()
            rates[run_finder].append(optimizer.param_groups[0]["lr"])
    assert rates[True] == rates[False]
    # CosineAnnealingLR's closed form at epoch 5 of 10
    assert rates[False][-1] == pytest.approx(1e-5 + (1e-3 - 1e-5) * (1 + math.cos(math.pi / 2)) / 2)


def test_a_failing_test_restores_everything_and_keeps_the_history():
    loader = classification_loader()
    model = mlp()
    optimizer = make_optimizer("Adam", model.parameters())
    train(model, optimizer, loader, 2)
    before = exact_copy(model, optimizer)
    loss_fn = nn.CrossEntropyLoss()

    def failing(outputs, targets):
        if failing.calls == 4:
            raise KeyboardInterrupt
        failing.calls += 1
        return loss_fn(outputs, targets)

    failing.calls = 0
    finder = LRFinder(model, optimizer, failing)
    with pytest.raises(KeyboardInterrupt):
        finder.range_test(loader, end_lr=10, num_iter=20, progress=False)
    assert len(finder.history["lr"]) == 4
    assert_bit_identical(before, exact_copy(model, optimizer))


def test_reset_restores_the_state_at_construction():
    loader = classification_loader()
    model = mlp()
    optimizer = make_optimizer("SGD", model.parameters())
    before = exact_copy(model, optimizer)
    finder = LRFinder(model, optimizer, nn.CrossEntropyLoss())
    train(model, optimizer, loader, 3)
    optimizer.param_groups[0]["lr"] = 0.5
    assert exact_copy(model, optimizer)["opt_state"] != {}
    finder.reset()
    assert_bit_identical(before, exact_copy(model, optimizer))


# --- a real run ----------------------------------------------------------------------------------


def test_a_real_run_suggests_a_rate_that_trains_well():
    loader = classification_loader(seed=2, n=256, batch_size=32)
    genesis.manual_seed(3)
    model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 3))
    optimizer = optim.SGD(model.parameters(), lr=1e-5)
    finder = LRFinder(model, optimizer, nn.CrossEntropyLoss())
    finder.range_test(loader, end_lr=100, num_iter=100, progress=False)
    assert len(finder.history["lr"]) < 100  # SGD at rates near 100 blows up
    suggestion = finder.suggestion()
    assert 1e-3 < suggestion < 10

    def loss_after_training(lr):
        trained = copy.deepcopy(model)
        train(trained, optim.SGD(trained.parameters(), lr=lr), loader, 40)
        x, y = loader.dataset.tensors
        with genesis.no_grad():
            return nn.CrossEntropyLoss()(trained(x), y).item()

    # the suggested rate trains far better than the range's start and than its end
    assert loss_after_training(suggestion) < 0.8 * loss_after_training(1e-5)
    assert loss_after_training(suggestion) < loss_after_training(finder.history["lr"][-1])


# --- plot, progress, docs ------------------------------------------------------------------------


def test_plot_draws_the_trimmed_curve_and_marks_the_suggestion(tmp_path):
    finder, _ = probe_finder(lambda lr, call: 2 - math.tanh(math.log(lr / 1e-2)), lr=1e-5)
    finder.range_test(ONE_BATCH, end_lr=10, num_iter=61, smooth_f=0, progress=False)
    ax = finder.plot()
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), finder.history["lr"][10:-5])
    np.testing.assert_array_equal(line.get_ydata(), finder.history["loss"][10:-5])
    assert ax.get_xscale() == "log"
    (marker,) = ax.collections
    np.testing.assert_allclose(marker.get_offsets()[0], [finder.suggestion(), 2.0], rtol=1e-9)
    assert "steepest descent: lr=1.00e-02" in [t.get_text() for t in ax.get_legend().get_texts()]
    ax.figure.savefig(tmp_path / "lr_finder.png")
    assert (tmp_path / "lr_finder.png").stat().st_size > 0
    plt.close(ax.figure)

    _, given = plt.subplots()
    assert finder.plot(skip_start=0, skip_end=0, log_lr=False, ax=given, suggest=False) is given
    assert given.get_xscale() == "linear" and len(given.collections) == 0
    assert len(given.get_lines()[0].get_xdata()) == 61
    plt.close(given.figure)


def test_progress_bar_and_messages(capsys):
    finder, _ = probe_finder(lambda lr, call: lr)
    finder.range_test(ONE_BATCH, end_lr=1e3, num_iter=61, smooth_f=0, progress=False)
    assert capsys.readouterr() == ("", "")
    finder.range_test(ONE_BATCH, end_lr=1e3, num_iter=61, smooth_f=0)
    captured = capsys.readouterr()
    assert "LR range test" in captured.err
    assert ("LR range test: stopped at lr=0.00501, the loss diverged (0.005012 > 0.005, from the "
            "best 0.001)") in captured.out


def test_docstring_examples_run():
    result = doctest.testmod(LR_FINDER_MODULE, extraglobs={"genesis": genesis})
    assert result.attempted > 0 and result.failed == 0
