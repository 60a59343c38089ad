"""A tiny copy of the patterns of davidtvs/pytorch-lr-finder (torch_lr_finder/lr_finder.py),
written for Genesis's tests: the version check that picks the legacy step shift below PyTorch
1.1, _LRScheduler subclasses ramping the rate linearly or exponentially, state caching in memory
(deepcopy) or on disk (save/load with a map_location callable), device moves with non_blocking,
gradient accumulation, and the torch.amp backend (autocast + GradScaler) when asked for."""
import argparse
import copy
import os
import tempfile

import numpy as np
import torch
from packaging import version
from torch.optim.lr_scheduler import _LRScheduler
from torch.utils.data import DataLoader, TensorDataset

PYTORCH_VERSION = version.parse(torch.__version__)
AVAILABLE_AMP_BACKENDS = []
try:
    import torch.amp
    AVAILABLE_AMP_BACKENDS.append("torch")
except ImportError:
    pass


class LinearLR(_LRScheduler):
    def __init__(self, optimizer, end_lr, num_iter, last_epoch=-1):
        self.end_lr = end_lr
        if num_iter <= 1:
            raise ValueError("`num_iter` must be larger than 1")
        self.num_iter = num_iter
        super(LinearLR, self).__init__(optimizer, last_epoch)

    def get_lr(self):
        if PYTORCH_VERSION < version.parse("1.1.0"):
            r = (self.last_epoch + 1) / (self.num_iter - 1)
        else:
            r = self.last_epoch / (self.num_iter - 1)
        return [base_lr + r * (self.end_lr - base_lr) for base_lr in self.base_lrs]


class ExponentialLR(_LRScheduler):
    def __init__(self, optimizer, end_lr, num_iter, last_epoch=-1):
        self.end_lr = end_lr
        if num_iter <= 1:
            raise ValueError("`num_iter` must be larger than 1")
        self.num_iter = num_iter
        super(ExponentialLR, self).__init__(optimizer, last_epoch)

    def get_lr(self):
        if PYTORCH_VERSION < version.parse("1.1.0"):
            r = (self.last_epoch + 1) / (self.num_iter - 1)
        else:
            r = self.last_epoch / (self.num_iter - 1)
        return [base_lr * (self.end_lr / base_lr) ** r for base_lr in self.base_lrs]


class StateCacher(object):
    def __init__(self, in_memory, cache_dir=None):
        self.in_memory = in_memory
        self.cache_dir = cache_dir if cache_dir is not None else tempfile.gettempdir()
        self.cached = {}

    def store(self, key, state_dict):
        if self.in_memory:
            self.cached.update({key: copy.deepcopy(state_dict)})
        else:
            fn = os.path.join(self.cache_dir, "state_{}_{}.pt".format(key, id(self)))
            self.cached.update({key: fn})
            torch.save(state_dict, fn)

    def retrieve(self, key):
        if key not in self.cached:
            raise KeyError("Target {} was not cached.".format(key))
        if self.in_memory:
            return self.cached.get(key)
        fn = self.cached.get(key)
        return torch.load(fn, map_location=lambda storage, location: storage)


class LRFinder(object):
    def __init__(self, model, optimizer, criterion, device=None, memory_cache=True,
                 cache_dir=None, amp_backend=None, amp_config=None, grad_scaler=None):
        self.optimizer, self.model, self.criterion = optimizer, model, criterion
        self.history = {"lr": [], "loss": []}
        self.best_loss = None
        if amp_backend and (amp_backend not in AVAILABLE_AMP_BACKENDS):
            raise ValueError("Unknown amp backend: {}".format(amp_backend))
        if amp_backend == "torch" and grad_scaler is None:
            raise ValueError("`grad_scaler` is required when using `torch.amp`")
        self.amp_backend, self.amp_config, self.grad_scaler = amp_backend, amp_config, grad_scaler
        self.model_device = next(self.model.parameters()).device
        self.state_cacher = StateCacher(memory_cache, cache_dir=cache_dir)
        self.state_cacher.store("model", self.model.state_dict())
        self.state_cacher.store("optimizer", self.optimizer.state_dict())
        self.device = device if device else self.model_device

    def reset(self):
        self.model.load_state_dict(self.state_cacher.retrieve("model"))
        self.optimizer.load_state_dict(self.state_cacher.retrieve("optimizer"))
        self.model.to(self.model_device)

    def range_test(self, train_loader, start_lr=None, end_lr=10, num_iter=100, step_mode="exp",
                   smooth_f=0.05, diverge_th=5, accumulation_steps=1):
        self.history = {"lr": [], "loss": []}
        self.best_loss = None
        self.model.to(self.device)
        for param_group in self.optimizer.param_groups:
            if "initial_lr" in param_group:
                raise RuntimeError("Optimizer already has a scheduler attached to it")
        if start_lr:
            for param_group in self.optimizer.param_groups:
                param_group["lr"] = start_lr
        lr_schedule = (ExponentialLR if step_mode.lower() == "exp" else LinearLR)(
            self.optimizer, end_lr, num_iter)
        iterator = iter(train_loader)
        for iteration in range(num_iter):
            loss = self._train_batch(iterator, train_loader, accumulation_steps)
            self.history["lr"].append(lr_schedule.get_lr()[0])
            lr_schedule.step()
            if iteration == 0:
                self.best_loss = loss
            else:
                if smooth_f > 0:
                    loss = smooth_f * loss + (1 - smooth_f) * self.history["loss"][-1]
                if loss < self.best_loss:
                    self.best_loss = loss
            self.history["loss"].append(loss)
            if loss > diverge_th * self.best_loss:
                print("Stopping early, the loss has diverged")
                break

    def _train_batch(self, iterator, loader, accumulation_steps, non_blocking_transfer=True):
        self.model.train()
        total_loss = None
        self.optimizer.zero_grad()
        for i in range(accumulation_steps):
            try:
                inputs, labels = next(iterator)
            except StopIteration:
                iterator = iter(loader)
                inputs, labels = next(iterator)
            inputs, labels = self._move_to_device(inputs, labels, non_blocking=non_blocking_transfer)
            if self.amp_backend == "torch":
                with torch.amp.autocast(**self.amp_config):
                    outputs = self.model(inputs)
                    loss = self.criterion(outputs, labels)
            else:
                outputs = self.model(inputs)
                loss = self.criterion(outputs, labels)
            loss /= accumulation_steps
            if self.amp_backend == "torch":
                self.grad_scaler.scale(loss).backward()
            else:
                loss.backward()
            if total_loss is None:
                total_loss = loss
            else:
                total_loss += loss
        if self.amp_backend == "torch":
            self.grad_scaler.step(self.optimizer)
            self.grad_scaler.update()
        else:
            self.optimizer.step()
        return total_loss.item()

    def _move_to_device(self, inputs, labels, non_blocking=True):
        def move(obj, device, non_blocking=True):
            if hasattr(obj, "to"):
                return obj.to(device, non_blocking=non_blocking)
            elif isinstance(obj, tuple):
                return tuple(move(o, device, non_blocking) for o in obj)
            elif isinstance(obj, list):
                return [move(o, device, non_blocking) for o in obj]
            elif isinstance(obj, dict):
                return {k: move(o, device, non_blocking) for k, o in obj.items()}
            return obj
        return move(inputs, self.device, non_blocking), move(labels, self.device, non_blocking)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--disk-cache", action="store_true")
    parser.add_argument("--amp", action="store_true")
    parser.add_argument("--step-mode", default="exp")
    args = parser.parse_args()
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    amp = dict(amp_backend="torch", amp_config={"device_type": "cpu", "dtype": torch.float16},
               grad_scaler=torch.amp.GradScaler("cpu")) if args.amp else {}
    finder = LRFinder(model, optimizer, torch.nn.MSELoss(), device="cpu",
                      memory_cache=not args.disk_cache, cache_dir=os.getcwd(), **amp)
    before = copy.deepcopy(model.state_dict())
    finder.range_test(loader, end_lr=1, num_iter=12, step_mode=args.step_mode, accumulation_steps=2)
    print("lr", finder.history["lr"])
    print("losses", len(finder.history["loss"]), np.isfinite(finder.history["loss"]).all())
    finder.reset()
    print("reset restores", all(bool((before[k] == v).all()) for k, v in model.state_dict().items()))
