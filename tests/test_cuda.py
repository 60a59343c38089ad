"""``genesis.cuda`` and ``genesis.accelerator`` answer as a CPU-only PyTorch 2.13 does (the
installed torch is the CPU wheel): the same values, and the same exception type and message
start for the calls that need a GPU."""
import pytest
import torch

import genesis
from test_devices import outcome

CUDA_CALLS = ["is_available()", "device_count()", "is_initialized()", "is_bf16_supported()",
              "manual_seed(3)", "manual_seed_all(3)", "seed()", "seed_all()", "empty_cache()",
              "memory_allocated()", "max_memory_allocated()", "memory_reserved()",
              "max_memory_reserved()", "synchronize()", "current_device()",
              "get_device_name()", "get_device_capability()", "initial_seed()",
              "get_rng_state()"]


@pytest.mark.parametrize("call", CUDA_CALLS)
def test_cuda_module_answers_as_cpu_only_torch(call):
    assert outcome(lambda: eval(f"m.cuda.{call}", {"m": genesis})) == \
        outcome(lambda: eval(f"m.cuda.{call}", {"m": torch}))


def test_set_device_refuses_as_other_cuda_calls_do():
    # A CPU-only torch 2.13 raises AttributeError about its internals here; Genesis raises the
    # error every other CUDA-only call raises.
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled"):
        genesis.cuda.set_device(0)


def test_out_of_memory_error_is_a_runtime_error_in_both_places():
    for m in (genesis, torch):
        assert m.cuda.OutOfMemoryError is m.OutOfMemoryError
        assert issubclass(m.cuda.OutOfMemoryError, RuntimeError)
    try:
        raise genesis.cuda.OutOfMemoryError("x")
    except RuntimeError as error:
        assert str(error) == "x"


ACCELERATOR_CALLS = ["is_available()", "current_accelerator()",
                     "current_accelerator(check_available=True)", "device_count()",
                     "current_device_index()", "synchronize()"]


@pytest.mark.parametrize("call", ACCELERATOR_CALLS)
def test_accelerator_answers_as_cpu_only_torch(call):
    assert outcome(lambda: eval(f"m.accelerator.{call}", {"m": genesis})) == \
        outcome(lambda: eval(f"m.accelerator.{call}", {"m": torch}))


def test_the_pytorch_examples_device_choice_takes_the_cpu_branch():
    # pytorch/examples mnist: use_accel = not args.no_accel and torch.accelerator.is_available()
    for m in (genesis, torch):
        use_accel = m.accelerator.is_available()
        device = m.accelerator.current_accelerator() if use_accel else m.device("cpu")
        assert str(device) == "cpu"
        d2l_style = m.device("cuda:0") if m.cuda.device_count() >= 1 else m.device("cpu")
        assert repr(d2l_style) == "device(type='cpu')"
