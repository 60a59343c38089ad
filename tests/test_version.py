"""``genesis.__version__`` parses (``packaging.version``) and compares as PyTorch 2.13.0, while
carrying Genesis's own version in its local label; libraries that branch on
``torch.__version__`` (pytorch-lr-finder's ``< 1.1`` legacy path) take PyTorch 2.13's path."""
import operator
import pathlib
import tomllib

import pytest
import torch
from packaging import version

import genesis
from genesis.version import TorchVersion, version_key

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_version_parses_as_pytorch_2_13_and_names_genesis_own_release():
    parsed = version.parse(genesis.__version__)
    assert parsed.public == "2.13.0" == genesis.version.torch_version
    assert version.parse(torch.__version__).public == genesis.version.torch_version
    assert parsed.local == f"genesis.{genesis.version.genesis_version}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert genesis.version.genesis_version == project
    assert genesis.version.cuda is None and torch.version.cuda is None


def test_lr_finder_takes_the_modern_branch_as_with_torch():
    # pytorch-lr-finder: PYTORCH_VERSION < version.parse("1.1.0") selects the legacy step shift.
    for m in (genesis, torch):
        assert not version.parse(m.__version__) < version.parse("1.1.0")
        assert version.parse(m.__version__) >= version.parse("2.0")


CASES = ["2.13", "2.13.0", "2.9", "2.13.1", "1.10.0a0", "2.13.0rc1", "2.13.0.dev20250101",
         "2.13.0.post1", "3", (2, 13), (2, 9, 1), (1, 10), "2.13.0+genesis.0.1.0",
         "2.13.0+genesis.0.2.0", "parrot"]
OPS = (operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne)


@pytest.mark.parametrize("other", CASES, ids=str)
def test_version_compares_as_torch_version_does(other):
    ours = genesis.__version__
    theirs = torch.torch_version.TorchVersion(str(ours))  # PyTorch's class on our text
    for op in OPS:
        assert op(ours, other) == op(theirs, other), op


def test_version_compares_with_a_packaging_version():
    # PyTorch's TorchVersion only knows its vendored packaging; ours takes the real one too.
    other = version.parse("2.13.0+cpu")
    assert [op(genesis.__version__, other) for op in OPS] == \
        [op(version.parse(genesis.__version__), other) for op in OPS]


SORTED = ["1.0.dev1", "1.0a1", "1.0a2.dev1", "1.0b1", "1.0rc1", "1.0", "1.0+abc", "1.0+abc.5",
          "1.0+5", "1.0.post1.dev2", "1.0.post1", "1.1", "1.10", "1!0.1"]


def test_version_key_orders_as_packaging():
    assert sorted(SORTED, key=version_key) == sorted(SORTED, key=version.parse)
    for a in SORTED:
        for b in SORTED:
            assert (version_key(a) == version_key(b)) == (version.parse(a) == version.parse(b))
    assert TorchVersion("2.13.0") == "2.13" and hash(TorchVersion("x")) == hash("x")
    with pytest.raises(ValueError, match="Invalid version: 'parrot'"):
        version_key("parrot")


def test_version_docstring_examples_run():
    import doctest
    result = doctest.testmod(genesis.version, extraglobs={"genesis": genesis})
    assert result.failed == 0 and result.attempted > 0
