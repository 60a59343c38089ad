"""The view family refuses bad arguments as PyTorch 2.13 does: the same exception type and the
same start of the message (view, reshape, view_as, expand, expand_as, flatten, unflatten,
squeeze, unsqueeze, permute, transpose, t, chunk, repeat), and the calls PyTorch accepts give
the same shapes.  (Where PyTorch's strides cannot express a view, PyTorch raises and Genesis
copies: its layouts differ, a convolution's output is channel-major here.)"""
import pytest
import torch

import genesis

CALLS = [
    # view / reshape: sizes that do not fit, two -1, a negative size, a non-viewable layout
    "x.view(4, 5)", "x.view(-1, -1)", "x.view(5, -1)", "x.view(0, -1)", "x.view((2, 2, 2))",
    "x.view(-2, 3)", "x.view(2.0, 3)", "x.view(-1, 0)", "x.view(3, -1)", "x.view([6])",
    "x.reshape(4, 5)", "x.reshape(-1, -1)", "x.reshape(5, -1)", "x.reshape(-2, 3)",
    "x.reshape(-1)", "x.t().reshape(6)", "x.t().view(3, 2)",
    "m.zeros(4, 1, 3)[:, :, ::2].view(4, 2)", "m.zeros(0).view(0, -1)", "m.zeros(2, 0).view(-1)",
    "m.zeros(2, 0).view(-1, 5)", "m.zeros(2, 0).reshape(-1, 0)", "m.zeros(()).view(2)",
    "m.zeros(()).view(1, 1)", "m.zeros(()).view(-1)",
    # view_as / reshape_as
    "x.view_as(m.zeros(4, 5))", "x.view_as(m.zeros(3, 2))", "x.reshape_as(m.zeros(4, 5))",
    "x.view_as(3)", "x.reshape_as([1, 2])", "x.t().view_as(m.zeros(3, 2))",
    # expand / expand_as
    "x.expand(3, 4)", "x.expand(2, 4)", "x.expand(4)", "x.expand(2, 3, 4)", "x.expand(-1, 5)",
    "x.expand(-2, 3)", "x.expand(2, -1)", "x.expand(-1, -1, 3)", "x.expand(5, -1, -1)",
    "x.expand(0, 3)", "m.zeros(1, 3).expand(0, 3)", "x.expand((3, 4))", "x.expand(2.0, 3)",
    "x.expand_as(m.zeros(4, 4))", "x.expand_as(m.zeros(3))", "x.expand_as(m.zeros(5, 2, 3))",
    "x.expand_as(2)",
    # flatten / unflatten
    "x.flatten(2)", "x.flatten(0, 5)", "x.flatten(1, 0)", "x.flatten(-3)", "x.flatten(-1, 0)",
    "m.zeros(()).flatten(1)", "m.zeros(()).flatten(-1)", "m.zeros(()).flatten()",
    "x.unflatten(1, (3, 1))", "x.unflatten(3, (3, 1))", "x.unflatten(1, (-1, -1))",
    "x.unflatten(1, ())", "x.unflatten(1, (2, -1, 5))", "x.unflatten(1, (2, 2))",
    "x.unflatten(-1, (1, -1))", "m.zeros(()).unflatten(0, (1,))",
    # squeeze / unsqueeze
    "x.squeeze(2)", "x.squeeze(-3)", "x.squeeze((0, 2))", "x.squeeze(1.0)", "x.squeeze((0, 1))",
    "x.unsqueeze(3)", "x.unsqueeze(-4)", "x.unsqueeze(2)", "x.unsqueeze(-3)",
    "m.zeros(()).unsqueeze(2)", "m.zeros(()).squeeze(1)", "m.zeros(()).squeeze(-1)",
    # permute / transpose / t
    "x.permute(0)", "x.permute(0, 0)", "x.permute(0, 2)", "x.permute(0, 1, 2)", "x.permute(1, -3)",
    "x.permute((1, 0, 2))", "x.permute(1, 0)", "x.permute([-1, 0])", "m.zeros(()).permute(0)",
    "m.zeros(()).permute()", "x.transpose(0, 2)", "x.transpose(-3, 0)", "x.transpose(1, -2)",
    "m.zeros(3).transpose(0, 1)", "m.zeros(3).transpose(0, -1)", "m.zeros(2, 3, 4).t()", "x.t()",
    "m.zeros(3).t()", "x.swapaxes(0, 2)",
    # chunk / repeat
    "x.chunk(0)", "x.chunk(-1)", "x.chunk(2, dim=3)", "x.repeat(2)", "x.repeat(-1, 2)",
    "x.repeat(2, 1, 1)",
]


def outcome(call: str, m):
    x = m.arange(6.0).reshape(2, 3)
    try:
        return "ok", tuple(eval(call, {"m": m, "x": x}).shape)
    except Exception as error:  # noqa: BLE001 - the comparison is the point
        # The tensor's type name is genesis.FloatTensor where PyTorch's is torch.FloatTensor.
        return type(error).__name__, str(error).split("\n")[0].replace("torch.", "genesis.")


@pytest.mark.parametrize("call", CALLS)
def test_view_family_errors_match_torch(call):
    ours, theirs = outcome(call, genesis), outcome(call, torch)
    assert ours[0] == theirs[0], (ours, theirs)
    if theirs[0] in ("ok", "RuntimeError", "IndexError"):
        assert ours[1] == theirs[1]



def test_a_view_shares_storage():
    for m in (genesis, torch):
        x = m.zeros(2, 3)
        x.view(3, 2)[0, 0] = 5.0
        x.view_as(m.zeros(6))[1] = 6.0
        assert x[0, :2].tolist() == [5.0, 6.0]


def test_view_of_a_transposed_tensor_gives_reshape_values_where_torch_refuses():
    """The documented deviation (docs/en/migrating-from-pytorch.md, "view never asks for
    contiguous()"): PyTorch raises, Genesis returns what reshape gives, gradient included."""
    import numpy as np
    import torch

    import genesis

    values = np.arange(6.0).reshape(2, 3)
    t = torch.tensor(values, requires_grad=True)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        t.t().view(6)
    expected = t.t().reshape(6)
    (expected * torch.arange(6.0, dtype=torch.float64)).sum().backward()
    g = genesis.tensor(values, requires_grad=True)
    out = g.t().view(6)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    (out * genesis.arange(6.0, dtype=genesis.float64)).sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), t.grad.numpy())
