"""The fused recurrent layer: one graph node per layer, the time loop and BPTT over arrays.

``RNN``, ``LSTM``, ``GRU`` and their cells (``genesis/nn/modules/rnn.py``) all run through
:func:`recurrent_layer`. It works on a *row* layout: the input is a ``(rows, features)`` array and
each time step touches a contiguous block of rows, ``(start, count)``. A dense ``(T, B, F)``
sequence is the rows ``t * B .. t * B + B`` of step ``t``; a packed sequence (sorted by length)
is PyTorch's own ``PackedSequence.data`` layout, where step ``t`` has ``batch_sizes[t]`` rows and
only the first ``count`` rows of the running state take part. One code path serves both.

Speed on NumPy comes from doing the big work in few BLAS calls:

* the input projection of every time step is one matmul, ``rows @ W_ih.T``, before the loop;
* each step is one matmul ``h @ W_hh.T`` for all gates at once (run as ``(W_hh @ h.T).T``, the
  order OpenBLAS's AVX-512 kernels are fastest at), then in-place elementwise math on
  preallocated buffers;
* the backward pass runs the recurrence in reverse, storing each step's gate gradients, and then
  forms ``dW_ih``, ``dW_hh``, ``dW_hr`` and the input gradient with one matmul each;
* the sequence-long buffers (gates, saved states, gate gradients) come from the scratch pool
  (``genesis.backend.scratch``), so a training loop reuses them instead of page-faulting fresh
  memory every step.

The gate order and formulas are PyTorch's (``i, f, g, o`` for LSTM; ``r, z, n`` for GRU with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``), so PyTorch's weights give PyTorch's numbers.

A layer returns the output sequence and its final states. The graph records one node whose
output is the sequence; the final states are *side outputs*: small nodes that park their gradient
for the layer's backward and hand it a free all-zero view, so a loss on ``h_n`` alone still
reaches the layer (``nn.modules.utils.SideOutputs``).

Under ``genesis.autocast`` the gate matmuls run in the autocast dtype (the weights and the input
pass through ``autocast_inputs``; each step's previous state is rounded to that dtype for its
matmul), and the states follow PyTorch's own decomposition of the cell: a ``tanh``/``relu`` RNN
state is the activation of float16 gates, so float16; an LSTM cell ``f * c + i * g`` and a GRU
state ``n + z * (h - n)`` keep the dtype of the state they start from (float32 for the default
zero state of a float32 input), and an LSTM's projection makes ``h`` float16 again.
"""
from __future__ import annotations

from collections.abc import Sequence

from genesis.autograd import attach, needs_grad
from genesis.backend import quiet, scratch, xp
from genesis.mixed_precision import autocast_inputs
from genesis.nn.modules.utils import SideOutputs
from genesis.tensor import Tensor

_wrap = Tensor._wrap

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
NODE_NAMES = {"RNN_TANH": "RnnTanhBackward0", "RNN_RELU": "RnnReluBackward0",
              "LSTM": "LstmBackward0", "GRU": "GruBackward0"}


def dense_steps(seq_len: int, batch: int) -> list[tuple[int, int]]:
    """The ``(start, count)`` rows of each step of a dense ``(seq_len, batch, F)`` sequence."""
    return [(t * batch, batch) for t in range(seq_len)]


def packed_steps(batch_sizes: Sequence[int]) -> list[tuple[int, int]]:
    """The ``(start, count)`` rows of each step of a packed sequence with ``batch_sizes``."""
    steps, start = [], 0
    for count in batch_sizes:
        steps.append((start, int(count)))
        start += int(count)
    return steps


def _sigmoid_blocks(mode: str, hidden: int) -> list[slice]:
    """The gate rows that a sigmoid activates (LSTM: i, f, o; GRU: r, z)."""
    if mode == "LSTM":
        return [slice(0, 2 * hidden), slice(3 * hidden, 4 * hidden)]
    if mode == "GRU":
        return [slice(0, 2 * hidden)]
    return []


def _in(array, dtype):
    """``array`` in ``dtype`` (itself when it already is): a state rounded for a gate matmul."""
    return array if array.dtype == dtype else array.astype(dtype)


def _halved(array, blocks: list[slice]):
    """A copy of ``array`` with its sigmoid-gate rows halved (exact: a power of two).

    sigmoid(z) = (1 + tanh(z / 2)) / 2, so with these rows halved one ``tanh`` call activates
    every gate of a step, and two cheap passes finish the sigmoids: fewer, faster calls than
    1 / (1 + exp(-z)) on each block.
    """
    array = array.copy()
    for rows in blocks:
        array[rows] *= 0.5
    return array


def _finish_sigmoids(gates, blocks: list[slice]) -> None:
    """Turn tanh(z / 2) into sigmoid(z) in place on the sigmoid blocks of ``gates``."""
    for cols in blocks:
        block = gates[:, cols]
        block *= 0.5
        block += 0.5


def _times_transposed(a, w, buffer):
    """``a @ w.T`` computed as the transpose of ``w @ a.T``, held in ``buffer`` (a flat array of
    at least ``w.shape[0] * a.shape[0]`` elements).

    The same product in the other memory order. For one step, a (batch, H) state against a
    (k*H, H) weight, OpenBLAS's AVX-512 kernels run (k*H, H) @ (H, batch) about 1.5x-1.7x faster
    than (batch, H) @ (H, k*H) at batch 32; its AVX2 kernels take the same time for both (see
    the LSTM paragraph of bench/README.md).
    """
    product = buffer[:w.shape[0] * a.shape[0]].reshape(w.shape[0], a.shape[0])
    return xp.matmul(w, a.T, out=product).T


class _Direction:
    """One direction of one layer: its weight arrays and, after the forward, what BPTT needs."""

    def __init__(self, mode, weights, reverse):
        self.mode = mode
        self.w_ih, self.w_hh, self.b_ih, self.b_hh, self.w_hr = weights
        self.reverse = reverse

    # --- forward --------------------------------------------------------------------------------
    def forward(self, rows, steps, h, c, out):
        """Run the recurrence over ``steps``; ``h``/``c`` (batch, ·) are updated in place to the
        final states and ``out`` (rows, P) receives every step's hidden state."""
        blocks = _sigmoid_blocks(self.mode, c.shape[1] if c is not None else h.shape[1])
        w_ih, w_hh = (_halved(self.w_ih, blocks), _halved(self.w_hh, blocks)) if blocks else (
            self.w_ih, self.w_hh)
        xw = xp.matmul(rows, w_ih.T, out=scratch.empty((rows.shape[0], w_ih.shape[0]),
                                                        xp.result_type(rows, w_ih)))
        self.hprev = scratch.empty((rows.shape[0], h.shape[1]), h.dtype)
        order = reversed(steps) if self.reverse else steps
        mm = xp.empty(h.shape[0] * xw.shape[1], dtype=xw.dtype)
        if self.mode == "LSTM":
            self._lstm_forward(xw, order, h, c, out, w_hh, mm, blocks)
        elif self.mode == "GRU":
            self._gru_forward(xw, order, h, out, w_hh, mm, blocks)
        else:
            self._rnn_forward(xw, order, h, out, w_hh, mm)
        self.gates = xw

    def _rnn_forward(self, xw, order, h, out, w_hh, mm):
        if self.b_ih is not None:
            xw += self.b_ih + self.b_hh
        relu = self.mode == "RNN_RELU"
        hprev = self.hprev
        for start, n in order:
            r = slice(start, start + n)
            g, hp = xw[r], h[:n]
            hprev[r] = hp
            g += _times_transposed(hp, w_hh, mm)  # an RNN's state has the gates' dtype
            if relu:
                xp.maximum(g, 0, out=g)
            else:
                xp.tanh(g, out=g)
            hp[...] = g
            out[r] = g

    def _lstm_forward(self, xw, order, h, c, out, w_hh, mm, blocks):
        if self.b_ih is not None:
            xw += _halved(self.b_ih + self.b_hh, blocks)
        size = c.shape[1]
        n_rows = xw.shape[0]
        self.cprev = cprev = scratch.empty((n_rows, size), c.dtype)
        self.tanh_c = tanh_c = scratch.empty((n_rows, size), c.dtype)
        project = self.w_hr is not None
        if project:
            # o * tanh(c) rounded to the matmul dtype: the projection's input (and dW_hr's)
            self.hfull = hfull = scratch.empty((n_rows, size), xw.dtype)
            w_hr_t = self.w_hr.T
        tmp = xp.empty_like(c)
        hprev = self.hprev
        s1, s2, s3 = size, 2 * size, 3 * size
        for start, n in order:
            r = slice(start, start + n)
            g, hp, cp, t1 = xw[r], h[:n], c[:n], tmp[:n]
            hprev[r] = hp
            cprev[r] = cp
            g += _times_transposed(_in(hp, xw.dtype), w_hh, mm)
            xp.tanh(g, out=g)
            _finish_sigmoids(g, blocks)
            cp *= g[:, s1:s2]
            cp += xp.multiply(g[:, :s1], g[:, s2:s3], out=t1)
            tc = xp.tanh(cp, out=tanh_c[r])
            if project:
                hf = xp.multiply(g[:, s3:], tc, out=hfull[r])
                xp.matmul(hf, w_hr_t, out=hp)
            else:
                xp.multiply(g[:, s3:], tc, out=hp)
            out[r] = hp

    def _gru_forward(self, xw, order, h, out, w_hh, mm, blocks):
        size = h.shape[1]
        s2 = 2 * size
        if self.b_ih is not None:
            xw += _halved(self.b_ih, blocks)
            xw[:, :s2] += self.b_hh[:s2] * 0.5
            b_hn = self.b_hh[s2:]
        self.hw_n = hw_n = scratch.empty((xw.shape[0], size), xw.dtype)
        hprev = self.hprev
        hw_rows = xp.empty((h.shape[0], xw.shape[1]), dtype=xw.dtype)
        for start, n in order:
            r = slice(start, start + n)
            g, hp = xw[r], h[:n]
            hprev[r] = hp
            hw = hw_rows[:n]
            hw[...] = _times_transposed(_in(hp, xw.dtype), w_hh, mm)
            gates = g[:, :s2]
            gates += hw[:, :s2]
            xp.tanh(gates, out=gates)
            _finish_sigmoids(g, blocks)
            hn = hw_n[r]
            hn[...] = hw[:, s2:]
            if self.b_ih is not None:
                hn += b_hn
            gn = g[:, s2:]
            gn += xp.multiply(g[:, :size], hn, out=hw[:, s2:])
            xp.tanh(gn, out=gn)
            # h' = n + z * (h - n), written over h
            hp -= gn
            hp *= g[:, size:s2]
            hp += gn
            out[r] = hp

    # --- backward -------------------------------------------------------------------------------
    def backward(self, rows, steps, dout, dh, dc, need_rows):
        """BPTT. ``dout`` (rows, P) or None, ``dh``/``dc`` the final-state gradients (updated in
        place to the initial-state gradients). Returns ``(d_rows or None, weight grads)``."""
        order = list(steps) if self.reverse else list(reversed(steps))
        grad_gates = scratch.empty(self.gates.shape, self.gates.dtype)
        if self.mode == "LSTM":
            extra = self._lstm_backward(order, dout, dh, dc, grad_gates)
            grad_hidden = grad_gates
        elif self.mode == "GRU":
            grad_hidden = scratch.empty(grad_gates.shape, grad_gates.dtype)
            self._gru_backward(order, dout, dh, grad_gates, grad_hidden)
            extra = None
        else:
            self._rnn_backward(order, dout, dh, grad_gates)
            grad_hidden = grad_gates
            extra = None
        d_rows = grad_gates @ self.w_ih if need_rows else None
        grads = [grad_gates.T @ rows, grad_hidden.T @ _in(self.hprev, grad_hidden.dtype)]
        if self.b_ih is not None:
            grads.append(grad_gates.sum(axis=0))
            grads.append(grad_hidden.sum(axis=0) if grad_hidden is not grad_gates else grads[-1])
        if self.w_hr is not None:
            grads.append(extra.T @ self.hfull)
        return d_rows, grads

    def _rnn_backward(self, order, dout, dh, dg):
        relu = self.mode == "RNN_RELU"
        out_h = self.gates
        for start, n in order:
            r = slice(start, start + n)
            dhn, d, hn = dh[:n], dg[r], out_h[r]
            if dout is not None:
                dhn += dout[r]
            if relu:
                xp.multiply(dhn, hn > 0, out=d)
            else:
                xp.multiply(hn, hn, out=d)
                xp.subtract(1.0, d, out=d)
                d *= dhn
            xp.matmul(d, self.w_hh, out=dhn)

    def _lstm_backward(self, order, dout, dh, dc, dg):
        size = dc.shape[1]
        s1, s2, s3 = size, 2 * size, 3 * size
        gates, tanh_c, cprev = self.gates, self.tanh_c, self.cprev
        project = self.w_hr is not None
        if project:
            dh_store = xp.empty((gates.shape[0], dh.shape[1]), dtype=dh.dtype)
            dhf_buf = xp.empty_like(dc)
        tmp = xp.empty_like(dc)
        for start, n in order:
            r = slice(start, start + n)
            dhn, dcn, t1 = dh[:n], dc[:n], tmp[:n]
            if dout is not None:
                dhn += dout[r]
            if project:
                dh_store[r] = dhn
                dhf = xp.matmul(dhn, self.w_hr, out=dhf_buf[:n])
            else:
                dhf = dhn
            g, d, tc = gates[r], dg[r], tanh_c[r]
            gi, gf, gg, go = g[:, :s1], g[:, s1:s2], g[:, s2:s3], g[:, s3:]
            # output gate: d o_pre = dh * tanh(c) * o (1 - o)
            do = xp.multiply(dhf, tc, out=d[:, s3:])
            xp.subtract(1.0, go, out=t1)
            t1 *= go
            do *= t1
            # cell: dc += dh * o * (1 - tanh(c)^2)
            xp.multiply(tc, tc, out=t1)
            xp.subtract(1.0, t1, out=t1)
            t1 *= go
            t1 *= dhf
            dcn += t1
            # input gate: dc * g * i (1 - i)
            xp.subtract(1.0, gi, out=t1)
            t1 *= gi
            t1 *= gg
            xp.multiply(dcn, t1, out=d[:, :s1])
            # forget gate: dc * c_prev * f (1 - f)
            xp.subtract(1.0, gf, out=t1)
            t1 *= gf
            t1 *= cprev[r]
            xp.multiply(dcn, t1, out=d[:, s1:s2])
            # cell candidate: dc * i * (1 - g^2)
            xp.multiply(gg, gg, out=t1)
            xp.subtract(1.0, t1, out=t1)
            t1 *= gi
            xp.multiply(dcn, t1, out=d[:, s2:s3])
            dcn *= gf
            xp.matmul(d, self.w_hh, out=dhn)
        return dh_store if project else None

    def _gru_backward(self, order, dout, dh, dgx, dgh):
        size = dh.shape[1]
        s2 = 2 * size
        gates, hw_n, hprev = self.gates, self.hw_n, self.hprev
        tmp = xp.empty_like(dh)
        for start, n in order:
            r = slice(start, start + n)
            dhn, t1 = dh[:n], tmp[:n]
            if dout is not None:
                dhn += dout[r]
            g, d, dhh = gates[r], dgx[r], dgh[r]
            gr, gz, gn = g[:, :size], g[:, size:s2], g[:, s2:]
            # new gate: dh * (1 - z) * (1 - n^2)
            dn = d[:, s2:]
            xp.multiply(gn, gn, out=dn)
            xp.subtract(1.0, dn, out=dn)
            xp.subtract(1.0, gz, out=t1)
            dn *= t1
            dn *= dhn
            # update gate: dh * (h_prev - n) * z (1 - z)
            dz = d[:, size:s2]
            xp.subtract(hprev[r], gn, out=dz)
            dz *= dhn
            xp.subtract(1.0, gz, out=t1)
            t1 *= gz
            dz *= t1
            # reset gate: dn * (W_hn h + b_hn) * r (1 - r)
            dr = d[:, :size]
            xp.multiply(dn, hw_n[r], out=dr)
            xp.subtract(1.0, gr, out=t1)
            t1 *= gr
            dr *= t1
            dhh[:, :s2] = d[:, :s2]
            xp.multiply(dn, gr, out=dhh[:, s2:])
            dhn *= gz
            dhn += xp.matmul(dhh, self.w_hh, out=t1)


def _state_dtypes(mode: str, compute, h_start, c_start, projected: bool) -> tuple:
    """The dtypes of ``h`` and ``c`` (None but for LSTM) over the sequence, given the gate
    matmuls' dtype ``compute`` and the dtypes of the initial states (PyTorch's cell formulas
    under autocast; all one dtype otherwise)."""
    if mode == "GRU":
        return xp.result_type(h_start, compute), None
    if mode == "LSTM":
        c_dtype = xp.result_type(c_start, compute)
        return (compute if projected else c_dtype), c_dtype
    return compute, None


@quiet
def recurrent_layer(mode: str, input: Tensor, steps: list[tuple[int, int]], batch: int,
                    h0: Tensor | None, c0: Tensor | None,
                    weights: list[tuple[Tensor | None, ...]], hidden_size: int,
                    side_outputs: bool = True, zeros_dtype=None):
    """One layer (one or two directions) over the whole sequence: ``(output, h_n, c_n)``.

    ``input`` is ``(T, B, F)`` or packed rows ``(R, F)``; ``weights`` holds one tuple
    ``(w_ih, w_hh, b_ih, b_hh, w_hr)`` per direction (``None`` where absent); ``h0``/``c0`` are
    ``(D, B, ·)`` or ``None`` for zeros of ``zeros_dtype`` (default: ``input``'s dtype).
    ``output`` has ``input``'s leading shape and ``D * P`` features; ``h_n`` is ``(D, B, P)``,
    ``c_n`` is ``(D, B, H)`` (LSTM) or ``None``. With ``side_outputs=False`` (the cells) only
    ``c_n`` is returned as a side output.
    """
    zeros_dtype = input._array.dtype if zeros_dtype is None else zeros_dtype
    input = autocast_inputs("lower", input)[0]  # matmul-like: the gate matmuls
    weights = [autocast_inputs("lower", *ws) for ws in weights]
    x = input._array
    rows = x.reshape(-1, x.shape[-1])
    num_dirs = len(weights)
    arrays = [tuple(None if w is None else w._array for w in ws) for ws in weights]
    proj = arrays[0][1].shape[1]
    compute = arrays[0][0].dtype
    if x.dtype != compute:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{input.dtype} and {weights[0][0].dtype}")
    dtype, c_dtype = _state_dtypes(mode, compute, zeros_dtype if h0 is None else h0._array.dtype,
                                   zeros_dtype if c0 is None else c0._array.dtype,
                                   arrays[0][4] is not None)
    # A cell's (B, ·) state is the (1, B, ·) state of a one-direction layer.
    h_n = (xp.zeros((num_dirs, batch, proj), dtype=dtype) if h0 is None
           else h0._array.reshape(num_dirs, batch, proj).astype(dtype, copy=True))
    c_n = None
    if mode == "LSTM":
        c_n = (xp.zeros((num_dirs, batch, hidden_size), dtype=c_dtype) if c0 is None
               else c0._array.reshape(num_dirs, batch, hidden_size).astype(c_dtype, copy=True))
    out = xp.empty((rows.shape[0], num_dirs * proj), dtype=dtype)
    directions = []
    for d, ws in enumerate(arrays):
        direction = _Direction(mode, ws, reverse=d == 1)
        out_d = out if num_dirs == 1 else out[:, d * proj:(d + 1) * proj]
        direction.forward(rows, steps, h_n[d], None if c_n is None else c_n[d], out_d)
        directions.append(direction)
    main = _wrap(out.reshape(x.shape[:-1] + (num_dirs * proj,)))
    inputs = [input] + [t for t in (h0, c0) if t is not None]
    flat_weights = [w for ws in weights for w in ws if w is not None]
    inputs += flat_weights
    if not needs_grad(*inputs):
        return main, _wrap(h_n), None if c_n is None else _wrap(c_n)
    sides = SideOutputs(main)

    def backward(g):
        parked = sides.take()
        dh_n, dc_n = parked.get("h_n"), parked.get("c_n")
        dout = None if sides.placeholder(g) else g.reshape(-1, g.shape[-1])
        dh = xp.zeros_like(h_n) if dh_n is None else xp.array(dh_n, dtype=dtype)
        dc = None
        if c_n is not None:
            dc = xp.zeros_like(c_n) if dc_n is None else xp.array(dc_n, dtype=c_dtype)
        d_rows, weight_grads = None, []
        for d, direction in enumerate(directions):
            dout_d = None if dout is None else (
                dout if num_dirs == 1 else dout[:, d * proj:(d + 1) * proj])
            grad_rows, grads = direction.backward(
                rows, steps, dout_d, dh[d], None if dc is None else dc[d], input._rg)
            if grad_rows is not None:
                d_rows = grad_rows if d_rows is None else d_rows + grad_rows
            weight_grads += grads
        result = [None if d_rows is None else d_rows.reshape(x.shape)]
        for start, grad in ((h0, dh), (c0, dc)):  # each in its state's own dtype
            if start is not None:
                result.append(grad.reshape(start._array.shape).astype(start._array.dtype,
                                                                       copy=False))
        return tuple(result + weight_grads)

    name = NODE_NAMES[mode]
    attach(main, backward, inputs, name)
    h_t = sides.add("h_n", h_n, name) if side_outputs else _wrap(h_n)
    c_t = None if c_n is None else sides.add("c_n", c_n, name)
    return main, h_t, c_t


__all__ = ["recurrent_layer", "dense_steps", "packed_steps", "GATES"]
