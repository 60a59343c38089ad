"""Every error and warning of PyTorch 2.13's torch/optim/optimizer.py, and of its optimizer files
for the options Genesis has, triggered the same way in both: Genesis raises the same type with a
message that starts with PyTorch's exact text (advice may follow).  Plus the PyTorch details
around them: a 0-d tensor lr, a PyTorch state dict loaded as is, Adagrad's accumulator, the
duplicate-parameter warning, kernel switches, and the modules the classes name."""
import copy
import importlib
import warnings

import numpy as np
import pytest
import torch

import genesis
import genesis.optim as optim

TORCH_ONLY_DEVICE_LIST = "]"  # PyTorch lists its accelerators; Genesis, a CPU framework, none


def param(lib, values=(1.0, 2.0)):
    return lib.nn.Parameter(lib.tensor(list(values)))


def module_of(lib):
    return torch.optim if lib is torch else optim


# (id, build(lib, opt_module) -> anything, exception type, PyTorch's text, where it fires: "init" or "step")
CASES = [
    ("params-tensor", lambda lib, o: o.SGD(param(lib), lr=0.1), TypeError,
     "params argument given to the optimizer should be an iterable of Tensors or dicts, but got "),
    ("params-empty", lambda lib, o: o.SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
    ("group-not-dict", lambda lib, o: o.SGD([param(lib)], lr=0.1).add_param_group([param(lib)]), TypeError,
     "param_group must be a dict, but got <class 'list'>"),
    ("group-no-params", lambda lib, o: o.SGD([param(lib)], lr=0.1).add_param_group({"lr": 0.1}), KeyError,
     "'params'"),
    ("group-set", lambda lib, o: o.SGD([{"params": {param(lib)}}], lr=0.1), TypeError,
     "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in "
     "sets will change between runs. Please use a list instead."),
    ("names-missing", lambda lib, o: o.SGD([("a", param(lib)), param(lib)], lr=0.1), ValueError,
     "all optimizer params should be with/without names. Some param names are missing"),
    ("not-a-tensor", lambda lib, o: o.SGD([np.zeros(2)], lr=0.1), TypeError,
     "optimizer can only optimize Tensors, but one of the params is numpy.ndarray"),
    ("single-dict", lambda lib, o: o.SGD({"params": [param(lib)]}, lr=0.1), TypeError,
     "optimizer can only optimize Tensors, but one of the params is str"),
    ("non-leaf", lambda lib, o: o.SGD([param(lib) * 2], lr=0.1), ValueError, "can't optimize a non-leaf Tensor"),
    ("groups-names", lambda lib, o: o.SGD([param(lib)], lr=0.1).add_param_group({"params": [("b", param(lib))]}),
     ValueError, "all optimizer param groups should be with/without names. cannot add param group with names "
                 "to the optimizer"),
    ("overlap", lambda lib, o: (lambda w: o.SGD([{"params": [w]}, {"params": [w]}], lr=0.1))(param(lib)),
     ValueError, "some parameters appear in more than one parameter group"),
    ("load-groups", lambda lib, o: o.SGD([param(lib)], lr=0.1).load_state_dict(
        o.SGD([{"params": [param(lib)]}, {"params": [param(lib)]}], lr=0.1).state_dict()), ValueError,
     "loaded state dict has a different number of parameter groups"),
    ("load-sizes", lambda lib, o: o.SGD([param(lib)], lr=0.1).load_state_dict(
        o.SGD([param(lib), param(lib)], lr=0.1).state_dict()), ValueError,
     "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"),
    ("lr-negative", lambda lib, o: o.SGD([param(lib)], lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    ("lr-tensor-2", lambda lib, o: o.Adam([param(lib)], lr=lib.tensor([0.1, 0.2])), ValueError,
     "Tensor lr must be 1-element"),
    ("lr-tensor-foreach", lambda lib, o: o.Adam([param(lib)], lr=lib.tensor(0.1), foreach=True), ValueError,
     "lr as a Tensor is not supported for capturable=False and foreach=True"),
    ("sgd-momentum", lambda lib, o: o.SGD([param(lib)], lr=0.1, momentum=-1), ValueError, "Invalid momentum value: -1"),
    ("sgd-wd", lambda lib, o: o.SGD([param(lib)], lr=0.1, weight_decay=-1), ValueError,
     "Invalid weight_decay value: -1"),
    ("sgd-nesterov", lambda lib, o: o.SGD([param(lib)], lr=0.1, nesterov=True), ValueError,
     "Nesterov momentum requires a momentum and zero dampening"),
    ("adam-eps", lambda lib, o: o.Adam([param(lib)], eps=-1.0), ValueError, "Invalid epsilon value: -1.0"),
    ("adam-beta0", lambda lib, o: o.Adam([param(lib)], betas=(1.0, 0.9)), ValueError,
     "Invalid beta parameter at index 0: 1.0"),
    ("adam-beta1", lambda lib, o: o.AdamW([param(lib)], betas=(0.9, -0.5)), ValueError,
     "Invalid beta parameter at index 1: -0.5"),
    ("rmsprop-alpha", lambda lib, o: o.RMSprop([param(lib)], alpha=-0.5), ValueError, "Invalid alpha value: -0.5"),
    ("rmsprop-momentum", lambda lib, o: o.RMSprop([param(lib)], momentum=-0.5), ValueError,
     "Invalid momentum value: -0.5"),
    ("adagrad-lr-decay", lambda lib, o: o.Adagrad([param(lib)], lr_decay=-0.5), ValueError,
     "Invalid lr_decay value: -0.5"),
    ("adagrad-init", lambda lib, o: o.Adagrad([param(lib)], initial_accumulator_value=-0.5), ValueError,
     "Invalid initial_accumulator_value value: -0.5"),
    ("adadelta-rho", lambda lib, o: o.Adadelta([param(lib)], rho=1.5), ValueError, "Invalid rho value: 1.5"),
    ("adadelta-rho-neg", lambda lib, o: o.Adadelta([param(lib)], rho=-0.5), ValueError, "Invalid rho value: -0.5"),
    ("adamax-beta", lambda lib, o: o.Adamax([param(lib)], betas=(0.9, 1.0)), ValueError,
     "Invalid beta parameter at index 1: 1.0"),
    ("nadam-momentum-decay", lambda lib, o: o.NAdam([param(lib)], momentum_decay=-1.0), ValueError,
     "Invalid momentum_decay value: -1.0"),
    ("radam-wd", lambda lib, o: o.RAdam([param(lib)], weight_decay=-1.0), ValueError,
     "Invalid weight_decay value: -1.0"),
    ("fused-differentiable", lambda lib, o: o.Adam([param(lib)], fused=True, differentiable=True), RuntimeError,
     "`fused` does not support `differentiable`"),
    ("fused-foreach", lambda lib, o: o.SGD([param(lib)], lr=0.1, fused=True, foreach=True), RuntimeError,
     "`fused` and `foreach` cannot be `True` together."),
    ("adagrad-fused-foreach", lambda lib, o: o.Adagrad([param(lib)], fused=True, foreach=True), RuntimeError,
     "`fused` and `foreach` cannot be `True` together."),
]


def _stepped(build):
    """``build`` then one step with a gradient, so that errors PyTorch raises at the step fire."""
    def run(lib, o):
        opt = build(lib, o)
        for group in opt.param_groups:
            for p in group["params"]:
                p.grad = lib.ones_like(p)
        opt.step()
    return run


for name in ("Adam", "AdamW", "RMSprop", "Adadelta", "Adamax", "RAdam"):
    CASES.append((f"{name}-capturable", _stepped(lambda lib, o, name=name: getattr(o, name)([param(lib)],
                                                                                          capturable=True)),
                  AssertionError, "If capturable=True, params and state_steps must be on supported devices: ["))
CASES.append(("NAdam-capturable", _stepped(lambda lib, o: o.NAdam([param(lib)], capturable=True)), AssertionError,
              "If capturable=True, params, mu_products and state_steps must be on supported devices: ["))
CASES.append(("fused-int", _stepped(lambda lib, o: o.SGD([lib.tensor([1, 2])], lr=0.1, fused=True)), RuntimeError,
              "`fused=True` requires all the params to be floating point Tensors of supported devices: ["))


@pytest.mark.parametrize("build,error,text", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_errors_start_with_torch_s_text_and_type(build, error, text):
    with pytest.raises(error) as theirs:
        build(torch, torch.optim)
    with pytest.raises(error) as ours:
        build(genesis, optim)
    assert type(ours.value) is type(theirs.value) or issubclass(type(ours.value), type(theirs.value))
    assert str(theirs.value).startswith(text)
    assert str(ours.value).startswith(text), str(ours.value)


def test_duplicate_parameters_warn_like_torch_and_update_per_occurrence():
    results = []
    for lib, o in ((torch, torch.optim), (genesis, optim)):
        w = param(lib)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt = o.SGD([w, w], lr=0.1)
        assert [str(c.message) for c in caught] == [
            "optimizer contains a parameter group with duplicate parameters; in future, this will cause "
            "an error; see github.com/pytorch/pytorch/issues/40967 for more information"]
        w.grad = lib.ones_like(w)
        opt.step()
        results.append((w.detach().numpy(), opt.state_dict()["param_groups"][0]["params"]))
    np.testing.assert_allclose(results[1][0], [0.8, 1.8], rtol=1e-6)  # 2 - 2 * 0.1 per element
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-6)
    assert results[0][1] == results[1][1] == [1, 1]


def test_state_dict_numbering_with_a_repeated_parameter_matches_torch():
    sds = []
    for lib, o in ((torch, torch.optim), (genesis, optim)):
        a, b = param(lib), param(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt = o.SGD([{"params": [a, a]}, {"params": [b]}], lr=0.1, momentum=0.9)
        a.grad, b.grad = lib.ones_like(a), lib.ones_like(b)
        opt.step()
        sd = opt.state_dict()
        sds.append(([g["params"] for g in sd["param_groups"]], sorted(sd["state"])))
    assert sds[0] == sds[1]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
                                  "NAdam", "RAdam"])
def test_a_0d_tensor_lr_steps_like_torch_and_stays_a_tensor(name):
    weights = []
    for lib, o in ((torch, torch.optim), (genesis, optim)):
        w = lib.nn.Parameter(lib.tensor([1.0, -2.0, 0.5]))
        lr = lib.tensor(0.05)
        opt = getattr(o, name)([w], lr=lr)
        assert opt.param_groups[0]["lr"] is lr
        for step in range(5):
            w.grad = w.detach() * 2 + 1
            opt.step()
        weights.append(w.detach().numpy().copy())
        lr.fill_(0.0)  # written in place, as a scheduler does: the next step moves nothing
        w.grad = w.detach() * 2 + 1
        opt.step()
        np.testing.assert_array_equal(w.detach().numpy(), weights[-1])
    np.testing.assert_allclose(weights[1], weights[0], rtol=1e-5)


def test_a_tensor_weight_decay_in_sgd_like_torch():
    weights = []
    for lib, o in ((torch, torch.optim), (genesis, optim)):
        w = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
        opt = o.SGD([w], lr=0.1, weight_decay=lib.tensor(0.5))
        w.grad = lib.ones_like(w)
        opt.step()
        weights.append(w.detach().numpy().tolist())
    np.testing.assert_allclose(weights[1], weights[0], rtol=1e-6)


@pytest.mark.parametrize("name,kwargs", [("Adam", {"lr": 0.01, "amsgrad": True}),
                                         ("SGD", {"lr": 0.05, "momentum": 0.9}),
                                         ("NAdam", {"lr": 0.01}),
                                         ("Adagrad", {"lr": 0.1}),
                                         ("Adadelta", {}),
                                         ("RMSprop", {"centered": True, "momentum": 0.5})])
def test_load_state_dict_of_a_torch_optimizer_as_is(name, kwargs):
    """optimizer.load_state_dict(torch_optimizer.state_dict()), as the migration page shows: the
    torch tensors in the state are converted, and the run continues as PyTorch's."""
    init = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=np.float32)
    tw = torch.nn.Parameter(torch.tensor(init))
    topt = getattr(torch.optim, name)([tw], **kwargs, foreach=False)
    for t in range(5):
        tw.grad = tw.detach() * (t + 1) * 0.1 + 0.2
        topt.step()
    gw = genesis.nn.Parameter(genesis.tensor(tw.detach().numpy().copy()))
    gopt = getattr(optim, name)([gw], **kwargs)
    gopt.load_state_dict(topt.state_dict())
    state = gopt.state[gw]
    assert all(isinstance(v, genesis.Tensor) for v in state.values() if not isinstance(v, (int, float)))
    for t in range(5, 15):
        tw.grad = tw.detach() * (t + 1) * 0.1 + 0.2
        gw.grad = gw.detach() * (t + 1) * 0.1 + 0.2
        topt.step()
        gopt.step()
    np.testing.assert_allclose(gw.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-7)
    # the loaded state is Genesis's own copy, not a view of PyTorch's tensors
    for key, value in topt.state[tw].items():
        if value.dim() > 0:
            assert not np.shares_memory(state[key].numpy(), value.numpy())


def test_a_torch_tensor_lr_in_a_state_dict_becomes_a_genesis_tensor():
    tw = torch.nn.Parameter(torch.ones(2))
    topt = torch.optim.SGD([tw], lr=torch.tensor(0.25))
    gw = genesis.nn.Parameter(genesis.ones(2))
    gopt = optim.SGD([gw], lr=0.1)
    gopt.load_state_dict(topt.state_dict())
    lr = gopt.param_groups[0]["lr"]
    assert isinstance(lr, genesis.Tensor) and lr.item() == 0.25
    gw.grad = genesis.ones(2)
    gopt.step()
    np.testing.assert_allclose(gw.detach().numpy(), [0.75, 0.75])


def test_adagrad_uses_the_constructor_s_initial_accumulator_value_like_torch():
    sums = []
    for lib, o in ((torch, torch.optim), (genesis, optim)):
        a, b, c = param(lib), param(lib), param(lib)
        opt = o.Adagrad([{"params": [a], "initial_accumulator_value": 3.0}, {"params": [b]}],
                        lr=0.1, initial_accumulator_value=0.5)
        opt.add_param_group({"params": [c], "initial_accumulator_value": 2.0})
        before = sorted(opt.state_dict()["state"])
        for p in (a, b, c):
            p.grad = lib.ones_like(p)
        opt.step()
        sums.append((before, [opt.state[p]["sum"].numpy().tolist() for p in (a, b, c)],
                     [p.detach().numpy().tolist() for p in (a, b, c)],
                     opt.param_groups[0]["initial_accumulator_value"]))
    assert sums[0][0] == sums[1][0] == [0, 1]  # c gets its state at its first step
    assert sums[0][1] == sums[1][1] == [[1.5, 1.5]] * 3
    np.testing.assert_allclose(sums[1][2], sums[0][2], rtol=1e-6)
    assert sums[0][3] == sums[1][3] == 3.0


@pytest.mark.parametrize("name,kwargs", [("SGD", {"fused": True}), ("Adam", {"fused": True}),
                                         ("AdamW", {"fused": True}), ("Adagrad", {"fused": True}),
                                         ("RMSprop", {"foreach": True}), ("NAdam", {"foreach": True})])
def test_kernel_choices_torch_accepts_on_a_cpu_are_accepted(name, kwargs):
    results = []
    for lib, o in ((torch, torch.optim), (genesis, optim)):
        w = param(lib)
        opt = getattr(o, name)([w], lr=0.1, **kwargs)
        w.grad = lib.tensor([0.5, -1.0])
        opt.step()
        results.append(w.detach().numpy().copy())
        assert opt.param_groups[0][next(iter(kwargs))] is True
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_differentiable_is_refused_at_once():
    with pytest.raises(ValueError, match="differentiable=True is not supported"):
        optim.Adam([param(genesis)], differentiable=True)


NAMES = ["Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer", "RAdam", "RMSprop", "SGD"]


@pytest.mark.parametrize("name", NAMES)
def test_classes_name_their_public_module_as_torch_does(name):
    ours, theirs = getattr(optim, name), getattr(torch.optim, name)
    assert ours.__module__ == theirs.__module__.replace("torch", "genesis")
    module = importlib.import_module(ours.__module__)
    assert getattr(module, name) is ours and name in module.__all__


def test_torch_signatures_and_defaults():
    import inspect

    for name in NAMES[:-4] + ["RAdam", "RMSprop", "SGD"]:
        if name == "Optimizer":
            continue
        ours = inspect.signature(getattr(optim, name).__init__).parameters
        theirs = inspect.signature(getattr(torch.optim, name).__init__).parameters
        assert [(p.name, p.kind, p.default) for p in ours.values()] == \
            [(p.name, p.kind, p.default) for p in theirs.values()], name


def test_state_dict_round_trip_through_a_checkpoint_for_nadam(tmp_path):
    w = genesis.nn.Parameter(genesis.tensor([1.0, 2.0]))
    opt = optim.NAdam([w], lr=0.1)
    w.grad = genesis.ones(2)
    opt.step()
    genesis.save(opt.state_dict(), tmp_path / "opt.pth")
    other = genesis.nn.Parameter(genesis.tensor([1.0, 2.0]))
    resumed = optim.NAdam([other], lr=0.1)
    resumed.load_state_dict(genesis.load(tmp_path / "opt.pth"))
    assert resumed.state[other]["mu_product"].dtype == genesis.float32
    assert resumed.state[other]["mu_product"].item() == opt.state[w]["mu_product"].item()
    copy.deepcopy(resumed.state_dict())
