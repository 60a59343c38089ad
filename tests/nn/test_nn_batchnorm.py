"""Batch, group and instance normalisation against PyTorch: several training steps (outputs,
gradients, running statistics, num_batches_tracked), eval mode, momentum=None, the options,
state dicts both ways, errors and repr."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import genesis
from genesis import nn
from nn_testing import (
    TOLERANCE, compare_modules, functional_pair, module_pair, raises_like_torch,
)

LAYERS = [
    ("bn1d", lambda m: m.BatchNorm1d(3), (5, 3)),
    ("bn1d_seq", lambda m: m.BatchNorm1d(3, momentum=0.3), (4, 3, 6)),
    ("bn2d", lambda m: m.BatchNorm2d(4), (3, 4, 5, 2)),
    ("bn2d_cumulative", lambda m: m.BatchNorm2d(2, momentum=None, eps=1e-3), (2, 2, 3, 3)),
    ("bn2d_noaffine", lambda m: m.BatchNorm2d(3, affine=False), (2, 3, 2, 2)),
    ("bn2d_nobias", lambda m: m.BatchNorm2d(3, bias=False), (2, 3, 2, 2)),
    ("bn2d_untracked", lambda m: m.BatchNorm2d(3, track_running_stats=False), (2, 3, 2, 3)),
    ("bn3d", lambda m: m.BatchNorm3d(2), (2, 2, 2, 2, 3)),
    ("groupnorm", lambda m: m.GroupNorm(2, 6), (3, 6, 4)),
    ("groupnorm_2d", lambda m: m.GroupNorm(3, 3, eps=1e-3, affine=False), (2, 3, 2, 4)),
    ("instancenorm2d", lambda m: m.InstanceNorm2d(3), (2, 3, 4, 5)),
    ("instancenorm2d_affine_tracked", lambda m: m.InstanceNorm2d(
        3, affine=True, track_running_stats=True, momentum=0.2), (2, 3, 4, 5)),
    ("instancenorm1d_tracked", lambda m: m.InstanceNorm1d(2, track_running_stats=True), (3, 2, 5)),
    ("conv_bn_relu", lambda m: m.Sequential(m.Conv2d(2, 4, 3, padding=1, bias=False),
                                            m.BatchNorm2d(4),
                                            m.ReLU()), (3, 2, 5, 5)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,build,shape", LAYERS, ids=[case[0] for case in LAYERS])
def test_training_steps_then_eval_match_torch(name, build, shape, dtype):
    rng = np.random.default_rng(len(name))
    ours, ref = module_pair(build, dtype, rng)
    for step in range(3):
        ours.zero_grad(), ref.zero_grad()
        x = (rng.standard_normal(shape) * 2 + step).astype(dtype)
        compare_modules(ours, ref, x, TOLERANCE[dtype], rng, f"{name} step {step}")
    ours.eval(), ref.eval()
    x = rng.standard_normal(shape).astype(dtype)
    compare_modules(ours, ref, x, TOLERANCE[dtype], rng, f"{name} eval")


@pytest.mark.parametrize("build,shape", [
    (lambda m: m.BatchNorm1d(3), (4, 3)), (lambda m: m.InstanceNorm2d(3), (3, 4, 5)),
    (lambda m: m.InstanceNorm2d(3, affine=True, track_running_stats=True), (3, 4, 5)),
    (lambda m: m.GroupNorm(1, 3), (4, 3)),
])
def test_two_and_three_dim_inputs_match_torch(build, shape):
    rng = np.random.default_rng(7)
    ours, ref = module_pair(build, np.float64, rng)
    compare_modules(ours, ref, rng.standard_normal(shape), 1e-9, rng)


def test_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(1, momentum=None)
    batches = [np.array([[1.0], [3.0]]), np.array([[5.0], [9.0]]), np.array([[0.0], [0.0]])]
    for batch in batches:
        bn(genesis.tensor(batch, dtype=genesis.float32))
    assert bn.num_batches_tracked.item() == 3
    np.testing.assert_allclose(bn.running_mean.numpy(), [np.mean([2.0, 7.0, 0.0])], rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), [np.mean([2.0, 8.0, 0.0])], rtol=1e-6)


def test_eval_uses_running_statistics_and_records_nothing_new():
    bn = nn.BatchNorm1d(2).eval()
    bn.running_mean._array[...] = [1.0, -1.0]
    bn.running_var._array[...] = [4.0, 0.25]
    out = bn(genesis.tensor([[3.0, 0.0]]))  # a batch of one is fine in eval
    np.testing.assert_allclose(out.detach().numpy(), [[2.0 / np.sqrt(4 + 1e-5),
                                                       1.0 / np.sqrt(0.25 + 1e-5)]], rtol=1e-6)
    assert bn.num_batches_tracked.item() == 0


@pytest.mark.parametrize("build", [
    lambda m: m.BatchNorm2d(3), lambda m: m.BatchNorm1d(2, affine=False),
    lambda m: m.GroupNorm(2, 4), lambda m: m.InstanceNorm2d(3, affine=True,
                                                           track_running_stats=True),
    lambda m: m.BatchNorm2d(3, track_running_stats=False),
])
def test_state_dict_loads_both_ways(build):
    ours, ref = build(nn), build(torch.nn)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert [k for k, _ in ours.named_buffers()] == [k for k, _ in ref.named_buffers()]
    with genesis.no_grad():
        for value in ours.state_dict().values():
            value._array[...] = np.arange(value.numel()).reshape(value._array.shape) + 2
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                         for k, v in ours.state_dict().items()})
    for key, value in ref.state_dict().items():
        assert value.dtype == {"num_batches_tracked": torch.int64}.get(key.split(".")[-1],
                                                                       torch.float32)
        np.testing.assert_array_equal(value.numpy(), ours.state_dict()[key].numpy())
    ours.load_state_dict(build(torch.nn).state_dict())
    for key, value in build(torch.nn).state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())


def test_double_keeps_the_batch_counter_an_integer():
    bn = nn.BatchNorm2d(2).double()
    assert bn.running_mean.dtype == genesis.float64
    assert bn.num_batches_tracked.dtype == genesis.int64


REPRS = [
    lambda m: m.BatchNorm2d(3), lambda m: m.BatchNorm1d(3, momentum=None, affine=False,
                                                        track_running_stats=False),
    lambda m: m.BatchNorm3d(2, eps=1e-3, bias=False), lambda m: m.GroupNorm(2, 4),
    lambda m: m.GroupNorm(1, 3, affine=False), lambda m: m.InstanceNorm2d(3),
    lambda m: m.InstanceNorm1d(3, affine=True, track_running_stats=True),
]


@pytest.mark.parametrize("build", REPRS)
def test_repr_matches_torch(build):
    assert repr(build(nn)) == repr(build(torch.nn))


@pytest.mark.parametrize("call", [
    lambda ns: ns.nn.BatchNorm2d(4)(ns.zeros(2, 3, 4, 5)),
    lambda ns: ns.nn.BatchNorm2d(3)(ns.zeros(3, 4, 5)),
    lambda ns: ns.nn.BatchNorm1d(3)(ns.zeros(2, 3, 4, 5)),
    lambda ns: ns.nn.BatchNorm1d(3)(ns.zeros(1, 3)),
    lambda ns: ns.nn.functional.batch_norm(ns.zeros(2, 3), None, None, training=False),
    lambda ns: ns.nn.functional.batch_norm(ns.zeros(2, 3), ns.zeros(3), None, training=True),
    lambda ns: ns.nn.functional.batch_norm(ns.zeros(2, 3), ns.zeros(3), ns.ones(3),
                                           ns.ones(4), training=True),
    lambda ns: ns.nn.GroupNorm(2, 3),
    lambda ns: ns.nn.functional.group_norm(ns.zeros(2, 3, 4), 2),
    lambda ns: ns.nn.GroupNorm(3, 6)(ns.zeros(2, 3, 4)),
    lambda ns: ns.nn.InstanceNorm2d(3)(ns.zeros(3, 4)),
    lambda ns: ns.nn.InstanceNorm2d(4, affine=True)(ns.zeros(2, 3, 4, 5)),
    lambda ns: ns.nn.InstanceNorm2d(3)(ns.zeros(2, 3, 1, 1)),
])
def test_errors_match_torch(call):
    raises_like_torch(call)


def test_instance_norm_warns_like_torch_on_unused_num_features():
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        nn.InstanceNorm2d(4)(genesis.zeros(2, 3, 4, 5))


def test_functional_forms_match_torch():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((4, 3, 5)), rng.standard_normal(3), rng.standard_normal(3)
    functional_pair(lambda F, t, w, b: F.group_norm(t, 3, w, b, eps=1e-3), [x, w, b], 1e-9)
    functional_pair(lambda F, t, w, b: F.instance_norm(t, weight=w, bias=b), [x, w, b], 1e-9)
    mean, var = rng.standard_normal(3), rng.random(3) + 0.5

    def eval_batch_norm(F, t, w, b):
        lib = torch if F is torch.nn.functional else genesis
        return F.batch_norm(t, lib.tensor(mean), lib.tensor(var), w, b, training=False)
    functional_pair(eval_batch_norm, [x, w, b], 1e-9)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data())
def test_functional_norms_match_torch_over_shapes(data):
    batch, channels = data.draw(st.integers(2, 4)), data.draw(st.sampled_from([2, 4, 6]))
    spatial = tuple(data.draw(st.integers(1, 4)) for _ in range(data.draw(st.integers(1, 3))))
    shape = (batch, channels) + spatial
    rng = np.random.default_rng(sum(shape))
    x, w, b = (rng.standard_normal(shape) * 3 + 1, rng.standard_normal(channels),
               rng.standard_normal(channels))
    momentum, eps = data.draw(st.sampled_from([0.1, 0.5, 1.0])), data.draw(
        st.sampled_from([1e-5, 1e-2]))
    start = rng.standard_normal(channels), rng.random(channels) + 0.5
    buffers = {}

    def train_batch_norm(F, t, w, b):
        lib = torch if F is torch.nn.functional else genesis
        mean, var = lib.tensor(start[0].copy()), lib.tensor(start[1].copy())
        buffers[lib.__name__] = (mean, var)
        return F.batch_norm(t, mean, var, w, b, training=True, momentum=momentum, eps=eps)
    functional_pair(train_batch_norm, [x, w, b], 1e-9)
    for ours, ref in zip(buffers["genesis"], buffers["torch"]):
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12)
    # a group of one element normalises to exactly 0 (PyTorch's gradient is then rounding noise)
    groups = data.draw(st.sampled_from([g for g in (1, 2, channels) if channels % g == 0
                                        and channels // g * np.prod(spatial) > 1] or [1]))
    functional_pair(lambda F, t, w, b: F.group_norm(t, groups, w, b, eps), [x, w, b], 1e-9)
    if np.prod(spatial) > 1:
        functional_pair(lambda F, t, w, b: F.instance_norm(t, weight=w, bias=b, eps=eps),
                        [x, w, b], 1e-9)
