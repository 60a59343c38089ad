"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and the cells ``RNNCell``, ``LSTMCell``, ``GRUCell``.

Parameter names, shapes, order and initialisation are PyTorch's (``weight_ih_l0``,
``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ``weight_hr_l0`` with ``proj_size``, the
``_reverse`` twins when bidirectional; every tensor drawn from U(-1/sqrt(hidden_size),
1/sqrt(hidden_size))), so a PyTorch ``state_dict`` loads as is and gives PyTorch's outputs.
The computation of each layer is one fused graph node (``recurrence.recurrent_layer``).
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import genesis
from genesis.mixed_precision import autocast_dtype
from genesis.nn import init
from genesis.nn.modules.dropout import dropout as _dropout
from genesis.nn.modules.module import Module
from genesis.nn.modules.recurrence import GATES, dense_steps, packed_steps, recurrent_layer
from genesis.nn.modules.utils import _check_tensor
from genesis.nn.parameter import Parameter
from genesis.nn.utils.rnn import PackedSequence
from genesis.tensor import Tensor


def _check_size(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


def _computes_alike(a: Tensor, b: Tensor) -> bool:
    """Whether ``a`` and ``b`` reach the gate matmuls in one dtype: equal dtypes, or dtypes that
    autocast lowers to the same one (PyTorch relaxes its dtype checks under autocast)."""
    return (autocast_dtype("lower", a._array.dtype) == autocast_dtype("lower", b._array.dtype))


def _check_state_dtype(state: Tensor, weight: Tensor) -> None:
    if not _computes_alike(state, weight):
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {state.dtype} and {weight.dtype} "
            f"(the hidden state must have the weights' dtype: convert it, e.g. "
            f"hx.to({weight.dtype}))")


def _check_dtype(input: Tensor, weight: Tensor) -> None:
    if not _computes_alike(input, weight):
        raise ValueError(
            f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
            f"Convert input: input.to({weight.dtype}), or convert model: model.to({input.dtype})"
        )


class RNNBase(Module):
    """Base of ``RNN``, ``LSTM`` and ``GRU``: the parameters, their checks and the layer loop.

    ``mode`` is ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if not isinstance(num_layers, int) or isinstance(num_layers, bool):
            raise TypeError(f"num_layers should be of type int, got: {type(num_layers).__name__}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(
                f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        _check_size("input_size", input_size)
        _check_size("hidden_size", hidden_size)
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if not isinstance(proj_size, int) or isinstance(proj_size, bool) or proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in GATES:
            raise ValueError("Unrecognized RNN mode: " + str(mode))
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for stem, shape in shapes:
                    setattr(self, stem + suffix, Parameter(genesis.empty(*shape, dtype=dtype)))
                    names.append(stem + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """Accepted for PyTorch compatibility: a no-op (it packs weights for cuDNN on the GPU)."""

    @property
    def _flat_weights(self) -> list[Parameter | None]:
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters per layer and direction, in PyTorch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # --- forward ---------------------------------------------------------------------------------
    def _expected_shape(self, size: int) -> str:
        return (f"(L, N, {size}), (N, L, {size}) with batch_first=True, or (L, {size}) "
                "unbatched")

    def _check_input(self, input: Tensor) -> bool:
        """Check the input tensor; return whether it is batched (3-D)."""
        _check_tensor("input", input)
        if input.dim() not in (2, 3):
            name = "RNN" if self.mode.startswith("RNN") else self.mode
            tail = " tensor instead" if name == "RNN" else " instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tail}")
        _check_dtype(input, self._flat_weights[0])
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{input.shape[-1]} (input must be {self._expected_shape(self.input_size)}; got "
                f"{list(input.shape)})")
        return input.dim() == 3

    def _state_shape(self, batch: int, size: int) -> tuple[int, int, int]:
        return (self.num_layers * (2 if self.bidirectional else 1), batch, size)

    def _check_state(self, state: Tensor, expected: tuple, message: str) -> None:
        _check_tensor("hx", state)
        if tuple(state.shape) != expected:
            raise RuntimeError(message.format(expected, list(state.shape)))
        _check_state_dtype(state, self._flat_weights[0])

    def _run(self, input: Tensor, states: list[Tensor | None], steps=None, batch=None):
        """The layers over a ``(T, B, F)`` input (already checked, time first), or over packed
        rows with their ``steps``: ``(output, h_n, c_n)`` with ``h_n``/``c_n`` stacked over
        layers and directions."""
        if steps is None:
            seq_len, batch = input.shape[0], input.shape[1]
            if seq_len == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
            steps = dense_steps(seq_len, batch)
        directions = 2 if self.bidirectional else 1
        weights = [tuple(getattr(self, name, None) if name else None for name in
                         self._weight_names(names)) for names in self._all_weights]
        h_states, c_states = [], []
        x, zeros_dtype = input, input._array.dtype  # PyTorch's default states: input's dtype
        for layer in range(self.num_layers):
            rows = slice(layer * directions, (layer + 1) * directions)
            h0, c0 = (None if s is None else s[rows] for s in (states + [None])[:2])
            x, h_n, c_n = recurrent_layer(self.mode, x, steps, batch, h0, c0, weights[rows],
                                          self.hidden_size, zeros_dtype=zeros_dtype)
            h_states.append(h_n)
            c_states.append(c_n)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        h_n = h_states[0] if self.num_layers == 1 else genesis.cat(h_states, 0)
        c_n = None
        if self.mode == "LSTM":
            c_n = c_states[0] if self.num_layers == 1 else genesis.cat(c_states, 0)
        return x, h_n, c_n

    @staticmethod
    def _weight_names(names: list[str]) -> list[str | None]:
        """The five slots (w_ih, w_hh, b_ih, b_hh, w_hr) of one direction, None where absent."""
        slots = {name.split("_l")[0]: name for name in names}
        return [slots.get(stem) for stem in ("weight_ih", "weight_hh", "bias_ih", "bias_hh",
                                             "weight_hr")]

    def _run_packed(self, packed: PackedSequence, states: list[Tensor | None],
                    state_sizes: list[int]):
        """``forward`` on a ``PackedSequence``: ``(packed output, h_n, c_n)``, the states in
        the caller's batch order."""
        data, batch_sizes, sorted_indices, unsorted_indices = packed
        _check_tensor("input.data", data)
        _check_dtype(data, self._flat_weights[0])
        if data.dim() != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {data.dim()}")
        if data.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{data.shape[-1]}")
        sizes = [int(n) for n in batch_sizes.tolist()]
        batch = sizes[0] if sizes else 0
        messages = (["Expected hidden size {}, got {}"] if len(states) == 1 else
                    ["Expected hidden[0] size {}, got {}", "Expected hidden[1] size {}, got {}"])
        checked = []
        for state, size, message in zip(states, state_sizes, messages):
            if state is not None:
                _check_tensor("hx", state)
                if sorted_indices is not None and state.dim() == 3:
                    state = state[:, sorted_indices]
                self._check_state(state, self._state_shape(batch, size), message)
            checked.append(state)
        output, h_n, c_n = self._run(data, checked, packed_steps(sizes), batch)
        if unsorted_indices is not None:
            h_n = h_n[:, unsorted_indices]
            c_n = None if c_n is None else c_n[:, unsorted_indices]
        return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices), h_n, c_n

    def _forward_single_state(self, input: Tensor, hx: Tensor | None):
        """``forward`` of RNN and GRU (one state tensor)."""
        if isinstance(input, PackedSequence):
            output, h_n, _ = self._run_packed(input, [hx], [self.hidden_size])
            return output, h_n
        batched = self._check_input(input)
        if hx is not None:
            _check_tensor("hx", hx)
            if batched and hx.dim() != 3:
                raise RuntimeError(
                    f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
            if not batched and hx.dim() != 2:
                raise RuntimeError(
                    f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
        x = self._time_first(input, batched)
        if hx is not None:
            hx = hx if batched else hx.unsqueeze(1)
            self._check_state(hx, self._state_shape(x.shape[1], self.hidden_size),
                              "Expected hidden size {}, got {}")
        output, h_n, _ = self._run(x, [hx])
        return self._batch_back(output, batched), h_n if batched else h_n.squeeze(1)

    def _time_first(self, input: Tensor, batched: bool) -> Tensor:
        if not batched:
            return input.unsqueeze(1)
        return input.transpose(0, 1) if self.batch_first else input

    def _batch_back(self, output: Tensor, batched: bool) -> Tensor:
        if not batched:
            return output.squeeze(1)
        return output.transpose(0, 1) if self.batch_first else output


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) per layer (``relu`` with
    ``nonlinearity='relu'``).

    Takes ``input`` of shape (L, N, H_in) ((N, L, H_in) with ``batch_first=True``, (L, H_in)
    unbatched) and optional ``h_0`` (D * num_layers, N, H_out); returns ``(output, h_n)``.

    Example:
        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, h_n = rnn(genesis.randn(5, 3, 10))
        >>> output.shape, h_n.shape
        (genesis.Size([5, 3, 20]), genesis.Size([2, 3, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if kwargs:
            raise TypeError(f"RNN got unexpected keyword argument(s) {sorted(kwargs)}")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward_single_state(input, hx)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's formulation:
    r = sigma(W_ir x + b_ir + W_hr h + b_hr), z = sigma(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.

    Example:
        >>> gru = nn.GRU(10, 20, batch_first=True)
        >>> output, h_n = gru(genesis.randn(3, 5, 10))
        >>> output.shape, h_n.shape
        (genesis.Size([3, 5, 20]), genesis.Size([1, 3, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if kwargs:
            raise TypeError(f"GRU got unexpected keyword argument(s) {sorted(kwargs)}")
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward_single_state(input, hx)


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o = sigma, sigma, tanh, sigma of
    W_i* x + b_i* + W_h* h + b_h*; c' = f * c + i * g; h' = o * tanh(c') (times ``weight_hr``
    when ``proj_size > 0``).

    Takes ``input`` and optional ``(h_0, c_0)``; returns ``(output, (h_n, c_n))``.

    Example:
        >>> lstm = nn.LSTM(10, 20, num_layers=2)
        >>> output, (h_n, c_n) = lstm(genesis.randn(5, 3, 10))
        >>> output.shape, h_n.shape, c_n.shape
        (genesis.Size([5, 3, 20]), genesis.Size([2, 3, 20]), genesis.Size([2, 3, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise RuntimeError(
                f"LSTM: hx must be a tuple (h_0, c_0) of two tensors, got {type(hx).__name__}")
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if isinstance(input, PackedSequence):
            output, h_n, c_n = self._run_packed(input, [None, None] if hx is None else list(hx),
                                                [real_hidden, self.hidden_size])
            return output, (h_n, c_n)
        batched = self._check_input(input)
        if hx is not None:
            h0, c0 = hx
            _check_tensor("hx[0]", h0)
            _check_tensor("hx[1]", c0)
            want = 3 if batched else 2
            if h0.dim() != want or c0.dim() != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(
                    f"For {kind} input, hx and cx should also be {want}-D but got "
                    f"({h0.dim()}-D, {c0.dim()}-D) tensors")
        x = self._time_first(input, batched)
        states = [None, None]
        if hx is not None:
            h0, c0 = (h0, c0) if batched else (h0.unsqueeze(1), c0.unsqueeze(1))
            self._check_state(h0, self._state_shape(x.shape[1], real_hidden),
                              "Expected hidden[0] size {}, got {}")
            self._check_state(c0, self._state_shape(x.shape[1], self.hidden_size),
                              "Expected hidden[1] size {}, got {}")
            states = [h0, c0]
        output, h_n, c_n = self._run(x, states)
        if not batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._batch_back(output, batched), (h_n, c_n)


class RNNCellBase(Module):
    """Base of the cells: ``weight_ih`` (k*H, I), ``weight_hh`` (k*H, H), ``bias_ih``,
    ``bias_hh`` (k*H,), all from U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_size("input_size", input_size)
        _check_size("hidden_size", hidden_size)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(genesis.empty(gates, input_size, dtype=dtype))
        self.weight_hh = Parameter(genesis.empty(gates, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(genesis.empty(gates, dtype=dtype))
            self.bias_hh = Parameter(genesis.empty(gates, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, mode: str, input: Tensor, states: list[Tensor | None]):
        """One step of ``mode`` on a checked input: ``(h', c')`` (``c'`` None but for LSTM)."""
        name = type(self).__name__
        _check_tensor("input", input)
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for index, state in enumerate(states):
            if state is not None:
                _check_tensor("hx", state)
                if state.dim() not in (1, 2):
                    what = f"hx[{index}]" if mode == "LSTM" else "hidden"
                    raise ValueError(
                        f"{name}: Expected {what} to be 1D or 2D, got {state.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if x.shape[1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {x.shape[1]} expected "
                f"{self.input_size} (input must be (N, {self.input_size}) or "
                f"({self.input_size},))")
        if not _computes_alike(input, self.weight_ih):
            raise RuntimeError(
                f"mat1 and mat2 must have the same dtype, but got {input.dtype} and "
                f"{self.weight_ih.dtype} (convert the input, e.g. x.to({self.weight_ih.dtype}))")
        batch = x.shape[0]
        states = [s if s is None or batched else s.unsqueeze(0) for s in states]
        for index, state in enumerate(states):
            if state is None:
                continue
            _check_state_dtype(state, self.weight_ih)
            if state.shape[0] != batch:
                raise RuntimeError(f"Input batch size {batch} doesn't match hidden{index} batch "
                                   f"size {state.shape[0]}")
            if state.shape[1] != self.hidden_size:
                raise RuntimeError(
                    f"hidden{index} has inconsistent hidden_size: got {state.shape[1]}, expected "
                    f"{self.hidden_size} (hidden states must be ({batch}, {self.hidden_size}))")
        weights = [(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, None)]
        h0, c0 = (states + [None])[:2]
        h, _, c = recurrent_layer(mode, x, dense_steps(1, batch), batch, h0, c0, weights,
                                  self.hidden_size, side_outputs=False)
        if not batched:
            h = h.squeeze(0)
            c = None if c is None else c.reshape(self.hidden_size)
        elif c is not None:
            c = c.reshape(batch, self.hidden_size)
        return h, c


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (``relu`` with
    ``nonlinearity='relu'``); ``h`` defaults to zeros.

    Example:
        >>> cell = nn.RNNCell(10, 20)
        >>> cell(genesis.randn(3, 10)).shape
        genesis.Size([3, 20])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        return self._step(mode, input, [hx])[0]


class LSTMCell(RNNCellBase):
    """One LSTM step on ``input`` and ``(h, c)`` (zeros when omitted); returns ``(h', c')``.

    Example:
        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(genesis.randn(3, 10))
        >>> h.shape, c.shape
        (genesis.Size([3, 20]), genesis.Size([3, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise RuntimeError(
                f"LSTMCell: hx must be a tuple (h, c) of two tensors, got {type(hx).__name__}")
        return self._step("LSTM", input, [None, None] if hx is None else list(hx))


class GRUCell(RNNCellBase):
    """One GRU step (PyTorch's formulation, see ``GRU``); ``h`` defaults to zeros.

    Example:
        >>> cell = nn.GRUCell(10, 20)
        >>> cell(genesis.randn(3, 10)).shape
        genesis.Size([3, 20])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step("GRU", input, [hx])[0]


__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]
