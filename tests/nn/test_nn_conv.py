"""Convolutions against PyTorch: values and gradients over random configurations, the layers'
arguments, initialisation, state dicts both ways, errors and repr."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import genesis
from genesis import nn
from genesis.nn.modules import conv_grid
from nn_testing import (
    TOLERANCE, compare_modules, central_difference, functional_pair, module_pair,
    raises_like_torch,
)

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)
# PyTorch's own performance note on even kernels with padding="same"; not about correctness
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


@st.composite
def conv_configs(draw, nd: int, transposed: bool = False):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    if transposed:
        padding = tuple(draw(st.integers(0, 2)) for _ in range(nd))
    elif all(s == 1 for s in stride) and draw(st.booleans()):
        padding = draw(st.sampled_from(["same", "valid"]))
    else:
        padding = tuple(draw(st.integers(0, 2)) for _ in range(nd))
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    spatial = tuple(draw(st.integers(max(span, 2), span + 5)) for span in spans)
    config = dict(groups=groups, kernel=kernel, stride=stride, dilation=dilation,
                  padding=padding, spatial=spatial, batch=draw(st.integers(1, 3)),
                  cin=groups * draw(st.integers(1, 2)), cout=groups * draw(st.integers(1, 2)),
                  bias=draw(st.booleans()), unbatched=draw(st.integers(0, 4)) == 0)
    if transposed:
        config["output_padding"] = tuple(draw(st.integers(0, max(s, d) - 1))
                                         for s, d in zip(stride, dilation))
        config["padding"] = tuple(min(p, ((s - 1) * st_ + d * (k - 1)) // 2) for p, s, st_, d, k
                                  in zip(padding, spatial, stride, dilation, kernel))
    return config


def _arrays(config: dict, weight_shape: tuple, seed: int, dtype=np.float64) -> list:
    rng = np.random.default_rng(seed)
    lead = () if config["unbatched"] else (config["batch"],)
    arrays = [rng.standard_normal(lead + (config["cin"],) + config["spatial"]),
              rng.standard_normal(weight_shape)]
    if config["bias"]:
        arrays.append(rng.standard_normal(weight_shape[1] * config["groups"]
                                          if "output_padding" in config else weight_shape[0]))
    return [a.astype(dtype) for a in arrays]


def _conv(nd: int, config: dict):
    name = f"conv{nd}d"

    def fn(F, x, w, b=None):
        return getattr(F, name)(x, w, b, stride=config["stride"], padding=config["padding"],
                                dilation=config["dilation"], groups=config["groups"])
    return fn


@pytest.mark.parametrize("nd", [1, 2])
@SETTINGS
@given(data=st.data())
def test_conv_matches_torch(nd, data):
    config = data.draw(conv_configs(nd))
    weight = (config["cout"], config["cin"] // config["groups"]) + config["kernel"]
    functional_pair(_conv(nd, config), _arrays(config, weight, 0), TOLERANCE[np.float64],
                    what=str(config))


@pytest.mark.parametrize("nd", [1, 2])
@SETTINGS
@given(data=st.data())
def test_conv_transpose_matches_torch(nd, data):
    config = data.draw(conv_configs(nd, transposed=True))
    weight = (config["cin"], config["cout"] // config["groups"]) + config["kernel"]

    def fn(F, x, w, b=None):
        return getattr(F, f"conv_transpose{nd}d")(
            x, w, b, stride=config["stride"], padding=config["padding"],
            output_padding=config["output_padding"], groups=config["groups"],
            dilation=config["dilation"])
    functional_pair(fn, _arrays(config, weight, 1), TOLERANCE[np.float64], what=str(config))


@pytest.mark.parametrize("depthwise", [False, True])
def test_conv2d_float32_matches_torch(depthwise):
    config = dict(groups=8 if depthwise else 1, kernel=(3, 3), stride=(2, 1), dilation=(1, 1),
                  padding=(1, 1), spatial=(12, 11), batch=4, cin=8, cout=16 if depthwise else 6,
                  bias=True, unbatched=False)
    weight = (config["cout"], config["cin"] // config["groups"], 3, 3)
    functional_pair(_conv(2, config), _arrays(config, weight, 2, np.float32),
                    TOLERANCE[np.float32])


@pytest.mark.parametrize("nd", [1, 2])
@SETTINGS
@given(data=st.data())
def test_grid_path_matches_torch_on_every_stride_one_config(nd, data):
    """The stride-1 grid path (conv_grid) with its size thresholds lifted, so that the small
    random configurations take it wherever it applies (stride 1, one group, padding at most
    dilation * (k - 1)): values and all gradients still match PyTorch."""
    config = {**data.draw(conv_configs(nd)), "stride": (1,) * nd, "groups": 1}
    weight = (config["cout"], config["cin"] // config["groups"]) + config["kernel"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conv_grid, "MAX_GRID_RATIO", math.inf)
        patch.setattr(conv_grid, "MIN_CONTRACTION", 0)
        functional_pair(_conv(nd, config), _arrays(config, weight, 5), TOLERANCE[np.float64],
                        what=str(config))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,kernel,padding,dilation", [
    ((2, 16, 24, 24), (3, 3), 1, 1),      # a ResNet block's convolution
    ((2, 8, 40, 41), (5, 4), "same", 1),  # even kernel: asymmetric padding
    ((2, 12, 44, 45), (3, 3), 2, 2),      # dilated
    ((3, 16, 40), (5,), 2, 1),            # 1-d
])
def test_grid_path_at_its_own_sizes_matches_torch(shape, kernel, padding, dilation, dtype):
    """Sizes that take the grid path without lifting its thresholds (checked through
    ``usable``); output, input, weight and bias gradients against PyTorch."""
    nd = len(kernel)
    config = dict(groups=1, kernel=kernel, stride=(1,) * nd, dilation=(dilation,) * nd,
                  padding=padding, spatial=shape[2:], batch=shape[0], cin=shape[1], cout=6,
                  bias=True, unbatched=False)
    pads = nn.modules.conv._conv_padding(padding, kernel, config["stride"],
                                         config["dilation"], nd)
    spans = [dilation * (k - 1) for k in kernel]
    out = tuple(s + sum(p) - span for s, p, span in zip(shape[2:], pads, spans))

    def two_d(values, fill):
        return values if nd == 2 else (fill,) + values
    assert conv_grid.usable((shape[0], shape[1]) + two_d(shape[2:], 1), two_d(kernel, 1),
                            (1, 1), two_d(config["dilation"], 1), two_d(pads, (0, 0)), 1,
                            two_d(out, 1))
    weight = (6, shape[1]) + kernel
    functional_pair(_conv(nd, config), _arrays(config, weight, 6, dtype), TOLERANCE[dtype],
                    what=str(config))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_consecutive_grid_convolutions_keep_their_own_saved_inputs(dtype):
    """Several same-shaped grid convolutions in one graph, as in a ResNet block: each keeps
    its own stacked input for its weight gradient (recycled scratch memory must not be handed
    to the next layer while a backward still needs it)."""
    def build(m):
        return m.Sequential(m.Conv2d(16, 16, 3, padding=1, bias=False), m.BatchNorm2d(16),
                            m.ReLU(), m.Conv2d(16, 16, 3, padding=1),
                            m.Conv2d(16, 16, 3, padding=1))
    rng = np.random.default_rng(8)
    ours, ref = module_pair(build, dtype, rng)
    x = rng.standard_normal((2, 16, 24, 24)).astype(dtype)
    for step in range(2):  # the second step runs on recycled scratch buffers
        ours.zero_grad(), ref.zero_grad()
        compare_modules(ours, ref, x, TOLERANCE[dtype], rng, f"step {step}")


def test_conv_transpose2d_float32_matches_torch():
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(3, 8, 7, 7), (8, 4, 2, 2),
                                                                  (4,)]]
    functional_pair(lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2), arrays,
                    TOLERANCE[np.float32])


def test_conv2d_gradient_matches_central_differences():
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((4, 1, 2, 3))
    upstream = rng.standard_normal((2, 4, 3, 2))

    def loss(x_array, w_array):
        out = genesis.nn.functional.conv2d(genesis.tensor(x_array), genesis.tensor(w_array),
                                           stride=(2, 1), padding=(1, 0), groups=2)
        return float((out.numpy() * upstream).sum())
    gx, gw = genesis.tensor(x, requires_grad=True), genesis.tensor(w, requires_grad=True)
    genesis.nn.functional.conv2d(gx, gw, stride=(2, 1), padding=(1, 0),
                                 groups=2).backward(genesis.tensor(upstream))
    np.testing.assert_allclose(gx.grad.numpy(), central_difference(lambda a: loss(a, w), x),
                               rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(gw.grad.numpy(), central_difference(lambda a: loss(x, a), w),
                               rtol=1e-7, atol=1e-8)


LAYERS = [
    ("conv1d", lambda m: m.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2), (4, 11)),
    ("conv1d_same_reflect", lambda m: m.Conv1d(2, 3, 4, padding="same", padding_mode="reflect"),
     (2, 9)),
    ("conv2d", lambda m: m.Conv2d(3, 4, (3, 2), stride=(1, 2), padding=(2, 1)), (3, 7, 8)),
    ("conv2d_same_even", lambda m: m.Conv2d(2, 4, 4, padding="same", bias=False), (2, 6, 7)),
    ("conv2d_valid", lambda m: m.Conv2d(2, 2, 3, padding="valid"), (2, 5, 5)),
    ("conv2d_depthwise", lambda m: m.Conv2d(4, 8, 3, groups=4, padding=1), (4, 6, 6)),
    ("conv2d_reflect", lambda m: m.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="reflect"),
     (2, 5, 6)),
    ("conv2d_replicate", lambda m: m.Conv2d(2, 3, 3, padding=2, padding_mode="replicate",
                                            stride=2), (2, 5, 6)),
    ("conv2d_circular", lambda m: m.Conv2d(2, 3, 3, padding="same", padding_mode="circular",
                                           dilation=2), (2, 6, 6)),
    ("conv_transpose1d", lambda m: m.ConvTranspose1d(4, 2, 3, stride=3, output_padding=1),
     (4, 5)),
    ("conv_transpose2d", lambda m: m.ConvTranspose2d(4, 6, (3, 2), stride=2, padding=1,
                                                     output_padding=1, groups=2, dilation=1),
     (4, 5, 4)),
    ("conv_transpose2d_dilated", lambda m: m.ConvTranspose2d(2, 2, 3, dilation=2, padding=2,
                                                             bias=False), (2, 4, 4)),
    ("lenet", lambda m: m.Sequential(
        m.Conv2d(1, 6, 5), m.ReLU(), m.MaxPool2d(2), m.Conv2d(6, 16, 5), m.ReLU(),
        m.MaxPool2d(2), m.Flatten(), m.Linear(16, 10)), (1, 16, 16)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,build,trailing", LAYERS, ids=[case[0] for case in LAYERS])
def test_layer_matches_torch(name, build, trailing, dtype):
    rng = np.random.default_rng(len(name))
    ours, ref = module_pair(build, dtype, rng)
    for lead in ((3,), ()):
        if name == "lenet" and not lead:
            continue
        ours.zero_grad(), ref.zero_grad()
        x = rng.standard_normal(lead + trailing).astype(dtype)
        compare_modules(ours, ref, x, TOLERANCE[dtype], rng, name)


def test_conv_transpose2d_output_size_picks_output_padding():
    rng = np.random.default_rng(5)
    ours, ref = module_pair(lambda m: m.ConvTranspose2d(3, 2, 3, stride=2, padding=1),
                            np.float64, rng)
    x = rng.standard_normal((1, 3, 4, 4))
    for size in ([7, 7], [8, 8], [1, 2, 8, 7]):
        expected = ref(torch.from_numpy(x), output_size=size).detach().numpy()
        np.testing.assert_allclose(ours(genesis.tensor(x), output_size=size).detach().numpy(),
                                   expected,
                                   rtol=1e-12)
    with pytest.raises(ValueError, match="requested an output size of"):
        ours(genesis.tensor(x), output_size=[10, 10])


@pytest.mark.parametrize("build", [
    lambda m: m.Conv2d(16, 32, 3), lambda m: m.Conv1d(8, 24, 5, groups=4),
    lambda m: m.ConvTranspose2d(12, 24, 4, groups=3),
])
def test_initialisation_matches_torch_distribution(build):
    genesis.manual_seed(0)
    ours, ref = build(nn), build(torch.nn)
    fan_in = ref.weight.shape[1] * math.prod(ref.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) on (out, in/groups, *k)
    for name in ("weight", "bias"):
        values = getattr(ours, name).detach().numpy()
        assert values.shape == tuple(getattr(ref, name).shape)
        assert values.dtype == np.float32
        assert np.abs(values).max() <= bound
        if values.size > 1000:
            assert np.abs(values).max() > 0.98 * bound
            assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound
            assert abs(values.mean()) < 0.05 * bound


@pytest.mark.parametrize("build", [
    lambda m: m.Conv2d(3, 4, 3, bias=False), lambda m: m.ConvTranspose2d(4, 2, 2, groups=2),
    lambda m: m.Sequential(m.Conv1d(2, 4, 3), m.ReLU(), m.Conv1d(4, 1, 1)),
])
def test_state_dict_loads_both_ways(build):
    ours, ref = build(nn), build(torch.nn)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ref.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    for key, value in ref.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), ours.state_dict()[key].numpy())
    ours.load_state_dict(build(torch.nn).state_dict())


REPRS = [
    lambda m: m.Conv2d(1, 6, 5),
    lambda m: m.Conv2d(4, 6, (3, 5), stride=2, padding=1, dilation=2, groups=2, bias=False),
    lambda m: m.Conv2d(4, 6, 5, padding="same", padding_mode="reflect"),
    lambda m: m.Conv1d(4, 6, 5, padding="valid", padding_mode="circular"),
    lambda m: m.ConvTranspose2d(4, 6, (3, 5), stride=2, output_padding=1, groups=2, dilation=2),
    lambda m: m.ConvTranspose1d(2, 2, 3),
]


@pytest.mark.parametrize("build", REPRS)
def test_repr_matches_torch(build):
    assert repr(build(nn)) == repr(build(torch.nn))


@pytest.mark.parametrize("call", [
    lambda ns: ns.nn.Conv2d(3, 6, 5, groups=2),
    lambda ns: ns.nn.Conv2d(4, 6, 5, groups=4),
    lambda ns: ns.nn.Conv2d(4, 6, 5, groups=0),
    lambda ns: ns.nn.Conv2d(4, 6, 5, stride=2, padding="same"),
    lambda ns: ns.nn.ConvTranspose2d(4, 6, 5, padding_mode="reflect"),
    lambda ns: ns.nn.Conv2d(1, 6, 5)(ns.zeros(2, 3)),
    lambda ns: ns.nn.Conv2d(1, 6, 5)(ns.zeros(2, 3, 28, 28)),
    lambda ns: ns.nn.Conv2d(1, 6, 5)(ns.zeros(2, 1, 3, 3)),
    lambda ns: ns.nn.Conv1d(1, 6, 5)(ns.zeros(2, 1, 3, 3)),
    lambda ns: ns.nn.ConvTranspose2d(4, 6, 5)(ns.zeros(1, 3, 5, 5)),
    lambda ns: ns.nn.ConvTranspose2d(4, 6, 5)(ns.zeros(4, 5, 5, 5, 5)),
    lambda ns: ns.nn.ConvTranspose2d(4, 6, 5, stride=2, output_padding=2)(ns.zeros(1, 4, 5, 5)),
    lambda ns: ns.nn.functional.conv2d(ns.zeros(1, 4, 5, 5), ns.zeros(6, 4, 3, 3), ns.zeros(5)),
    lambda ns: ns.nn.functional.conv2d(ns.zeros(1, 4, 5, 5), ns.zeros(6, 4, 3, 3), stride=0),
    lambda ns: ns.nn.functional.conv2d(ns.zeros(1, 4, 5, 5), ns.zeros(6, 4, 3, 3), padding=-1),
    lambda ns: ns.nn.functional.conv2d(ns.zeros(1, 4, 5, 5), ns.zeros(6, 4, 3, 3), dilation=0),
    lambda ns: ns.nn.functional.conv2d(ns.zeros(1, 4, 5, 5),
                                       ns.zeros(6, 4, 3, 3, dtype=ns.float64)),
])
def test_errors_match_torch(call):
    raises_like_torch(call)


def test_unknown_padding_strings_are_refused_like_torch():
    # PyTorch prints a set of choices, whose order changes from process to process.
    message = raises_like_torch(lambda ns: ns.nn.Conv2d(4, 6, 5, padding_mode="mirror"),
                                exact=False)
    assert message.startswith("padding_mode must be one of {") and "'mirror'" in message
    message = raises_like_torch(lambda ns: ns.nn.Conv2d(4, 6, 5, padding="full"), exact=False)
    assert message.startswith("Invalid padding string 'full', should be one of {")


def test_float_kernel_size_is_refused_like_torch():
    with pytest.raises(TypeError):
        torch.nn.Conv2d(4, 6, 5.0)
    with pytest.raises(TypeError, match="kernel_size"):
        nn.Conv2d(4, 6, 5.0)


def test_eval_and_no_grad_record_nothing():
    conv = nn.Conv2d(2, 3, 3).eval()
    with genesis.no_grad():
        out = conv(genesis.randn(1, 2, 5, 5))
    assert out.grad_fn is None and not out.requires_grad
    assert repr(conv(genesis.randn(1, 2, 5, 5)).grad_fn).startswith("<ConvolutionBackward0")
