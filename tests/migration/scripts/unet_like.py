"""A tiny copy of the patterns of milesial/Pytorch-UNet (train.py, evaluate.py,
utils/dice_score.py, utils/data_loading.py, unet/), written for Genesis's tests: dict samples,
random_split with a seeded Generator, RMSprop + ReduceLROnPlateau on the Dice score, the
GradScaler/autocast calls (disabled unless --amp), channels_last, inference_mode evaluation and
a state dict with extra entries. ``--arch pixel`` (a per-pixel MLP with the UNet's interface)
stands in for the convolutional UNet where a library lacks Conv2d/BatchNorm2d/MaxPool2d."""
import argparse
import logging

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch import optim
from torch.utils.data import DataLoader, Dataset, random_split

# ------------------------------------------------------------------------------ unet/


class DoubleConv(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))

    def forward(self, x):
        return self.double_conv(x)


class UNet(nn.Module):
    """One down and one up step of the UNet."""

    def __init__(self, n_channels, n_classes, bilinear=False):
        super(UNet, self).__init__()
        self.n_channels, self.n_classes, self.bilinear = n_channels, n_classes, bilinear
        self.inc = DoubleConv(n_channels, 8)
        self.down = nn.Sequential(nn.MaxPool2d(2), DoubleConv(8, 16))
        self.up = nn.ConvTranspose2d(16, 8, kernel_size=2, stride=2)
        self.conv = DoubleConv(16, 8)
        self.outc = nn.Conv2d(8, n_classes, kernel_size=1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.up(self.down(x1))
        diffY, diffX = x1.size()[2] - x2.size()[2], x1.size()[3] - x2.size()[3]
        x2 = F.pad(x2, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])
        return self.outc(self.conv(torch.cat([x1, x2], dim=1)))


class PixelNet(nn.Module):
    """UNet's stand-in: the same attributes and (N, C, H, W) -> (N, classes, H, W) interface."""

    def __init__(self, n_channels, n_classes, bilinear=False):
        super().__init__()
        self.n_channels, self.n_classes, self.bilinear = n_channels, n_classes, bilinear
        self.net = nn.Sequential(nn.Linear(n_channels, 16), nn.ReLU(inplace=True),
                                 nn.Linear(16, n_classes))

    def forward(self, x):
        return self.net(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

# ------------------------------------------------------------------------------ utils/


def dice_coeff(input: Tensor, target: Tensor, reduce_batch_first: bool = False, epsilon: float = 1e-6):
    assert input.size() == target.size()
    assert input.dim() == 3 or not reduce_batch_first
    sum_dim = (-1, -2) if input.dim() == 2 or not reduce_batch_first else (-1, -2, -3)
    inter = 2 * (input * target).sum(dim=sum_dim)
    sets_sum = input.sum(dim=sum_dim) + target.sum(dim=sum_dim)
    sets_sum = torch.where(sets_sum == 0, inter, sets_sum)
    dice = (inter + epsilon) / (sets_sum + epsilon)
    return dice.mean()


def multiclass_dice_coeff(input: Tensor, target: Tensor, reduce_batch_first: bool = False, epsilon: float = 1e-6):
    return dice_coeff(input.flatten(0, 1), target.flatten(0, 1), reduce_batch_first, epsilon)


def dice_loss(input: Tensor, target: Tensor, multiclass: bool = False):
    fn = multiclass_dice_coeff if multiclass else dice_coeff
    return 1 - fn(input, target, reduce_batch_first=True)


class BasicDataset(Dataset):
    def __init__(self, n, seed=0):
        rng = np.random.default_rng(seed)
        self.images = rng.random((n, 3, 8, 8)).astype(np.float32)
        self.masks = (self.images[:, 0] > 0.5).astype(np.int64) + (self.images[:, 1] > 0.8)
        self.mask_values = [0, 1, 2]

    def __len__(self):
        return len(self.images)

    def __getitem__(self, idx):
        return {'image': torch.as_tensor(self.images[idx].copy()).float().contiguous(),
                'mask': torch.as_tensor(self.masks[idx].copy()).long().contiguous()}

# ------------------------------------------------------------------------------ evaluate.py


@torch.inference_mode()
def evaluate(net, dataloader, device, amp):
    net.eval()
    num_val_batches = len(dataloader)
    dice_score = 0
    with torch.autocast(device.type if device.type != 'mps' else 'cpu', enabled=amp):
        for batch in dataloader:
            image, mask_true = batch['image'], batch['mask']
            image = image.to(device=device, dtype=torch.float32, memory_format=torch.channels_last)
            mask_true = mask_true.to(device=device, dtype=torch.long)
            mask_pred = net(image)
            assert mask_true.min() >= 0 and mask_true.max() < net.n_classes
            mask_true = F.one_hot(mask_true, net.n_classes).permute(0, 3, 1, 2).float()
            mask_pred = F.one_hot(mask_pred.argmax(dim=1), net.n_classes).permute(0, 3, 1, 2).float()
            dice_score += multiclass_dice_coeff(mask_pred[:, 1:], mask_true[:, 1:], reduce_batch_first=False)
    net.train()
    return dice_score / max(num_val_batches, 1)

# ------------------------------------------------------------------------------ train.py


def train_model(model, device, epochs=3, batch_size=4, learning_rate=1e-3, val_percent=0.25,
                amp=False, weight_decay=1e-8, momentum=0.9, gradient_clipping=1.0):
    dataset = BasicDataset(32)
    n_val = int(len(dataset) * val_percent)
    n_train = len(dataset) - n_val
    train_set, val_set = random_split(dataset, [n_train, n_val], generator=torch.Generator().manual_seed(0))
    loader_args = dict(batch_size=batch_size, num_workers=0, pin_memory=False)
    train_loader = DataLoader(train_set, shuffle=True, **loader_args)
    val_loader = DataLoader(val_set, shuffle=False, drop_last=True, **loader_args)
    logging.info(f'Starting training: Device {device.type}, Mixed Precision: {amp}')
    optimizer = optim.RMSprop(model.parameters(), lr=learning_rate, weight_decay=weight_decay,
                              momentum=momentum, foreach=True)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, 'max', patience=1)
    grad_scaler = torch.cuda.amp.GradScaler(enabled=amp)
    criterion = nn.CrossEntropyLoss() if model.n_classes > 1 else nn.BCEWithLogitsLoss()
    global_step, epoch_losses = 0, []
    for epoch in range(1, epochs + 1):
        model.train()
        epoch_loss = 0
        for batch in train_loader:
            images, true_masks = batch['image'], batch['mask']
            assert images.shape[1] == model.n_channels
            images = images.to(device=device, dtype=torch.float32, memory_format=torch.channels_last)
            true_masks = true_masks.to(device=device, dtype=torch.long)
            with torch.autocast(device.type if device.type != 'mps' else 'cpu', enabled=amp):
                masks_pred = model(images)
                loss = criterion(masks_pred, true_masks)
                loss += dice_loss(F.softmax(masks_pred, dim=1).float(),
                                  F.one_hot(true_masks, model.n_classes).permute(0, 3, 1, 2).float(),
                                  multiclass=True)
            optimizer.zero_grad(set_to_none=True)
            grad_scaler.scale(loss).backward()
            grad_scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), gradient_clipping)
            grad_scaler.step(optimizer)
            grad_scaler.update()
            global_step += 1
            epoch_loss += loss.item()
            histograms = {}
            for tag, value in model.named_parameters():
                tag = tag.replace('/', '.')
                if not (torch.isinf(value) | torch.isnan(value)).any():
                    histograms['Weights/' + tag] = value.data.cpu()
                if not (torch.isinf(value.grad) | torch.isnan(value.grad)).any():
                    histograms['Gradients/' + tag] = value.grad.data.cpu()
        val_score = evaluate(model, val_loader, device, amp)
        scheduler.step(val_score)
        epoch_losses.append(epoch_loss)
        print('epoch', epoch, 'dice', round(float(val_score), 3), 'lr', optimizer.param_groups[0]['lr'])
        state_dict = model.state_dict()
        state_dict['mask_values'] = dataset.mask_values
        torch.save(state_dict, 'checkpoint_epoch{}.pth'.format(epoch))
    print('train loss went down', epoch_losses[-1] < epoch_losses[0])


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='Train the UNet on images and target masks')
    parser.add_argument('--epochs', '-e', type=int, default=3)
    parser.add_argument('--amp', action='store_true', default=False)
    parser.add_argument('--classes', '-c', type=int, default=3)
    parser.add_argument('--arch', choices=['unet', 'pixel'], default='unet')
    args = parser.parse_args()
    torch.manual_seed(0)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    logging.info(f'Using device {device}')
    model = (UNet if args.arch == 'unet' else PixelNet)(n_channels=3, n_classes=args.classes)
    model = model.to(memory_format=torch.channels_last)
    model.to(device=device)
    try:
        train_model(model=model, epochs=args.epochs, device=device, amp=args.amp)
    except torch.cuda.OutOfMemoryError:
        logging.error('Detected OutOfMemoryError!')
        torch.cuda.empty_cache()
    state_dict = torch.load('checkpoint_epoch{}.pth'.format(args.epochs))
    mask_values = state_dict.pop('mask_values', [0, 1])
    model.load_state_dict(state_dict)
    print('reloaded with mask values', mask_values)
