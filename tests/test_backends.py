"""``genesis.backends``: the flags scripts set and read have PyTorch 2.13's defaults, accept
bools only (PyTorch's RuntimeError otherwise) and can be imported as modules
(``import torch.backends.cudnn as cudnn``)."""
import importlib

import pytest
import torch

import genesis

FLAGS = [("cudnn", "enabled"), ("cudnn", "benchmark"), ("cudnn", "deterministic"),
         ("cudnn", "allow_tf32"), ("cuda.matmul", "allow_tf32")]


def _holder(m, path):
    obj = m.backends
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("path, name", FLAGS)
def test_flags_default_set_and_refuse_as_torch(path, name):
    ours, theirs = _holder(genesis, path), _holder(torch, path)
    default = getattr(theirs, name)
    assert getattr(ours, name) == default
    try:
        for holder in (ours, theirs):
            setattr(holder, name, not default)
            assert getattr(holder, name) == (not default)
        for bad in (1, "yes", None):
            for holder in (ours, theirs):
                with pytest.raises(RuntimeError, match=r"expects a bool, but got "
                                                       + type(bad).__name__):
                    setattr(holder, name, bad)
    finally:
        setattr(ours, name, default)
        setattr(theirs, name, default)


def test_unknown_matmul_flag_and_availability_as_torch():
    for m in (genesis, torch):
        with pytest.raises(AttributeError, match="^Unknown attribute foo"):
            m.backends.cuda.matmul.foo = True
        assert m.backends.cudnn.is_available() is False and m.backends.cudnn.version() is None
        assert m.backends.mps.is_available() is False and m.backends.mps.is_built() is False
        assert m.backends.cuda.is_built() is False


def test_backend_modules_import_by_path_and_flags_block_restores():
    cudnn = importlib.import_module("genesis.backends.cudnn")
    assert cudnn is genesis.backends.cudnn
    with cudnn.flags(enabled=False, benchmark=True):
        assert cudnn.enabled is False and cudnn.benchmark is True
    assert cudnn.enabled is True and cudnn.benchmark is False


def test_flags_change_no_result():
    x = genesis.randn(8, 8, dtype=genesis.float64)
    before = (x @ x).numpy().copy()
    genesis.backends.cuda.matmul.allow_tf32 = True
    genesis.backends.cudnn.benchmark = True
    try:
        assert ((x @ x).numpy() == before).all()
    finally:
        genesis.backends.cuda.matmul.allow_tf32 = False
        genesis.backends.cudnn.benchmark = False
