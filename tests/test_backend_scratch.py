"""``genesis.backend.ScratchPool``: a buffer comes back only when the array handed out dies, is
then reused for the same shape and dtype, and the pool keeps at most ``limit_bytes``. The
convolutions that use it must never see their saved columns overwritten."""
import gc

import numpy as np
import torch

import genesis
from genesis.backend import ScratchPool


def test_buffer_is_reused_only_after_the_array_handed_out_dies():
    pool = ScratchPool(limit_bytes=1 << 20)
    first = pool.empty((4, 8), np.float32)
    address = first.__array_interface__["data"][0]
    second = pool.empty((4, 8), np.float32)
    assert second.__array_interface__["data"][0] != address  # first is still alive
    del first
    gc.collect()
    third = pool.empty((4, 8), np.float32)
    assert third.__array_interface__["data"][0] == address
    assert pool.empty((4, 8), np.float64).dtype == np.float64  # another key, a new buffer


def test_transposed_hand_out_holds_its_buffer():
    pool = ScratchPool(limit_bytes=1 << 20)
    view = pool.empty((2, 3, 4), np.float32, axes=(1, 0, 2))
    assert view.shape == (3, 2, 4)
    view[...] = 7.0
    other = pool.empty((2, 3, 4), np.float32)  # must not be the buffer behind ``view``
    other[...] = 0.0
    assert np.all(view == 7.0)


def test_limit_and_clear():
    pool = ScratchPool(limit_bytes=100)
    big = pool.empty((50,), np.float32)  # 200 bytes: over the limit, not kept
    del big
    small = pool.empty((10,), np.float32)
    address = small.__array_interface__["data"][0]
    del small
    assert pool.empty((10,), np.float32).__array_interface__["data"][0] == address
    pool.clear()
    assert pool._kept == 0 and not pool._free


def test_saved_columns_survive_other_convolutions_before_backward():
    rng = np.random.default_rng(0)
    x, w1, w2 = (rng.standard_normal(s) for s in [(2, 3, 6, 6), (4, 3, 3, 3), (4, 3, 3, 3)])
    F = genesis.nn.functional
    gx, gw1 = genesis.tensor(x, requires_grad=True), genesis.tensor(w1, requires_grad=True)
    y = F.conv2d(gx, gw1, padding=1)
    # same shapes: these take the pool's buffers of that shape while y's graph is alive
    for _ in range(3):
        F.conv2d(genesis.tensor(x * 5), genesis.tensor(w2), padding=1).sum()
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    tx, tw1 = torch.tensor(x, requires_grad=True), torch.tensor(w1, requires_grad=True)
    torch.nn.functional.conv2d(tx, tw1, padding=1).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), 2 * tx.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gw1.grad.numpy(), 2 * tw1.grad.numpy(), rtol=1e-10)
