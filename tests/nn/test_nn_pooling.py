"""Pooling against PyTorch: values, indices and gradients over random configurations (with
ties and NaNs), the layers' arguments, errors and repr."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import genesis
from genesis import nn
from nn_testing import TOLERANCE, functional_pair, raises_like_torch

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)


@st.composite
def pool_configs(draw, nd: int, dilated: bool = True):
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) if dilated else 1 for _ in range(nd))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    spatial = tuple(draw(st.integers(d * (k - 1) + 1, d * (k - 1) + 6))
                    for k, d in zip(kernel, dilation))
    lead = draw(st.sampled_from([(2, 3), (1, 2), (3,)]))
    return dict(kernel=kernel, stride=stride, dilation=dilation, padding=padding,
                shape=lead + spatial, ceil_mode=draw(st.booleans()))


def _input(shape: tuple, seed: int, ties: bool, dtype=np.float64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.integers(-2, 3, shape) * 0.5 if ties else rng.standard_normal(shape)
    return values.astype(dtype)


@pytest.mark.parametrize("nd", [1, 2])
@SETTINGS
@given(data=st.data(), ties=st.booleans())
def test_max_pool_matches_torch(nd, data, ties):
    c = data.draw(pool_configs(nd))

    def fn(F, x):
        return getattr(F, f"max_pool{nd}d")(
            x, c["kernel"], c["stride"], c["padding"], c["dilation"], ceil_mode=c["ceil_mode"],
            return_indices=True)
    # ties: PyTorch's first maximum must get the gradient, and the same index come back
    functional_pair(fn, [_input(c["shape"], 0, ties)], TOLERANCE[np.float64], what=str(c))


@pytest.mark.parametrize("nd", [1, 2])
@SETTINGS
@given(data=st.data(), count_include_pad=st.booleans(), divisor=st.sampled_from([None, 1, 5]))
def test_avg_pool_matches_torch(nd, data, count_include_pad, divisor):
    c = data.draw(pool_configs(nd, dilated=False))
    extra = {} if nd == 1 else {"divisor_override": divisor}

    def fn(F, x):
        return getattr(F, f"avg_pool{nd}d")(x, c["kernel"], c["stride"], c["padding"],
                                           c["ceil_mode"], count_include_pad, **extra)
    functional_pair(fn, [_input(c["shape"], 1, False)], TOLERANCE[np.float64], what=str(c))


@pytest.mark.parametrize("nd", [1, 2])
@SETTINGS
@given(data=st.data())
def test_adaptive_pools_match_torch(nd, data):
    spatial = tuple(data.draw(st.integers(1, 9)) for _ in range(nd))
    if nd == 1:
        out = data.draw(st.integers(1, 10))
    else:
        out = tuple(data.draw(st.one_of(st.integers(1, 10), st.none())) for _ in range(nd))
    lead = data.draw(st.sampled_from([(2, 3), (2,)]))
    ties = data.draw(st.booleans())
    x = _input(lead + spatial, 2, ties)
    functional_pair(lambda F, t: getattr(F, f"adaptive_avg_pool{nd}d")(t, out), [x],
                    TOLERANCE[np.float64], what=f"avg {spatial} -> {out}")
    functional_pair(lambda F, t: getattr(F, f"adaptive_max_pool{nd}d")(t, out, True), [x],
                    TOLERANCE[np.float64], what=f"max {spatial} -> {out}")


@pytest.mark.parametrize("fn", [
    lambda F, x: F.max_pool2d(x, 2),
    lambda F, x: F.max_pool2d(x, 3, stride=1, padding=1),
    lambda F, x: F.avg_pool2d(x, 2),
    lambda F, x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True,
                              count_include_pad=False),
    lambda F, x: F.adaptive_avg_pool2d(x, 1),
    lambda F, x: F.adaptive_avg_pool2d(x, (3, 5)),
    lambda F, x: F.adaptive_max_pool2d(x, (2, 3)),
])
def test_pooling_float32_matches_torch(fn):
    functional_pair(fn, [_input((4, 3, 8, 10), 3, False, np.float32)], TOLERANCE[np.float32])


def test_max_pool_propagates_nan_like_torch():
    x = np.array([[[1.0, np.nan, 3.0, np.nan, 0.5, 2.0]]])
    for fn in (lambda F, t: F.max_pool1d(t, 3, return_indices=True),
               lambda F, t: F.max_pool1d(t, 2, stride=1, padding=1, return_indices=True)):
        g, t = fn(genesis.nn.functional, genesis.tensor(x)), fn(torch.nn.functional,
                                                                 torch.tensor(x))
        np.testing.assert_array_equal(g[0].numpy(), t[0].numpy())
        np.testing.assert_array_equal(g[1].numpy(), t[1].numpy())


def test_max_pool_on_conv_output_layout_matches_torch():
    # a convolution hands on a channel-major array; pooling must read and write it correctly
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in [(3, 2, 9, 9), (4, 2, 3, 3)]]
    functional_pair(lambda F, x, w: F.max_pool2d(F.relu(F.conv2d(x, w)), 2, padding=1), arrays,
                    TOLERANCE[np.float64])


REPRS = [
    lambda m: m.MaxPool2d(2),
    lambda m: m.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, return_indices=True,
                          ceil_mode=True),
    lambda m: m.MaxPool1d(3),
    lambda m: m.AvgPool2d(2),
    lambda m: m.AvgPool2d((2, 3), stride=1, padding=1, ceil_mode=True, count_include_pad=False,
                          divisor_override=3),
    lambda m: m.AvgPool1d(3, padding=1),
    lambda m: m.AdaptiveAvgPool2d(1), lambda m: m.AdaptiveAvgPool2d((None, 3)),
    lambda m: m.AdaptiveMaxPool2d(3, return_indices=True), lambda m: m.AdaptiveAvgPool1d(4),
    lambda m: m.AdaptiveMaxPool1d(2),
]


@pytest.mark.parametrize("build", REPRS)
def test_layers_match_torch(build):
    ours, ref = build(nn), build(torch.nn)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict()) == []
    x = _input((2, 3, 7, 8) if "1d" not in repr(ref) else (2, 3, 8), 5, True)
    got, want = ours(genesis.tensor(x)), ref(torch.tensor(x))
    for g, t in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)
    assert ours.eval()(genesis.tensor(x)).__class__ is got.__class__


@pytest.mark.parametrize("call", [
    lambda ns: ns.nn.functional.max_pool2d(ns.zeros(2, 3, 8, 9), 2, padding=2),
    lambda ns: ns.nn.functional.max_pool2d(ns.zeros(2, 3, 8, 9), 3, padding=2, dilation=2),
    lambda ns: ns.nn.functional.max_pool1d(ns.zeros(2, 3, 9), 3, padding=2, dilation=2),
    lambda ns: ns.nn.functional.max_pool2d(ns.zeros(2, 3, 1, 1), 2),
    lambda ns: ns.nn.functional.max_pool2d(ns.zeros(2, 3, 8, 9), 2, stride=0),
    lambda ns: ns.nn.functional.max_pool2d(ns.zeros(2, 3, 8, 9), 2, padding=-1),
    lambda ns: ns.nn.functional.max_pool1d(ns.zeros(2, 3, 8, 9), 2),
    lambda ns: ns.nn.functional.avg_pool2d(ns.zeros(2, 3, 8, 9), 2, padding=2),
    lambda ns: ns.nn.functional.avg_pool2d(ns.zeros(2, 3, 8, 9), 2, divisor_override=0),
    lambda ns: ns.nn.functional.adaptive_avg_pool2d(ns.zeros(1, 2, 3, 4, 5), 2),
    lambda ns: ns.nn.functional.adaptive_avg_pool2d(ns.zeros(2, 3, 4, 5), (2, 3, 4)),
    lambda ns: ns.nn.functional.adaptive_max_pool2d(ns.zeros(1, 2, 3, 4, 5), 2),
    lambda ns: ns.nn.functional.adaptive_max_pool1d(ns.zeros(1, 2, 3, 4), 2),
    lambda ns: ns.nn.functional.avg_pool2d(ns.zeros(1, 2, 3, 4, 5), 2),
])
def test_errors_match_torch(call):
    raises_like_torch(call)


@pytest.mark.parametrize("call,expected", [
    (lambda ns: ns.nn.functional.max_pool2d(ns.zeros(8, 9), 2), "3D or 4D"),
    (lambda ns: ns.nn.functional.max_pool2d(ns.zeros(2, 3, 8, 9), 2.0), "kernel_size"),
])
def test_errors_have_torch_type_and_name_what_is_expected(call, expected):
    assert expected in raises_like_torch(call, exact=False)
