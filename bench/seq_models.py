"""The sequence-model workloads: one training step of a 2-layer LSTM language model and of a
2-layer transformer encoder language model, written once for both frameworks (same API).

A step is what a user's loop does: ``zero_grad``, forward, cross-entropy over every position,
``backward``, ``Adam.step``. Run as a module, this file is a peak-memory child:
``python -m bench.seq_models genesis lstm full 3`` builds the full-size LSTM workload, runs
3 steps and prints its max RSS (MiB) after the imports and after the steps (0 steps, as in the
smoke test, only imports and builds).
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

import numpy as np

VOCAB = 64
# (hidden or d_model, sequence, batch) per size; "tiny" is the smoke test's
SIZES = {
    "lstm": {"full": (256, 64, 32), "quick": (256, 64, 32), "tiny": (8, 5, 2)},
    "transformer": {"full": (128, 128, 16), "quick": (128, 64, 16), "tiny": (8, 6, 2)},
}
HEADS = {"full": 4, "quick": 4, "tiny": 2}
LAYERS = 2
LR = 1e-3


def _lstm_model(nn, width: int):
    class LSTMLanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, width)
            self.lstm = nn.LSTM(width, width, num_layers=LAYERS)
            self.head = nn.Linear(width, VOCAB)

        def forward(self, tokens):  # (sequence, batch)
            out, _ = self.lstm(self.embed(tokens))
            return self.head(out)

    return LSTMLanguageModel()


def _transformer_model(nn, width: int, heads: int, sequence: int):
    class TransformerLanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, width)
            # PyTorch's defaults: dim_feedforward 2048, dropout 0.1, ReLU, post-norm
            layer = nn.TransformerEncoderLayer(width, heads, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
            self.head = nn.Linear(width, VOCAB)
            self.mask = nn.Transformer.generate_square_subsequent_mask(sequence)

        def forward(self, tokens):  # (batch, sequence)
            return self.head(self.encoder(self.embed(tokens), mask=self.mask, is_causal=True))

    return TransformerLanguageModel()


def describe(workload: str, size: str) -> str:
    """The workload in words, for the report."""
    width, sequence, batch = SIZES[workload][size]
    if workload == "lstm":
        return (f"{LAYERS}-layer LSTM LM, hidden {width}, sequence {sequence}, batch {batch}, "
                f"vocabulary {VOCAB}")
    return (f"{LAYERS}-layer transformer encoder LM, d_model {width}, {HEADS[size]} heads, "
            f"sequence {sequence}, batch {batch}, vocabulary {VOCAB}")


def step_runner(framework: str, workload: str, size: str, steps: int = 1,
                seed: int = 0) -> Callable[[], float]:
    """A fresh model, Adam and a batch in ``framework`` ("genesis" or "torch"); the returned
    call runs ``steps`` training steps and returns their mean seconds."""
    lib = __import__(framework)
    __import__(f"{framework}.optim")
    nn = lib.nn
    lib.manual_seed(seed)
    width, sequence, batch = SIZES[workload][size]
    if workload == "lstm":
        model, shape = _lstm_model(nn, width), (sequence, batch)
    else:
        model, shape = _transformer_model(nn, width, HEADS[size], sequence), (batch, sequence)
    optimizer = lib.optim.Adam(model.parameters(), lr=LR)
    rng = np.random.default_rng(seed)
    tokens = lib.tensor(rng.integers(0, VOCAB, shape))
    targets = lib.tensor(rng.integers(0, VOCAB, shape).reshape(-1))
    criterion = nn.CrossEntropyLoss()

    def run() -> float:
        start = time.perf_counter()
        for _ in range(steps):
            optimizer.zero_grad()
            loss = criterion(model(tokens).reshape(-1, VOCAB), targets)
            loss.backward()
            optimizer.step()
        return (time.perf_counter() - start) / steps

    return run


def benchmark(workload: str, name: str, title: str, target: str, settings, progress, notes):
    """The ``run`` of ``lstm_step`` and ``transformer_step``: step time interleaved in this
    process, then peak RSS in fresh processes, against PyTorch."""
    from bench.measure import (GENESIS, PYTORCH, Check, Result, Row, Stats, ratio_check,
                               sample_all)
    from bench.peak_memory import run_children

    steps = settings.pick(3, 2, 1)
    progress(f"{describe(workload, settings.size)}: Genesis and PyTorch, interleaved")
    runs = {GENESIS: step_runner("genesis", workload, settings.size, steps),
            PYTORCH: step_runner("torch", workload, settings.size, steps)}
    row = Row(f"one step: {describe(workload, settings.size)}", sample_all(runs, settings))
    progress("peak memory, fresh processes")
    frameworks = {GENESIS: "genesis", PYTORCH: "torch"}
    child_steps = str(settings.pick(3, 2, 0))  # the smoke test only imports and builds
    peaks = [run_children("bench.seq_models", {
        label: [framework, workload, settings.size, child_steps]
        for label, framework in frameworks.items()}) for _ in range(min(settings.repeats, 2))]
    memory = Row("peak RSS of a fresh process after the steps",
                 {label: Stats(tuple(run[label]["peak"] for run in peaks)) for label in frameworks},
                 "MiB")
    return Result(name, title, target, [row, memory],
                  [ratio_check(row, PYTORCH, 1.5),
                   Check("peak RSS: Genesis/PyTorch", memory.ratio(GENESIS, PYTORCH), 1.0)],
                  notes=[f"Each timed sample is the mean of {steps} step(s): zero_grad, "
                         "forward, cross-entropy over every position, backward, Adam.step, "
                         "the same code for both frameworks.", *notes])


def child(framework: str, workload: str, size: str, steps: int) -> dict[str, float]:
    """Import ``framework``, build the workload, run ``steps`` steps; the RSS peaks in MiB."""
    from bench.peak_memory import max_rss_mib

    __import__(framework)
    train = step_runner(framework, workload, size)
    after_build = max_rss_mib()
    for _ in range(steps):
        train()
    return {"after_import": after_build, "peak": max_rss_mib()}


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))))
