"""Peak memory (max RSS) of training, each framework in a fresh process: the digits MLP and
the LeNet-5 CNN of ``bench.train_cnn``.

Run as a module, this file is the child: ``python -m bench.peak_memory genesis 3 digits`` trains
the digits MLP for 3 epochs and prints its max RSS (MiB) after the imports and after training
(``tiny`` instead of ``digits``: 200 synthetic samples, no scikit-learn; ``lenet``, ``resnet``
and their ``-tiny`` forms: the CNNs of ``bench.cnn`` on synthetic images; the smoke test also
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
TITLE = "Peak memory (max RSS) of training (digits MLP, LeNet-5, small ResNet), fresh process"
TARGET = "Genesis <= PyTorch"
FRAMEWORKS = {GENESIS: "genesis", PYTORCH: "torch", NUMPY: "numpy"}
CNN_FRAMEWORKS = {GENESIS: "genesis", PYTORCH: "torch"}  # no hand-written NumPy CNN floor
CNN_SAMPLES = {"lenet": 2048, "resnet": 512}  # an epoch of bench.train_cnn at full size


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
    from bench import cnn, mlp
    from bench.numpy_mlp import numpy_epoch

    if framework != "numpy":
        __import__(framework)
    model = data.removesuffix("-tiny")
    if model in CNN_SAMPLES:
        inputs, labels = cnn.data(model, 8 if data.endswith("-tiny") else CNN_SAMPLES[model])
        build = {"genesis": cnn.genesis_epoch, "torch": cnn.torch_epoch}[framework]
        make = lambda: build(model, inputs, labels)  # noqa: E731
    else:
        inputs, labels = mlp.digits() if data == "digits" else mlp.synthetic(200, 64)
        build = {"genesis": mlp.genesis_epoch, "torch": mlp.torch_epoch,
                 "numpy": numpy_epoch}[framework]
        make = lambda: build(inputs, labels, 128)  # noqa: E731
    after_import = max_rss_mib()
    if epochs:  # 0 (the smoke test) stops here: building a PyTorch optimizer alone takes seconds
        train = make()
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


def measure_children(epochs: int, jobs: dict[str, tuple[str, str]]) -> dict[str, dict]:
    """Run :func:`child` for every ``name: (framework, data)`` job, each in a new interpreter,
    all at once."""
    return run_children("bench.peak_memory", {name: [framework, str(epochs), data]
                                              for name, (framework, data) in jobs.items()})


def run(settings: Settings, progress) -> Result:
    """Peak RSS per framework (several fresh processes; the spread shows how stable it is)."""
    epochs = settings.pick(3, 1, 0)
    suffix = settings.pick("", "", "-tiny")
    jobs = {name: (framework, settings.pick("digits", "digits", "tiny"))
            for name, framework in FRAMEWORKS.items()}
    jobs.update({f"{model} {name}": (framework, model + suffix) for model in CNN_SAMPLES
                 for name, framework in CNN_FRAMEWORKS.items()})
    runs = []
    for repeat in range(min(settings.repeats, 3)):
        progress(f"children of run {repeat + 1}")
        runs.append(measure_children(epochs, jobs))

    def row(case: str, key: str, names, prefix: str = "") -> Row:
        return Row(case, {name: Stats(tuple(run[prefix + name][key] for run in runs))
                          for name in names}, "MiB")
    rows = [row("digits MLP: peak after training", "peak", FRAMEWORKS),
            row("digits MLP: after imports and data, before training", "after_import",
                FRAMEWORKS)]
    for model, label in (("lenet", "LeNet-5"), ("resnet", "small ResNet")):
        rows += [row(f"{label}: peak after training", "peak", CNN_FRAMEWORKS, f"{model} "),
                 row(f"{label}: after imports and data, before training", "after_import",
                     CNN_FRAMEWORKS, f"{model} ")]
    checks = [Check(f"peak RSS, {r.case.split(':')[0]}: Genesis/PyTorch",
                    r.ratio(GENESIS, PYTORCH), 1.0) for r in rows[::2]]
    return Result(NAME, TITLE, TARGET, rows, checks,
                  notes=[f"{epochs} epoch(s) of the digits MLP (64-128-10, AdamW, batch 64); "
                         "the NumPy column is the hand-written floor in a process without "
                         "Genesis or PyTorch. All three load the data through scikit-learn.",
                         f"{epochs} epoch(s) of each CNN of train_cnn at its full size "
                         "(LeNet-5: 2048 images 1x28x28, batch 64; small ResNet: 512 images "
                         "3x32x32, batch 32; AdamW). What training adds to the baseline row "
                         "is the framework's own working memory; Genesis keeps every "
                         "convolution's im2col columns (or, on the stride-1 grid path, its "
                         "input stacked kw times) for the backward pass, which PyTorch's "
                         "direct convolutions do not need."])


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], int(sys.argv[2]), sys.argv[3])))
