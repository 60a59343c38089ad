"""Under CI=true (what .ci/run sees on a CI machine) a skip fails the run; elsewhere it stays a skip."""
from pathlib import Path

pytest_plugins = ["pytester"]

SAMPLE = """
import pytest

def test_runs():
    pass

@pytest.mark.skipif(True, reason="oracle missing")
def test_marked():
    pass

def test_inside():
    pytest.skip("inside")
"""


def _run(pytester, monkeypatch, ci):
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(test_sample=SAMPLE)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # a bare, fast inner run
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    return pytester.runpytest_inprocess("-p", "no:cacheprovider")


def test_skips_fail_under_ci(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, "true")
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*skipped under CI=true, where nothing may skip: *oracle missing*"])


def test_skips_stay_skips_outside_ci(pytester, monkeypatch):
    _run(pytester, monkeypatch, None).assert_outcomes(passed=1, skipped=2)
    _run(pytester, monkeypatch, "false").assert_outcomes(passed=1, skipped=2)
