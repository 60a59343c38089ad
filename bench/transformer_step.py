"""One training step of a 2-layer transformer encoder language model, Genesis against PyTorch."""
from __future__ import annotations

from bench import seq_models
from bench.measure import Result, Settings

NAME = "transformer_step"
TITLE = ("One training step: 2-layer transformer encoder LM (d_model 128, 4 heads, sequence 128, "
         "batch 16)")
TARGET = "Genesis <= 1.5x PyTorch per step; peak memory <= PyTorch"
NOTES = [
    "PyTorch's TransformerEncoderLayer defaults (feed-forward 2048, dropout 0.1, ReLU, "
    "post-norm), a causal mask, training mode. Genesis computes attention as batched matmuls "
    "on views of one packed q/k/v projection, with a fused, numerically stable softmax "
    "backward; the feed-forward matmuls dominate both frameworks' time.",
]


def run(settings: Settings, progress) -> Result:
    """Time the step and measure the peak memory of a fresh process."""
    return seq_models.benchmark("transformer", NAME, TITLE, TARGET, settings, progress, NOTES)
