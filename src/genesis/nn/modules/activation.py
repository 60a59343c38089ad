"""Activations: ``ReLU``, ``SiLU``, ``Tanh``, ``Sigmoid``, ``GELU``, ``Softmax``, ``LogSoftmax``,
and their functional forms (``F.gelu`` is one fused node; the others reuse core primitives);
``MultiheadAttention`` and ``F.multi_head_attention_forward``, where PyTorch keeps them too."""
from __future__ import annotations

import math
import warnings

import genesis
from genesis.autograd import record
from genesis.backend import quiet, xp
from genesis.nn import init
from genesis.nn.modules.attention import HeadSource, check_dropout_p, multihead_attention
from genesis.nn.modules.linear import NonDynamicallyQuantizableLinear, linear
from genesis.nn.modules.module import Module
from genesis.nn.modules.utils import _check_tensor
from genesis.nn.parameter import Parameter
from genesis.special import erf as _erf
from genesis.tensor import Tensor

_wrap = Tensor._wrap
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise.

    Example: ``F.relu(genesis.tensor([-1.0, 2.0]))`` is ``tensor([0., 2.])``.
    """
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) elementwise.

    Example: ``F.sigmoid(genesis.tensor([0.0]))`` is ``tensor([0.5000])``.
    """
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent elementwise.

    Example: ``F.tanh(genesis.tensor([0.0]))`` is ``tensor([0.])``.
    """
    return input.tanh()


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (a.k.a. swish).

    Example: ``F.silu(genesis.tensor([1.0]))`` is ``tensor([0.7311])``.
    """
    return input * input.sigmoid()


@quiet
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x); ``approximate='tanh'`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Example:
        >>> F.gelu(genesis.tensor([1.0]))
        tensor([0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    x = input._array
    if approximate == "tanh":
        t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
        out = 0.5 * x * (1.0 + t)

        def backward(g):
            d_inner = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)
            return (g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_inner),)
    else:
        cdf = 0.5 * (1.0 + _erf(x * _SQRT_HALF))
        out = x * cdf

        def backward(g):
            # d/dx x Phi(x) = Phi(x) + x phi(x)
            return (g * (cdf + x * _INV_SQRT_2PI * xp.exp(-0.5 * x * x)),)
    return record(_wrap(out), backward, (input,), "GeluBackward0")


def _implicit_dim(name: str, ndim: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (numerically stable).

    Example:
        >>> F.softmax(genesis.tensor([0.0, 0.0]), dim=0)
        tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x_i - logsumexp(x) along ``dim`` (numerically stable).

    Example:
        >>> F.log_softmax(genesis.tensor([0.0, 0.0]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return input.log_softmax(dim)


class _InplaceActivation(Module):
    """An activation with PyTorch's ``inplace`` flag (accepted; the result is always new)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU(_InplaceActivation):
    """max(x, 0). Example: ``nn.ReLU()(genesis.tensor([-1.0, 2.0]))`` is ``tensor([0., 2.])``."""

    def forward(self, input: Tensor) -> Tensor:
        return input.relu()


class SiLU(_InplaceActivation):
    """x * sigmoid(x). Example: ``nn.SiLU()(genesis.tensor([0.0]))`` is ``tensor([0.])``."""

    def forward(self, input: Tensor) -> Tensor:
        return silu(input)


class Tanh(Module):
    """tanh(x). Example: ``nn.Tanh()(genesis.tensor([0.0]))`` is ``tensor([0.])``."""

    def forward(self, input: Tensor) -> Tensor:
        return input.tanh()


class Sigmoid(Module):
    """1 / (1 + exp(-x)).

    Example: ``nn.Sigmoid()(genesis.tensor([0.0]))`` is ``tensor([0.5000])``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return input.sigmoid()


class GELU(Module):
    """x * Phi(x) (``approximate='none'``) or its tanh approximation (``'tanh'``).

    Example:
        >>> nn.GELU()(genesis.tensor([1.0]))
        tensor([0.8413])
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """Softmax along ``dim``.

    Example: ``nn.Softmax(dim=0)(genesis.tensor([0.0, 0.0]))`` is ``tensor([0.5000, 0.5000])``.
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """Log-softmax along ``dim`` (numerically stable); pair with ``NLLLoss``."""

    def forward(self, input: Tensor) -> Tensor:
        return log_softmax(input, self.dim)


# --- multi-head attention -------------------------------------------------------------------

def _canonical_mask(mask: Tensor | None, mask_name: str, other: Tensor | None, other_name: str,
                    dtype, check_other: bool = True) -> Tensor | None:
    """PyTorch's mask rule: a bool mask becomes a float tensor, -inf where True and 0
    elsewhere; a float mask is added to the scores as it is (and so gets a gradient)."""
    if mask is None:
        return None
    _check_tensor(mask_name, mask)
    m = mask._array
    if m.dtype != bool and m.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other is not None and other._array.dtype != m.dtype:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.", stacklevel=4)
    if m.dtype == bool:
        return Tensor._wrap(xp.where(m, dtype.type(-xp.inf), dtype.type(0.0)))
    if m.dtype != dtype:
        raise RuntimeError(f"{mask_name} of dtype {mask.dtype} cannot be added to attention "
                           f"scores of dtype {genesis.dtypes.as_dtype(dtype)}; use a bool mask "
                           "or a float mask of the query's dtype")
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """PyTorch's checks of the input dims; whether the input is batched (3-D)."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                    f"but found {attn_mask.dim()}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{attn_mask.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.dim()}-D query tensor")


def _append_bias(tensor: Tensor, bias: Tensor, batch: int, batch_first: bool) -> Tensor:
    """``tensor`` (S, N, E) or (N, S, E) with ``bias`` (1, 1, E) appended along S."""
    if batch_first:
        return genesis.cat([tensor, bias.expand(batch, 1, bias.shape[-1])], 1)
    return genesis.cat([tensor, bias.expand(1, batch, bias.shape[-1])], 0)


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """An additive mask with one more (unmasked) key position."""
    if mask is None:
        return None
    return genesis.cat([mask, genesis.zeros(*mask.shape[:-1], 1, dtype=mask.dtype)], -1)


def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
    bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
    out_proj_bias: Tensor | None, training: bool = True,
    key_padding_mask: Tensor | None = None, need_weights: bool = True,
    attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
    static_v: Tensor | None = None, average_attn_weights: bool = True, is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """PyTorch's multi-head attention on (L, N, E) query and (S, N, E) key/value (or unbatched
    (L, E)/(S, E)). Returns ``(output, weights)``: weights (N, L, S) averaged over heads,
    (N, H, L, S) with ``average_attn_weights=False``, None unless ``need_weights``.

    Example:
        >>> x = genesis.ones(4, 2, 6)
        >>> w, b = genesis.ones(18, 6) / 6, genesis.zeros(18)
        >>> out, weights = F.multi_head_attention_forward(x, x, x, 6, 2, w, b, None, None,
        ...                                              False, 0.0, genesis.ones(6, 6), None)
        >>> out.shape, weights.shape
        (genesis.Size([4, 2, 6]), genesis.Size([2, 4, 4]))
    """
    return _multi_head_attention(
        query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k,
        bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training,
        key_padding_mask, need_weights, attn_mask, use_separate_proj_weight, q_proj_weight,
        k_proj_weight, v_proj_weight, static_k, static_v, average_attn_weights, is_causal,
        batch_first=False)


def _multi_head_attention(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                          in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p,
                          out_proj_weight, out_proj_bias, training, key_padding_mask,
                          need_weights, attn_mask, use_separate_proj_weight, q_proj_weight,
                          k_proj_weight, v_proj_weight, static_k, static_v,
                          average_attn_weights, is_causal, batch_first):
    """``multi_head_attention_forward``; ``batch_first=True`` (``MultiheadAttention`` with
    ``batch_first``) takes (N, L, E) and (N, S, E) as they are, without transposing."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        _check_tensor(name, t)
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if training:
        # PyTorch checks it in F.dropout (need_weights) or in the attention kernel.
        check_dropout_p(dropout_p, ValueError if need_weights else RuntimeError)
    if not batched:
        batch_first = False
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    seq_axis = 1 if batch_first else 0
    tgt_len, src_len = query.shape[seq_axis], key.shape[seq_axis]
    bsz, embed_dim = query.shape[1 - seq_axis], query.shape[2]
    dtype = query._array.dtype
    padding = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask",
                              dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
            "method `generate_square_subsequent_mask` to create this mask.")
    causal_kernel = is_causal and padding is None and not need_weights
    mask = None if causal_kernel else _canonical_mask(attn_mask, "attn_mask", None, "", dtype,
                                                      check_other=False)
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k is set but bias_v is None" if bias_v is None
                             else "bias_v is set but bias_k is None")
    if bias_k is not None and (static_k is not None or static_v is not None):
        raise AssertionError("bias cannot be added to static key." if static_k is not None
                             else "bias cannot be added to static value.")
    sources = _project(query, key, value, embed_dim, in_proj_weight, in_proj_bias,
                       use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight,
                       bias_k is not None or static_k is not None or static_v is not None)
    if mask is not None:
        if mask.dim() not in (2, 3):
            raise RuntimeError(f"attn_mask's dimension {mask.dim()} is not supported")
        expected = ((tgt_len, src_len) if mask.dim() == 2
                    else (bsz * num_heads, tgt_len, src_len))
        if tuple(mask.shape) != expected:
            raise RuntimeError(f"The shape of the {mask.dim()}D attn_mask is {mask.shape}, but "
                               f"should be {expected}.")
        mask = mask.reshape(1, 1, tgt_len, src_len) if mask.dim() == 2 else mask.reshape(
            bsz, num_heads, tgt_len, src_len)
    if bias_k is not None:
        sources[1] = HeadSource(_append_bias(sources[1].tensor, bias_k, bsz, batch_first))
        sources[2] = HeadSource(_append_bias(sources[2].tensor, bias_v, bsz, batch_first))
        mask, padding = _pad_last(mask), _pad_last(padding)
    for index, static, what in ((1, static_k, "static_k"), (2, static_v, "static_v")):
        if static is not None:
            _check_tensor(what, static)
            if static.shape[0] != bsz * num_heads:
                raise AssertionError(f"expecting {what}.size(0) of {bsz * num_heads}, but got "
                                     f"{static.shape[0]}")
            if static.shape[2] != head_dim:
                raise AssertionError(f"expecting {what}.size(2) of {head_dim}, but got "
                                     f"{static.shape[2]}")
            sources[index] = HeadSource(static, heads=True)
    if add_zero_attn:
        mask, padding = _pad_last(mask), _pad_last(padding)
    if padding is not None:
        keys = (static_k.shape[1] if static_k is not None else
                src_len + (bias_k is not None)) + add_zero_attn
        if padding.shape[0] != bsz:
            raise AssertionError(
                f"Expected key_padded_mask.shape[0] to be {bsz}, but got {padding.shape[0]}")
        if padding.shape[1] != keys:
            raise AssertionError(
                f"Expected key_padded_mask.shape[1] to be {keys}, but got {padding.shape[1]}")
        padding = padding.reshape(bsz, 1, 1, keys)
        mask = padding if mask is None else mask + padding
    out, weights = multihead_attention(
        tuple(sources), num_heads, embed_dim, batch_first, mask, causal_kernel,
        float(dropout_p) if training else 0.0, need_weights, add_zero_attn)
    out = linear(out, out_proj_weight, out_proj_bias)
    if weights is not None and average_attn_weights:
        weights = weights.mean(dim=1)
    if not batched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights


def _project(query, key, value, embed_dim, in_proj_weight, in_proj_bias, separate,
             q_proj_weight, k_proj_weight, v_proj_weight, unpacked):
    """The q, k, v projections as head sources: self-attention with the packed weight is one
    matmul for all three (and key is value shares one for k and v)."""
    e = embed_dim
    if separate:
        for name, w in (("q_proj_weight", q_proj_weight), ("k_proj_weight", k_proj_weight),
                        ("v_proj_weight", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name} is None")
        expected = ((e, e), (e, key.shape[-1]), (e, value.shape[-1]))
        for what, w, shape in zip(("query", "key", "value"),
                                  (q_proj_weight, k_proj_weight, v_proj_weight), expected):
            if tuple(w.shape) != shape:
                raise AssertionError(f"expecting {what} weights shape of {shape}, but got "
                                     f"{w.shape}")
        weights = (q_proj_weight, k_proj_weight, v_proj_weight)
        biases = (None,) * 3 if in_proj_bias is None else tuple(in_proj_bias.chunk(3))
        return [HeadSource(linear(x, w, b)) for x, w, b in zip((query, key, value), weights,
                                                                biases)]
    if in_proj_weight is None:
        raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
    if not unpacked and query is key and key is value:
        packed = linear(query, in_proj_weight, in_proj_bias)
        return [HeadSource(packed, 0), HeadSource(packed, 1), HeadSource(packed, 2)]
    bias = (lambda lo, hi: None) if in_proj_bias is None else (lambda lo, hi: in_proj_bias[lo:hi])
    q = HeadSource(linear(query, in_proj_weight[:e], bias(0, e)))
    if not unpacked and key is value:
        kv = linear(key, in_proj_weight[e:], bias(e, 3 * e))
        return [q, HeadSource(kv, 0), HeadSource(kv, 1)]
    return [q, HeadSource(linear(key, in_proj_weight[e:2 * e], bias(e, 2 * e))),
            HeadSource(linear(value, in_proj_weight[2 * e:], bias(2 * e, 3 * e)))]


class MultiheadAttention(Module):
    """Multi-head attention: softmax(Q K^T / sqrt(head_dim) + mask) V per head, heads
    concatenated, then ``out_proj``. Q, K, V are the inputs times ``in_proj_weight``'s three
    (embed_dim, embed_dim) blocks (``q_proj_weight``/``k_proj_weight``/``v_proj_weight`` when
    ``kdim``/``vdim`` differ from ``embed_dim``), plus ``in_proj_bias``.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)``. In masks,
    True (or -inf) means "do not attend". Parameters, names and initialisation are PyTorch's
    (xavier-uniform projections, zero biases), so PyTorch state dicts load.

    Example:
        >>> mha = nn.MultiheadAttention(8, 2, batch_first=True)
        >>> x = genesis.randn(3, 5, 8)
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        (genesis.Size([3, 5, 8]), genesis.Size([3, 5, 5]))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None,
                 dtype=None) -> None:
        if not isinstance(embed_dim, int) or not isinstance(num_heads, int):
            raise TypeError(f"embed_dim and num_heads must be ints, got {embed_dim!r} and "
                            f"{num_heads!r}")
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(genesis.empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(genesis.empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(genesis.empty(embed_dim, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(genesis.empty(3 * embed_dim, embed_dim, dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(genesis.empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(genesis.empty(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(genesis.empty(1, 1, embed_dim, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's initialisation: xavier-uniform projections, zero biases, xavier-normal
        bias_k/bias_v (out_proj.weight keeps Linear's default)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        return _multi_head_attention(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, self.training, key_padding_mask,
            need_weights, attn_mask, not self._qkv_same_embed_dim, self.q_proj_weight,
            self.k_proj_weight, self.v_proj_weight, None, None, average_attn_weights, is_causal,
            batch_first=self.batch_first)


__all__ = ["ReLU", "SiLU", "Tanh", "Sigmoid", "GELU", "Softmax", "LogSoftmax",
           "MultiheadAttention", "relu", "sigmoid", "tanh", "silu", "gelu", "softmax",
           "log_softmax", "multi_head_attention_forward"]
