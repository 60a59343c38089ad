"""F.pad and the padding layers against PyTorch: every mode, 1 to 3 padded dims, negative
(cropping) pads, gradients, errors and repr."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from genesis import nn
from nn_testing import TOLERANCE, functional_pair, raises_like_torch


@settings(max_examples=80, deadline=None, derandomize=True)
@given(data=st.data(), mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]))
def test_pad_matches_torch(data, mode):
    dims = data.draw(st.integers(1, 3))
    batched = data.draw(st.booleans())
    spatial = tuple(data.draw(st.integers(2, 4)) for _ in range(dims))
    shape = (2, 3)[2 - (1 + batched):] + spatial if mode != "constant" else \
        tuple(data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(0, 2)))) + spatial
    pads = []
    for size in reversed(spatial):
        # reflect needs pad < size, circular pad <= size; negative pads crop (leave >= 1 kept)
        high = size - 1 if mode == "reflect" else size
        before = data.draw(st.integers(-(size // 2), high))
        after = data.draw(st.integers(max(-(size // 2), 1 - size - before), high))
        if mode == "circular":  # wraps around what is left after cropping, at most once
            kept = size - max(-before, 0) - max(-after, 0)
            before, after = min(before, kept), min(after, kept)
        pads += [before, after]
    value = data.draw(st.sampled_from([None, 0.0, -1.5])) if mode == "constant" else None
    x = np.random.default_rng(0).standard_normal(shape)
    functional_pair(lambda F, t: F.pad(t, pads, mode=mode, value=value), [x],
                    TOLERANCE[np.float64], what=f"{mode} {shape} {pads}")


def test_pad_float32_and_cropping_matches_torch():
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 6)).astype(np.float32)
    for pads, mode in [((1, 2, 3, 0), "reflect"), ((-1, 2, 1, -2), "replicate"),
                       ((-2, -1), "constant"), ((2, 3, 1, 1), "circular")]:
        functional_pair(lambda F, t: F.pad(t, pads, mode=mode), [x], TOLERANCE[np.float32])


LAYERS = [
    lambda m: m.ZeroPad2d((1, 2, 0, 1)), lambda m: m.ZeroPad1d(2), lambda m: m.ZeroPad3d(1),
    lambda m: m.ConstantPad1d((1, 2), 3.5), lambda m: m.ConstantPad2d(1, -1.0),
    lambda m: m.ConstantPad3d((1, 0, 0, 1, 1, 0), 2.0),
    lambda m: m.ReflectionPad1d(2), lambda m: m.ReflectionPad2d((1, 2, 2, 1)),
    lambda m: m.ReflectionPad3d(1), lambda m: m.ReplicationPad1d((3, 0)),
    lambda m: m.ReplicationPad2d(2), lambda m: m.ReplicationPad3d((0, 1, 2, 0, 1, 1)),
    lambda m: m.CircularPad1d(1), lambda m: m.CircularPad2d((1, 2, 0, 3)),
    lambda m: m.CircularPad3d(1),
]


@pytest.mark.parametrize("build", LAYERS)
def test_layers_match_torch(build):
    ours, ref = build(nn), build(torch.nn)
    assert repr(ours) == repr(ref)
    dims = len(ref.padding) // 2
    x = np.random.default_rng(dims).standard_normal((2, 3) + (4,) * dims)
    functional_pair(lambda F, t: (ours if F is not torch.nn.functional else ref)(t), [x],
                    TOLERANCE[np.float64])


@pytest.mark.parametrize("call", [
    lambda ns: ns.nn.functional.pad(ns.zeros(2, 3, 4, 5), (1, 2, 3)),
    lambda ns: ns.nn.functional.pad(ns.zeros(2, 3), (1,) * 6),
    lambda ns: ns.nn.functional.pad(ns.zeros(2, 3, 4, 5), (1, 2), mode="reflect"),
    lambda ns: ns.nn.functional.pad(ns.zeros(2, 3, 4, 5), (5, 2, 1, 1), mode="reflect"),
    lambda ns: ns.nn.functional.pad(ns.zeros(2, 3, 4, 5), (6, 2, 1, 1), mode="circular"),
    lambda ns: ns.nn.functional.pad(ns.zeros(3), (1, 1), mode="replicate"),
    lambda ns: ns.nn.functional.pad(ns.zeros(2, 3, 4, 5), (1, 1), mode="bad"),
    lambda ns: ns.nn.functional.pad(ns.zeros(2, 3, 4), (1, 1), mode="reflect", value=2.0),
    lambda ns: ns.nn.CircularPad2d(1)(ns.zeros(3, 4)),
    lambda ns: ns.nn.functional.pad(ns.zeros(2, 3), (1.0, 1)),
])
def test_errors_match_torch(call):
    raises_like_torch(call)


def test_wrong_padding_length_is_refused_at_construction():
    with pytest.raises(ValueError, match="padding must be an int or a tuple of 4 ints"):
        nn.ZeroPad2d((1, 2, 3))
