"""One epoch of MLP training on synthetic data (784-256-10, 10,000 samples, AdamW, batch 64)."""
from __future__ import annotations

from bench import mlp
from bench.measure import NUMPY, PYTORCH, Result, Settings, ratio_check
from bench.breakdown import phase_rows
from bench.train_digits import PHASES_NOTE, time_epochs

NAME = "train_synthetic"
TITLE = "One epoch of MLP training: synthetic 784-256-10, 10k samples, AdamW, batch 64"
TARGET = "Genesis <= 1.25x PyTorch and <= 1.1x the NumPy floor"
HIDDEN = 256


def run(settings: Settings, progress) -> Result:
    """Time the epoch on Gaussian inputs labelled by a random linear teacher."""
    count = settings.pick(10_000, 10_000, 256)
    inputs, labels = mlp.synthetic(count)
    row = time_epochs(f"{count} samples, {-(-count // mlp.BATCH)} batches",
                      inputs, labels, HIDDEN, settings, progress)
    progress("per-phase breakdown, Genesis and NumPy")
    phases = phase_rows(inputs, labels, HIDDEN, settings)
    return Result(NAME, TITLE, TARGET, [row, *phases],
                  [ratio_check(row, PYTORCH, 1.25), ratio_check(row, NUMPY, 1.1)],
                  notes=[PHASES_NOTE])
