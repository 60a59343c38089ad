"""One training step of a 2-layer LSTM language model, Genesis against PyTorch."""
from __future__ import annotations

from bench import seq_models
from bench.measure import Result, Settings

NAME = "lstm_step"
TITLE = "One training step: 2-layer LSTM language model (hidden 256, sequence 64, batch 32)"
TARGET = "Genesis <= 1.5x PyTorch per step; peak memory <= PyTorch"
NOTES = [
    "Genesis runs each LSTM layer as one graph node: one matmul projects the whole input "
    "sequence, one matmul per step serves all four gates, and the backward pass (BPTT over "
    "arrays) forms each weight gradient with one matmul. About 13 GFLOP per step go through "
    "NumPy's BLAS; PyTorch on the CPU runs its LSTM through oneDNN's fused RNN kernels. Where "
    "this row misses its target, the gap is the matrix multiplications themselves: compare "
    "NumPy's and PyTorch's sgemm throughput on the machine (OpenBLAS picks its kernels by CPU "
    "model; on CPUs it does not know it falls back to older ones).",
]


def run(settings: Settings, progress) -> Result:
    """Time the step and measure the peak memory of a fresh process."""
    return seq_models.benchmark("lstm", NAME, TITLE, TARGET, settings, progress, NOTES)
