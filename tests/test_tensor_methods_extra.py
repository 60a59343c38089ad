"""unbind, movedim/moveaxis, swapdims/swapaxes, tile, select, diagonal and is_contiguous against
PyTorch: values, gradients, errors (type and message), view semantics."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import genesis
from test_ops import run_both


def _array(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _stacked(out):
    """A tuple of tensors (unbind) as one tensor, so run_both can compare it."""
    if isinstance(out, tuple):
        m = genesis if isinstance(out[0], genesis.Tensor) else torch
        return m.stack(out, 0) if out else m.zeros(0)
    return out


def _same_error(fn):
    """``fn(torch, x)`` and ``fn(genesis, x)`` raise the same exception type and message."""
    raised = []
    for m in (torch, genesis):
        with pytest.raises(Exception) as info:
            fn(m)
        raised.append((type(info.value), str(info.value).splitlines()[0]))
    assert raised[1] == raised[0]


# --------------------------------------------------------------- values and gradients
CASES = [
    # unbind
    ((2, 3), lambda m, a: a.unbind()),
    ((2, 3, 4), lambda m, a: a.unbind(1)),
    ((2, 3, 4), lambda m, a: m.unbind(a, -1)),
    ((1, 4), lambda m, a: a.unbind(dim=-2)),
    # movedim / moveaxis
    ((2, 3, 4), lambda m, a: a.movedim(0, -1)),
    ((2, 3, 4), lambda m, a: a.movedim(-1, 0)),
    ((2, 3, 4, 5), lambda m, a: a.movedim((0, 1), (-1, 0))),
    ((2, 3, 4, 5), lambda m, a: m.movedim(a, [3, -3], [1, 2])),
    ((2, 3, 4), lambda m, a: a.moveaxis(1, 1)),
    ((2, 3, 4), lambda m, a: m.moveaxis(a, (2, 0), (0, 2))),
    ((), lambda m, a: a.movedim(0, -1)),
    # swapdims / swapaxes
    ((2, 3, 4), lambda m, a: a.swapdims(0, -1)),
    ((2, 3, 4), lambda m, a: m.swapdims(a, 1, 1)),
    ((2, 3, 4), lambda m, a: a.swapaxes(-2, 0)),
    ((2, 3), lambda m, a: m.swapaxes(a, 0, 1)),
    # tile
    ((2, 3), lambda m, a: a.tile(2)),
    ((2, 3), lambda m, a: a.tile((3, 1, 2))),
    ((2, 3), lambda m, a: a.tile(2, 2)),
    ((2, 3, 4), lambda m, a: m.tile(a, [2, 1])),
    ((2, 3), lambda m, a: a.tile(())),
    ((2, 3), lambda m, a: a.tile(0, 1)),
    ((), lambda m, a: a.tile(3)),
    # select
    ((2, 3), lambda m, a: a.select(0, 1)),
    ((2, 3, 4), lambda m, a: a.select(-1, -4)),
    ((2, 3, 4), lambda m, a: m.select(a, 1, 2)),
    ((3,), lambda m, a: a.select(0, -1)),
    # diagonal
    ((3, 3), lambda m, a: a.diagonal()),
    ((3, 4), lambda m, a: a.diagonal(1)),
    ((4, 3), lambda m, a: a.diagonal(-2)),
    ((3, 4), lambda m, a: a.diagonal(offset=7)),
    ((2, 3, 4), lambda m, a: a.diagonal(0, 2, 0)),
    ((2, 3, 4, 5), lambda m, a: m.diagonal(a, -1, -1, 1)),
    ((2, 3, 4, 5), lambda m, a: a.diagonal(offset=2, dim1=-3, dim2=-1)),
    # contiguous copies keep values and gradients
    ((2, 3), lambda m, a: a.t().contiguous()),
    ((2, 3, 4, 5), lambda m, a: a.contiguous(memory_format=m.channels_last)),
    ((2, 3, 4, 5), lambda m, a: a.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)
     .contiguous()),
]


@pytest.mark.parametrize("k", range(len(CASES)))
def test_values_and_gradients_match_torch(k):
    shape, fn = CASES[k]
    run_both(lambda m, a: _stacked(fn(m, a)) * 1, [_array(shape, k)], seed=k)


@pytest.mark.parametrize("k", range(len(CASES)))
def test_shapes_match_torch(k):
    shape, fn = CASES[k]
    g = fn(genesis, genesis.tensor(_array(shape)))
    t = fn(torch, torch.tensor(_array(shape)))
    if isinstance(t, tuple):
        assert isinstance(g, tuple) and len(g) == len(t)
        assert [tuple(x.shape) for x in g] == [tuple(x.shape) for x in t]
    else:
        assert tuple(g.shape) == tuple(t.shape)


def test_empty_unbind_and_dimension_of_size_zero():
    for m in (torch, genesis):
        assert m.zeros(2, 0).unbind(1) == ()
        assert [tuple(p.shape) for p in m.zeros(0, 3).unbind(1)] == [(0,)] * 3


# --------------------------------------------------------------- views
VIEWS = [
    lambda y: y.select(1, 2),
    lambda y: y.unbind(0)[1],
    lambda y: y.movedim(0, 1),
    lambda y: y.swapdims(0, 1),
    lambda y: y.diagonal(),
    lambda y: y.diagonal(-1),
]


@pytest.mark.parametrize("k", range(len(VIEWS)))
def test_views_share_storage_as_in_torch(k):
    arrays = []
    for m in (torch, genesis):
        y = m.tensor(_array((3, 4), k))
        VIEWS[k](y).mul_(10)  # no graph: writes reach y
        arrays.append(y.numpy())
    np.testing.assert_array_equal(arrays[1], arrays[0])


def test_inplace_on_an_unbind_output_with_a_graph_raises_as_in_torch():
    def fn(m):
        a = m.tensor(_array((2, 3)), requires_grad=True)
        (a * 1).unbind(0)[0].mul_(2)
    _same_error(fn)


def test_tile_and_repeat_are_writable_copies_as_in_torch():
    results = []
    for m in (torch, genesis):
        y = m.tensor(_array((2, 3)))
        y.tile(1).mul_(0)  # all repeats 1: still a copy
        ones = m.ones(1)
        row = ones.repeat(3)  # one element repeated: its own three elements
        row[0] = 5.0
        results.append((y.numpy().copy(), ones.numpy().copy(), row.numpy().copy()))
    for g, t in zip(results[1], results[0]):
        np.testing.assert_array_equal(g, t)


# --------------------------------------------------------------- is_contiguous
CONTIGUITY = [
    ((2, 3), lambda x: x),
    ((2, 3), lambda x: x.t()),
    ((2, 3), lambda x: x.t().contiguous()),
    ((2, 3), lambda x: x[:, ::2]),
    ((2, 3), lambda x: x[:, 1:]),
    ((2, 3), lambda x: x[1:]),
    ((2, 3), lambda x: x.select(1, 0)),
    ((2, 3), lambda x: x.select(0, 1)),
    ((1, 3), lambda x: x.expand(4, 3)),
    ((3,), lambda x: x.unsqueeze(1).expand(3, 1)),
    ((2, 3, 4), lambda x: x.movedim(0, -1)),
    ((2, 3, 4), lambda x: x.movedim(0, -1).reshape(3, 8)),
    ((2, 1, 4), lambda x: x.swapdims(0, 1)),
    ((3, 3), lambda x: x.diagonal()),
    ((4,), lambda x: x[None]),
    ((0, 3), lambda x: x.t()),
    ((), lambda x: x),
]
FORMATS = ["contiguous_format", "preserve_format", "channels_last", "channels_last_3d"]
LAYOUTS = [
    ((2, 3, 4, 5), lambda x: x),
    ((2, 3, 4, 5), lambda x: x.contiguous(memory_format=x_format(x, "channels_last"))),
    ((2, 4, 5, 3), lambda x: x.permute(0, 3, 1, 2)),
    ((2, 3, 4, 5, 6), lambda x: x.contiguous(memory_format=x_format(x, "channels_last_3d"))),
    ((2, 3, 4, 5), lambda x: x.contiguous(memory_format=x_format(x, "channels_last"))
     .contiguous()),
    ((2, 3), lambda x: x),
]


def x_format(x, name):
    return getattr(genesis if isinstance(x, genesis.Tensor) else torch, name)


@pytest.mark.parametrize("k", range(len(CONTIGUITY)))
def test_is_contiguous_matches_torch(k):
    shape, view = CONTIGUITY[k]
    answers = [view(m.tensor(_array(shape))).is_contiguous() for m in (torch, genesis)]
    assert answers[1] is answers[0]


@pytest.mark.parametrize("k", range(len(LAYOUTS)))
@pytest.mark.parametrize("name", FORMATS)
def test_is_contiguous_in_a_memory_format_matches_torch(k, name):
    shape, view = LAYOUTS[k]
    answers = [view(m.tensor(_array(shape))).is_contiguous(memory_format=getattr(m, name))
               for m in (torch, genesis)]
    assert answers[1] is answers[0]


def test_contiguous_returns_self_when_contiguous_and_a_copy_otherwise():
    for m in (torch, genesis):
        x = m.tensor(_array((2, 3)))
        assert x.contiguous() is x
        copy = x.t().contiguous()
        copy.mul_(0)
        assert float(x.abs().sum()) > 0


# --------------------------------------------------------------- errors
ERRORS = [
    lambda m: m.tensor(1.0).unbind(),
    lambda m: m.zeros(2, 3).unbind(2),
    lambda m: m.zeros(2, 3).unbind(-3),
    lambda m: m.zeros(2, 3).unbind(1.0),
    lambda m: m.zeros(2, 3).movedim(2, 0),
    lambda m: m.zeros(2, 3).movedim((0, 5), (1, 0)),
    lambda m: m.zeros(2, 3).movedim((0, 0), (1, 0)),
    lambda m: m.zeros(2, 3).movedim((0, 1), (1, 1)),
    lambda m: m.zeros(2, 3).movedim((0, 1), (1,)),
    lambda m: m.zeros(2, 3).movedim(0, 1.5),
    lambda m: m.tensor(1.0).movedim(1, 0),
    lambda m: m.zeros(2, 3).swapdims(0, 2),
    lambda m: m.zeros(2, 3).swapaxes(-3, 0),
    lambda m: m.tensor(1.0).swapdims(0, 1),
    lambda m: m.zeros(2, 3).tile(-1),
    lambda m: m.zeros(2, 3).tile(1.5),
    lambda m: m.zeros(2, 3).select(0, 2),
    lambda m: m.zeros(2, 3).select(0, -3),
    lambda m: m.zeros(2, 3).select(-1, 3),
    lambda m: m.zeros(2, 3).select(2, 0),
    lambda m: m.zeros(2, 3).select(0, True),
    lambda m: m.zeros(2, 3).select(0, 1.0),
    lambda m: m.tensor(1.0).select(0, 0),
    lambda m: m.zeros(2, 3).diagonal(0, 0, 0),
    lambda m: m.zeros(2, 3).diagonal(0, 1, -1),
    lambda m: m.zeros(2, 3).diagonal(0, 0, 3),
    lambda m: m.zeros(3).diagonal(),
    lambda m: m.zeros(2, 3).diagonal(1.5),
    lambda m: m.zeros(2, 3).is_contiguous(m.channels_last),
    lambda m: m.zeros(2, 3).contiguous(memory_format=m.channels_last),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_match_torch(k):
    _same_error(ERRORS[k])


def test_is_contiguous_refuses_a_non_format():
    for m in (torch, genesis):
        with pytest.raises(TypeError, match="memory_format"):
            m.zeros(2).is_contiguous(memory_format=1)
