"""A tiny copy of the patterns of the d2l.ai "Learning Rate Scheduling" chapter (PyTorch tab)
and the d2l helpers it calls (try_gpu, Accumulator, accuracy, evaluate_accuracy_gpu), written
for Genesis's tests: the same training loop driven by no scheduler, by callable schedulers
(square root, factor, cosine with warmup) and by built-in ones (MultiStepLR), told apart by
``scheduler.__module__ == lr_scheduler.__name__``. ``--arch mlp`` stands in for LeNet where a
library lacks Conv2d/MaxPool2d."""
import argparse
import math

import torch
from torch import nn
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset

# ------------------------------------------------------------------------------ d2l helpers


def try_gpu(i=0):
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f'cuda:{i}')
    return torch.device('cpu')


class Accumulator:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def __getitem__(self, idx):
        return self.data[idx]


argmax = lambda x, *args, **kwargs: x.argmax(*args, **kwargs)  # noqa: E731 - d2l's aliases
astype = lambda x, *args, **kwargs: x.type(*args, **kwargs)  # noqa: E731
reduce_sum = lambda x, *args, **kwargs: x.sum(*args, **kwargs)  # noqa: E731
size = lambda x, *args, **kwargs: x.numel(*args, **kwargs)  # noqa: E731


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = argmax(y_hat, axis=1)
    cmp = astype(y_hat, y.dtype) == y
    return float(reduce_sum(astype(cmp, y.dtype)))


def evaluate_accuracy_gpu(net, data_iter, device=None):
    if isinstance(net, nn.Module):
        net.eval()
        if not device:
            device = next(iter(net.parameters())).device
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            if isinstance(X, list):
                X = [x.to(device) for x in X]
            else:
                X = X.to(device)
            y = y.to(device)
            metric.add(accuracy(net(X), y), size(y))
    return metric[0] / metric[1]

# ------------------------------------------------------------------------------ the chapter


def net_fn(arch):
    if arch == 'lenet':
        return nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Flatten(), nn.Linear(16 * 1 * 1, 32), nn.ReLU(), nn.Linear(32, 10))
    return nn.Sequential(nn.Flatten(), nn.Linear(12 * 12, 32), nn.ReLU(), nn.Linear(32, 10))


def train(net, train_iter, test_iter, num_epochs, loss, trainer, device, scheduler=None):
    net.to(device)
    for epoch in range(num_epochs):
        metric = Accumulator(3)
        for i, (X, y) in enumerate(train_iter):
            net.train()
            trainer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)  # noqa: E741
            l.backward()
            trainer.step()
            with torch.no_grad():
                metric.add(l * X.shape[0], accuracy(y_hat, y), X.shape[0])
            train_loss = metric[0] / metric[2]
            train_acc = metric[1] / metric[2]
        test_acc = evaluate_accuracy_gpu(net, test_iter)
        if scheduler:
            if scheduler.__module__ == lr_scheduler.__name__:
                scheduler.step()
            else:
                for param_group in trainer.param_groups:
                    param_group['lr'] = scheduler(epoch)
        print("epoch", epoch, "lr", trainer.param_groups[0]["lr"])
    print(f'train loss {train_loss:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}')
    return train_loss


class SquareRootScheduler:
    def __init__(self, lr=0.1):
        self.lr = lr

    def __call__(self, num_update):
        return self.lr * pow(num_update + 1.0, -0.5)


class FactorScheduler:
    def __init__(self, factor=1, stop_factor_lr=1e-7, base_lr=0.1):
        self.factor, self.stop_factor_lr, self.base_lr = factor, stop_factor_lr, base_lr

    def __call__(self, num_update):
        self.base_lr = max(self.stop_factor_lr, self.base_lr * self.factor)
        return self.base_lr


class CosineScheduler:
    def __init__(self, max_update, base_lr=0.01, final_lr=0, warmup_steps=0, warmup_begin_lr=0):
        self.base_lr_orig, self.max_update, self.final_lr = base_lr, max_update, final_lr
        self.warmup_steps, self.warmup_begin_lr = warmup_steps, warmup_begin_lr
        self.max_steps = self.max_update - self.warmup_steps

    def get_warmup_lr(self, epoch):
        increase = (self.base_lr_orig - self.warmup_begin_lr) * float(epoch) / float(self.warmup_steps)
        return self.warmup_begin_lr + increase

    def __call__(self, epoch):
        if epoch < self.warmup_steps:
            return self.get_warmup_lr(epoch)
        if epoch <= self.max_update:
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * (1 + math.cos(
                math.pi * (epoch - self.warmup_steps) / self.max_steps)) / 2
        return self.base_lr


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--arch', choices=['lenet', 'mlp'], default='lenet')
    args = parser.parse_args()
    torch.manual_seed(0)
    images = torch.rand(128, 1, 12, 12)
    labels = (images.view(128, -1).sum(1) > 72).long() + 2 * (images[:, 0, 0, 0] > 0.5).long()
    train_iter = DataLoader(TensorDataset(images[:96], labels[:96]), batch_size=16, shuffle=True)
    test_iter = DataLoader(TensorDataset(images[96:], labels[96:]), batch_size=16)
    loss = nn.CrossEntropyLoss()
    device = try_gpu()
    print("device", device)
    lr, num_epochs = 0.3, 6

    net = net_fn(args.arch)
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    first = train(net, train_iter, test_iter, num_epochs, loss, trainer, device)
    trainer.param_groups[0]["lr"] = 0.1
    print(f'learning rate is now {trainer.param_groups[0]["lr"]:.2f}')

    for scheduler in (SquareRootScheduler(lr=0.1), FactorScheduler(factor=0.9, stop_factor_lr=1e-2, base_lr=2.0),
                      CosineScheduler(max_update=4, base_lr=0.3, final_lr=0.01, warmup_steps=2)):
        net = net_fn(args.arch)
        trainer = torch.optim.SGD(net.parameters(), lr)
        train(net, train_iter, test_iter, num_epochs, loss, trainer, device, scheduler)

    net = net_fn(args.arch)
    trainer = torch.optim.SGD(net.parameters(), lr=0.5)
    scheduler = lr_scheduler.MultiStepLR(trainer, milestones=[2, 4], gamma=0.5)

    def get_lr(trainer, scheduler):
        lr = scheduler.get_last_lr()[0]
        trainer.step()
        scheduler.step()
        return lr

    print("multistep lrs", [get_lr(trainer, scheduler) for t in range(num_epochs)])
    net = net_fn(args.arch)
    trainer = torch.optim.SGD(net.parameters(), lr=0.5)
    scheduler = lr_scheduler.MultiStepLR(trainer, milestones=[2, 4], gamma=0.5)
    last = train(net, train_iter, test_iter, num_epochs, loss, trainer, device, scheduler)
    print("scheduled loss below the first run's start", last < 2.0)
