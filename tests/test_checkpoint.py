"""Round trips of save_checkpoint/load_checkpoint, and what cannot be stored."""
import math
import os

import numpy as np
import pytest
import safetensors.numpy
from safetensors import safe_open

import genesis
from genesis import CheckpointError, load_checkpoint, save_checkpoint

DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
          np.uint8, np.uint16, np.uint32, np.uint64, np.bool_]


def random_array(rng, dtype, shape):
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    return rng.standard_normal(shape).astype(dtype)


def assert_same(loaded, expected, path="root"):
    """Exact equality of trees: types, dict key order, dtypes, shapes, bits (NaN == NaN)."""
    assert type(loaded) is type(expected), f"{path}: {type(loaded)} != {type(expected)}"
    if isinstance(expected, dict):
        assert list(loaded) == list(expected), path
        for key in expected:
            assert type(next(k for k in loaded if k == key)) is type(key), f"{path}: key {key!r}"
            assert_same(loaded[key], expected[key], f"{path}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert len(loaded) == len(expected), path
        for i, (a, b) in enumerate(zip(loaded, expected)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(expected, (np.ndarray, np.generic)):
        assert loaded.dtype == expected.dtype and loaded.shape == expected.shape, path
        assert np.array_equal(loaded, expected, equal_nan=expected.dtype.kind == "f"), path
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(loaded), path
    elif isinstance(expected, float):
        assert loaded == expected and math.copysign(1, loaded) == math.copysign(1, expected), path
    else:
        assert loaded == expected, path


@pytest.fixture
def path(tmp_path):
    return tmp_path / "checkpoint.pth"


def test_every_array_dtype_and_shape_round_trips_exactly(path):
    rng = np.random.default_rng(0)
    shapes = [(), (0,), (3,), (2, 0, 4), (3, 5), (2, 3, 4)]
    tree = {f"{np.dtype(d).name}{shape}": random_array(rng, d, shape) for d in DTYPES for shape in shapes}
    tree["nan_inf"] = np.array([np.nan, np.inf, -np.inf, -0.0], np.float32)
    save_checkpoint(tree, path)
    for mmap in (False, True):
        assert_same(load_checkpoint(path, mmap=mmap), tree)


def test_nested_tree_of_python_leaves_round_trips(path):
    tree = {
        "epoch": 7,
        "loss": 0.125,
        "neg_zero": -0.0,
        "nan": float("nan"), "inf": float("inf"), "minus_inf": float("-inf"),
        "big": 2**64 + 1, "minus_big": -(2**100), "edge": 2**53 - 1, "past_edge": 2**53,
        "none": None, "flags": [True, False],
        "text": "学习率 ünïcode \U0001f600 \"quoted\" \\ \n",
        "tuple": (1, (2.5, "x"), []),
        "empty": {"d": {}, "l": [], "t": ()},
        "state": {0: {"step": 3}, 1: {"step": 4}},  # optimizer state's int keys
        "odd_keys": {1.5: "float", None: "none", True: "bool", (1, "a"): "tuple", "@at": "at"},
        "list_of_lists": [[1, [2, [3, {"deep": (None,)}]]]],
        "np_scalars": [np.float32(1.5), np.int64(-3), np.bool_(True), np.float16(np.inf)],
    }
    save_checkpoint(tree, path)
    loaded = load_checkpoint(path)
    assert_same(loaded, tree)
    assert loaded["big"] == 2**64 + 1 and isinstance(loaded["past_edge"], int)


def test_non_string_and_at_sign_keys_keep_types_and_order(path):
    tree = {3: "c", 1: "a", "x": 0, 2.0: "f", "@tensor": "not a tag"}
    save_checkpoint(tree, path)
    loaded = load_checkpoint(path)
    assert list(loaded.items()) == list(tree.items())
    assert [type(k) for k in loaded] == [int, int, str, float, str]


def test_tensor_leaves_keep_dtype_shape_requires_grad_and_item(path):
    weight = genesis.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    tree = {
        "weight": weight,
        "loss": genesis.tensor(0.6931),
        "ints": genesis.tensor(np.arange(4, dtype=np.int64)),
        "int32": genesis.tensor(np.arange(3, dtype=np.int32)),
        "half": genesis.tensor(np.ones((2, 2), np.float16)),
        "double": genesis.tensor(np.array([1e300, -1e-300])),
        "mask": genesis.tensor(np.array([True, False])),
        "empty": genesis.tensor(np.zeros((0, 3), np.float32)),
        "array": np.arange(3.0),
    }
    save_checkpoint(tree, path)
    for mmap in (False, True):
        loaded = load_checkpoint(path, mmap=mmap)
        for key, value in tree.items():
            if key == "array":
                assert type(loaded[key]) is np.ndarray
                continue
            assert isinstance(loaded[key], genesis.Tensor), key
            assert loaded[key].dtype == value.dtype and tuple(loaded[key].shape) == tuple(value.shape), key
            assert loaded[key].requires_grad == value.requires_grad, key
            np.testing.assert_array_equal(loaded[key].detach().numpy(), value.detach().numpy())
        assert loaded["loss"].item() == pytest.approx(0.6931, abs=1e-7)
        assert isinstance(loaded["loss"].item(), float)
        # tensors built on the loaded (possibly memory-mapped) data compute and update in place
        out = (loaded["weight"] * 2.0).sum()
        out.backward()
        assert out.item() == 20.0
        np.testing.assert_array_equal(loaded["weight"].grad.numpy(), np.full((2, 2), 2.0, np.float32))
        with genesis.no_grad():
            loaded["weight"].add_(1.0)
        np.testing.assert_array_equal(loaded["weight"].detach().numpy(), [[2.0, 3.0], [4.0, 5.0]])


def test_shared_objects_are_stored_once_and_stay_shared(path):
    weight = np.arange(6.0).reshape(2, 3)
    save_checkpoint({"encoder": {"w": weight}, "decoder": {"w": weight}}, path)
    with safe_open(path, "np") as file:
        assert list(file.keys()) == ["encoder.w"]
    loaded = load_checkpoint(path)
    assert loaded["encoder"]["w"] is loaded["decoder"]["w"]


def test_array_views_byte_order_and_layout_are_normalised(path):
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    tree = {"strided": base[::2, 1::2], "transposed": base.T, "big_endian": base.astype(">f4")}
    save_checkpoint(tree, path)
    loaded = load_checkpoint(path)
    for key, value in tree.items():
        np.testing.assert_array_equal(loaded[key], value)
        assert loaded[key].flags.c_contiguous and loaded[key].dtype.byteorder in "=<|"


def test_file_is_plain_safetensors_with_arrays_named_by_key_path(path):
    tree = {"model_state_dict": {"fc.weight": np.ones((2, 3), np.float32)},
            "optimizer_state_dict": {"state": {0: {"exp_avg": np.zeros(3)}}}}
    save_checkpoint(tree, path)
    # safetensors' own (Rust) reader validates the layout independently of ours
    arrays = safetensors.numpy.load_file(str(path))
    assert sorted(arrays) == ["model_state_dict.fc.weight", "optimizer_state_dict.state[0].exp_avg"]
    np.testing.assert_array_equal(arrays["model_state_dict.fc.weight"], np.ones((2, 3), np.float32))
    with safe_open(path, "np") as file:
        metadata = file.metadata()
    assert metadata["genesis.format"] == "genesis.checkpoint" and metadata["genesis.version"] == "1"
    assert len(metadata["genesis.checksum"]) == 64


def test_file_layout_is_aligned_and_header_padded(path):
    save_checkpoint({"b": np.ones(3, np.uint8), "d": np.ones(3), "h": np.ones(3, np.float16)}, path)
    raw = path.read_bytes()
    length = int.from_bytes(raw[:8], "little")
    assert (8 + length) % 8 == 0
    with safe_open(path, "np") as file:
        for name in file.keys():
            tensor = file.get_tensor(name)
            assert tensor.dtype.itemsize in (1, 2, 8)
    import json
    header = json.loads(raw[8:8 + length])
    for name, info in header.items():
        if name != "__metadata__":
            begin = info["data_offsets"][0]
            assert begin % np.dtype({"F64": "f8", "F16": "f2", "U8": "u1"}[info["dtype"]]).itemsize == 0


def test_saves_from_any_path_like_and_aliases(tmp_path):
    target = tmp_path / "model.bin"
    genesis.save({"x": 1}, str(target))
    assert genesis.load(target) == {"x": 1}
    assert genesis.save is genesis.serialization.save and genesis.load is genesis.serialization.load


def test_root_may_be_any_storable_value(path):
    for root in [np.arange(3), 5, None, [1, np.ones(2)], (1,), "text"]:
        save_checkpoint(root, path)
        assert_same(load_checkpoint(path), root)


def test_overwriting_replaces_the_old_contents(path):
    save_checkpoint({"v": np.zeros(1000)}, path)
    save_checkpoint({"w": 1}, path)
    assert load_checkpoint(path) == {"w": 1}
    assert os.listdir(path.parent) == [path.name]


@pytest.mark.parametrize("bad, where, what", [
    ({"scheduler_state_dict": {"lr_lambdas": [lambda epoch: 0.9]}}, "scheduler_state_dict.lr_lambdas[0]",
     "function"),
    ({"a": {1: [object()]}}, "a[1][0]", "object"),
    ({"c": np.ones(2, np.complex64)}, "c", "complex64"),
    ({"s": np.array(["a"])}, "s", "<U1"),
    ({"o": np.array([None], dtype=object)}, "o", "object"),
    ({"b": b"bytes"}, "b", "bytes"),
    (open, "<root>", "builtin_function_or_method"),
])
def test_unstorable_values_raise_type_error_naming_key_path_and_type(path, bad, where, what):
    with pytest.raises(TypeError) as info:
        save_checkpoint(bad, path)
    assert where in str(info.value) and what in str(info.value)
    assert not path.exists() and os.listdir(path.parent) == []


def test_open_file_and_bad_key_raise_type_error(path, tmp_path):
    with open(tmp_path / "f.txt", "w") as handle:
        with pytest.raises(TypeError, match=r"TextIOWrapper at model\.log"):
            save_checkpoint({"model": {"log": handle}}, path)
    with pytest.raises(TypeError, match=r"dict key.*frozenset.*opt"):
        save_checkpoint({"opt": {frozenset(): 1}}, path)


def test_cycles_and_invalid_unicode_are_refused(path):
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match=r"contains itself.*\[0\]"):
        save_checkpoint({"loop": loop}, path)
    with pytest.raises(ValueError, match="surrogate"):
        save_checkpoint({"bad": "\ud800"}, path)
    with pytest.raises(ValueError, match="surrogate"):
        save_checkpoint({"outer": {"\udfff": 1}}, path)


def test_failed_save_keeps_the_previous_file(path):
    save_checkpoint({"version": 1}, path)
    with pytest.raises(TypeError):
        save_checkpoint({"version": 2, "f": print}, path)
    assert load_checkpoint(path) == {"version": 1}


def test_missing_file_and_bad_arguments(tmp_path):
    missing = tmp_path / "nope.pth"
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        load_checkpoint(missing)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_checkpoint({}, tmp_path / "no_dir" / "c.pth")
    with pytest.raises(TypeError, match="path must be a str, an os.PathLike or a binary file object, got int"):
        save_checkpoint({}, 3)
    with pytest.raises(TypeError, match="mmap must be a bool"):
        load_checkpoint(missing, mmap="yes")
    with pytest.raises(IsADirectoryError):
        save_checkpoint({}, tmp_path)
    assert issubclass(CheckpointError, ValueError)


def test_mmap_load_is_equal_and_copy_on_write(path):
    tree = {"w": np.random.default_rng(1).standard_normal((64, 64)), "n": 3}
    save_checkpoint(tree, path)
    before = path.read_bytes()
    mapped = load_checkpoint(path, mmap=True)
    assert_same(mapped, tree)
    assert type(mapped["w"]) is np.ndarray
    mapped["w"][0, 0] = 5.0  # in-place updates (an optimizer's) work on the mapped data ...
    mapped["w"] += 1.0
    assert mapped["w"][0, 0] == 6.0
    del mapped
    assert path.read_bytes() == before  # ... and never reach the file
    regular = load_checkpoint(path)
    assert_same(regular, tree)
    regular["w"][0, 0] = 5.0


@pytest.mark.parametrize("module", ["genesis.checkpoint.api", "genesis.checkpoint.tree"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def _trees():
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    arrays = hnp.arrays(
        dtype=st.sampled_from([np.dtype(d) for d in DTYPES]),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
    )
    leaves = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
              | st.text(st.characters(exclude_categories=["Cs"]), max_size=8) | arrays)
    keys = st.text(max_size=5, alphabet="ab@.[]0") | st.integers(-3, 3) | st.none() | st.booleans()
    return st.recursive(leaves, lambda children: (
        st.lists(children, max_size=3) | st.tuples(children, children)
        | st.dictionaries(keys, children, max_size=3)
    ), max_leaves=12)


def test_random_trees_round_trip_exactly(tmp_path):
    from hypothesis import HealthCheck, given, settings

    path = tmp_path / "tree.pth"

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_trees())
    def round_trip(tree):
        save_checkpoint({"tree": tree}, path)
        assert_same(load_checkpoint(path)["tree"], {"tree": tree}["tree"])

    round_trip()


def _anonymous_kib():
    with open("/proc/self/smaps_rollup") as file:
        return next(int(line.split()[1]) for line in file if line.startswith("Anonymous:"))


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps_rollup"), reason="needs Linux /proc accounting")
def test_mmap_load_verifies_without_copying_the_data(path):
    save_checkpoint({"w": np.ones(12_500_000, np.float64)}, path)  # 100 MB
    before = _anonymous_kib()
    mapped = load_checkpoint(path, mmap=True)  # reads every byte for the checksum
    assert mapped["w"][-1] == 1.0
    assert _anonymous_kib() - before < 20_000  # the 100 MB stay in the page cache
    del mapped
    before = _anonymous_kib()
    copied = load_checkpoint(path)
    assert _anonymous_kib() - before > 90_000  # (the accounting does see a real copy)
    del copied
