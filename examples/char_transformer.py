"""A character-level transformer language model learns Shakespeare, with the Noam schedule.

Characters are embedded, a learned position embedding is added, and a stack of pre-norm
``nn.TransformerEncoderLayer``s with a causal mask (each position sees only the ones before
it) predicts the next character at every position. The rate follows the schedule of
"Attention Is All You Need" (the spec's ``get_transformer_schedule``, a ``LambdaLR``)::

    lr(step) = lr * d_model ** -0.5 * min(step ** -0.5, step * warmup_steps ** -1.5)

rising linearly for ``warmup_steps`` steps, then decaying as ``step ** -0.5`` (0 at step 0).
The text is examples/data/shakespeare.txt; its last 10% is held out. The script prints the
unigram entropy of the text (the loss of the best model that ignores context) beside the
validation loss, which must end well below it::

    python examples/char_transformer.py                 # a few minutes on 2 cores
    python examples/char_transformer.py --stop-after 3  # ...interrupted after epoch 3
    python examples/char_transformer.py --resume        # ...finishes exactly as above

matplotlib draws the curves, tensorboard serves --logdir.
"""
from __future__ import annotations

import argparse
from typing import Any

import genesis
import genesis.nn as nn
from genesis.optim.lr_scheduler import LambdaLR

from _common import Text, language_model_experiment, make_parser, train


def get_transformer_schedule(optimizer: Any, d_model: int = 512,
                             warmup_steps: int = 4000) -> LambdaLR:
    """The Noam schedule of the spec page (schedulers.zh.md), as a ``LambdaLR``: the base rate
    times ``d_model ** -0.5 * min(step ** -0.5, step * warmup_steps ** -1.5)``, 0 at step 0.

    Example (base rate 1, d_model 64, 4 warmup steps: the peak is 64 ** -0.5 * 4 ** -0.5):
        >>> opt = genesis.optim.Adam(nn.Linear(1, 1).parameters(), lr=1.0)
        >>> schedule = get_transformer_schedule(opt, d_model=64, warmup_steps=4)
        >>> rates = []
        >>> for _ in range(9):
        ...     rates.append(round(opt.param_groups[0]["lr"], 6)); opt.step(); schedule.step()
        >>> rates
        [0.0, 0.015625, 0.03125, 0.046875, 0.0625, 0.055902, 0.051031, 0.047246, 0.044194]
    """
    def lr_lambda(step: int) -> float:
        if step == 0:
            return 0
        return min(step ** -0.5, step * warmup_steps ** -1.5) * (d_model ** -0.5)

    return LambdaLR(optimizer, lr_lambda=lr_lambda)


class CharTransformer(nn.Module):
    """Embedding + position embedding, causal pre-norm encoder layers, LayerNorm, Linear."""

    def __init__(self, vocabulary: int, context: int, d_model: int, nhead: int, layers: int,
                 dropout: float) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, d_model)
        self.position = nn.Embedding(context, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=4 * d_model,
                                           dropout=dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocabulary)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(context),
                             persistent=False)

    def forward(self, ids: genesis.Tensor) -> genesis.Tensor:
        length = ids.shape[1]
        x = self.embedding(ids) + self.position(genesis.arange(length))
        x = self.encoder(x, mask=self.mask[:length, :length], is_causal=True)
        return self.head(self.norm(x))


def build(args: argparse.Namespace) -> Any:
    text = Text.load()
    genesis.manual_seed(args.seed)
    model = CharTransformer(len(text.vocabulary), args.context, args.d_model, args.nhead,
                            args.layers, args.dropout)
    optimizer = genesis.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-9)
    scheduler = get_transformer_schedule(optimizer, args.d_model, args.warmup_steps)
    return language_model_experiment(
        "char_transformer",
        f"Character transformer (d_model {args.d_model}, {args.layers} layers, {args.nhead} "
        f"heads, context {args.context}) on Shakespeare, Adam, Noam schedule (warmup "
        f"{args.warmup_steps})", text, model, optimizer, scheduler, args)


def main(argv: list[str] | None = None) -> dict:
    parser = make_parser(__doc__, name="char_transformer", epochs=6, lr=1.0, batch_size=32,
                         steps=100)
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--nhead", type=int, default=4)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--context", type=int, default=64, help="characters per window")
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--warmup-steps", type=int, default=100)
    args = parser.parse_args(argv)
    return train(build(args), args)


if __name__ == "__main__":
    main()
