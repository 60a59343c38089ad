"""``nn.utils.rnn``: variable-length sequences for the recurrent layers.

``PackedSequence`` is PyTorch's layout: ``data`` holds the time steps one after the other, each
with only the sequences still running (``batch_sizes[t]`` rows, longest sequences first), so an
``RNN``/``LSTM``/``GRU`` given one computes no padded steps and returns each sequence's own final
state. ``pack_padded_sequence``/``pad_packed_sequence`` convert from and to padded tensors;
both are differentiable (one gather or scatter node each).
"""
from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np

from genesis.autograd import record
from genesis.backend import xp
from genesis.tensor import Tensor

_wrap = Tensor._wrap


class PackedSequence(NamedTuple):
    """A batch of variable-length sequences packed time step by time step.

    ``data`` is ``(sum(lengths), *)``; ``batch_sizes`` (int64, one entry per step) counts the
    sequences running at each step; ``sorted_indices`` orders the original batch by decreasing
    length (``None`` when it already was) and ``unsorted_indices`` is its inverse. Build one
    with :func:`pack_padded_sequence` or :func:`pack_sequence`, not by hand.

    Example:
        >>> packed = pack_sequence([genesis.ones(3, 1), genesis.ones(2, 1)])
        >>> packed.batch_sizes
        tensor([2, 2, 1])
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args: Any, **kwargs: Any) -> "PackedSequence":
        """The same packing with ``data`` converted by ``Tensor.to`` (indices unchanged)."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._replace(data=data)

    def float(self) -> "PackedSequence":
        """``data`` as float32."""
        return self._replace(data=self.data.float())

    def double(self) -> "PackedSequence":
        """``data`` as float64."""
        return self._replace(data=self.data.double())

    def cpu(self) -> "PackedSequence":
        """Itself: Genesis tensors live on the CPU."""
        return self

    @property
    def is_cuda(self) -> bool:
        """Always False (Genesis runs on the CPU)."""
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of 0..n-1 (None stays None).

    Example:
        >>> invert_permutation(genesis.tensor([2, 0, 1]))
        tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    order = permutation._array
    inverse = xp.empty_like(order)
    inverse[order] = xp.arange(order.size, dtype=order.dtype)
    return _wrap(inverse)


def _host_lengths(lengths) -> np.ndarray:
    array = lengths.numpy() if isinstance(lengths, Tensor) else np.asarray(lengths)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iuf"):
        raise ValueError(f"lengths must be a 1-D list or tensor of ints, got {lengths!r}")
    return array.astype(np.int64)


def _positions(batch_sizes: np.ndarray, order: np.ndarray, batch: int, steps: int,
               batch_first: bool) -> np.ndarray:
    """For each row of the packed data, its row in the padded tensor flattened over its two
    leading dims (``(T, B)``, or ``(B, T)`` when ``batch_first``)."""
    time = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    rank = np.concatenate([np.arange(n) for n in batch_sizes]) if len(batch_sizes) else time
    column = order[rank]
    return column * steps + time if batch_first else time * batch + column


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded ``(T, B, *)`` batch (``(B, T, *)`` with ``batch_first``) whose sequence
    ``b`` has ``lengths[b]`` valid steps. With ``enforce_sorted`` the lengths must decrease;
    otherwise the batch is sorted here and the order kept in ``sorted_indices``.

    Example:
        >>> padded = genesis.tensor([[1.0, 4.0], [2.0, 5.0], [3.0, 0.0]])  # (T=3, B=2)
        >>> pack_padded_sequence(padded, [3, 2]).data
        tensor([1., 4., 2., 5., 3.])
    """
    lengths = _host_lengths(lengths)
    batch_axis = 0 if batch_first else 1
    if input.dim() < 2:
        raise ValueError(f"pack_padded_sequence: input must be (T, B, *) or (B, T, *) with "
                         f"batch_first=True, got shape {tuple(input.shape)}")
    batch, steps = input.shape[batch_axis], input.shape[1 - batch_axis]
    if len(lengths) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={batch})")
    if batch and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if batch and lengths.max() > steps:
        raise ValueError(f"pack_padded_sequence: lengths go up to {int(lengths.max())}, but the "
                         f"input has only {steps} time steps (shape {tuple(input.shape)})")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        order, sorted_indices = np.arange(batch), None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = _wrap(order.astype(np.int64))
    sorted_lengths = lengths[order]
    batch_sizes = (sorted_lengths[None, :] > np.arange(sorted_lengths[0] if batch else 0)[:, None]
                   ).sum(axis=1).astype(np.int64)
    positions = _positions(batch_sizes, order, batch, steps, batch_first)
    flat = input.reshape((-1,) + tuple(input.shape[2:]))
    data = flat[_wrap(positions)]
    return PackedSequence(data, _wrap(batch_sizes), sorted_indices,
                          invert_permutation(sorted_indices))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Unpack to a padded ``(T, B, *)`` tensor (``(B, T, *)`` with ``batch_first``) in the
    original batch order, and the int64 lengths. ``total_length`` pads T further.

    Example:
        >>> packed = pack_sequence([genesis.tensor([1.0, 2.0, 3.0]), genesis.tensor([4.0])])
        >>> padded, lengths = pad_packed_sequence(packed, batch_first=True)
        >>> padded, lengths
        (tensor([[1., 2., 3.],
                [4., 0., 0.]]), tensor([3, 1]))
    """
    data = sequence.data
    batch_sizes = sequence.batch_sizes._array.astype(np.int64)
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}")
        steps = total_length
    batch = int(batch_sizes[0]) if len(batch_sizes) else 0
    order = (np.arange(batch) if sequence.sorted_indices is None
             else sequence.sorted_indices._array.astype(np.int64))
    positions = _positions(batch_sizes, order, batch, steps, batch_first)
    rest = tuple(data.shape[1:])
    array = data._array
    out = xp.full((steps * batch,) + rest, padding_value, dtype=array.dtype)
    out[positions] = array
    shape = ((batch, steps) if batch_first else (steps, batch)) + rest
    padded = record(_wrap(out.reshape(shape)),
                    lambda g: (g.reshape((-1,) + rest)[positions],), (data,),
                    "PadPackedSequenceBackward0")
    lengths = np.empty(batch, dtype=np.int64)
    lengths[order] = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(axis=1)
    return padded, _wrap(lengths)


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` with
    ``batch_first``), padding with ``padding_value`` on the ``padding_side``.

    Example:
        >>> pad_sequence([genesis.tensor([1.0, 2.0]), genesis.tensor([3.0])], batch_first=True)
        tensor([[1., 2.],
                [3., 0.]])
    """
    if isinstance(sequences, Tensor):
        sequences = [sequences[i] for i in range(sequences.shape[0])]
    sequences = list(sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    for index, seq in enumerate(sequences):
        if not isinstance(seq, Tensor):
            raise TypeError(f"pad_sequence: sequences[{index}] must be a genesis.Tensor, got "
                            f"{type(seq).__name__}")
        if seq.dim() == 0 or tuple(seq.shape[1:]) != tuple(sequences[0].shape[1:]):
            raise RuntimeError(
                f"pad_sequence: every sequence must be (L, {', '.join(map(str, sequences[0].shape[1:]))}) "
                f"like the first, but sequences[{index}] has shape {tuple(seq.shape)}")
    longest = max(seq.shape[0] for seq in sequences)
    rest = tuple(sequences[0].shape[1:])
    dtype = sequences[0]._array.dtype
    out = xp.full((len(sequences), longest) + rest, padding_value, dtype=dtype)
    spans = []
    for b, seq in enumerate(sequences):
        n = seq.shape[0]
        span = slice(0, n) if padding_side == "right" else slice(longest - n, longest)
        out[b, span] = seq._array
        spans.append(span)
    if not batch_first:
        out = out.swapaxes(0, 1)

    def backward(g):
        g = g if batch_first else g.swapaxes(0, 1)
        return tuple(g[b, span] for b, span in enumerate(spans))
    return record(_wrap(out), backward, tuple(sequences), "PadSequenceBackward0")


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    """The list of ``padded_sequences``' sequences, each cut to its length.

    Example:
        >>> [t.tolist() for t in unpad_sequence(genesis.tensor([[1, 2], [3, 0]]), [2, 1], True)]
        [[1, 2], [3]]
    """
    lengths = _host_lengths(lengths)
    padded = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [padded[b, :int(n)] for b, n in enumerate(lengths)]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of ``(L_i, *)`` tensors (longest first unless ``enforce_sorted=False``)."""
    lengths = [seq.shape[0] for seq in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of tensors that :func:`pack_sequence` packed, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]
