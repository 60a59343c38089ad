"""A tiny copy of the patterns of the Hugging Face course's full training loop (chapter 3),
written for Genesis's tests: a padding collator returning a dict of tensors, a model called as
``model(**batch)`` that returns ``.loss`` and ``.logits``, AdamW with a linear schedule built
the way transformers' get_scheduler builds it (a LambdaLR), the device chosen with
``torch.cuda.is_available()``, a tqdm progress bar and an evaluation loop with argmax."""
import argparse
from dataclasses import dataclass

import torch
from torch import nn
from torch.optim import AdamW
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader
from tqdm.auto import tqdm


def get_scheduler(name, optimizer, num_warmup_steps, num_training_steps):
    """transformers.get_scheduler("linear", ...): a LambdaLR with warmup then linear decay."""
    assert name == "linear"

    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        return max(0.0, float(num_training_steps - current_step)
                   / float(max(1, num_training_steps - num_warmup_steps)))
    return LambdaLR(optimizer, lr_lambda)


@dataclass
class SequenceClassifierOutput:
    loss: object = None
    logits: object = None


class TinySequenceClassifier(nn.Module):
    """AutoModelForSequenceClassification's interface: embeddings, masked mean pooling, a head."""

    def __init__(self, vocab_size, num_labels, dim=16):
        super().__init__()
        self.embeddings = nn.Embedding(vocab_size, dim)
        self.token_type_embeddings = nn.Embedding(2, dim)
        self.classifier = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, num_labels))

    def forward(self, input_ids, attention_mask, token_type_ids=None, labels=None):
        hidden = self.embeddings(input_ids)
        if token_type_ids is not None:
            hidden = hidden + self.token_type_embeddings(token_type_ids)
        mask = attention_mask.unsqueeze(-1).type(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        logits = self.classifier(pooled)
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


def data_collator(features):
    """DataCollatorWithPadding: pad to the longest sequence of the batch."""
    longest = max(len(f["input_ids"]) for f in features)
    batch = {"input_ids": [], "attention_mask": [], "token_type_ids": [], "labels": []}
    for f in features:
        pad = longest - len(f["input_ids"])
        batch["input_ids"].append(f["input_ids"] + [0] * pad)
        batch["attention_mask"].append([1] * len(f["input_ids"]) + [0] * pad)
        batch["token_type_ids"].append(f["token_type_ids"] + [0] * pad)
        batch["labels"].append(f["label"])
    return {k: torch.tensor(v) for k, v in batch.items()}


def tokenized_dataset(n, seed):
    """Pairs of 'sentences' of token ids; label 1 when the second repeats the first's first token."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(n):
        a = torch.randint(3, 20, (int(torch.randint(2, 6, (1,), generator=g)),), generator=g).tolist()
        b = torch.randint(3, 20, (int(torch.randint(2, 6, (1,), generator=g)),), generator=g).tolist()
        label = int(torch.rand(1, generator=g).item() < 0.5)
        if label:
            b[0] = a[0]
        rows.append({"input_ids": [1] + a + [2] + b + [2],
                     "token_type_ids": [0] * (len(a) + 2) + [1] * (len(b) + 1), "label": label})
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    train_dataloader = DataLoader(tokenized_dataset(64, 1), shuffle=True, batch_size=8, collate_fn=data_collator)
    eval_dataloader = DataLoader(tokenized_dataset(32, 2), batch_size=8, collate_fn=data_collator)
    for batch in train_dataloader:
        break
    print({k: tuple(v.shape)[:1] for k, v in batch.items()})
    model = TinySequenceClassifier(vocab_size=20, num_labels=2)
    outputs = model(**batch)
    print("logits", tuple(outputs.logits.shape), outputs.loss.dim())
    optimizer = AdamW(model.parameters(), lr=5e-3)
    num_epochs = args.epochs
    num_training_steps = num_epochs * len(train_dataloader)
    lr_scheduler = get_scheduler("linear", optimizer=optimizer, num_warmup_steps=2,
                                 num_training_steps=num_training_steps)
    print(num_training_steps)
    device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    model.to(device)
    print(repr(device))
    progress_bar = tqdm(range(num_training_steps), disable=True)
    model.train()
    losses = []
    for epoch in range(num_epochs):
        for batch in train_dataloader:
            batch = {k: v.to(device) for k, v in batch.items()}
            outputs = model(**batch)
            loss = outputs.loss
            loss.backward()
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad()
            progress_bar.update(1)
            losses.append(loss.item())
        print("lr", lr_scheduler.get_last_lr())
    model.eval()
    correct = total = 0
    for batch in eval_dataloader:
        batch = {k: v.to(device) for k, v in batch.items()}
        with torch.no_grad():
            outputs = model(**batch)
        predictions = torch.argmax(outputs.logits, dim=-1)
        correct += (predictions == batch["labels"]).sum().item()
        total += len(batch["labels"])
    print("accuracy", 0 <= correct / total <= 1)
    print("loss went down", sum(losses[-8:]) < sum(losses[:8]))
