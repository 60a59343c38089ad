"""The NumPy floor: the same MLP epoch (Linear-ReLU-Linear, cross-entropy, AdamW) written by hand.

No framework, no graph: fixed forward and backward formulas and in-place AdamW updates on
preallocated buffers. This is about the best a NumPy-based framework can do on the workload,
so Genesis/NumPy measures the framework's own overhead.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bench.measure import stopwatch
from bench.mlp import BATCH, LR

BETAS = (0.9, 0.999)
EPS = 1e-8
WEIGHT_DECAY = 1e-2


class AdamW:
    """AdamW (PyTorch's defaults) over a list of float32 arrays, updated in place."""

    def __init__(self, params: list[np.ndarray]) -> None:
        self.params = params
        self.exp_avg = [np.zeros_like(p) for p in params]
        self.exp_avg_sq = [np.zeros_like(p) for p in params]
        self.scratch = [np.empty_like(p) for p in params]
        self.steps = 0

    def step(self, grads: list[np.ndarray]) -> None:
        """One update from ``grads`` (same order as the parameters)."""
        beta1, beta2 = BETAS
        self.steps += 1
        step_size = LR / (1 - beta1 ** self.steps)
        root_correction = np.sqrt(1 - beta2 ** self.steps)
        for p, g, m, v, s in zip(self.params, grads, self.exp_avg, self.exp_avg_sq, self.scratch):
            p *= 1 - LR * WEIGHT_DECAY
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            np.multiply(g, g, out=s)
            s *= 1 - beta2
            v += s
            np.sqrt(v, out=s)
            s /= root_correction
            s += EPS
            np.divide(m, s, out=s)
            s *= step_size
            p -= s


def _linear_init(rng: np.random.Generator, fan_in: int, fan_out: int) -> list[np.ndarray]:
    bound = 1 / np.sqrt(fan_in)
    weight = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
    return [weight, rng.uniform(-bound, bound, fan_out).astype(np.float32)]


class MLP:
    """Linear(in, hidden) - ReLU - Linear(hidden, classes) trained with cross-entropy and AdamW.

    ``params`` is ``[w1, b1, w2, b2]`` in PyTorch's layout (weights are out x in).
    """

    def __init__(self, features: int, hidden: int, classes: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.params = _linear_init(rng, features, hidden) + _linear_init(rng, hidden, classes)
        self.optimizer = AdamW(self.params)

    def forward_loss(self, x: np.ndarray, y: np.ndarray) -> tuple[float, tuple]:
        """Mean cross-entropy of the batch and what the backward pass needs."""
        w1, b1, w2, b2 = self.params
        pre = x @ w1.T
        pre += b1
        act = np.maximum(pre, 0)
        logits = act @ w2.T
        logits += b2
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        total = probs.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = float(np.mean(np.log(total[:, 0]) - logits[rows, y]))
        return loss, (x, y, rows, pre, act, probs, total)

    def backward(self, cache: tuple) -> list[np.ndarray]:
        """Gradients of the mean loss for ``params`` (same order)."""
        x, y, rows, pre, act, probs, total = cache
        probs /= total
        probs[rows, y] -= 1
        probs /= len(y)  # now d loss / d logits
        grad_act = probs @ self.params[2]
        grad_act[pre <= 0] = 0
        return [grad_act.T @ x, grad_act.sum(axis=0), probs.T @ act, probs.sum(axis=0)]

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """Forward, backward and one AdamW update on a batch; returns the mean loss."""
        loss, cache = self.forward_loss(x, y)
        self.optimizer.step(self.backward(cache))
        return loss


def numpy_epoch(inputs: np.ndarray, labels: np.ndarray, hidden: int,
                seed: int = 0) -> Callable[[], float]:
    """A fresh model and optimizer; the returned call trains one epoch (seconds)."""
    model = MLP(inputs.shape[1], hidden, int(labels.max()) + 1, seed)
    rng = np.random.default_rng(seed)

    def epoch() -> None:
        order = rng.permutation(len(inputs))
        for start in range(0, len(inputs), BATCH):
            batch = order[start:start + BATCH]
            model.train_step(inputs[batch], labels[batch])

    return lambda: stopwatch(epoch)
