"""Smoke test of ``bench/``: every benchmark runs at tiny sizes and the report renders.

No timing is asserted (timings are benchmarks, not tests). What is checked: each benchmark
returns a measurement for every implementation it names, its targets are evaluated, the
Markdown report holds every section, and the hand-written NumPy floor computes the same
training step as PyTorch (otherwise Genesis/NumPy would compare against a different workload).
"""
import io
import math
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not installed

from bench import import_time, peak_memory, registry, report  # noqa: E402
from bench.__main__ import main as bench_main  # noqa: E402
from bench.measure import Settings  # noqa: E402
from bench.numpy_mlp import MLP  # noqa: E402
from bench.runner import run_all  # noqa: E402

TINY = Settings(repeats=1, size="tiny", threads=1)
# These only wait for child processes (fresh interpreters importing torch): run them on threads
# while the others run, so the smoke test stays short. Timings are meaningless here anyway.
# Nothing that trains in this process may run on a thread: grad mode is process-wide, so a
# no_grad() block in one benchmark would switch off the graph of another's training step.
WAITING_ON_CHILDREN = (import_time, peak_memory)


def _quiet(message: str) -> None:
    pass


@pytest.fixture(scope="module")
def results():
    with ThreadPoolExecutor(len(WAITING_ON_CHILDREN)) as pool:
        pending = {m.NAME: pool.submit(m.run, TINY, _quiet) for m in WAITING_ON_CHILDREN}
        done = {m.NAME: m.run(TINY, _quiet) for m in registry.BENCHMARKS
                if m not in WAITING_ON_CHILDREN}
        done.update({name: future.result() for name, future in pending.items()})
    return [done[m.NAME] for m in registry.BENCHMARKS]


def test_every_benchmark_measures_and_checks(results):
    assert [r.name for r in results] == [m.NAME for m in registry.BENCHMARKS]
    for result in results:
        assert result.rows and result.checks, result.name
        for row in result.rows:
            assert "Genesis" in row.stats, (result.name, row.case)
            for stats in row.stats.values():
                assert len(stats.samples) == TINY.repeats
                assert all(math.isfinite(v) and v > 0 for v in stats.samples), (result.name, row)
        for check in result.checks:
            assert math.isfinite(check.measured) and check.measured > 0, (result.name, check)


def test_report_has_every_section_and_verdict(results):
    text = report.render(results, {"CPU": "test"}, "python -m bench", 1.0)
    for result in results:
        assert f"(`{result.name}`)" in text
    verdicts = text.count("| PASS |") + text.count("| **MISS** |")
    assert verdicts == sum(len(r.checks) for r in results)


def test_format_value_units():
    assert report.format_value(2.5, "s") == "2.5 s"
    assert report.format_value(0.0123, "s") == "12.3 ms"
    assert report.format_value(4.2e-6, "s") == "4.2 µs"
    assert report.format_value(0.9996, "s") == "1 s"  # rounding never gives "1e+03 ms"
    assert report.format_value(1234.5, "s") == "1234 s"
    assert report.format_value(100.25, "MiB") == "100.2 MiB"


def test_cli_lists_and_rejects_unknown_names(monkeypatch, capsys):
    # main() sets these; monkeypatch restores them afterwards
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY"):
        monkeypatch.setenv(name, "1")
    assert bench_main(["--list"]) == 0
    listed = capsys.readouterr().out.split()
    assert all(module.NAME in listed for module in registry.BENCHMARKS)
    assert bench_main(["--only", "nope", "--list"]) == 2
    assert "unknown benchmark 'nope'" in capsys.readouterr().err


def test_numpy_floor_step_matches_torch():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 8), dtype=np.float32)
    y = rng.integers(0, 3, 16)
    floor = MLP(8, 5, 3, seed=2)
    twin = torch.nn.Sequential(torch.nn.Linear(8, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    with torch.no_grad():
        for p, value in zip(twin.parameters(), floor.params):
            p.copy_(torch.from_numpy(value))
    optimizer = torch.optim.AdamW(twin.parameters(), lr=1e-3)
    for _ in range(3):
        loss = floor.train_step(x, y)
        optimizer.zero_grad()
        expected = torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(y))
        expected.backward()
        optimizer.step()
        np.testing.assert_allclose(loss, expected.item(), rtol=1e-5)
    for p, value in zip(twin.parameters(), floor.params):
        np.testing.assert_allclose(value, p.detach().numpy(), rtol=1e-5, atol=1e-7)


def test_runner_reports_progress():
    log = io.StringIO()
    (result,) = run_all(registry.by_name(["preview"]), TINY, log=log)
    assert result.name == "preview"
    lines = log.getvalue().splitlines()
    assert "[1/1] preview: start" in lines[0] and "PASS" in lines[-1]
