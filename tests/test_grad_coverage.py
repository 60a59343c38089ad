"""No op silently drops a gradient: every public op is differentiable exactly as in PyTorch, or
raises where PyTorch raises, or gives outputs that never require grad (as PyTorch's do).

The names come from walking ``genesis.Tensor`` (its methods, properties and operators), the
``genesis`` namespace and ``genesis.nn.functional``: each must be classified below, so a new op
fails ``test_every_public_name_is_classified`` until it is given a check here.

- ``GRAD``: forward values, ``requires_grad`` and gradients equal PyTorch's (float64, rel 1e-9)
  and central differences (``fd=False`` where the inputs sit on a kink, as in the tie cases).
  View ops also run an in-place op through the view, which must update the viewed tensor and
  its gradient as in PyTorch.
- ``RAISES``: PyTorch has no derivative; Genesis raises the same RuntimeError, at the op or at
  ``backward``, never returns a zero gradient instead.
- ``NO_GRAD``: outputs are integers, bools, Python values or fresh leaves: they do not require
  grad in Genesis, and neither do PyTorch's (checked).
- ``NOT_OPS``: attributes and protocol methods that compute nothing from values.
"""
from __future__ import annotations

import copy
import types
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import genesis
import genesis.nn.functional as GF
from test_ops import finite_difference_check, run_both

S = (2, 3)  # the default input shape


class Case:
    """``fn(m, *tensors)`` on inputs of ``shapes`` (or the given ``arrays``); ``m`` is genesis
    or torch (``m.F`` the functional namespace)."""

    def __init__(self, fn, shapes=(S,), positive=False, arrays=None, fd=True):
        self.fn, self.shapes, self.positive, self.arrays, self.fd = fn, shapes, positive, arrays, fd

    def inputs(self, seed):
        if self.arrays is not None:
            return [np.array(a, dtype=np.float64) for a in self.arrays]
        rng = np.random.default_rng(seed)
        arrays = [rng.standard_normal(shape) for shape in self.shapes]
        return [np.abs(a) + 0.5 for a in arrays] if self.positive else arrays


class _Namespace:
    """``genesis`` or ``torch`` with ``F`` its functional namespace, for the lambdas below."""

    def __init__(self, module, functional):
        self._module, self.F = module, functional

    def __getattr__(self, name):
        return getattr(self._module, name)


G, T = _Namespace(genesis, GF), _Namespace(torch, TF)


def _lib(fn):
    """``fn(G or T, *tensors)`` as test_ops' ``run_both`` calls it (with the bare module)."""
    return lambda m, *ts: fn(G if m is genesis else T, *ts)


def C(fn, *shapes, **options):
    return Case(fn, shapes or (S,), **options)


def through(view):
    """An in-place op through ``view`` of a non-leaf, then the whole tensor: PyTorch updates
    the viewed tensor and routes the gradient through the write (CopySlices)."""
    def fn(m, a):
        y = a * 1
        v = view(m, y)
        v.mul_(2)
        v.add_(1)
        return y * y
    return C(fn)


def _inplace(op):
    def fn(m, a, b):
        y = a * 1
        return op(y, b)
    return fn


def _iadd(y, b):
    y += b
    return y


def _isub(y, b):
    y -= b
    return y


def _imul(y, b):
    y *= b
    return y


def _idiv(y, b):
    y /= b.abs() + 0.5
    return y


def _setitem(m, a, b):
    y = a * 1
    y[0, 1:] = b[:2] * 3
    y[1] = y[0] + b
    return y


def _quiet(method, **kwargs):
    """``method(**kwargs)`` without the degrees-of-freedom warning (its own test checks it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return method(**kwargs)


def _random_refill(method):
    # The values are random; their gradient to the overwritten tensor is 0 in both libraries.
    return C(lambda m, a: getattr(a * 1, method)() * 0 + a.exp())


TIES = [[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]]
ZERO_ROW = [[0.0, 0.0, 0.0], [3.0, -4.0, 1.0]]
CONST_ROW = [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]

# ---------------------------------------------------------------------------- GRAD
GRAD = {
    # elementwise and operators
    "abs": [C(lambda m, a: a.abs()), C(lambda m, a: m.abs(a))],
    "abs_": [C(lambda m, a: (a * 1).abs_())],
    "absolute": [C(lambda m, a: a.absolute())],
    "add": [C(lambda m, a, b: a.add(b, alpha=2.5), S, (3,))],
    "add_": [C(lambda m, a, b: (a * 1).add_(b, alpha=-0.5), S, (3,))],
    "addcdiv_": [C(lambda m, a, b, c: (a * 1).addcdiv_(b, c.abs() + 0.5, value=0.5), S, S, S)],
    "addcmul_": [C(lambda m, a, b, c: (a * 1).addcmul_(b, c, value=2.0), S, (3,), S)],
    "ceil": [C(lambda m, a: a.ceil() * a), C(lambda m, a: a.ceil())],
    "clamp": [C(lambda m, a: a.clamp(-0.5, 0.5)), C(lambda m, a: m.clamp(a, min=-0.2)),
              C(lambda m, a, b, c: a.clamp(b, c), S, (3,), S),
              # ties go to the input; a bound above the other gives the upper bound
              C(lambda m, a, b, c: a.clamp(b, c), arrays=[TIES, [1.0, 3.0, 0.0], [3.0, 2.5, -2.0]],
                fd=False)],
    "clamp_": [C(lambda m, a: (a * 1).clamp_(max=0.1))],
    "clamp_max": [C(lambda m, a: a.clamp_max(0.3))],
    "clamp_min": [C(lambda m, a: a.clamp_min(-0.3))],
    "clip": [C(lambda m, a: a.clip(-0.4, 0.4)), C(lambda m, a, b: m.clip(a, max=b), S, S)],
    "clip_": [C(lambda m, a: (a * 1).clip_(-0.4, 0.4))],
    "clone": [C(lambda m, a: a.clone() * a)],
    "contiguous": [C(lambda m, a: a.contiguous() * a), C(lambda m, a: a.t().contiguous() * 1),
                   C(lambda m, a: a.contiguous(memory_format=m.channels_last) * 1, (2, 3, 2, 2))],
    "copy_": [C(lambda m, a, b: (a * 1).copy_(b), S, (3,))],
    "cos": [C(lambda m, a: a.cos()), C(lambda m, a: m.cos(a))],
    "cpu": [C(lambda m, a: a.cpu() * a)],
    "div": [C(lambda m, a, b: a.div(b.abs() + 0.5), S, (3,)),
            C(lambda m, a, b: a.div(b.abs() + 0.5, rounding_mode="floor") * a, S, S),
            C(lambda m, a, b: a.div(b.abs() + 0.5, rounding_mode="trunc"), S, S)],
    "div_": [C(lambda m, a, b: (a * 1).div_(b.abs() + 0.5), S, (3,))],
    "divide": [C(lambda m, a, b: a.divide(b.abs() + 0.5), S, S)],
    "double": [C(lambda m, a: a.float().double(), fd=False)],
    "erf": [C(lambda m, a: a.erf()), C(lambda m, a: m.erf(a))],
    "exp": [C(lambda m, a: a.exp()), C(lambda m, a: m.exp(a))],
    "exp_": [C(lambda m, a: (a * 1).exp_())],
    "expm1": [C(lambda m, a: a.expm1()), C(lambda m, a: m.expm1(a))],
    "fill_": [C(lambda m, a: (a * 1).fill_(2.0) * a),
              C(lambda m, a, b: (a * 1).fill_(b.sum()), S, (3,))],
    "float": [C(lambda m, a: a.float().double(), fd=False)],
    "floor": [C(lambda m, a: a.floor() * a), C(lambda m, a: a.floor())],
    "half": [C(lambda m, a: a.half().double(), fd=False)],
    "lerp": [C(lambda m, a, b: a.lerp(b, 0.3), S, (3,)), C(lambda m, a, b, c: a.lerp(b, c), S, S, S)],
    "lerp_": [C(lambda m, a, b: (a * 1).lerp_(b, 0.7), S, S)],
    "log": [C(lambda m, a: a.log(), positive=True), C(lambda m, a: m.log(a), positive=True)],
    "log1p": [C(lambda m, a: a.log1p(), positive=True), C(lambda m, a: m.log1p(a), positive=True)],
    "masked_fill": [C(lambda m, a: a.masked_fill(a > 0.2, -1.0)),
                    C(lambda m, a, b: a.masked_fill(a > 0, b.sum()), S, (3,))],
    "masked_fill_": [C(lambda m, a: (a * 1).masked_fill_(a < 0, 2.0))],
    "maximum": [C(lambda m, a, b: a.maximum(b), S, (3,)), C(lambda m, a, b: m.maximum(a, b), S, S),
                C(lambda m, a, b: a.maximum(b), arrays=[TIES, TIES[::-1]], fd=False)],
    "minimum": [C(lambda m, a, b: a.minimum(b), S, (3,)), C(lambda m, a, b: m.minimum(a, b), S, S),
                C(lambda m, a, b: a.minimum(b), arrays=[TIES, TIES[::-1]], fd=False)],
    "mul": [C(lambda m, a, b: a.mul(b), S, (1, 3))],
    "mul_": [C(lambda m, a, b: (a * 1).mul_(b), S, (3,))],
    "multiply": [C(lambda m, a, b: a.multiply(b), S, S)],
    "neg": [C(lambda m, a: a.neg())],
    "neg_": [C(lambda m, a: (a * 1).neg_())],
    "negative": [C(lambda m, a: a.negative())],
    "normal_": [_random_refill("normal_")],
    "pow": [C(lambda m, a, b: a.abs().pow(b), S, (3,)), C(lambda m, a: a.pow(3)),
            C(lambda m, a: m.pow(a, 2)), C(lambda m, a: m.pow(2.0, a)),
            # exponent 0 at base 0, and base 0 with a tensor exponent: 0, not NaN
            C(lambda m, a, b: a.pow(b) + a.pow(0), arrays=[[0.0, 2.0, 0.0], [0.0, 1.0, 2.0]],
              fd=False)],
    "pow_": [C(lambda m, a: (a.abs() + 0.5).pow_(1.5))],
    "reciprocal": [C(lambda m, a: a.reciprocal())],
    "relu": [C(lambda m, a: a.relu()), C(lambda m, a: m.relu(a))],
    "relu_": [C(lambda m, a: (a * 1).relu_())],
    "round": [C(lambda m, a: a.round() * a), C(lambda m, a: a.round(decimals=1))],
    "rsqrt": [C(lambda m, a: a.rsqrt(), positive=True)],
    "sigmoid": [C(lambda m, a: a.sigmoid()), C(lambda m, a: m.sigmoid(a))],
    "sign": [C(lambda m, a: a.sign() * a), C(lambda m, a: m.sign(a) * a)],
    "sin": [C(lambda m, a: a.sin()), C(lambda m, a: m.sin(a))],
    "sqrt": [C(lambda m, a: a.sqrt(), positive=True), C(lambda m, a: m.sqrt(a), positive=True)],
    "sqrt_": [C(lambda m, a: (a * 1).sqrt_(), positive=True)],
    "square": [C(lambda m, a: a.square())],
    "sub": [C(lambda m, a, b: a.sub(b, alpha=3), S, (3,))],
    "sub_": [C(lambda m, a, b: (a * 1).sub_(b), S, (3,))],
    "subtract": [C(lambda m, a, b: a.subtract(b), S, S)],
    "tanh": [C(lambda m, a: a.tanh()), C(lambda m, a: m.tanh(a))],
    "to": [C(lambda m, a: a.to(m.float32).to(dtype=m.float64), fd=False)],
    "true_divide": [C(lambda m, a, b: a.true_divide(b.abs() + 0.5), S, S)],
    "trunc": [C(lambda m, a: a.trunc() * a), C(lambda m, a: a.trunc())],
    "type": [C(lambda m, a: a.type(m.float32).type(m.float64), fd=False)],
    "uniform_": [_random_refill("uniform_")],
    "where": [C(lambda m, a, b: a.where(a > 0, b), S, (3,)),
              C(lambda m, a, b: m.where(a > b, a, b), S, S)],
    "zero_": [C(lambda m, a: (a * 1).zero_() + a * a)],
    "__abs__": [C(lambda m, a: abs(a))],
    "__add__": [C(lambda m, a, b: a + b, S, (3,))],
    "__radd__": [C(lambda m, a: 2.5 + a)],
    "__sub__": [C(lambda m, a, b: a - b, S, (2, 1))],
    "__rsub__": [C(lambda m, a: 2.5 - a)],
    "__mul__": [C(lambda m, a, b: a * b, S, S)],
    "__rmul__": [C(lambda m, a: 3 * a)],
    "__truediv__": [C(lambda m, a, b: a / (b.abs() + 0.5), S, (3,))],
    "__rtruediv__": [C(lambda m, a: 2.0 / (a.abs() + 0.5))],
    "__mod__": [C(lambda m, a, b: a % (b.abs() + 0.5), S, (3,)), C(lambda m, a: a % 0.75)],
    "__pow__": [C(lambda m, a: a ** 2), C(lambda m, a, b: a.abs() ** b, S, S)],
    "__rpow__": [C(lambda m, a: 2.0 ** a)],
    "__matmul__": [C(lambda m, a, b: a @ b, S, (3, 4))],
    "__rmatmul__": [C(lambda m, a, b: b.__rmatmul__(a), S, (3, 2))],
    "__neg__": [C(lambda m, a: -a)],
    "__pos__": [C(lambda m, a: +a * a)],
    "__iadd__": [C(_inplace(_iadd), S, (3,))],
    "__isub__": [C(_inplace(_isub), S, S)],
    "__imul__": [C(_inplace(_imul), S, (3,))],
    "__itruediv__": [C(_inplace(_idiv), S, (3,))],
    "__setitem__": [C(_setitem, S, (3,))],
    # matrix products
    "bmm": [C(lambda m, a, b: a.bmm(b), (2, 2, 3), (2, 3, 4))],
    "dot": [C(lambda m, a, b: a.dot(b), (3,), (3,))],
    "matmul": [C(lambda m, a, b: a.matmul(b), (3,), (3, 2)), C(lambda m, a, b: m.matmul(a, b), S, (3,))],
    "mm": [C(lambda m, a, b: a.mm(b), S, (3, 2))],
    # reductions
    "amax": [C(lambda m, a: a.amax(dim=1)), C(lambda m, a: m.amax(a, (0, 1), keepdim=True)),
             C(lambda m, a: a.amax(1), arrays=[TIES], fd=False)],
    "amin": [C(lambda m, a: a.amin(0)), C(lambda m, a: m.amin(a)),
             C(lambda m, a: a.amin(), arrays=[TIES], fd=False)],
    "cumsum": [C(lambda m, a: a.cumsum(1)), C(lambda m, a: a.cumsum(dim=0) + a * a),
               C(lambda m, a: a.cumsum(-1, dtype=m.float32).double(), fd=False)],
    "logsumexp": [C(lambda m, a: a.logsumexp(1)), C(lambda m, a: m.logsumexp(a, (0, 1))),
                  C(lambda m, a: a.logsumexp(dim=(), keepdim=True))],
    "log_softmax": [C(lambda m, a: a.log_softmax(dim=0)), C(lambda m, a: m.log_softmax(a, 1))],
    "max": [C(lambda m, a: a.max()), C(lambda m, a: a.max(dim=1).values),
            C(lambda m, a: m.max(a, 0, keepdim=True)[0]), C(lambda m, a, b: a.max(b), S, S),
            C(lambda m, a: a.max(), arrays=[TIES], fd=False)],
    "mean": [C(lambda m, a: a.mean()), C(lambda m, a: m.mean(a, dim=1, keepdim=True))],
    "min": [C(lambda m, a: a.min()), C(lambda m, a: m.min(a, dim=0).values),
            C(lambda m, a, b: m.min(a, b), S, (3,))],
    "norm": [C(lambda m, a: a.norm()), C(lambda m, a: a.norm(dim=1)),
             C(lambda m, a: a.norm(p=1, dim=0)), C(lambda m, a: a.norm(3, dim=1, keepdim=True)),
             C(lambda m, a: a.norm(0.5)), C(lambda m, a: a.norm(1.5, dim=(0, 1))),
             C(lambda m, a: a.norm(float("inf"), dim=1)), C(lambda m, a: a.norm(float("-inf"))),
             C(lambda m, a: a.norm(0) + a.sum()), C(lambda m, a: a.norm("fro")),
             C(lambda m, a: a.norm(-1, dim=1)),
             # a zero vector or row: gradient 0 (PyTorch), not NaN
             *[C(lambda m, a, p=p: a.norm(p, dim=1), arrays=[ZERO_ROW], fd=False)
               for p in (2, 1, 3, 1.5, float("inf"))],
             C(lambda m, a: a[0].norm(), arrays=[ZERO_ROW], fd=False)],
    "softmax": [C(lambda m, a: a.softmax(1)), C(lambda m, a: m.softmax(a, dim=0))],
    "std": [C(lambda m, a: a.std()), C(lambda m, a: m.std(a, dim=1, keepdim=True)),
            C(lambda m, a: a.std(0, correction=0)),
            # a constant row: std 0 with gradient 0 (PyTorch), not NaN
            C(lambda m, a: a.std(dim=1), arrays=[CONST_ROW], fd=False)],
    "sum": [C(lambda m, a: a.sum()), C(lambda m, a: m.sum(a, 1)), C(lambda m, a: a.sum((0, 1)))],
    "var": [C(lambda m, a: a.var()), C(lambda m, a: m.var(a, 1, keepdim=True)),
            C(lambda m, a: a.var(dim=0, unbiased=False)),
            # N - correction <= 0: PyTorch's inf and NaN, forward and backward
            C(lambda m, a: _quiet(a.var, dim=1, correction=2), (2, 1), fd=False),
            C(lambda m, a: _quiet(a.var, dim=1, correction=2), (2, 2), fd=False)],
    # shapes and indexing (views also take an in-place op through them)
    "T": [C(lambda m, a: a.T * 1), through(lambda m, y: y.T)],
    "mT": [C(lambda m, a: a.mT * 1), through(lambda m, y: y.mT)],
    "chunk": [C(lambda m, a: a.chunk(2, dim=1)[1] * 1)],
    "diagonal": [C(lambda m, a: a.diagonal() * 1), C(lambda m, a: m.diagonal(a, 1, 2, 0) * 1,
                                                    (2, 3, 4)),
                 through(lambda m, y: y.diagonal(-1))],
    "expand": [C(lambda m, a: a.expand(2, 2, 3) * 1)],
    "expand_as": [C(lambda m, a, b: a.expand_as(b) * b, (3,), S)],
    "flatten": [C(lambda m, a: a.flatten()), C(lambda m, a: m.flatten(a, 0, 1)),
                through(lambda m, y: y.flatten())],
    "gather": [C(lambda m, a: a.gather(1, m.tensor([[0, 0], [2, 1]]))),
               C(lambda m, a: m.gather(a, 0, m.tensor([[1, 0, 1]])))],
    "moveaxis": [C(lambda m, a: m.moveaxis(a, -1, 0) * 1, (2, 3, 4))],
    "movedim": [C(lambda m, a: a.movedim((0, 2), (2, 1)) * 1, (2, 3, 4)),
                through(lambda m, y: m.movedim(y, 0, 1))],
    "permute": [C(lambda m, a: a.permute(1, 0) * 1), C(lambda m, a: m.permute(a, (1, 0)) * 1),
                through(lambda m, y: y.permute(1, 0))],
    "repeat": [C(lambda m, a: a.repeat(2, 1, 2))],
    "reshape": [C(lambda m, a: a.reshape(3, 2)), C(lambda m, a: m.reshape(a, (-1,))),
                through(lambda m, y: y.reshape(6))],
    "reshape_as": [C(lambda m, a, b: a.reshape_as(b), S, (3, 2))],
    "select": [C(lambda m, a: a.select(-1, 1) * 1), C(lambda m, a: m.select(a, 0, -1) * 1),
               through(lambda m, y: y.select(1, 2))],
    "split": [C(lambda m, a: a.split(2, dim=1)[1] * 1), C(lambda m, a: a.split([1, 2], 1)[1] * 1)],
    "squeeze": [C(lambda m, a: a[None].squeeze(0)), C(lambda m, a: m.squeeze(a[:, :1])),
                through(lambda m, y: y[:1].squeeze())],
    "swapaxes": [C(lambda m, a: a.swapaxes(0, 1) * 1), C(lambda m, a: m.swapaxes(a, 1, 0) * 1)],
    "swapdims": [C(lambda m, a: a.swapdims(0, -1) * 1), C(lambda m, a: m.swapdims(a, 1, 0) * 1),
                 through(lambda m, y: y.swapdims(0, 1))],
    "t": [C(lambda m, a: a.t() * 1), through(lambda m, y: y.t())],
    "take_along_dim": [C(lambda m, a: a.take_along_dim(m.tensor([[2], [0]]), dim=1)),
                       C(lambda m, a: m.take_along_dim(a, m.tensor([5, 0, 5])))],
    "tile": [C(lambda m, a: a.tile(2)), C(lambda m, a: m.tile(a, (2, 1, 3)))],
    "transpose": [C(lambda m, a: a.transpose(0, 1) * 1), C(lambda m, a: m.transpose(a, 1, 0) * 1),
                  through(lambda m, y: y.transpose(0, 1))],
    "unbind": [C(lambda m, a: a.unbind(1)[2] * a.unbind()[0][:2]),
               C(lambda m, a: m.stack(m.unbind(a, -1), 0) * 1)],
    "unflatten": [C(lambda m, a: a.unflatten(1, (3, 1))), through(lambda m, y: y.unflatten(1, (1, 3)))],
    "unsqueeze": [C(lambda m, a: a.unsqueeze(1)), C(lambda m, a: m.unsqueeze(a, -1)),
                  through(lambda m, y: y.unsqueeze(0))],
    "view": [C(lambda m, a: a.view(3, 2)), through(lambda m, y: y.view(-1))],
    "view_as": [C(lambda m, a, b: a.view_as(b), S, (6,))],
    "__getitem__": [C(lambda m, a: a[1]), C(lambda m, a: a[:, 1:] * 1), C(lambda m, a: a[[1, 1, 0]]),
                    C(lambda m, a: a[a > 0]), C(lambda m, a: a[[]] * 1),
                    through(lambda m, y: y[1]), through(lambda m, y: y[:, 1:]),
                    through(lambda m, y: y[0][1:])],
    "__iter__": [C(lambda m, a: list(a)[1] * 1)],
    # the genesis namespace: factories that take tensors
    "as_tensor": [C(lambda m, a: m.as_tensor(a, dtype=m.float32).double(), fd=False),
                  C(lambda m, a: m.as_tensor(a) * a)],
    "cat": [C(lambda m, a, b: m.cat([a, b], dim=0), S, (1, 3))],
    "concat": [C(lambda m, a, b: m.concat([a, b], 1), S, (2, 1))],
    "concatenate": [C(lambda m, a, b: m.concatenate((a, b)), S, S)],
    "stack": [C(lambda m, a, b: m.stack([a, b], dim=1), S, S)],
    # nn.functional
    "linear": [C(lambda m, x, w, b: m.F.linear(x, w, b), S, (4, 3), (4,)),
               C(lambda m, x, w: m.F.linear(x, w), (2, 2, 3), (4, 3))],
    "gelu": [C(lambda m, a: m.F.gelu(a)), C(lambda m, a: m.F.gelu(a, approximate="tanh"))],
    "silu": [C(lambda m, a: m.F.silu(a))],
    "dropout": [C(lambda m, a: m.F.dropout(a, 0.0)), C(lambda m, a: m.F.dropout(a, 0.6, training=False)),
                C(lambda m, a: m.F.dropout(a, 1.0) + a)],
    "layer_norm": [C(lambda m, x, w, b: m.F.layer_norm(x, (3,), w, b), S, (3,), (3,)),
                   C(lambda m, x: m.F.layer_norm(x, (2, 3)), (2, 2, 3))],
    "embedding": [C(lambda m, w: m.F.embedding(m.tensor([[0, 2], [2, 1]]), w), (3, 2)),
                  # the padding row gets no gradient, so central differences do not apply
                  C(lambda m, w: m.F.embedding(m.tensor([[0, 2], [2, 1]]), w, padding_idx=1),
                    (3, 2), fd=False)],
    "cross_entropy": [C(lambda m, x: m.F.cross_entropy(x, m.tensor([2, 0])), S),
                      C(lambda m, x: m.F.cross_entropy(
                          x, m.tensor([2, 0]), m.tensor([1.0, 2.0, 0.5], dtype=m.float64),
                          label_smoothing=0.2, reduction="sum")),
                      # probability targets: the target and the class weights get gradients
                      C(lambda m, x, q, w: m.F.cross_entropy(x, q.softmax(1), w.abs() + 0.5,
                                                             label_smoothing=0.1), S, S, (3,)),
                      C(lambda m, x, q: m.F.cross_entropy(x, q.softmax(1), reduction="none"),
                        (2, 3, 2), (2, 3, 2))],
    "nll_loss": [C(lambda m, x: m.F.nll_loss(x, m.tensor([1, 0]), reduction="sum"))],
    "mse_loss": [C(lambda m, x, y: m.F.mse_loss(x, y), S, S),
                 C(lambda m, x, y, w: m.F.mse_loss(x, y, weight=w.abs() + 0.5), S, S, S)],
    "l1_loss": [C(lambda m, x, y: m.F.l1_loss(x, y, reduction="none"), S, S)],
    "scaled_dot_product_attention": [
        C(lambda m, q, k, v: m.F.scaled_dot_product_attention(q, k, v), (2, 3, 4), (2, 5, 4),
          (2, 5, 2)),
        C(lambda m, q, k, v, mask: m.F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                                                    scale=0.7),
          (2, 3, 4), (2, 5, 4), (2, 5, 2), (3, 5)),
        C(lambda m, q, k, v: m.F.scaled_dot_product_attention(q, k, v, is_causal=True),
          (2, 4, 3), (2, 4, 3), (2, 4, 3))],
    # the output and the squared attention weights, so both outputs carry a gradient
    "multi_head_attention_forward": [C(lambda m, x, w, b, ow, ob: (
        lambda o: o[0][..., :3] + o[1].transpose(0, 1) ** 2)(m.F.multi_head_attention_forward(
            x, x, x, 4, 2, w, b, None, None, False, 0.0, ow, ob)),
        (3, 2, 4), (12, 4), (12,), (4, 4), (4,))],
    "binary_cross_entropy_with_logits": [
        C(lambda m, x, y: m.F.binary_cross_entropy_with_logits(x, y.sigmoid()), S, S),
        C(lambda m, x, y: m.F.binary_cross_entropy_with_logits(
            x, y.sigmoid(), m.tensor([1.0, 2.0, 0.5], dtype=m.float64),
            pos_weight=m.tensor([2.0, 1.0, 3.0], dtype=m.float64)), S, S)],
    # images: convolution, pooling, padding, resampling, normalisation (tests/nn/ go further)
    "conv1d": [C(lambda m, x, w, b: m.F.conv1d(x, w, b, stride=2, padding=1), (2, 2, 5),
                 (3, 2, 2), (3,))],
    "conv2d": [C(lambda m, x, w: m.F.conv2d(x, w, padding="same", groups=2), (1, 2, 3, 3),
                 (2, 1, 3, 3))],
    "conv_transpose1d": [C(lambda m, x, w: m.F.conv_transpose1d(x, w, stride=2), (1, 2, 3),
                           (2, 1, 2))],
    "conv_transpose2d": [C(lambda m, x, w, b: m.F.conv_transpose2d(x, w, b, padding=1,
                                                                   output_padding=1, stride=2),
                           (1, 2, 2, 2), (2, 1, 3, 3), (1,))],
    "max_pool1d": [C(lambda m, x: m.F.max_pool1d(x, 2, stride=1), (2, 4))],
    "max_pool2d": [C(lambda m, x: m.F.max_pool2d(x, 2, padding=1), (1, 2, 3, 3))],
    "max_pool1d_with_indices": [C(lambda m, x: m.F.max_pool1d_with_indices(x, 3)[0], (2, 6))],
    "max_pool2d_with_indices": [C(lambda m, x: m.F.max_pool2d_with_indices(x, 2)[0],
                                  (1, 4, 4))],
    "avg_pool1d": [C(lambda m, x: m.F.avg_pool1d(x, 3, padding=1, count_include_pad=False),
                     (2, 5))],
    "avg_pool2d": [C(lambda m, x: m.F.avg_pool2d(x, 2, ceil_mode=True), (1, 3, 3))],
    "adaptive_avg_pool1d": [C(lambda m, x: m.F.adaptive_avg_pool1d(x, 2), (2, 5))],
    "adaptive_avg_pool2d": [C(lambda m, x: m.F.adaptive_avg_pool2d(x, (2, 1)), (1, 3, 3))],
    "adaptive_max_pool1d": [C(lambda m, x: m.F.adaptive_max_pool1d(x, 2), (2, 5))],
    "adaptive_max_pool2d": [C(lambda m, x: m.F.adaptive_max_pool2d(x, 2), (1, 3, 3))],
    "pad": [C(lambda m, x: m.F.pad(x, (1, 2), mode="reflect")),
            C(lambda m, x: m.F.pad(x, (1, -1, 2, 0), value=3.0))],
    "interpolate": [C(lambda m, x: m.F.interpolate(x, scale_factor=2, mode="bilinear"),
                      (1, 1, 2, 3)),
                    C(lambda m, x: m.F.interpolate(x, size=5), (1, 2, 3))],
    "batch_norm": [C(lambda m, x, w, b: m.F.batch_norm(x, None, None, w, b, training=True),
                     (4, 3), (3,), (3,))],
    "instance_norm": [C(lambda m, x: m.F.instance_norm(x), (2, 2, 3))],
    "group_norm": [C(lambda m, x, w: m.F.group_norm(x, 2, w), (2, 4, 2), (4,))],
    "dropout1d": [C(lambda m, x: m.F.dropout1d(x, 0.5, training=False), (2, 3))],
    "dropout2d": [C(lambda m, x: m.F.dropout2d(x, 0.0), (1, 2, 2, 2))],
    # issue 11: the tensor API the migrated scripts call
    "tril": [C(lambda m, a: a.tril(1), (3, 4)), C(lambda m, a: m.tril(a, -1), (2, 3, 3))],
    "triu": [C(lambda m, a: m.triu(a, 1), (3, 4))],
    "tril_": [C(_inplace(lambda y, b: y.tril_() * b), S, S)],
    "triu_": [C(_inplace(lambda y, b: y.triu_(-1) * b), S, S)],
    "narrow": [C(lambda m, a: a.narrow(1, 1, 2)), C(lambda m, a: m.narrow(a, 0, -1, 1)),
               through(lambda m, y: y.narrow(1, 1, 2))],
    "index_select": [C(lambda m, a: a.index_select(1, m.tensor([2, 0, 2]))),
                     C(lambda m, a: m.index_select(a, 0, m.tensor([1, 1])))],
    "topk": [C(lambda m, a: a.topk(2).values), C(lambda m, a: m.topk(a, 1, dim=0)[0])],
    "bernoulli_": [_random_refill("bernoulli_")],
    "bernoulli": [C(lambda m, a: m.bernoulli(a.sigmoid()) * 0 + a.exp())],
    "einsum": [C(lambda m, a, b: m.einsum("ij,kj->ik", a, b), S, (4, 3)),
               C(lambda m, a: m.einsum("ii->i", a), (3, 3)),
               C(lambda m, a, b: m.einsum("...j,j->...", a, b), (2, 2, 3), (3,))],
}
for _alias, _name in [("F.relu", "relu"), ("F.sigmoid", "sigmoid"), ("F.tanh", "tanh"),
                      ("F.softmax", "softmax"), ("F.log_softmax", "log_softmax")]:
    GRAD[_alias] = [C(lambda m, a, n=_name: getattr(m.F, n)(a, **({"dim": 1} if "max" in n else {})))]

# ---------------------------------------------------------------------------- RAISES
RAISES = {
    "__floordiv__": [C(lambda m, a, b: a // (b.abs() + 0.5), S, S), C(lambda m, a: a // 0.7)],
    "__rfloordiv__": [C(lambda m, a: 2.0 // (a.abs() + 0.5))],
    "__rmod__": [C(lambda m, a: 2.0 % (a.abs() + 0.5))],
    "nll_loss": [C(lambda m, x, w: m.F.nll_loss(x, m.tensor([1, 0]), weight=w), S, (3,))],
    "cross_entropy": [C(lambda m, x, w: m.F.cross_entropy(x, m.tensor([1, 0]), weight=w), S, (3,))],
    "binary_cross_entropy_with_logits": [
        C(lambda m, x, w: m.F.binary_cross_entropy_with_logits(x, x.detach().sigmoid(), w), S, S),
        C(lambda m, x, w: m.F.binary_cross_entropy_with_logits(x, x.detach().sigmoid(),
                                                               pos_weight=w), S, (3,))],
}

# ---------------------------------------------------------------------------- NO_GRAD
NO_GRAD = {
    "all": lambda m, a: a.all(dim=1), "any": lambda m, a: a.any(),
    "allclose": lambda m, a: a.allclose(a), "equal": lambda m, a: a.equal(a),
    "argmax": lambda m, a: m.argmax(a, dim=1), "argmin": lambda m, a: a.argmin(),
    "bool": lambda m, a: a.bool(), "int": lambda m, a: a.int(), "long": lambda m, a: a.long(),
    "short": lambda m, a: a.short(), "char": lambda m, a: a.char(),
    "byte": lambda m, a: a.abs().byte(),
    "data": lambda m, a: a.data, "detach": lambda m, a: a.detach(),
    "detach_": lambda m, a: (a * 1).detach_(),
    "eq": lambda m, a: a.eq(0.5), "ne": lambda m, a: a.ne(a), "lt": lambda m, a: a.lt(0),
    "le": lambda m, a: a.le(0), "gt": lambda m, a: a.gt(0), "ge": lambda m, a: a.ge(0),
    "__eq__": lambda m, a: a == a, "__ne__": lambda m, a: a != 1, "__lt__": lambda m, a: a < 1,
    "__le__": lambda m, a: a <= 1, "__gt__": lambda m, a: a > 1, "__ge__": lambda m, a: a >= 1,
    "__and__": lambda m, a: (a > 0) & (a < 1), "__or__": lambda m, a: (a > 0) | (a < -1),
    "__xor__": lambda m, a: (a > 0) ^ (a < 1), "__invert__": lambda m, a: ~(a > 0),
    "logical_not": lambda m, a: (a > 0).logical_not(),
    "isfinite": lambda m, a: a.isfinite(), "isinf": lambda m, a: a.isinf(),
    "is_contiguous": lambda m, a: a.is_contiguous(),
    "isnan": lambda m, a: a.isnan(), "item": lambda m, a: a[0, 0].item(),
    "tolist": lambda m, a: a.tolist(), "numpy": lambda m, a: a.detach().numpy(),
    "new_empty": lambda m, a: a.new_empty(2), "new_full": lambda m, a: a.new_full((2,), 1.5),
    "new_ones": lambda m, a: a.new_ones(2, 1), "new_tensor": lambda m, a: a.new_tensor([1.0]),
    "new_zeros": lambda m, a: a.new_zeros((1, 2)),
    "empty_like": lambda m, a: m.empty_like(a), "full_like": lambda m, a: m.full_like(a, 2.0),
    "ones_like": lambda m, a: m.ones_like(a), "zeros_like": lambda m, a: m.zeros_like(a),
    "rand_like": lambda m, a: m.rand_like(a), "randn_like": lambda m, a: m.randn_like(a),
    "randint_like": lambda m, a: m.randint_like(a, 5),
    "tensor": lambda m, a: m.tensor(a), "where": lambda m, a: m.where(a > 0),
    "one_hot": lambda m, a: m.F.one_hot(a.argmax(1), 3),
    "multinomial": lambda m, a: m.multinomial(a.abs() + 0.1, 2),
    "new": lambda m, a: a.new(2, 3),
}
NO_GRAD["cumsum"] = lambda m, a: a.long().cumsum(0)  # integer sums are int64, no grad
NO_GRAD["div"] = lambda m, a: a.long().div(2, rounding_mode="floor")

# ---------------------------------------------------------------------------- NOT_OPS
NOT_OPS = {
    # attributes and bookkeeping
    "backward", "data_ptr", "device", "dim", "dtype", "element_size", "grad", "grad_fn",
    "is_cuda", "is_floating_point", "is_leaf", "itemsize", "ndim", "ndimension", "nelement",
    "numel", "requires_grad", "requires_grad_", "retain_grad", "retains_grad", "shape", "size",
    # gradient hooks (tested against PyTorch in tests/test_autograd_hooks.py)
    "register_hook", "register_post_accumulate_grad_hook",
    # Python protocols
    "__array__", "__array_priority__", "__bool__", "__deepcopy__", "__doc__", "__float__",
    "__format__", "__hash__", "__index__", "__init__", "__int__", "__len__", "__module__",
    "__repr__", "__slots__", "__weakref__",
    # the genesis namespace: factories from shapes, RNG, grad mode, checkpoints
    "arange", "empty", "from_numpy", "full", "get_default_dtype", "get_rng_state",
    "initial_seed", "is_grad_enabled", "is_tensor", "linspace", "load", "load_checkpoint",
    "manual_seed", "ones", "rand", "randint", "randn", "randperm", "save", "save_checkpoint",
    "seed", "set_rng_state", "zeros",
    # devices, mixed precision and compilation (issue 11; tests/test_devices.py, tests/amp/)
    "compile", "cuda", "get_autocast_dtype", "get_device", "is_autocast_enabled", "is_cpu",
    "is_inference_mode_enabled", "is_pinned", "pin_memory",
}


def _public_names():
    tensor_names = set()
    for cls in genesis.Tensor.__mro__:
        if cls is not object:
            tensor_names |= {n for n in vars(cls) if not n.startswith("_") or n.startswith("__")}
    namespace = {n for n in dir(genesis) if not n.startswith("_")
                 and callable(getattr(genesis, n))
                 and not isinstance(getattr(genesis, n), (type, types.ModuleType))}
    functional = {n if n not in tensor_names | namespace else f"F.{n}" for n in GF.__all__}
    # F.relu and friends are classified under "F.<name>" when a method shares the name;
    # linear, gelu, ... (functional only) under their own names.
    return tensor_names | namespace | {n for n in functional}


def test_every_public_name_is_classified():
    names = _public_names()
    classified = set(GRAD) | set(RAISES) | set(NO_GRAD) | NOT_OPS
    unclassified = sorted(names - classified)
    assert not unclassified, (
        f"{unclassified}: classify each in tests/test_grad_coverage.py (GRAD with a check against "
        f"PyTorch, RAISES, NO_GRAD or NOT_OPS), so no op can drop a gradient unnoticed")
    stale = sorted(classified - names)
    assert not stale, f"{stale}: classified in tests/test_grad_coverage.py but not public"


def _cases(table):
    return [(name, k) for name in sorted(table) for k in range(len(table[name]))]


@pytest.mark.parametrize("name,k", _cases(GRAD), ids=[f"{n}-{k}" for n, k in _cases(GRAD)])
def test_gradient_matches_torch_and_finite_differences(name, k):
    case = GRAD[name][k]
    arrays = case.inputs(seed=len(name) + k)
    fn = _lib(case.fn)
    with np.errstate(all="ignore"):
        run_both(fn, arrays, seed=k)
    if case.fd:
        finite_difference_check(fn, arrays)


@pytest.mark.parametrize("name,k", _cases(RAISES), ids=[f"{n}-{k}" for n, k in _cases(RAISES)])
def test_backward_raises_like_torch(name, k):
    case = RAISES[name][k]
    arrays = case.inputs(seed=k)
    messages = []
    for m, lib in ((torch, T), (genesis, G)):
        inputs = [m.tensor(a, requires_grad=True) for a in arrays]
        with pytest.raises(RuntimeError) as raised:
            case.fn(lib, *inputs).sum().backward()
        messages.append(str(raised.value).splitlines()[0])
    assert messages[1] == messages[0]


@pytest.mark.parametrize("name", sorted(NO_GRAD))
def test_outputs_that_never_require_grad_in_torch_do_not_here(name):
    flags = []
    for m, lib in ((torch, T), (genesis, G)):
        a = m.tensor(np.random.default_rng(3).standard_normal(S), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.tensor(a tensor) advises clone().detach()
            out = NO_GRAD[name](lib, a)
        outs = out if isinstance(out, (tuple, list)) and out and isinstance(out[0], m.Tensor) \
            else [out]
        flags.append([o.requires_grad if isinstance(o, m.Tensor) else None for o in outs])
    assert flags[1] == flags[0]
    assert not any(flags[1])


def test_deepcopy_keeps_a_leaf_and_its_flag_as_torch():
    for m in (torch, genesis):
        a = m.tensor([1.0, 2.0], requires_grad=True)
        b = copy.deepcopy(a)
        assert b.requires_grad and b.is_leaf and b is not a
