"""An LSTM language model learns Shakespeare one character at a time.

Characters are embedded, an ``nn.LSTM`` reads them, and a linear layer predicts the next
character at every position; Adam, gradients clipped to norm 1, and a linear warmup followed
by a cosine decay (``get_cosine_schedule_with_warmup``, stepped after every batch). The text
and the held-out 10% are those of char_transformer.py, and so is the comparison the script
prints: the validation loss beside the unigram entropy of the text::

    python examples/lstm_lm.py                          # a couple of minutes on 2 cores
    python examples/lstm_lm.py --stop-after 3           # ...interrupted after epoch 3
    python examples/lstm_lm.py --resume                 # ...finishes exactly as above

matplotlib draws the curves, tensorboard serves --logdir.
"""
from __future__ import annotations

import argparse

import genesis
import genesis.nn as nn
from genesis.optim import get_cosine_schedule_with_warmup

from _common import Experiment, Text, language_model_experiment, make_parser, train


class LSTMLanguageModel(nn.Module):
    """Embedding, ``layers`` stacked LSTM layers of ``hidden`` units, Linear to the vocabulary."""

    def __init__(self, vocabulary: int, embedding: int, hidden: int, layers: int,
                 dropout: float) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, embedding)
        self.lstm = nn.LSTM(embedding, hidden, num_layers=layers, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocabulary)

    def forward(self, ids: genesis.Tensor) -> genesis.Tensor:
        states, _ = self.lstm(self.embedding(ids))
        return self.head(self.dropout(states))


def build(args: argparse.Namespace) -> Experiment:
    text = Text.load()
    genesis.manual_seed(args.seed)
    model = LSTMLanguageModel(len(text.vocabulary), args.embedding, args.hidden, args.layers,
                              args.dropout)
    optimizer = genesis.optim.Adam(model.parameters(), lr=args.lr)
    total = args.epochs * args.steps
    scheduler = get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=round(0.05 * total),
                                                num_training_steps=total)
    return language_model_experiment(
        "lstm_lm",
        f"LSTM language model ({args.layers} x {args.hidden} units, context {args.context}) on "
        f"Shakespeare, Adam, cosine with warmup to {args.lr:g}", text, model, optimizer,
        scheduler, args)


def main(argv: list[str] | None = None) -> dict:
    parser = make_parser(__doc__, name="lstm_lm", epochs=6, lr=5e-3, batch_size=32, steps=100)
    parser.add_argument("--embedding", type=int, default=32, help="embedding size")
    parser.add_argument("--hidden", type=int, default=256, help="LSTM units per layer")
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--context", type=int, default=64, help="characters per window")
    parser.add_argument("--dropout", type=float, default=0.25)
    args = parser.parse_args(argv)
    return train(build(args), args)


if __name__ == "__main__":
    main()
