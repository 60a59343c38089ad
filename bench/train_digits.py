"""One epoch of MLP training on the digits (64-128-10, AdamW, batch 64)."""
from __future__ import annotations

from bench import mlp
from bench.breakdown import phase_rows
from bench.measure import (GENESIS, NUMPY, PYTORCH, Result, Row, Settings, ratio_check,
                           sample_all)
from bench.numpy_mlp import numpy_epoch

NAME = "train_digits"
TITLE = "One epoch of MLP training: digits 64-128-10, AdamW, batch 64"
TARGET = "Genesis <= 1.0x PyTorch and <= 1.2x the NumPy floor"
HIDDEN = 128
PHASES_NOTE = ("The per-batch rows time the same epochs phase by phase (separate runs, so they "
               "need not add up to the epoch row exactly). Genesis calls the same NumPy kernels "
               "as the floor; what it adds per batch is Python work that does not grow with the "
               "arrays (tensor wrappers, graph nodes, the backward engine, copies of the leaf "
               "gradients), so it weighs on small models and fades on large ones.")

EPOCH_BUILDERS = {GENESIS: mlp.genesis_epoch, PYTORCH: mlp.torch_epoch, NUMPY: numpy_epoch}


def time_epochs(case: str, inputs, labels, hidden: int, settings: Settings, progress) -> Row:
    """Seconds of one training epoch for each implementation (a fresh model every time)."""
    progress(f"{case}: {', '.join(EPOCH_BUILDERS)}, interleaved")
    return Row(case, sample_all({name: (lambda build=build: build(inputs, labels, hidden)())
                                 for name, build in EPOCH_BUILDERS.items()}, settings))


def run(settings: Settings, progress) -> Result:
    """Time the epoch; the tiny size trains on the first 200 digits."""
    inputs, labels = mlp.digits()
    count = settings.pick(len(inputs), len(inputs), 200)
    row = time_epochs(f"{count} samples, {-(-count // mlp.BATCH)} batches",
                      inputs[:count], labels[:count], HIDDEN, settings, progress)
    progress("per-phase breakdown, Genesis and NumPy")
    phases = phase_rows(inputs[:count], labels[:count], HIDDEN, settings)
    return Result(NAME, TITLE, TARGET, [row, *phases],
                  [ratio_check(row, PYTORCH, 1.0), ratio_check(row, NUMPY, 1.2)],
                  notes=["Each framework iterates its own DataLoader(TensorDataset, shuffle=True); "
                         "PyTorch's collates sample by sample, Genesis's gathers whole batches.",
                         PHASES_NOTE])
