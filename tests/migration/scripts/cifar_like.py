"""A tiny copy of the patterns of kuangliu/pytorch-cifar (main.py, models/resnet.py,
models/efficientnet.py's drop_connect, utils.py's get_mean_and_std), written for Genesis's tests:
a residual network trained with SGD + cosine annealing, a best-accuracy checkpoint and resuming
from it. ``--arch mlp`` (residual blocks of Linear layers, same shortcut and in-place add
patterns) stands in for the convolutional ResNet where a library lacks Conv2d/BatchNorm2d."""
import argparse
import os

import torch
import torch.backends.cudnn as cudnn
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class LinearBlock(nn.Module):
    """BasicBlock's stand-in: Linear layers, the same empty-Sequential shortcut and ``out +=``."""
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.fc1 = nn.Linear(in_planes, planes, bias=False)
        self.ln1 = nn.LayerNorm(planes)
        self.fc2 = nn.Linear(planes, planes, bias=False)
        self.ln2 = nn.LayerNorm(planes)
        self.shortcut = nn.Sequential()
        if in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(nn.Linear(in_planes, planes, bias=False), nn.LayerNorm(planes))

    def forward(self, x):
        out = F.relu(self.ln1(self.fc1(x)))
        out = self.ln2(self.fc2(out))
        out += self.shortcut(x)
        return F.relu(out)


def drop_connect(x, drop_ratio):
    keep_ratio = 1.0 - drop_ratio
    mask = torch.empty([x.shape[0], 1, 1, 1], dtype=x.dtype, device=x.device)
    mask.bernoulli_(keep_ratio)
    x.div_(keep_ratio)
    x.mul_(mask)
    return x


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=10, conv=True):
        super(ResNet, self).__init__()
        self.in_planes = 8
        self.conv = conv
        if conv:
            self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
        else:
            self.conv1 = nn.Linear(3 * 8 * 8, 8, bias=False)
            self.bn1 = nn.LayerNorm(8)
        self.layer1 = self._make_layer(block, 8, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 16, num_blocks[1], stride=2)
        self.linear = nn.Linear(16 * block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        if self.training:
            x = drop_connect(x.clone(), 0.1)
        if not self.conv:
            x = x.view(x.size(0), -1)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer2(self.layer1(out))
        if self.conv:
            out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        return self.linear(out)


def get_mean_and_std(dataset):
    dataloader = torch.utils.data.DataLoader(dataset, batch_size=1, shuffle=True, num_workers=0)
    mean, std = torch.zeros(3), torch.zeros(3)
    for inputs, targets in dataloader:
        for i in range(3):
            mean[i] += inputs[:, i, :, :].mean()
            std[i] += inputs[:, i, :, :].std()
    mean.div_(len(dataset))
    std.div_(len(dataset))
    return mean, std


parser = argparse.ArgumentParser(description='PyTorch CIFAR10 Training')
parser.add_argument('--lr', default=0.1, type=float, help='learning rate')
parser.add_argument('--resume', '-r', action='store_true', help='resume from checkpoint')
parser.add_argument('--arch', choices=['resnet', 'mlp'], default='resnet')
parser.add_argument('--epochs', default=3, type=int)
args = parser.parse_args()

device = 'cuda' if torch.cuda.is_available() else 'cpu'
best_acc = 0
start_epoch = 0
torch.manual_seed(0)
print('==> Preparing data..')
images = torch.randn(96, 3, 8, 8)
labels = (images[:, 0].mean((1, 2)) > images[:, 1].mean((1, 2))).long() * 5
trainset = torch.utils.data.TensorDataset(images[:64], labels[:64])
testset = torch.utils.data.TensorDataset(images[64:], labels[64:])
trainloader = torch.utils.data.DataLoader(trainset, batch_size=16, shuffle=True, num_workers=2)
testloader = torch.utils.data.DataLoader(testset, batch_size=16, shuffle=False, num_workers=2)
mean, std = get_mean_and_std(trainset)
print('mean/std shapes', tuple(mean.shape), tuple(std.shape))

print('==> Building model..')
conv = args.arch == 'resnet'
net = ResNet(BasicBlock if conv else LinearBlock, [1, 1], conv=conv)
net = net.to(device)
if device == 'cuda':
    net = torch.nn.DataParallel(net)
    cudnn.benchmark = True

if args.resume:
    print('==> Resuming from checkpoint..')
    assert os.path.isdir('checkpoint'), 'Error: no checkpoint directory found!'
    checkpoint = torch.load('./checkpoint/ckpt.pth')
    net.load_state_dict(checkpoint['net'])
    best_acc = checkpoint['acc']
    start_epoch = checkpoint['epoch']
    print('resumed at epoch', start_epoch, 'with accuracy', best_acc)

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=200)


def train(epoch):
    print('\nEpoch: %d' % epoch)
    net.train()
    train_loss, correct, total = 0, 0, 0
    for batch_idx, (inputs, targets) in enumerate(trainloader):
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        train_loss += loss.item()
        _, predicted = outputs.max(1)
        total += targets.size(0)
        correct += predicted.eq(targets).sum().item()
    print('Loss: %.3f | Acc: %.3f%% (%d/%d)' % (train_loss / (batch_idx + 1), 100. * correct / total, correct, total))
    return train_loss / (batch_idx + 1)


def test(epoch):
    global best_acc
    net.eval()
    test_loss, correct, total = 0, 0, 0
    with torch.no_grad():
        for batch_idx, (inputs, targets) in enumerate(testloader):
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = net(inputs)
            test_loss += criterion(outputs, targets).item()
            _, predicted = outputs.max(1)
            total += targets.size(0)
            correct += predicted.eq(targets).sum().item()
    acc = 100. * correct / total
    if acc > best_acc:
        print('Saving..')
        state = {'net': net.state_dict(), 'acc': acc, 'epoch': epoch}
        if not os.path.isdir('checkpoint'):
            os.mkdir('checkpoint')
        torch.save(state, './checkpoint/ckpt.pth')
        best_acc = acc


losses = []
for epoch in range(start_epoch, start_epoch + args.epochs):
    losses.append(train(epoch))
    test(epoch)
    scheduler.step()
    print("lr", scheduler.get_last_lr())
print("train loss went down", losses[-1] < losses[0])
