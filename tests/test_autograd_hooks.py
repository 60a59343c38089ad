"""Tensor gradient hooks (``register_hook``, ``register_post_accumulate_grad_hook``), run the same
way with PyTorch and with Genesis: when each hook runs, how often, what it sees, what a returned
gradient replaces, and the errors (PyTorch's types and words)."""
import numpy as np
import pytest
import torch

import genesis

LIBS = [torch, genesis]


def _values(log):
    return [(tag, np.asarray(value, dtype=np.float64).tolist()) for tag, value in log]


def _same_log(scenario):
    logs = [_values(scenario(lib)) for lib in LIBS]
    assert logs[0] == logs[1]
    return logs[1]


def test_a_leaf_reached_along_several_paths_gets_its_summed_gradient_once():
    def scenario(lib):
        log = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: log.append(("pre", g.tolist())))
        x.register_post_accumulate_grad_hook(lambda p: log.append(("post", p.grad.tolist())))
        (x * x + 3 * x).sum().backward()
        (x * x).sum().backward()  # accumulates: the post hook sees the running .grad
        return log

    assert _same_log(scenario) == [("pre", [5.0, 7.0]), ("post", [5.0, 7.0]),
                                   ("pre", [2.0, 4.0]), ("post", [7.0, 11.0])]


def test_a_returned_gradient_replaces_it_for_leaves_and_non_leaves():
    def scenario(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        a.register_hook(lambda g: g + 1)
        b = a * 3
        b.retain_grad()
        b.register_hook(lambda g: g * 100)
        c = b * b
        c.register_hook(lambda g: None)  # None keeps the gradient
        c.sum().backward()
        return [("b.grad", b.grad.tolist()), ("a.grad", a.grad.tolist())]

    # d(sum b^2)/db = 2b = [6, 12], x100 -> b.grad; times 3 into a, then +1 by a's hook
    assert _same_log(scenario) == [("b.grad", [600.0, 1200.0]), ("a.grad", [1801.0, 3601.0])]


def test_hooks_run_in_registration_order_and_remove_unregisters():
    def scenario(lib):
        log = []
        x = lib.tensor([1.0], requires_grad=True)
        first = x.register_hook(lambda g: log.append(("first", g.tolist())) or g * 2)
        x.register_hook(lambda g: log.append(("second", g.tolist())))
        (x * 5).sum().backward()
        first.remove()
        first.remove()  # twice is harmless
        (x * 5).sum().backward()
        with x.register_post_accumulate_grad_hook(lambda p: log.append(("post", p.grad.tolist()))):
            (x * 1).sum().backward()
        (x * 1).sum().backward()  # the with block removed the post hook
        log.append(("grad", x.grad.tolist()))
        return log

    # .grad: 10 (doubled by the first hook), + 5 once it is removed, + 1 twice
    assert _same_log(scenario) == [("first", [5.0]), ("second", [10.0]), ("second", [5.0]),
                                   ("second", [1.0]), ("post", [16.0]), ("second", [1.0]),
                                   ("grad", [17.0])]


def test_hooks_run_with_grad_mode_off_and_on_a_leaf_root():
    def scenario(lib):
        log = []
        c = lib.tensor(2.0, requires_grad=True)
        c.register_hook(lambda g: log.append(("root", [g.item(), float(lib.is_grad_enabled())])))
        c.register_post_accumulate_grad_hook(lambda p: log.append(("post", [p.grad.item()])))
        c.backward()
        return log

    assert _same_log(scenario) == [("root", [1.0, 0.0]), ("post", [1.0])]


def test_a_leaf_outside_the_graph_runs_no_hook():
    def scenario(lib):
        log = []
        used = lib.tensor([1.0], requires_grad=True)
        unused = lib.tensor([1.0], requires_grad=True)
        unused.register_hook(lambda g: log.append(("pre", [0.0])))
        unused.register_post_accumulate_grad_hook(lambda p: log.append(("post", [0.0])))
        (used * 2).sum().backward()
        log.append(("unused.grad is None", [float(unused.grad is None)]))
        return log

    assert _same_log(scenario) == [("unused.grad is None", [1.0])]


def test_a_shared_weight_runs_its_post_hook_once_after_both_uses():
    # Weight tying (an embedding reused as the output layer): the hook must see the whole
    # gradient, or DistributedDataParallel would reduce half of it.
    def scenario(lib):
        log = []
        lib.manual_seed(0)
        w = lib.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
        x = lib.tensor([[1.0, 2.0]])
        w.register_post_accumulate_grad_hook(lambda p: log.append(("post", p.grad.tolist())))
        ((x @ w) @ w.T).sum().backward()
        return log

    log = _same_log(scenario)
    assert len(log) == 1


def _error(call):
    with pytest.raises(Exception) as info:
        call()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("case", ["no_grad_leaf", "post_on_non_leaf", "post_no_grad",
                                  "returns_int", "changes_shape", "changes_dtype",
                                  "post_returns_tensor"])
def test_errors_match_pytorch(case):
    def scenario(lib):
        def run():
            x = lib.tensor([1.0, 2.0], requires_grad=True)
            if case == "no_grad_leaf":
                lib.tensor([1.0]).register_hook(lambda g: g)
            elif case == "post_on_non_leaf":
                (x * 2).register_post_accumulate_grad_hook(lambda p: None)
            elif case == "post_no_grad":
                lib.tensor([1.0]).register_post_accumulate_grad_hook(lambda p: None)
            elif case == "returns_int":
                x.register_hook(lambda g: 5)
            elif case == "changes_shape":
                def grow(g):
                    return lib.ones(3)
                x.register_hook(grow)
            elif case == "changes_dtype":
                def widen(g):
                    return g.double()
                x.register_hook(widen)
            elif case == "post_returns_tensor":
                x.register_post_accumulate_grad_hook(lambda p: p.grad)
            (x * 1).sum().backward()
        return _error(run)

    (torch_type, torch_text), (our_type, our_text) = scenario(torch), scenario(genesis)
    assert our_type is torch_type
    assert our_text == torch_text.replace("torch.", "genesis.")


def test_a_hook_that_is_not_callable_is_refused_at_registration():
    x = genesis.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="hook must be callable, got int"):
        x.register_hook(5)
