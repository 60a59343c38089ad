"""Peak memory (max RSS) of the digits training, each framework in a fresh process.

Run as a module, this file is the child: ``python -m bench.peak_memory genesis 3 digits`` trains
the digits MLP for 3 epochs and prints its max RSS (MiB) after the imports and after training
(``tiny`` instead of ``digits``: 200 synthetic samples, no scikit-learn; the smoke test also
passes 0 epochs, so the child only imports and loads).
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

from bench.machine import REPO_ROOT
from bench.measure import GENESIS, NUMPY, PYTORCH, Check, Result, Row, Settings, Stats

NAME = "peak_memory"
TITLE = "Peak memory (max RSS) of the digits training, fresh process"
TARGET = "Genesis <= PyTorch"
FRAMEWORKS = {GENESIS: "genesis", PYTORCH: "torch", NUMPY: "numpy"}


def max_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB.

    Linux's ``VmHWM`` is per address space, so it starts afresh in the child; ``ru_maxrss``
    (the fallback elsewhere) keeps the peak of the forked parent across ``exec`` on Linux.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # KiB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(framework: str, epochs: int, data: str) -> dict[str, float]:
    """Import ``framework``, load ``data``, train ``epochs`` epochs; the RSS peaks in MiB."""
    from bench import mlp
    from bench.numpy_mlp import numpy_epoch

    builders = {"genesis": mlp.genesis_epoch, "torch": mlp.torch_epoch, "numpy": numpy_epoch}
    build = builders[framework]
    if framework != "numpy":
        __import__(framework)
    inputs, labels = mlp.digits() if data == "digits" else mlp.synthetic(200, 64)
    after_import = max_rss_mib()
    if epochs:  # 0 (the smoke test) stops here: building a PyTorch optimizer alone takes seconds
        train = build(inputs, labels, 128)
        for _ in range(epochs):
            train()
    return {"after_import": after_import, "peak": max_rss_mib()}


def run_children(module: str, argv: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """Run ``python -m module *argv[name]`` for every name, each in a new interpreter, all at
    once, and return the JSON each prints last.

    Concurrent runs are fine here: a peak RSS is per process and does not depend on timing.
    """
    children = {
        name: subprocess.Popen([sys.executable, "-m", module, *args], cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, text=True)
        for name, args in argv.items()}
    reports = {}
    for name, process in children.items():
        out, _ = process.communicate()
        if process.returncode:
            raise RuntimeError(f"peak-memory child for {name} exited with {process.returncode}")
        reports[name] = json.loads(out.strip().splitlines()[-1])
    return reports


def measure_children(epochs: int, data: str) -> dict[str, dict[str, float]]:
    """Run :func:`child` for every framework, each in a new interpreter, all at once."""
    return run_children("bench.peak_memory", {name: [framework, str(epochs), data]
                                              for name, framework in FRAMEWORKS.items()})


def run(settings: Settings, progress) -> Result:
    """Peak RSS per framework (several fresh processes; the spread shows how stable it is)."""
    epochs = settings.pick(3, 1, 0)
    runs = []
    for repeat in range(min(settings.repeats, 3)):
        progress(f"children of run {repeat + 1}")
        runs.append(measure_children(epochs, settings.pick("digits", "digits", "tiny")))
    peaks = {name: Stats(tuple(run[name]["peak"] for run in runs)) for name in FRAMEWORKS}
    baselines = {name: Stats(tuple(run[name]["after_import"] for run in runs))
                 for name in FRAMEWORKS}
    peak, baseline = Row("peak after training", peaks, "MiB"), Row(
        "after imports and data, before training", baselines, "MiB")
    return Result(NAME, TITLE, TARGET, [peak, baseline],
                  [Check("peak RSS: Genesis/PyTorch", peak.ratio(GENESIS, PYTORCH), 1.0)],
                  notes=[f"{epochs} epoch(s) of the digits MLP (64-128-10, AdamW, batch 64); "
                         "the NumPy column is the hand-written floor in a process without "
                         "Genesis or PyTorch. All three load the data through scikit-learn."])


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], int(sys.argv[2]), sys.argv[3])))
