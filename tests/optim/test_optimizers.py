"""Genesis optimizers against PyTorch's (single-tensor kernels) on the same gradients.

Each run starts both frameworks from the same weights and feeds them the same gradient rule:
g_t = curvature * (p - target) + noise_t, computed in NumPy from each framework's own current
weights, so feedback through the weights is exercised too.  Trajectories must agree to
rel 1e-5 (float32) and rel 1e-10 (float64) over 50 steps.
"""
import copy

import numpy as np
import pytest
import torch

import genesis
import genesis.optim as optim
from genesis.nn import Parameter

SHAPES = [(3, 4), (4,), (2, 3, 2), ()]  # () : a 0-d parameter (a learnable scalar)
STEPS = 50
RTOL = {np.float32: 1e-5, np.float64: 1e-10}

CASES = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.02, "momentum": 0.5, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "betas": (0.8, 0.99)}),
    ("Adam", {"lr": 0.01, "maximize": True, "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "betas": (0.7, 0.95), "eps": 1e-3, "maximize": True, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.05, "amsgrad": True, "maximize": True}),
    ("SGD", {"lr": 0.05, "dampening": 0.5, "weight_decay": 0.2, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.05}),
    ("RMSprop", {"lr": 0.01, "centered": True, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.1, "maximize": True}),
    ("Adagrad", {"lr": 0.1, "eps": 1e-3, "lr_decay": 0.05, "weight_decay": 0.02}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.5, "eps": 1e-2, "centered": True, "weight_decay": 0.1}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 2.0, "rho": 0.95, "maximize": True, "foreach": True}),
    ("Adadelta", {"rho": 1.0, "weight_decay": 0.05}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-3, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.02, "maximize": True, "foreach": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "betas": (0.85, 0.98), "eps": 1e-6, "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6}),  # rectified from step 5 on
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "foreach": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "fused": True}),
    ("Adam", {"lr": 0.01, "foreach": True}),
]


def _problem(dtype, seed=0):
    """Initial weights, targets, curvatures and per-step noise for every shape."""
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    target = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    curvature = [rng.uniform(0.5, 2.0, s).astype(dtype) for s in SHAPES]
    noise = [[0.1 * rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return init, target, curvature, noise


def _grad(weights, target, curvature, noise):
    return curvature * (weights - target) + noise


class Runner:
    """One framework's parameters and optimizer, stepped with the shared gradient rule."""

    def __init__(self, lib, name, kwargs, init, groups=None):
        self.lib = lib
        if lib is torch:
            self.params = [torch.nn.Parameter(torch.tensor(w.copy())) for w in init]
            cls = getattr(torch.optim, name)
            kwargs = {**kwargs, "foreach": False}  # PyTorch's single-tensor kernels
        else:
            self.params = [Parameter(genesis.tensor(w.copy())) for w in init]
            cls = getattr(optim, name)
        if groups is None:
            self.opt = cls(self.params, **kwargs)
        else:
            self.opt = cls(
                [{"params": [self.params[i] for i in idx], **opts} for idx, opts in groups],
                **kwargs,
            )

    def weights(self):
        return [p.detach().numpy().copy() for p in self.params]

    def step(self, problem, t, skip=()):
        _, target, curvature, noise = problem
        for i, (p, w) in enumerate(zip(self.params, self.weights())):
            if i in skip:
                p.grad = None
                continue
            g = _grad(w, target[i], curvature[i], noise[t][i])
            p.grad = torch.tensor(g) if self.lib is torch else genesis.tensor(g)
        self.opt.step()


def _assert_close(ours, theirs, dtype):
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=RTOL[dtype], atol=RTOL[dtype] * 1e-2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", CASES)
def test_trajectory_matches_torch(name, kwargs, dtype):
    problem = _problem(dtype)
    ours = Runner(genesis, name, kwargs, problem[0])
    theirs = Runner(torch, name, kwargs, problem[0])
    for t in range(STEPS):
        ours.step(problem, t)
        theirs.step(problem, t)
    _assert_close(ours.weights(), theirs.weights(), dtype)
    # The state tensors agree too, key by key.
    ours_sd, theirs_sd = ours.opt.state_dict(), theirs.opt.state_dict()
    assert ours_sd["state"].keys() == theirs_sd["state"].keys()
    for index, theirs_state in theirs_sd["state"].items():
        assert list(ours_sd["state"][index]) == list(theirs_state)
        for key, value in theirs_state.items():
            np.testing.assert_allclose(
                ours_sd["state"][index][key].numpy(), value.numpy(), rtol=1e-4, atol=1e-9
            )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
                                  "NAdam", "RAdam"])
def test_groups_schedules_and_missing_grads(name, dtype):
    """Two groups with their own lr, lr/betas/momentum edited between steps, a grad left None."""
    problem = _problem(dtype, seed=1)
    kwargs = {"lr": 0.02}
    if name in ("SGD", "RMSprop"):
        kwargs["momentum"] = 0.9
    groups = [([0, 2], {"lr": 0.05}), ([1], {})]
    ours = Runner(genesis, name, kwargs, problem[0], groups)
    theirs = Runner(torch, name, kwargs, problem[0], groups)
    for t in range(STEPS):
        for runner in (ours, theirs):
            for group in runner.opt.param_groups:
                group["lr"] *= 0.97
                if "betas" in group:
                    group["betas"] = (0.85 + 0.1 * np.cos(t), group["betas"][1])
                if group.get("momentum"):
                    group["momentum"] = 0.8 + 0.15 * np.sin(t)
            runner.step(problem, t, skip=(1,) if t % 7 == 3 else ())
    _assert_close(ours.weights(), theirs.weights(), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", [c for c in CASES if c[1]])
def test_state_dict_round_trip_continues_trajectory(name, kwargs, dtype):
    problem = _problem(dtype, seed=2)
    ours = Runner(genesis, name, kwargs, problem[0])
    theirs = Runner(torch, name, kwargs, problem[0])
    for t in range(20):
        ours.step(problem, t)
        theirs.step(problem, t)
    saved = copy.deepcopy(ours.opt.state_dict())
    resumed = Runner(genesis, name, kwargs, ours.weights())
    resumed.opt.load_state_dict(saved)
    # The loaded state is a copy: stepping the original leaves `saved` untouched.
    for t in range(20, STEPS):
        ours.step(problem, t)
        resumed.step(problem, t)
        theirs.step(problem, t)
    for a, b in zip(ours.weights(), resumed.weights()):
        np.testing.assert_array_equal(a, b)
    _assert_close(resumed.weights(), theirs.weights(), dtype)


TORCH_STATE_CASES = [("Adam", {"lr": 0.01, "amsgrad": True}),
                     ("SGD", {"lr": 0.05, "momentum": 0.9}),
                     ("RMSprop", {"centered": True, "momentum": 0.5}),
                     ("Adagrad", {"lr_decay": 0.01}),
                     ("Adadelta", {"weight_decay": 0.01}),
                     ("Adamax", {"lr": 0.01}),
                     ("NAdam", {"lr": 0.01}),
                     ("RAdam", {"lr": 0.01})]


@pytest.mark.parametrize("name,kwargs", TORCH_STATE_CASES)
def test_loads_a_torch_state_dict_as_numpy(name, kwargs):
    """A PyTorch optimizer state_dict (tensors as NumPy arrays) resumes in Genesis."""
    dtype = np.float32
    problem = _problem(dtype, seed=3)
    theirs = Runner(torch, name, kwargs, problem[0])
    for t in range(10):
        theirs.step(problem, t)
    torch_sd = theirs.opt.state_dict()
    as_numpy = {
        "state": {i: {k: (v.numpy() if torch.is_tensor(v) else v) for k, v in s.items()}
                  for i, s in torch_sd["state"].items()},
        "param_groups": copy.deepcopy(torch_sd["param_groups"]),
    }
    ours = Runner(genesis, name, kwargs, theirs.weights())
    ours.opt.load_state_dict(as_numpy)
    for t in range(10, STEPS):
        ours.step(problem, t)
        theirs.step(problem, t)
    _assert_close(ours.weights(), theirs.weights(), dtype)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_state_dict_layout_and_repr_match_torch(name, kwargs):
    problem = _problem(np.float32)
    groups = [([0], {"lr": 0.5}), ([1, 2], {})]
    ours = Runner(genesis, name, kwargs, problem[0], groups)
    theirs = Runner(torch, name, {**kwargs}, problem[0], groups)
    # Torch's group gets foreach=False from the runner; ours keeps the given value. Align.
    for group in theirs.opt.param_groups:
        group["foreach"] = kwargs.get("foreach")
    for runner in (ours, theirs):
        runner.step(problem, 0, skip=(2,))
    ours_sd, theirs_sd = ours.opt.state_dict(), theirs.opt.state_dict()
    assert ours_sd["param_groups"] == theirs_sd["param_groups"]
    assert [list(g) for g in ours_sd["param_groups"]] == [list(g) for g in theirs_sd["param_groups"]]
    assert list(ours_sd["state"]) == list(theirs_sd["state"])
    for index, state in theirs_sd["state"].items():
        assert list(ours_sd["state"][index]) == list(state)
        if "step" in state:
            step = ours_sd["state"][index]["step"]
            assert step.dtype == genesis.float32 and step.shape == ()
            assert step.item() == state["step"].item()
    assert repr(ours.opt) == repr(theirs.opt)


# PyTorch fails with an IndexError here.
TORCH_ACCEPTS = {"betas"}


@pytest.mark.parametrize("name,kwargs,argname", [
    ("SGD", {"lr": -1}, "lr"),
    ("SGD", {"lr": 0.1, "momentum": -0.5}, "momentum"),
    ("SGD", {"lr": 0.1, "weight_decay": -1}, "weight_decay"),
    ("SGD", {"lr": 0.1, "nesterov": True}, "Nesterov"),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}, "dampening"),
    ("Adam", {"lr": -1}, "lr"),
    ("Adam", {"betas": (1.0, 0.999)}, "index 0"),
    ("Adam", {"betas": (0.9, -0.1)}, "index 1"),
    ("Adam", {"betas": (0.9,)}, "betas"),  # PyTorch: IndexError
    ("Adam", {"eps": -1e-8}, "eps"),
    ("Adam", {"weight_decay": -0.1}, "weight_decay"),
    ("AdamW", {"lr": -0.001}, "lr"),
    ("RMSprop", {"alpha": -0.1}, "alpha"),
    ("RMSprop", {"momentum": -1}, "momentum"),
    ("RMSprop", {"eps": -1}, "eps"),
    ("Adagrad", {"lr_decay": -1}, "lr_decay"),
    ("Adagrad", {"initial_accumulator_value": -1}, "initial_accumulator_value"),
    ("Adagrad", {"eps": -1}, "eps"),
])
def test_bad_arguments_raise_value_errors_naming_them(name, kwargs, argname):
    params = [Parameter(genesis.zeros(2))]
    with pytest.raises(ValueError, match=argname):
        getattr(optim, name)(params, **kwargs)
    if argname not in TORCH_ACCEPTS:
        # PyTorch rejects the same configurations.
        with pytest.raises(ValueError):
            getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(2))], **kwargs)


def test_bad_per_group_option_is_rejected():
    with pytest.raises(ValueError, match="lr"):
        optim.SGD([{"params": [Parameter(genesis.zeros(2))], "lr": -0.1}], lr=0.1)


def test_lr_of_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="lr"):
        optim.Adam([Parameter(genesis.zeros(2))], lr="0.1")


def test_param_list_errors():
    w = Parameter(genesis.zeros(2))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got NoneType"):
        optim.SGD(None, lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD({w}, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {w}}], lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.zeros(2)], lr=0.1)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": w})


def test_named_parameters_and_add_param_group():
    a, b = Parameter(genesis.ones(2)), Parameter(genesis.ones(3))
    opt = optim.Adam([("a", a)], lr=0.1)
    opt.add_param_group({"params": [("b", b)], "lr": 0.01})
    assert [g["param_names"] for g in opt.param_groups] == [["a"], ["b"]]
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    assert opt.state_dict()["param_groups"][1]["params"] == [1]


def test_load_state_dict_validates_groups_and_sizes():
    w1, w2 = Parameter(genesis.zeros(2)), Parameter(genesis.zeros(3))
    one_group = optim.Adam([w1, w2]).state_dict()
    with pytest.raises(ValueError, match="number of parameter groups"):
        optim.Adam([{"params": [w1]}, {"params": [w2]}]).load_state_dict(one_group)
    with pytest.raises(ValueError, match="size of optimizer's group"):
        optim.Adam([w1]).load_state_dict(one_group)
    with pytest.raises(ValueError, match="missing the keys"):
        optim.Adam([w1]).load_state_dict({"state": {}})
    opt = optim.Adam([w1, w2])
    w1.grad, w2.grad = genesis.ones(2), genesis.ones(3)
    opt.step()
    swapped = optim.Adam([w2, w1])
    with pytest.raises(ValueError, match="shape"):
        swapped.load_state_dict(opt.state_dict())


def test_load_state_dict_copies_and_casts_to_param_dtype():
    w32 = Parameter(genesis.tensor(np.ones(3, dtype=np.float32)))
    w64 = Parameter(genesis.tensor(np.ones(3, dtype=np.float64)))
    source = optim.Adam([w64])
    w64.grad = genesis.tensor(np.ones(3))
    source.step()
    target = optim.Adam([w32])
    target.load_state_dict(source.state_dict())
    loaded = target.state[w32]
    assert loaded["exp_avg"].dtype == genesis.float32
    assert loaded["step"].dtype == genesis.float32
    loaded["exp_avg"].data[:] = 7.0
    assert not np.any(source.state[w64]["exp_avg"].numpy() == 7.0)
    np.testing.assert_allclose(loaded["exp_avg_sq"].numpy(), np.full(3, 0.001), rtol=1e-6)


def test_zero_grad():
    w = Parameter(genesis.ones(2))
    opt = optim.SGD([w], lr=0.1)
    w.grad = genesis.ones(2)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert w.grad is None


def test_step_runs_closure_with_grad_enabled_and_returns_its_loss():
    w = Parameter(genesis.tensor([1.0, -2.0]))
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with genesis.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    # d/dw sum(w^2) = 2w, so w <- w - 0.25 * 2w = w / 2.
    np.testing.assert_allclose(w.data, [0.5, -1.0])


def test_parameters_without_grad_are_skipped_and_grad_is_untouched():
    a, b = Parameter(genesis.ones(2)), Parameter(genesis.ones(2))
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True)
    a.grad = genesis.tensor([1.0, 2.0])
    opt.step()
    np.testing.assert_array_equal(b.data, [1.0, 1.0])
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 2.0])
    assert b not in opt.state and a in opt.state


def test_adagrad_state_is_created_at_construction():
    w = Parameter(genesis.zeros(3))
    opt = optim.Adagrad([w], initial_accumulator_value=0.5)
    state = opt.state_dict()["state"][0]
    assert state["step"].item() == 0.0
    np.testing.assert_array_equal(state["sum"].numpy(), np.full(3, 0.5, dtype=np.float32))


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_a_grad_of_the_wrong_shape_is_named(name):
    a, b = Parameter(genesis.ones(3)), Parameter(genesis.ones(2))
    a.grad, b.grad = genesis.ones(3), genesis.ones(2)
    # Assigning a wrong-shaped .grad is refused as in PyTorch (tests/test_autograd.py); replacing
    # the gradient's storage through .grad.data is not, and the optimizer then names it.
    b.grad.data = genesis.ones(5)
    with pytest.raises(ValueError, match=r"param_groups\[0\] parameter 1 has shape \(2,\) but its "
                                         r"grad has shape \(5,\)"):
        getattr(optim, name)([a, b], lr=0.1).step()


@pytest.mark.parametrize("name,kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
                                         ("Adam", {"lr": 0.1, "amsgrad": True}),
                                         ("AdamW", {"lr": 0.1}),
                                         ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
                                         ("Adagrad", {"lr": 0.1, "lr_decay": 0.1})])
def test_a_learnable_scalar_trains_like_torch_through_backward(name, kwargs):
    """A 0-d parameter used twice in the graph (its gradient accumulates) and zero_grad both ways."""
    results = []
    for lib, module in ((genesis, optim), (torch, torch.optim)):
        scale = lib.nn.Parameter(lib.tensor(2.0, dtype=lib.float64))
        vector = lib.nn.Parameter(lib.tensor([1.0, -1.0], dtype=lib.float64))
        extra = {"foreach": False} if lib is torch else {}
        opt = getattr(module, name)([scale, vector], **kwargs, **extra)
        for step in range(6):
            opt.zero_grad(set_to_none=step % 2 == 0)
            (scale * scale * 3 + (vector * scale).sum()).backward()
            opt.step()
        results.append([scale.detach().numpy().copy(), vector.detach().numpy().copy()])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
