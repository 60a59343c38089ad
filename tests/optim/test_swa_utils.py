"""``genesis.optim.swa_utils`` against ``torch.optim.swa_utils`` (PyTorch 2.13): ``AveragedModel``
(SWA and EMA, with and without buffers), the averaging functions, ``update_bn``, the errors,
the public names, and PyTorch's SWA recipe run end to end on both.

The models are float64 and hold the same weights in both libraries; every parameter and buffer
of the averaged models must agree within rel 1e-9 (integer buffers exactly).
"""
import doctest
import inspect

import numpy as np
import pytest
import torch
from torch.optim import swa_utils as theirs

import genesis
from genesis.optim import swa_utils as ours

REL = 1e-9


def lib(module):
    return torch if module is theirs else genesis


def mlp(module, momentum=0.1):
    nn = lib(module).nn
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=momentum), nn.ReLU(),
                         nn.Linear(4, 2)).double()


def as_tensor(module, array):
    return torch.from_numpy(np.array(array)) if module is theirs else genesis.tensor(np.array(array))


def state(model):
    return {key: np.array(value.detach().numpy()) for key, value in model.state_dict().items()}


def assert_same_state(ours_model, theirs_model, where=""):
    a, b = state(ours_model), state(theirs_model)
    assert list(a) == list(b), where
    for key in a:
        assert a[key].dtype == b[key].dtype, f"{where} {key}"
        if a[key].dtype.kind == "f":
            np.testing.assert_allclose(a[key], b[key], rtol=REL, atol=1e-300, err_msg=f"{where} {key}")
        else:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{where} {key}")


def same_weights(rng, models):
    """Give every model the same random parameters, then one training batch (same data) so the
    BatchNorm buffers move too."""
    names = [name for name, _ in models[0].named_parameters()]
    values = {name: rng.normal(size=tuple(p.shape)) for name, p in models[0].named_parameters()}
    batch = rng.normal(size=(5, 3))
    for model in models:
        module = theirs if isinstance(model, torch.nn.Module) else ours
        with lib(module).no_grad():
            for name, p in model.named_parameters():
                p.copy_(as_tensor(module, values[name]))
        model.train()
        model(as_tensor(module, batch))
    assert names


AVERAGING = {
    "swa": lambda m: {},
    "ema_multi": lambda m: {"multi_avg_fn": m.get_ema_multi_avg_fn(0.9)},
    "ema_single": lambda m: {"avg_fn": m.get_ema_avg_fn(0.8)},
    "swa_single": lambda m: {"avg_fn": m.get_swa_avg_fn()},
    "swa_multi": lambda m: {"multi_avg_fn": m.get_swa_multi_avg_fn()},
    "own_fn": lambda m: {"avg_fn": lambda avg, new, n: 0.25 * avg + 0.75 * new},
}


# (torch's get_swa_multi_avg_fn raises on the integer buffer with use_buffers: see
# test_swa_multi_avg_fn_on_integer_buffers)
@pytest.mark.parametrize("averaging,use_buffers", [
    (name, use_buffers) for name in AVERAGING for use_buffers in (False, True)
    if (name, use_buffers) != ("swa_multi", True)])
def test_averaged_model_matches_torch(averaging, use_buffers):
    rng = np.random.default_rng(0)
    models = [mlp(ours), mlp(theirs)]
    same_weights(rng, models)
    averaged = [m.AveragedModel(model, use_buffers=use_buffers, **AVERAGING[averaging](m))
                for m, model in zip((ours, theirs), models)]
    assert_same_state(*averaged, "before any update")
    for update in range(5):
        for model, swa in zip(models, averaged):
            swa.update_parameters(model)
        assert_same_state(*averaged, f"update {update}")
        same_weights(rng, models)
    assert averaged[0].n_averaged.item() == 5 and averaged[0].n_averaged.dtype == genesis.int64
    # the averaged model runs its copy
    x = rng.normal(size=(6, 3))
    for swa in averaged:
        swa.eval()
    np.testing.assert_allclose(averaged[0](as_tensor(ours, x)).detach().numpy(),
                               averaged[1](as_tensor(theirs, x)).detach().numpy(), rtol=REL)


def test_swa_multi_avg_fn_on_integer_buffers():
    """PyTorch raises here (addcdiv_ on integers); Genesis takes the running mean in floating
    point and truncates it, as the default path does for num_batches_tracked."""
    rng = np.random.default_rng(1)
    models = [mlp(ours), mlp(ours), mlp(theirs)]
    same_weights(rng, models)
    multi = ours.AveragedModel(models[0], multi_avg_fn=ours.get_swa_multi_avg_fn(), use_buffers=True)
    torch_multi = theirs.get_swa_multi_avg_fn()

    def reference(averaged, current, n):  # torch's function on floats, its default path on ints
        if averaged[0].is_floating_point():
            return torch_multi(averaged, current, n)
        for a, c in zip(averaged, current):
            a.copy_(a + (c - a) / (n + 1))

    single = theirs.AveragedModel(models[2], multi_avg_fn=reference, use_buffers=True)
    for _ in range(4):
        multi.update_parameters(models[0])
        single.update_parameters(models[2])
        same_weights(rng, models)
    assert_same_state(multi, single)
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        theirs.get_swa_multi_avg_fn()([torch.tensor([3])], [torch.tensor([5])], torch.tensor(1))


def test_copy_is_deep_and_state_dict_loads_across_libraries():
    rng = np.random.default_rng(2)
    models = [mlp(ours), mlp(theirs)]
    same_weights(rng, models)
    swa_ours, swa_theirs = ours.AveragedModel(models[0]), theirs.AveragedModel(models[1])
    assert swa_ours.module is not models[0]
    assert swa_ours.module[0].weight is not models[0][0].weight
    for model, swa in zip(models, (swa_ours, swa_theirs)):
        swa.update_parameters(model)
        same_weights(rng, [model])
        swa.update_parameters(model)
    fresh = ours.AveragedModel(mlp(ours))
    fresh.load_state_dict({k: genesis.tensor(v.numpy()) for k, v in swa_theirs.state_dict().items()})
    assert_same_state(fresh, swa_theirs)
    assert fresh.n_averaged.item() == 2


def test_averaging_functions_match_torch_on_their_own():
    rng = np.random.default_rng(3)
    avg, new = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    for name in ("get_ema_avg_fn", "get_swa_avg_fn"):
        args = (0.7,) if "ema" in name else ()
        got = getattr(ours, name)(*args)(as_tensor(ours, avg), as_tensor(ours, new),
                                         genesis.tensor(3))
        want = getattr(theirs, name)(*args)(as_tensor(theirs, avg), as_tensor(theirs, new),
                                            torch.tensor(3))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=REL)
    for name in ("get_ema_multi_avg_fn", "get_swa_multi_avg_fn"):
        args = (0.7,) if "ema" in name else ()
        for n in (3, "tensor"):
            mine = [as_tensor(ours, a) for a in avg]
            torchs = [as_tensor(theirs, a) for a in avg]
            getattr(ours, name)(*args)(mine, [as_tensor(ours, b) for b in new],
                                       genesis.tensor(3) if n == "tensor" else n)
            getattr(theirs, name)(*args)(torchs, [as_tensor(theirs, b) for b in new],
                                         torch.tensor(3) if n == "tensor" else n)
            np.testing.assert_allclose([t.numpy() for t in mine], [t.numpy() for t in torchs],
                                       rtol=REL)


def _error(make):
    with pytest.raises(Exception) as caught:
        make()
    return type(caught.value), str(caught.value)


@pytest.mark.parametrize("call", [
    lambda m: m.get_ema_multi_avg_fn(1.5),
    lambda m: m.get_ema_avg_fn(-0.1),
    lambda m: m.AveragedModel(mlp(m), avg_fn=m.get_swa_avg_fn(),
                              multi_avg_fn=m.get_swa_multi_avg_fn()),
])
def test_errors_match_torch(call):
    assert _error(lambda: call(ours)) == _error(lambda: call(theirs))


def test_genesis_refuses_what_torch_fails_on_later():
    with pytest.raises(ValueError, match=r"Invalid decay value nan provided"):
        ours.get_ema_multi_avg_fn(float("nan"))
    with pytest.raises(TypeError, match="model must be a genesis.nn.Module, got Linear"):
        ours.AveragedModel(torch.nn.Linear(2, 2))


def bn_model(module):
    nn = lib(module).nn
    return nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3, momentum=0.3), nn.ReLU(),
                         nn.Flatten(), nn.Linear(12, 5), nn.BatchNorm1d(5, momentum=None)).double()


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_update_bn_matches_torch(mode):
    rng = np.random.default_rng(4)
    models = [bn_model(ours), bn_model(theirs)]
    values = {name: rng.normal(size=tuple(p.shape)) for name, p in models[1].named_parameters()}
    stale = {name: rng.uniform(1, 2, size=tuple(b.shape)) for name, b in
             models[1].named_buffers() if b.dtype == torch.float64}
    batches = [rng.normal(size=(n, 2, 4, 4)) for n in (3, 5, 2, 4)]
    for module, model in zip((ours, theirs), models):
        with lib(module).no_grad():
            for name, p in model.named_parameters():
                p.copy_(as_tensor(module, values[name]))
            for name, b in model.named_buffers():
                if name in stale:
                    b.copy_(as_tensor(module, stale[name]))
        model.train(mode == "train")
        # a tensor, an (input, target) tuple, an [input, target] list, a tensor
        loader = [as_tensor(module, batches[0]), (as_tensor(module, batches[1]), None),
                  [as_tensor(module, batches[2]), as_tensor(module, np.zeros(2))],
                  as_tensor(module, batches[3])]
        module.update_bn(loader, model, device="cpu")
    assert_same_state(*models)
    assert models[0].training is (mode == "train")
    assert [models[0][1].momentum, models[0][5].momentum] == [0.3, None]


def test_update_bn_through_an_averaged_model_and_a_dataloader():
    rng = np.random.default_rng(5)
    models = [mlp(ours), mlp(theirs)]
    same_weights(rng, models)
    x, y = rng.normal(size=(20, 3)), rng.integers(0, 2, size=20)
    swas = []
    for module, model in zip((ours, theirs), models):
        data = lib(module).utils.data
        loader = data.DataLoader(data.TensorDataset(as_tensor(module, x), as_tensor(module, y)),
                                 batch_size=6)
        swa = module.AveragedModel(model)
        swa.update_parameters(model)
        swa.eval()
        module.update_bn(loader, swa)
        swas.append(swa)
    assert_same_state(*swas)
    assert swas[0].training is False


def test_update_bn_without_batchnorm_changes_nothing():
    model = genesis.nn.Linear(2, 2).eval()
    calls = []
    ours.update_bn(iter(lambda: calls.append(1), 0), model)  # never iterated
    assert calls == [] and model.training is False


def test_public_names_modules_and_signatures_are_torch_s():
    assert ours.__all__ == theirs.__all__
    assert genesis.optim.swa_utils is ours
    for name in ours.__all__:
        mine, torchs = getattr(ours, name), getattr(theirs, name)
        if inspect.isclass(mine):
            assert mine.__module__ == torchs.__module__.replace("torch", "genesis") == ours.__name__
        params = list(inspect.signature(torchs).parameters)
        assert list(inspect.signature(mine).parameters)[:len(params)] == params, name
        for key, default in inspect.signature(torchs).parameters.items():
            assert inspect.signature(mine).parameters[key].default == default.default, (name, key)
    assert "swa_utils" in dir(genesis.optim)


def test_docstring_examples_run():
    result = doctest.testmod(ours, extraglobs={"genesis": genesis}, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 15


# --- PyTorch's SWA recipe, end to end ---------------------------------------------------------

def swa_recipe(module, model, x, y, epochs=8, swa_start=4):
    """torch.optim.swa_utils's documented loop: CosineAnnealingLR, then SWALR and averaging
    from swa_start on; update_bn at the end.  Returns the averaged model and the rates used."""
    library = lib(module)
    data = library.utils.data
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=16)
    optimizer = library.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    swa_model = module.AveragedModel(model)
    scheduler = library.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    swa_scheduler = module.SWALR(optimizer, swa_lr=0.05, anneal_epochs=2)
    loss_fn = library.nn.CrossEntropyLoss()
    used = []
    for epoch in range(epochs):
        for input, target in loader:
            optimizer.zero_grad()
            loss_fn(model(input), target).backward()
            optimizer.step()
        used.append(optimizer.param_groups[0]["lr"])
        if epoch > swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()
    module.update_bn(loader, swa_model)
    return swa_model, used


def test_torch_swa_recipe_runs_on_genesis_as_on_torch():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(64, 3))
    y = (x[:, 0] + x[:, 1] ** 2 > 0.5).astype(np.int64)
    models = [mlp(ours), mlp(theirs)]
    same_weights(rng, models)
    results = [swa_recipe(m, model, as_tensor(m, x), as_tensor(m, y))
               for m, model in zip((ours, theirs), models)]
    (swa_ours, rates_ours), (swa_theirs, rates_theirs) = results
    np.testing.assert_allclose(rates_ours, rates_theirs, rtol=REL)
    assert rates_ours[-1] == pytest.approx(0.05)  # annealed to swa_lr
    assert swa_ours.n_averaged.item() == 3
    assert_same_state(swa_ours, swa_theirs, "after the recipe")
    swa_ours.eval()
    swa_theirs.eval()
    np.testing.assert_allclose(swa_ours(as_tensor(ours, x)).detach().numpy(),
                               swa_theirs(as_tensor(theirs, x)).detach().numpy(), rtol=REL)
