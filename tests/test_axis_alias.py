"""``axis=`` is an alias of ``dim=`` exactly where PyTorch 2.13 accepts it (its native
functions: reductions, ``cat``, ``gather``, ``topk``, ...) and nowhere else (its Python-level
``split``, ``norm``, ``flatten``, ``F.softmax``): each call is run with both libraries."""
import numpy as np
import pytest
import torch

import genesis
from test_devices import outcome

CALLS = [
    "x.sum(axis=0)", "m.sum(x, axis=1)", "x.sum(axis=(0, 1))", "x.mean(axis=1, keepdim=True)",
    "m.mean(x, axis=0)", "x.var(axis=0)", "x.std(axis=1)", "x.max(axis=1).values",
    "m.max(x, axis=0).indices", "x.min(axis=0).values", "x.amax(axis=0)", "x.amin(axis=1)",
    "x.argmax(axis=1)", "m.argmax(x, axis=1)", "x.argmin(axis=0)", "(x > 0).all(axis=0)",
    "(x > 0).any(axis=1)", "x.logsumexp(axis=1)", "x.softmax(axis=0)", "x.log_softmax(axis=1)",
    "x.cumsum(axis=0)", "m.cat([x, x], axis=1)", "m.stack([x, x], axis=1)",
    "x.unsqueeze(axis=0)", "x[:1].squeeze(axis=0)", "x.chunk(2, axis=1)[0]",
    "x.gather(axis=1, index=m.tensor([[0], [1], [2]]))",
    "x.index_select(axis=0, index=m.tensor([2, 0]))", "x.narrow(axis=1, start=1, length=2)",
    "x.topk(1, axis=0).values", "m.topk(x, 2, axis=1).indices",
    "x.split(2, axis=1)[0]", "x.norm(axis=0)", "x.flatten(axis=0)",
    "m.nn.functional.softmax(x, axis=0)", "x.transpose(axis0=0, axis1=1)",
    "x.sum(dim=0, axis=0)", "m.cat([x, x], dim=0, axis=0)",
]


@pytest.mark.parametrize("call", CALLS)
def test_axis_is_accepted_where_torch_accepts_it(call):
    data = np.random.default_rng(4).standard_normal((3, 4))

    def run(m):
        value = eval(call, {"m": m, "x": m.tensor(data)})
        return value.tolist()
    ours, theirs = outcome(lambda: run(genesis)), outcome(lambda: run(torch))
    assert ours[0] == theirs[0], (ours, theirs)
    if theirs[0] == "ok":
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9)
    else:
        assert ours[1] == theirs[1] == "TypeError"
