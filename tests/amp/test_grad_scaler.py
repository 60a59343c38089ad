"""``genesis.amp.GradScaler`` against PyTorch 2.13's CPU ``torch.amp.GradScaler("cpu")``: the
same scales, growth trackers, skipped steps, parameters and state dicts, number for number, and
PyTorch's errors for misuse."""
import copy
import warnings

import numpy as np
import pytest
import torch

import genesis

INIT = np.array([[0.5, -1.0, 2.0]], dtype=np.float32)


def trajectory(m, inputs, **scaler_kwargs):
    """Scale, unscale (clip the gradient norm in between), step and update on ``inputs``."""
    model = m.nn.Linear(3, 1, bias=False)
    with m.no_grad():
        model.weight.copy_(m.tensor(INIT))
    opt = m.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = m.amp.GradScaler("cpu", **scaler_kwargs)
    record = []
    for x in inputs:
        opt.zero_grad()
        loss = model(m.tensor(x)).sum()
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        m.nn.utils.clip_grad_norm_(model.parameters(), 1e6)
        stepped = scaler.step(opt)
        scaler.update()
        record.append((scaler.get_scale(), scaler.state_dict(), stepped,
                       model.weight.detach().numpy().copy()))
    return record


def steps_with_infs(count, bad):
    rng = np.random.default_rng(1)
    out = []
    for i in range(count):
        x = rng.standard_normal((2, 3)).astype(np.float32)
        if i in bad:
            x[0, i % 3] = np.inf if i % 2 else np.nan
        out.append(x)
    return out


@pytest.mark.parametrize("kwargs", [{}, {"init_scale": 8.0, "growth_interval": 3},
                                    {"init_scale": 2.0 ** 20, "growth_factor": 3.0,
                                     "backoff_factor": 0.25, "growth_interval": 2}])
def test_scaled_training_matches_torch_step_for_step(kwargs):
    inputs = steps_with_infs(14, bad={2, 3, 7, 11})
    ours, theirs = trajectory(genesis, inputs, **kwargs), trajectory(torch, inputs, **kwargs)
    previous = INIT
    for i, ((g_scale, g_state, g_ret, g_w), (t_scale, t_state, t_ret, t_w)) in \
            enumerate(zip(ours, theirs)):
        assert g_scale == t_scale and g_state == t_state and g_ret is t_ret is None
        np.testing.assert_allclose(g_w, t_w, rtol=1e-6, atol=1e-7)
        assert (g_w == previous).all() == (i in {2, 3, 7, 11})  # inf/NaN steps are skipped
        previous = g_w


# The scaled loss overflows to inf on purpose; NumPy warns where PyTorch is silent.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_growth_stops_at_float32_overflow_as_torch():
    inputs = steps_with_infs(6, bad=set())
    big = {"init_scale": 2.0 ** 126, "growth_factor": 4.0, "growth_interval": 1}
    assert [r[0] for r in trajectory(genesis, inputs, **big)] == \
        [r[0] for r in trajectory(torch, inputs, **big)]


def test_state_dict_round_trips_both_ways():
    inputs = steps_with_infs(5, bad={1})
    for source, target in ((torch, genesis), (genesis, torch)):
        scaler = source.amp.GradScaler("cpu", init_scale=64.0, growth_interval=2)
        model = source.nn.Linear(3, 1)
        opt = source.optim.SGD(model.parameters(), lr=0.1)
        for x in inputs:
            opt.zero_grad()
            scaler.scale(model(source.tensor(x)).sum()).backward()
            scaler.step(opt)
            scaler.update()
        state = scaler.state_dict()
        fresh = target.amp.GradScaler("cpu")
        fresh.load_state_dict(copy.deepcopy(state))
        assert fresh.state_dict() == state and fresh.get_scale() == state["scale"]


def errors(m):
    model = m.nn.Linear(2, 1)
    opt = m.optim.SGD(model.parameters(), lr=0.1)
    found = {}

    def attempt(name, fn):
        try:
            fn()
            found[name] = None
        except Exception as error:  # noqa: BLE001
            found[name] = (type(error).__name__, str(error).split(" (Genesis")[0])

    scaler = m.amp.GradScaler("cpu")
    attempt("unscale_before_scale", lambda: scaler.unscale_(opt))
    attempt("update_before_scale", lambda: scaler.update())
    scaler.scale(model(m.ones(1, 2)).sum()).backward()
    attempt("unscale", lambda: scaler.unscale_(opt))
    attempt("unscale_twice", lambda: scaler.unscale_(opt))
    attempt("closure", lambda: scaler.step(opt, closure=lambda: 0.0))
    attempt("step", lambda: scaler.step(opt))
    attempt("unscale_after_step", lambda: scaler.unscale_(opt))
    attempt("step_twice", lambda: scaler.step(opt))
    attempt("update", lambda: scaler.update())
    attempt("update_without_checks", lambda: scaler.update())
    attempt("new_scale", lambda: scaler.update(1024.0))
    empty = m.optim.SGD([m.nn.Parameter(m.ones(1))], lr=0.1)
    attempt("step_without_grads", lambda: scaler.step(empty))
    attempt("load_empty", lambda: m.amp.GradScaler("cpu").load_state_dict({}))
    attempt("growth_factor", lambda: m.amp.GradScaler("cpu", growth_factor=1.0))
    attempt("backoff_factor", lambda: m.amp.GradScaler("cpu", backoff_factor=1.0))
    attempt("scale_a_string", lambda: m.amp.GradScaler("cpu").scale("loss"))
    return found


def test_misuse_raises_pytorch_errors():
    assert errors(genesis) == errors(torch)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_unscaling_float16_gradients_is_refused_as_torch():
    for m in (genesis, torch):
        p = m.nn.Parameter(m.ones(2, dtype=m.float16))
        opt = m.optim.SGD([p], lr=0.1)
        scaler = m.amp.GradScaler("cpu")
        scaler.scale(p.sum()).backward()
        assert p.grad.dtype == m.float16
        with pytest.raises(ValueError, match="^Attempting to unscale FP16 gradients.$"):
            scaler.unscale_(opt)


def test_scale_of_nested_outputs_and_new_scale_tensor():
    for m in (genesis, torch):
        scaler = m.amp.GradScaler("cpu", init_scale=4.0)
        a, b = m.ones(1), m.full((1,), 2.0)
        scaled = scaler.scale([a, (b, a)])
        assert [scaled[0].item(), scaled[1][0].item(), scaled[1][1].item()] == [4.0, 8.0, 4.0]
        assert isinstance(scaled, list) and isinstance(scaled[1], tuple)
        with pytest.raises(AssertionError, match="^new_scale should be a float or a 1-element"):
            scaler.update(m.ones(2))


def test_disabled_scaler_is_the_identity():
    for m in (genesis, torch):
        scaler = m.amp.GradScaler("cpu", enabled=False)
        model = m.nn.Linear(2, 1)
        opt = m.optim.SGD(model.parameters(), lr=0.5)
        loss = model(m.ones(1, 2)).sum()
        assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0
        loss.backward()
        before = model.weight.detach().numpy().copy()
        scaler.unscale_(opt)
        assert scaler.step(opt) is None and scaler.state_dict() == {}
        scaler.update()
        np.testing.assert_allclose(model.weight.detach().numpy(), before - 0.5)


def caught(make):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        obj = make()
    return obj, [(w.category, str(w.message).split(" (Genesis")[0]) for w in seen]


@pytest.mark.parametrize("spelling", ["amp_default", "cuda_amp", "cuda_amp_disabled"])
def test_cuda_scalers_warn_and_disable_as_cpu_only_torch(spelling):
    make = {"amp_default": lambda m: m.amp.GradScaler(),
            "cuda_amp": lambda m: m.cuda.amp.GradScaler(),
            "cuda_amp_disabled": lambda m: m.cuda.amp.GradScaler(enabled=False)}[spelling]
    (ours, mine), (theirs, pytorch) = caught(lambda: make(genesis)), caught(lambda: make(torch))
    assert mine == pytorch and ours.is_enabled() is theirs.is_enabled() is False


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="init_scale must be nonzero"):
        genesis.amp.GradScaler("cpu", init_scale=0.0)
    with pytest.raises(ValueError, match="init_scale must be a finite number, got inf"):
        genesis.amp.GradScaler("cpu", init_scale=float("inf"))
    with pytest.raises(ValueError, match="backoff_factor must be > 0"):
        genesis.amp.GradScaler("cpu", backoff_factor=0.0)
    with pytest.raises(TypeError, match="growth_interval must be an int, got 2.5"):
        genesis.amp.GradScaler("cpu", growth_interval=2.5)
    with pytest.raises(KeyError, match="missing"):
        genesis.amp.GradScaler("cpu").load_state_dict({"scale": 2.0})


def test_grad_scaler_docstring_examples_run():
    import doctest

    import genesis.amp.grad_scaler
    result = doctest.testmod(genesis.amp.grad_scaler, extraglobs={"genesis": genesis})
    assert result.failed == 0 and result.attempted > 0
