"""Linear-algebra primitive ops (matmul, einsum): each forward with its backward right below it."""
from __future__ import annotations

from .autograd import attach, grad_mode
from .backend import quiet, xp
from .ops_common import _needs, unbroadcast
from .tensor_base import _wrap


@quiet
def matmul(a, b):
    x, y = a._array, b._array
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"matmul: both arguments need at least 1 dimension, got shapes "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    try:
        z = xp.matmul(x, y)
    except ValueError:
        raise ValueError(f"matmul: shapes {tuple(x.shape)} and {tuple(y.shape)} cannot be "
                         f"multiplied ({x.shape[-1]} != "
                         f"{y.shape[-2] if y.ndim > 1 else y.shape[0]}) or their batch "
                         f"dimensions do not broadcast") from None
    out = _wrap(z)
    if _needs(a, b):
        ra, rb = a._rg, b._rg

        def backward(g):
            if x.ndim == 2 and y.ndim == 2:
                return (g @ y.T if ra else None, x.T @ g if rb else None)
            # Lift 1-D operands to matrices as matmul does, then drop the added axis.
            x2 = x[None, :] if x.ndim == 1 else x
            y2 = y[:, None] if y.ndim == 1 else y
            g2 = g[..., None] if y.ndim == 1 else g
            if x.ndim == 1:
                g2 = g2[..., None, :]
            ga = gb = None
            if ra:
                ga = unbroadcast(g2 @ xp.swapaxes(y2, -1, -2), x2.shape).reshape(x.shape)
            if rb:
                gb = unbroadcast(xp.swapaxes(x2, -1, -2) @ g2, y2.shape).reshape(y.shape)
            return ga, gb
        attach(out, backward, (a, b), "MmBackward0")
    return out


@quiet
def einsum(terms, out, tensors):
    """``xp.einsum`` over explicit subscripts (``terms``: one letter string per operand, no
    ellipsis; ``out``: the output's). The gradient of an operand is the einsum of the output
    gradient with the other operands, broadcast back over the letters only it has, summed over
    its size-1 broadcast dimensions and written onto the diagonal for repeated letters."""
    arrays = [t._array for t in tensors]
    z = xp.einsum(f"{','.join(terms)}->{out}", *arrays, optimize=True)
    out_tensor = _wrap(xp.asarray(z))
    if not (grad_mode.enabled and any(t._rg for t in tensors)):
        return out_tensor
    flags = [t._rg for t in tensors]

    def operand_grad(k, g):
        term, array = terms[k], arrays[k]
        letters = "".join(dict.fromkeys(term))
        others = [j for j in range(len(terms)) if j != k]
        seen = set(out).union(*(terms[j] for j in others))
        kept = "".join(c for c in letters if c in seen)
        grad = xp.einsum(",".join([out] + [terms[j] for j in others]) + "->" + kept, g,
                         *[arrays[j] for j in others], optimize=True)
        size = {c: array.shape[term.index(c)] for c in letters}
        summed = tuple(i for i, c in enumerate(kept) if size[c] == 1 and grad.shape[i] != 1)
        if summed:
            grad = grad.sum(axis=summed, keepdims=True)
        grad = xp.broadcast_to(grad.reshape([grad.shape[kept.index(c)] if c in kept else 1
                                             for c in letters]), [size[c] for c in letters])
        if len(letters) == len(term):
            return grad
        full = xp.zeros_like(array)
        xp.einsum(f"{term}->{letters}", full)[...] = grad  # a writeable view of the diagonal
        return full

    return attach(out_tensor, lambda g: tuple(operand_grad(k, g) if f else None
                                              for k, f in enumerate(flags)),
                  tensors, "EinsumBackward0")
