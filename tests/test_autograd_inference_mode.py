"""``genesis.inference_mode``: a context manager and a decorator (with or without
parentheses) that turns recording off as PyTorch's does, and ``inference_mode(False)`` turns it
back on; checked against PyTorch step by step."""
import pytest
import torch

import genesis


def states(m):
    return (m.is_grad_enabled(), m.is_inference_mode_enabled())


def test_context_manager_nesting_matches_torch():
    for m in (genesis, torch):
        seen = [states(m)]
        with m.inference_mode():
            seen.append(states(m))
            with m.inference_mode(False):
                seen.append(states(m))
            seen.append(states(m))
        with m.no_grad(), m.inference_mode(False):
            seen.append(states(m))
        seen.append(states(m))
        if m is genesis:
            ours = seen
        else:
            assert ours == seen


def test_decorators_with_and_without_parentheses_match_torch():
    for m in (genesis, torch):
        @m.inference_mode
        def bare(w):
            return (w * 2).requires_grad, states(m)

        @m.inference_mode()
        def called(w):
            return (w * 2).requires_grad, states(m)

        w = m.ones(2, requires_grad=True)
        assert bare(w) == called(w) == (False, (False, True))
        assert states(m) == (True, False)


def test_state_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with genesis.inference_mode():
            raise ValueError("boom")
    assert states(genesis) == (True, False)
