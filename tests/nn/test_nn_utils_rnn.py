"""nn.utils.rnn (packing variable-length sequences) and the recurrent layers on packed input,
against PyTorch."""
import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as trnn

import genesis
from genesis import nn
from genesis.nn.utils import rnn
from nn_testing import assert_close
from seq_testing import leaf_pair, same_error, twins


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first,enforce_sorted", [(False, True), (True, False)])
def test_recurrent_layers_on_packed_sequences_match_torch(mode, bidirectional, batch_first,
                                                         enforce_sorted):
    rng = np.random.default_rng(0)
    ours, ref = twins(lambda m: getattr(m, mode)(3, 4, 2, bidirectional=bidirectional,
                                                 batch_first=batch_first), np.float64, rng)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    x, tx = leaf_pair(rng.standard_normal((4, 5, 3) if batch_first else (5, 4, 3)))
    layers = 2 * (2 if bidirectional else 1)
    h, th = leaf_pair(rng.standard_normal((layers, 4, 4)))
    c, tc = leaf_pair(rng.standard_normal((layers, 4, 4)))
    packed = rnn.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
    tpacked = trnn.pack_padded_sequence(tx, torch.tensor(lengths), batch_first, enforce_sorted)
    for ours_part, ref_part in zip(packed, tpacked):
        assert (ours_part is None) == (ref_part is None)
        if ours_part is not None:
            assert_close(ours_part, ref_part, 1e-12)
    if mode == "LSTM":
        out, (h_n, c_n) = ours(packed, (h, c))
        tout, (th_n, tc_n) = ref(tpacked, (th, tc))
        assert_close(c_n, tc_n, 1e-9, "c_n")
    else:
        out, h_n = ours(packed, h)
        tout, th_n = ref(tpacked, th)
    assert isinstance(out, rnn.PackedSequence)
    padded, out_lengths = rnn.pad_packed_sequence(out, batch_first, total_length=6)
    tpadded, tlengths = trnn.pad_packed_sequence(tout, batch_first, total_length=6)
    assert_close(padded, tpadded, 1e-9, "output")
    assert_close(out_lengths, tlengths, 0)
    assert_close(h_n, th_n, 1e-9, "h_n")
    w_out, w_h = rng.standard_normal(tuple(tpadded.shape)), rng.standard_normal(tuple(th_n.shape))
    ((padded * genesis.tensor(w_out)).sum() + (h_n * genesis.tensor(w_h)).sum()).backward()
    ((tpadded * torch.tensor(w_out)).sum() + (th_n * torch.tensor(w_h)).sum()).backward()
    assert_close(x.grad, tx.grad, 1e-9, "grad of input")
    assert_close(h.grad, th.grad, 1e-9, "grad of h_0")
    ref_params = dict(ref.named_parameters())
    for name, param in ours.named_parameters():
        assert_close(param.grad, ref_params[name].grad, 1e-9, name)


def test_packed_final_state_is_each_sequences_last_step():
    # Independent of PyTorch: the final state of a packed run equals running each sequence
    # alone, unpadded.
    rng = np.random.default_rng(1)
    gru = nn.GRU(2, 3).double()
    seqs = [genesis.tensor(rng.standard_normal((n, 2))) for n in (2, 4, 1)]
    _, h_n = gru(rnn.pack_sequence(seqs, enforce_sorted=False))
    for b, seq in enumerate(seqs):
        _, alone = gru(seq)
        np.testing.assert_allclose(h_n[0, b].detach().numpy(), alone[0].detach().numpy(),
                                   rtol=1e-12)


def test_pad_sequence_pack_sequence_and_inverses_match_torch():
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((n, 2)) for n in (3, 1, 4)]
    pairs = [leaf_pair(a) for a in arrays]
    for side in ("right", "left"):
        for batch_first in (False, True):
            ours = rnn.pad_sequence([p[0] for p in pairs], batch_first, -1.0, side)
            ref = trnn.pad_sequence([p[1] for p in pairs], batch_first, -1.0, side)
            assert_close(ours, ref, 0)
            weight = rng.standard_normal(tuple(ref.shape))
            (ours * genesis.tensor(weight)).sum().backward()
            (ref * torch.tensor(weight)).sum().backward()
    for g, t in pairs:
        assert_close(g.grad, t.grad, 1e-12)
    packed = rnn.pack_sequence([p[0] for p in pairs], enforce_sorted=False)
    tpacked = trnn.pack_sequence([p[1] for p in pairs], enforce_sorted=False)
    assert_close(packed.data, tpacked.data, 0)
    assert_close(packed.sorted_indices, tpacked.sorted_indices, 0)
    assert_close(packed.unsorted_indices, tpacked.unsorted_indices, 0)
    for ours, ref in zip(rnn.unpack_sequence(packed), trnn.unpack_sequence(tpacked)):
        assert_close(ours, ref, 0)
    padded = rnn.pad_sequence([p[0] for p in pairs], batch_first=True)
    for ours, array in zip(rnn.unpad_sequence(padded, [3, 1, 4], batch_first=True), arrays):
        np.testing.assert_array_equal(ours.detach().numpy(), array)
    perm = genesis.tensor([2, 0, 3, 1])
    np.testing.assert_array_equal(rnn.invert_permutation(perm).numpy(),
                                  trnn.invert_permutation(torch.tensor([2, 0, 3, 1])).numpy())


def test_equal_lengths_sort_as_torch_does():
    x = np.arange(12.0).reshape(3, 4, 1)
    ours = rnn.pack_padded_sequence(genesis.tensor(x), [2, 3, 2, 3], enforce_sorted=False)
    ref = trnn.pack_padded_sequence(torch.tensor(x), [2, 3, 2, 3], enforce_sorted=False)
    assert_close(ours.sorted_indices, ref.sorted_indices, 0)
    assert_close(ours.data, ref.data, 0)


@pytest.mark.parametrize("call", [
    lambda r, lib: r.pack_padded_sequence(lib.zeros(4, 3, 2), [2, 3, 1]),
    lambda r, lib: r.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2, 0]),
    lambda r, lib: r.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2]),
    lambda r, lib: r.pad_packed_sequence(r.pack_sequence([lib.ones(3), lib.ones(2)]),
                                         total_length=2),
    lambda r, lib: r.pad_sequence([lib.ones(2), lib.ones(3)], padding_side="middle"),
    lambda r, lib: r.pad_sequence([lib.ones(2, 3), lib.ones(4, 2)]),
])
def test_errors_have_torchs_type(call):
    same_error(lambda: call(rnn, genesis), lambda: call(trnn, torch))


def test_lengths_longer_than_the_input_are_refused():
    # PyTorch reads past the tensor here; Genesis names the problem.
    with pytest.raises(ValueError, match="only 4 time steps"):
        rnn.pack_padded_sequence(genesis.zeros(4, 3, 2), [5, 2, 1])


def test_packed_input_checks():
    lstm = nn.LSTM(2, 3)
    packed = rnn.pack_sequence([genesis.ones(3, 2), genesis.ones(2, 2)])
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 3\)"):
        lstm(packed, (genesis.zeros(1, 3, 3), genesis.zeros(1, 3, 3)))
    with pytest.raises(RuntimeError, match="input_size. Expected 2, got 1"):
        lstm(rnn.pack_sequence([genesis.ones(3, 1)]))
