"""F.interpolate and the Upsample layers against PyTorch: nearest, nearest-exact, (bi/tri)linear
with and without align_corners, area; by size and by (fractional) scale factor; float32 picks
the same source pixels; gradients, errors and repr."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from genesis import nn
from nn_testing import TOLERANCE, functional_pair, raises_like_torch

MODES = {1: ["nearest", "nearest-exact", "linear", "area"],
         2: ["nearest", "nearest-exact", "bilinear", "area"],
         3: ["nearest", "nearest-exact", "trilinear"]}


@settings(max_examples=80, deadline=None, derandomize=True)
@given(data=st.data(), dtype=st.sampled_from([np.float64, np.float32]))
def test_interpolate_matches_torch(data, dtype):
    dims = data.draw(st.sampled_from([1, 2, 2, 3]))
    mode = data.draw(st.sampled_from(MODES[dims]))
    spatial = tuple(data.draw(st.integers(1, 7)) for _ in range(dims))
    kwargs = {}
    if data.draw(st.booleans()):
        kwargs["size"] = tuple(data.draw(st.integers(1, 11)) for _ in range(dims))
    else:
        scales = tuple(data.draw(st.sampled_from([0.5, 0.75, 1.0, 1.7, 2.0, 2.5, 3.0]))
                       for _ in range(dims))
        scales = tuple(max(s, 1.0 / n) for s, n in zip(scales, spatial))  # at least 1 output
        kwargs["scale_factor"] = scales
        kwargs["recompute_scale_factor"] = data.draw(st.sampled_from([None, True]))
    if mode in ("linear", "bilinear", "trilinear"):
        kwargs["align_corners"] = data.draw(st.sampled_from([None, False, True]))
    x = np.random.default_rng(0).standard_normal((2, 3) + spatial).astype(dtype)
    functional_pair(lambda F, t: F.interpolate(t, mode=mode, **kwargs), [x], TOLERANCE[dtype],
                    what=f"{mode} {spatial} {kwargs}")


LAYERS = [
    lambda m: m.Upsample(scale_factor=2), lambda m: m.Upsample(size=(5, 7), mode="bilinear"),
    lambda m: m.Upsample(scale_factor=(1.5, 2), mode="bilinear", align_corners=True),
    lambda m: m.UpsamplingNearest2d(scale_factor=3), lambda m: m.UpsamplingBilinear2d(size=9),
]


@pytest.mark.parametrize("build", LAYERS)
def test_layers_match_torch(build):
    ours, ref = build(nn), build(torch.nn)
    assert repr(ours) == repr(ref)
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 5)).astype(np.float32)
    functional_pair(lambda F, t: (ours if F is not torch.nn.functional else ref)(t), [x],
                    TOLERANCE[np.float32])


@pytest.mark.parametrize("call", [
    lambda ns: ns.nn.functional.interpolate(ns.zeros(1, 2, 3, 4), scale_factor=2, mode="linear"),
    lambda ns: ns.nn.functional.interpolate(ns.zeros(1, 2, 3, 4), scale_factor=2, mode="foo"),
    lambda ns: ns.nn.functional.interpolate(ns.zeros(1, 2, 3, 4), scale_factor=2,
                                            align_corners=True),
    lambda ns: ns.nn.functional.interpolate(ns.zeros(3, 4), scale_factor=2),
    lambda ns: ns.nn.functional.interpolate(ns.zeros(1, 2, 3, 4), size=(0, 3)),
    lambda ns: ns.nn.functional.interpolate(ns.zeros(1, 2, 3, 4), size=(2, 3, 4)),
    lambda ns: ns.nn.functional.interpolate(ns.zeros(1, 2, 3, 4), size=2, scale_factor=2),
    lambda ns: ns.nn.functional.interpolate(ns.zeros(1, 2, 3, 4)),
    lambda ns: ns.nn.functional.interpolate(ns.zeros(1, 2, 3, 4), scale_factor=(2, 3, 4)),
])
def test_errors_match_torch(call):
    raises_like_torch(call)
