"""One training step of a 2-layer LSTM language model, Genesis against PyTorch."""
from __future__ import annotations

from bench import seq_models
from bench.measure import Result, Settings

NAME = "lstm_step"
TITLE = "One training step: 2-layer LSTM language model (hidden 256, sequence 64, batch 32)"
TARGET = "Genesis <= 1.5x PyTorch per step; peak memory <= PyTorch"
NOTES = [
    "Genesis runs each LSTM layer as one graph node: one matmul projects the whole input "
    "sequence, one matmul per step serves all four gates (one tanh call activates them), and "
    "BPTT over arrays forms each weight gradient with one matmul. The step is about 13 GFLOP of "
    "float32 matrix products, which dominate Genesis's time: its ratio to PyTorch follows "
    "NumPy's BLAS throughput against PyTorch's oneDNN LSTM kernels on the machine and thread "
    "count, and on which OpenBLAS kernels run (the report's 'threads' line names them; "
    "OPENBLAS_CORETYPE=Haswell forces the AVX2 ones on an AVX-512 CPU, about half the "
    "throughput; see bench/README.md, 'Targets missed, and why').",
]


def run(settings: Settings, progress) -> Result:
    """Time the step and measure the peak memory of a fresh process."""
    return seq_models.benchmark("lstm", NAME, TITLE, TARGET, settings, progress, NOTES)
