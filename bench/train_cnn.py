"""One epoch of CNN training: a LeNet-5 on 1x28x28 images (batch 64) and a small ResNet with
BatchNorm on 3x32x32 images (batch 32), synthetic data, AdamW, Genesis beside PyTorch."""
from __future__ import annotations

from bench import cnn
from bench.measure import GENESIS, PYTORCH, Result, Row, Settings, ratio_check, sample_all

NAME = "train_cnn"
TITLE = "One epoch of CNN training: LeNet-5 (1x28x28, batch 64), small ResNet (3x32x32, batch 32)"
TARGET = "Genesis <= 2x PyTorch per epoch (peak memory: see peak_memory)"
BUILDERS = {GENESIS: cnn.genesis_epoch, PYTORCH: cnn.torch_epoch}


def time_model(model: str, samples: int, settings: Settings, progress) -> Row:
    """Seconds of one epoch of ``model`` per framework (a fresh model every time)."""
    inputs, labels = cnn.data(model, samples)
    batches = -(-samples // cnn.SHAPES[model][2])
    case = f"{model}, {samples} samples, {batches} batches"
    progress(f"{case}: Genesis, PyTorch, interleaved")
    return Row(case, sample_all({name: (lambda build=build: build(model, inputs, labels)())
                                 for name, build in BUILDERS.items()}, settings))


WHERE_THE_TIME_GOES = (
    "Where Genesis's time goes (cProfile of an epoch): the convolutions, about two thirds of the "
    "ResNet epoch and half of LeNet's. Each is an im2col copy plus one BLAS matmul per pass "
    "(forward, weight gradient, input gradient); PyTorch runs oneDNN's direct convolutions, "
    "which never materialise the columns. The ResNet's 3x3 convolutions with 16 channels are "
    "the hard case: a (16 x 144) @ (144 x 32768) matmul is memory-bound (the 19 MB of columns "
    "are written once and read twice), a lone such convolution (forward and "
    "backward) took 1.6x-2.2x PyTorch's time in interleaved timings on a busy 2-core machine. "
    "Batch norm, ReLU and pooling are the smaller part. LeNet's convolutions are small and its "
    "epoch is dominated by per-layer work both frameworks share.")
MISSED = ("A missed target here is the convolution cost above: closing it needs a direct or "
          "blocked convolution (im2col over chunks of the batch that stay in cache, which the "
          "design rules out: one BLAS call per convolution pass, no Python loop over the "
          "batch) or a compiled kernel.")


def run(settings: Settings, progress) -> Result:
    """Time an epoch of each model; the tiny size runs a couple of batches."""
    lenet = time_model("lenet", settings.pick(2048, 1024, 64), settings, progress)
    resnet = time_model("resnet", settings.pick(512, 256, 8), settings, progress)
    checks = [ratio_check(lenet, PYTORCH, 2.0), ratio_check(resnet, PYTORCH, 2.0)]
    notes = ["Synthetic Gaussian images labelled by a random linear teacher; each framework "
             "iterates its own shuffling DataLoader(TensorDataset). The models are written once "
             "against the nn namespace (bench/cnn.py), so both frameworks train the same layers.",
             WHERE_THE_TIME_GOES]
    if not all(check.passed for check in checks):
        notes.append(MISSED)
    return Result(NAME, TITLE, TARGET, [lenet, resnet], checks, notes=notes)
