"""genesis.distributed without a second process: what works and fails before
``init_process_group`` (compared with torch.distributed), a one-process group (MPI started on
its own, in a child process so the suite's process never starts MPI), and a missing mpi4py."""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest
import torch
import torch.distributed as tdist

import genesis
import genesis.distributed as dist
from genesis.nn.parallel import DistributedDataParallel

SRC = str(pathlib.Path(genesis.__file__).resolve().parents[1])
NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                   "init_process_group.")


def _python(code: str, **env) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PYTHONPATH=SRC, **env)
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        if name not in env:
            environment.pop(name, None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=environment,
                          capture_output=True, text=True, timeout=120)


def test_importing_genesis_and_its_distributed_parts_does_not_start_mpi():
    done = _python("""
        import sys
        import genesis, genesis.distributed, genesis.nn.parallel, genesis.utils.data
        genesis.distributed.is_available()
        print(sorted(m for m in sys.modules if m.startswith("mpi4py")))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("call", [
    lambda d: d.get_rank(), lambda d: d.get_world_size(), lambda d: d.barrier(),
    lambda d: d.get_backend(), lambda d: d.all_gather_object([None], 1),
    lambda d: d.all_reduce(genesis.ones(1) if d is dist else torch.ones(1)),
    lambda d: d.broadcast(genesis.ones(1) if d is dist else torch.ones(1), 0),
])
def test_before_init_collectives_raise_torch_s_error(call):
    with pytest.raises(ValueError) as theirs:
        call(tdist)
    with pytest.raises(ValueError) as ours:
        call(dist)
    assert str(ours.value) == str(theirs.value) == NOT_INITIALIZED
    assert dist.is_initialized() is tdist.is_initialized() is False


def test_ddp_before_init_raises_torch_s_error():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedDataParallel(genesis.nn.Linear(2, 2))


@pytest.mark.parametrize("kwargs", [dict(backend="gloo", timeout=5),
                                    dict(backend="gloo", init_method="foo://x")])
def test_argument_errors_are_torch_s(kwargs):
    with pytest.raises(Exception) as theirs:
        tdist.init_process_group(**kwargs)
    with pytest.raises(Exception) as ours:
        dist.init_process_group(**kwargs)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


def test_an_unknown_backend_is_named():
    with pytest.raises(ValueError, match=r"backend='smoke'\): Genesis runs on MPI; expected 'mpi'"):
        dist.init_process_group(backend="smoke")


def test_reduce_ops_carry_torch_s_names_and_numbers():
    theirs = {name: op.value for name, op in tdist.ReduceOp.RedOpType.__members__.items()}
    for op in dist.ReduceOp.RedOpType:
        assert theirs[op.name] == int(op) == int(getattr(dist.ReduceOp, op.name))


def test_availability():
    assert dist.is_available() and dist.is_mpi_available()


def test_a_single_process_group_checks_the_environment_and_works_alone():
    done = _python("""
        import warnings
        import numpy as np
        import genesis, genesis.distributed as dist
        from genesis.nn.parallel import DistributedDataParallel
        try:
            dist.init_process_group()  # WORLD_SIZE=2, but MPI started this process alone
        except ValueError as error:
            print("mismatch:", error)
        dist.init_process_group(world_size=1, rank=0)  # the arguments win over the environment
        print("size", dist.get_world_size(), "rank", dist.get_rank(), "backend", dist.get_backend())
        t = genesis.tensor([1.5, -2.0])
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
        print("avg alone", t.tolist())
        try:
            dist.init_process_group()
        except ValueError as error:
            print("twice:", error)
        dist.destroy_process_group()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dist.init_process_group(backend="nccl", init_method="tcp://10.0.0.1:23456",
                                    world_size=1, rank=0)
        print("note:", caught[0].message)
        model = genesis.nn.Linear(3, 1)
        ddp = DistributedDataParallel(model)
        ddp(genesis.ones(2, 3)).sum().backward()
        print("grad", model.weight.grad.tolist(), "keys", list(ddp.state_dict()))
        dist.destroy_process_group()
        try:
            dist.destroy_process_group()
        except AssertionError as error:
            print("destroyed twice:", error)
    """, WORLD_SIZE="2", RANK="0")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert ("mismatch: init_process_group: the environment (WORLD_SIZE, RANK) says world size 2, "
            "rank 0, but MPI started this process as rank 0 of 1") in out
    assert "genesis run --nproc-per-node N script.py" in out
    assert "size 1 rank 0 backend mpi" in out
    assert "avg alone [1.5, -2.0]" in out
    assert "twice: trying to initialize the default process group twice!" in out
    assert "note: init_process_group(backend='nccl'): Genesis runs every collective on MPI" in out
    assert "grad [[2.0, 2.0, 2.0]] keys ['module.weight', 'module.bias']" in out
    assert "destroyed twice: Process group cannot be None" in out


def test_without_mpi4py_the_error_names_the_install_command():
    done = _python("""
        import sys
        sys.modules["mpi4py"] = None  # as if it were not installed
        import genesis.distributed as dist
        print("available", dist.is_available())
        try:
            dist.init_process_group()
        except ImportError as error:
            print("error:", error)
    """)
    assert done.returncode == 0, done.stderr
    assert "available False" in done.stdout
    assert ('error: genesis.distributed needs MPI through mpi4py, an optional dependency: '
            'pip install -e ".[distributed]" (in the Genesis source checkout)') in done.stdout
