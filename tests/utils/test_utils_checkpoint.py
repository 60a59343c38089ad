"""``genesis.utils.checkpoint`` against PyTorch 2.13's ``torch.utils.checkpoint`` and against the
plain (uncheckpointed) call: the same gradients, dropout masks replayed on recomputation, the
activations really dropped after the forward, and PyTorch's warnings and errors."""
import gc
import warnings
import weakref

import numpy as np
import pytest
import torch
import torch.utils.checkpoint

import genesis
import genesis.utils.checkpoint

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4)).astype(np.float32)
CK = {torch: torch.utils.checkpoint, genesis: genesis.utils.checkpoint}
VARIANTS = [True, False]


def net(m, dropout=0.0):
    """A small MLP with PyTorch's initialisation, the same weights in both libraries."""
    torch.manual_seed(0)
    layers = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(),
                                 torch.nn.Dropout(dropout), torch.nn.Linear(8, 8),
                                 torch.nn.GELU(), torch.nn.Linear(8, 3))
    if m is torch:
        return layers
    ours = genesis.nn.Sequential(genesis.nn.Linear(4, 8), genesis.nn.Tanh(),
                                 genesis.nn.Dropout(dropout), genesis.nn.Linear(8, 8),
                                 genesis.nn.GELU(), genesis.nn.Linear(8, 3))
    ours.load_state_dict({k: genesis.tensor(v.numpy()) for k, v in layers.state_dict().items()})
    return ours


def grads(model, x):
    return [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()]


def run(m, use_reentrant, checkpointed=True, dropout=0.0, seed=1, **kwargs):
    model = net(m, dropout)
    x = m.tensor(X, requires_grad=True)
    m.manual_seed(seed)
    if checkpointed:
        y = CK[m].checkpoint(model, x, use_reentrant=use_reentrant, **kwargs)
    else:
        y = model(x)
    (y * y).sum().backward()
    return y.detach().numpy(), grads(model, x)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_gradients_equal_torch_and_the_plain_call(use_reentrant):
    ours, plain, theirs = (run(genesis, use_reentrant), run(genesis, None, checkpointed=False),
                           run(torch, use_reentrant))
    for mine, other, tolerance in ((plain, ours, 1e-6), (theirs, ours, 1e-5)):
        np.testing.assert_allclose(mine[0], other[0], rtol=tolerance, atol=tolerance)
        for a, b in zip(mine[1], other[1]):
            np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_dropout_masks_replay_on_recomputation(use_reentrant):
    plain = run(genesis, None, checkpointed=False, dropout=0.5)
    replayed = run(genesis, use_reentrant, dropout=0.5)
    redrawn = run(genesis, use_reentrant, dropout=0.5, preserve_rng_state=False)
    np.testing.assert_allclose(replayed[0], plain[0], rtol=1e-6)
    for a, b in zip(replayed[1], plain[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    # without the saved state, the recomputation draws new masks: other gradients (as PyTorch)
    assert any(not np.allclose(a, b) for a, b in zip(redrawn[1], plain[1]))


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_backward_leaves_the_random_stream_as_it_found_it(use_reentrant):
    """The recomputation replays the forward's RNG state inside a fork: the draws after
    backward are those the stream would give without the checkpoint's backward."""
    seen = {}
    for m in (genesis, torch):
        for preserve in (True, False):
            model, x = net(m, 0.5), m.tensor(X, requires_grad=True)
            m.manual_seed(3)
            y = CK[m].checkpoint(model, x, use_reentrant=use_reentrant,
                                 preserve_rng_state=preserve)
            y.sum().backward()
            seen[m, preserve] = m.rand(4).numpy()
        m.manual_seed(3)
        model(m.tensor(X))
        seen[m, "plain"] = m.rand(4).numpy()
    for m in (genesis, torch):
        np.testing.assert_array_equal(seen[m, True], seen[m, "plain"])
        assert not np.array_equal(seen[m, False], seen[m, "plain"])


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_function_runs_once_forward_and_once_more_in_backward_as_torch(use_reentrant):
    counts = {}
    for m in (genesis, torch):
        calls = []

        def f(x):
            calls.append(m.is_grad_enabled())
            return (x * 2).exp()
        y = CK[m].checkpoint(f, m.tensor(X, requires_grad=True), use_reentrant=use_reentrant)
        counts[m] = [len(calls)]
        y.sum().backward()
        counts[m] += [len(calls), calls[-1]]
    assert counts[genesis] == counts[torch] == [1, 2, True]


@pytest.mark.parametrize("use_reentrant", [True, False, "plain"])
def test_activations_do_not_outlive_the_forward(use_reentrant):
    """exp keeps its output for backward: a plain call keeps that array alive until backward,
    a checkpointed one drops it when the call returns."""
    refs = []

    def f(x):
        h = (x * 2).exp()
        refs.append(weakref.ref(h._array))
        return h.sum(-1)
    x = genesis.tensor(X, requires_grad=True)
    y = f(x) if use_reentrant == "plain" else genesis.utils.checkpoint.checkpoint(
        f, x, use_reentrant=use_reentrant)
    gc.collect()
    assert (refs[0]() is not None) is (use_reentrant == "plain")
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * X), rtol=1e-6)


def _caught(make):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = make()
    return result, [(w.category, str(w.message)) for w in seen]


def test_missing_use_reentrant_warns_pytorch_words_and_defaults_to_reentrant():
    for name, call in (("checkpoint", lambda ck, m, f, x: ck.checkpoint(f, x)),
                       ("checkpoint_sequential",
                        lambda ck, m, f, x: ck.checkpoint_sequential([f, f], 2, x))):
        results = {}
        for m in (genesis, torch):
            f = net(m)[1]  # Tanh
            y, seen = _caught(lambda: call(CK[m], m, f, m.ones(2, 4)))
            # reentrant: no input requires grad, so the output does not either
            results[m] = (y.requires_grad, [(c, t.replace("torch.", "genesis.")) for c, t in seen])
        assert results[genesis] == results[torch], name
        assert results[genesis][1][0][0] is UserWarning
        assert "use_reentrant parameter should be passed explicitly" in results[genesis][1][0][1]
        _, quiet = _caught(lambda: genesis.utils.checkpoint.checkpoint(
            net(genesis), genesis.ones(2, 4, requires_grad=True), use_reentrant=True))
        assert quiet == []


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_inputs_without_grad_follow_each_variant(use_reentrant):
    """Reentrant: PyTorch's warning, and no gradient for the parameters inside;
    non-reentrant: the parameters get theirs."""
    seen = {}
    for m in (genesis, torch):
        model = net(m)
        y, warned = _caught(lambda: CK[m].checkpoint(model, m.tensor(X),
                                                     use_reentrant=use_reentrant))
        if y.requires_grad:
            y.sum().backward()
        weight = model[0].weight.grad
        seen[m] = (y.requires_grad, [t for _, t in warned],
                   None if weight is None else weight.numpy())
    ours, theirs = seen[genesis], seen[torch]
    assert ours[:2] == theirs[:2]
    assert (ours[2] is None) == (theirs[2] is None) == use_reentrant
    if not use_reentrant:
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-5, atol=1e-6)


def test_keyword_arguments_only_without_reentrant():
    for m in (genesis, torch):
        def f(x, scale=1.0):
            return x * scale
        x = m.tensor(X, requires_grad=True)
        with pytest.raises(ValueError, match="^Unexpected keyword arguments: scale,shift$"):
            CK[m].checkpoint(f, x, use_reentrant=True, scale=2.0, shift=1)
        CK[m].checkpoint(f, x, use_reentrant=False, scale=3.0).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.full_like(X, 3.0))
        with pytest.raises(ValueError, match="^Unexpected keyword arguments: scale$"):
            CK[m].checkpoint_sequential([f], 1, x, use_reentrant=False, scale=2.0)
        with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
            CK[m].checkpoint(f, x, use_reentrant=True, debug=True)
        with pytest.raises(ValueError, match=r"determinism_check should be one of \['default', "
                                             r"'none'\], but got all"):
            CK[m].checkpoint(f, x, use_reentrant=False, determinism_check="all")


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_checkpoint_sequential_matches_torch(use_reentrant):
    results = {}
    for m in (genesis, torch):
        model = net(m)
        x = m.tensor(X, requires_grad=True)
        y = CK[m].checkpoint_sequential(model, 3, x, use_reentrant=use_reentrant)
        (y * y).sum().backward()
        results[m] = [y.detach().numpy()] + grads(model, x)
    for a, b in zip(results[genesis], results[torch]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_several_outputs_and_an_integer_one(use_reentrant):
    results = {}
    for m in (genesis, torch):
        model = net(m)
        x = m.tensor(X, requires_grad=True)

        def f(x):
            y = model(x)
            return y.tanh(), y.argmax(-1), y * 3
        a, index, b = CK[m].checkpoint(f, x, use_reentrant=use_reentrant)
        assert not index.requires_grad and a.requires_grad and b.requires_grad
        (a.sum() + (b * b).sum()).backward()
        results[m] = [index.numpy()] + grads(model, x)
    for a, b in zip(results[genesis], results[torch]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_recomputation_runs_under_the_forwards_autocast(use_reentrant):
    def grads_under_autocast(checkpointed):
        model = net(genesis)
        x = genesis.tensor(X, requires_grad=True)
        with genesis.autocast("cpu", dtype=genesis.float16):
            y = (genesis.utils.checkpoint.checkpoint(model, x, use_reentrant=use_reentrant)
                 if checkpointed else model(x))
        y.float().sum().backward()  # backward outside the region, as scripts do
        return y.dtype, grads(model, x)
    (dtype, ours), (plain_dtype, plain) = grads_under_autocast(True), grads_under_autocast(False)
    assert dtype == plain_dtype == genesis.float16
    for a, b in zip(ours, plain):
        np.testing.assert_array_equal(a, b)  # the same float16 ops recomputed


def test_an_output_that_does_not_need_grad_is_refused_as_torch():
    for m in (genesis, torch):
        x = m.tensor(X, requires_grad=True)
        y = CK[m].checkpoint(lambda x: x.detach() * 2, x, use_reentrant=True)
        with pytest.raises(RuntimeError, match="^none of output has requires_grad=True, this "
                                               "checkpoint\\(\\) is not necessary$"):
            y.sum().backward()


def test_a_recomputation_that_changes_shape_is_caught():
    sizes = iter([3, 2])

    def f(x):
        return x[:next(sizes)] * 2
    y = genesis.utils.checkpoint.checkpoint(f, genesis.tensor(X, requires_grad=True),
                                            use_reentrant=False)
    with pytest.raises(genesis.utils.checkpoint.CheckpointError,
                       match="different metadata than during the forward pass"):
        y.sum().backward()


def test_docstring_examples_run():
    import doctest
    result = doctest.testmod(genesis.utils.checkpoint, extraglobs={"genesis": genesis})
    assert result.failed == 0 and result.attempted > 0
