"""DistributedDataParallel's gradient buckets against PyTorch's assignment rule, and the graph
walk that finds unused parameters. The 2-process training runs are in tests/distributed/."""
import torch
import torch.distributed as tdist
from hypothesis import given, settings
from hypothesis import strategies as st

import genesis
from genesis.nn.parallel.reducer import (DEFAULT_FIRST_BUCKET_BYTES,
                                         compute_bucket_assignment_by_size, reachable_leaves)

DTYPES = {"float32": (genesis.float32, torch.float32), "float64": (genesis.float64, torch.float64)}
SHAPES = st.lists(st.tuples(st.integers(1, 400_000), st.sampled_from(sorted(DTYPES))),
                  min_size=1, max_size=12)


def _both(shapes):
    ours = [genesis.zeros(n, dtype=DTYPES[d][0]) for n, d in shapes]
    theirs = [torch.zeros(n, dtype=DTYPES[d][1]) for n, d in shapes]
    return ours, theirs


def test_default_first_bucket_is_torch_s():
    assert DEFAULT_FIRST_BUCKET_BYTES == tdist._DEFAULT_FIRST_BUCKET_BYTES


@settings(max_examples=40, deadline=None)
@given(shapes=SHAPES, limits=st.lists(st.integers(100, 3_000_000), min_size=1, max_size=3))
def test_buckets_equal_torch_s_in_parameter_order(shapes, limits):
    ours, theirs = _both(shapes)
    expected, _ = tdist._compute_bucket_assignment_by_size(theirs, limits)
    assert compute_bucket_assignment_by_size(ours, limits) == expected


@settings(max_examples=40, deadline=None)
@given(shapes=SHAPES, limits=st.lists(st.integers(100, 3_000_000), min_size=1, max_size=3))
def test_buckets_equal_torch_s_in_gradient_order(shapes, limits):
    # DDP's use: tensors in the order gradients arrive (reversed), their indices alongside.
    # PyTorch leaves the buckets still open at the end in hash-map order; ours come by the
    # position they complete at, so compare the buckets, and check our order.
    ours, theirs = _both(shapes)
    order = list(reversed(range(len(shapes))))
    expected, _ = tdist._compute_bucket_assignment_by_size(
        [theirs[i] for i in order], limits, [False] * len(shapes), order)
    got = compute_bucket_assignment_by_size([ours[i] for i in order], limits, order)
    assert sorted(got) == sorted(expected)
    completes = [max(order.index(i) for i in bucket) for bucket in got]
    assert completes == sorted(completes)


def test_reachable_leaves_walks_nested_outputs():
    a, b, unused = (genesis.ones(2, requires_grad=True) for _ in range(3))
    direct = genesis.ones(1, requires_grad=True)
    outputs = {"loss": (a * 2).sum(), "parts": [b.exp(), direct]}
    assert reachable_leaves(outputs) == {id(a), id(b), id(direct)}
    assert id(unused) not in reachable_leaves(outputs)

