"""Two-process runs, started by the suite itself through the launcher (``genesis run
--nproc-per-node 2``) or plain ``mpiexec``, each with a timeout: a hang fails the test.

The programs live in ``programs/``; they write what they measured, and the tests check it
against independent truths: torch.distributed (gloo) and PyTorch's DDP on the same values, one
process with the doubled batch, and the uninterrupted run for resumption.
"""
import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest

import genesis
from genesis.cli.run import find_mpiexec

PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"
SRC = str(pathlib.Path(genesis.__file__).resolve().parents[1])
TIMEOUT = 120  # seconds; a job normally takes a few


def _environment() -> dict:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # A rank waiting for its peer gives the core away instead of spinning: on a CI machine whose
    # few cores run other tests too, spinning ranks can slow a job many times over.
    env["OMPI_MCA_mpi_yield_when_idle"] = "1"
    env.pop("RANK", None)
    env.pop("WORLD_SIZE", None)
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def genesis_run(program: str, *args: str, nproc: int = 2) -> subprocess.CompletedProcess:
    """``genesis run --nproc-per-node nproc programs/<program> args`` (a free MASTER_PORT, so
    torch.distributed's rendezvous cannot collide with another job on the machine)."""
    command = [sys.executable, "-m", "genesis", "run", "--nproc-per-node", str(nproc),
               "--master-port", str(_free_port()), str(PROGRAMS / program), *args]
    return subprocess.run(command, env=_environment(), capture_output=True, text=True,
                          timeout=TIMEOUT)


def _ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


# ---- collectives and DistributedDataParallel -------------------------------------------------
@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("collectives_ddp")
    _ok(genesis_run("collectives_ddp.py", str(out)))
    return [json.loads((out / f"rank{rank}.json").read_text()) for rank in range(2)]


def test_the_launcher_sets_torchrun_s_environment(reports):
    for rank, report in enumerate(reports):
        assert report["rank"] == rank and report["world"] == 2 and report["is_initialized"]
        env = report["env"]
        assert (env["RANK"], env["LOCAL_RANK"], env["WORLD_SIZE"], env["LOCAL_WORLD_SIZE"]) == (
            str(rank), str(rank), "2", "2")
        assert env["MASTER_ADDR"] == "127.0.0.1" and int(env["MASTER_PORT"]) > 0


def test_collectives_match_torch_distributed(reports):
    for report in reports:
        for name, (ours, theirs) in report["collectives"].items():
            assert ours == theirs, (report["rank"], name)
    assert "reduce dst=1" in reports[1]["collectives"]


@pytest.mark.parametrize("dtype, tolerance", [("genesis.float64", 1e-12),
                                              ("genesis.float32", 1e-5)])
def test_two_ranks_with_batch_b_train_like_one_process_with_batch_2b(reports, dtype, tolerance):
    for report in reports:
        result = report["exactness"][dtype]
        assert result["rel_error"] <= tolerance
        assert len(result["identical_every_step"]) == 20
        assert all(result["identical_every_step"])  # bit-identical replicas after each step
        assert len(result["buckets"]) > 1  # the all-reduce really ran in several buckets
        assert result["state_dict_keys"][0].startswith("module.")


def test_ddp_semantics_match_pytorch_ddp(reports):
    for report in reports:
        semantics = report["semantics"]
        assert semantics["buffer after construction"][0] == [1.0] * 4  # rank 0's buffer
        for name, (ours, theirs) in semantics.items():
            if ours is None or theirs is None:
                assert ours is None and theirs is None, name  # unused on every rank
            else:
                np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15, err_msg=name)
        assert semantics["grad never.weight"][0] is None
        assert semantics["grad extra.weight"][0] is not None  # used on rank 1 only


# ---- a torchrun-style script ------------------------------------------------------------------
def test_nanogpt_style_script_matches_single_process_training(tmp_path):
    _ok(genesis_run("nanogpt_style.py", str(tmp_path)))
    _ok(subprocess.run([sys.executable, str(PROGRAMS / "nanogpt_style.py"), str(tmp_path)],
                       env=_environment(), capture_output=True, text=True, timeout=TIMEOUT))
    single = genesis.load_checkpoint(tmp_path / "ckpt-1.gck")
    parallel = genesis.load_checkpoint(tmp_path / "ckpt-2.gck")
    assert parallel["ddp_keys"] == ["module." + key for key in single["model"]]
    for key, expected in single["model"].items():
        np.testing.assert_allclose(np.asarray(parallel["model"][key]), np.asarray(expected),
                                   rtol=1e-5, atol=1e-6, err_msg=key)


# ---- checkpoint and resume -----------------------------------------------------------------------
def test_resuming_with_the_same_ranks_is_bit_identical(tmp_path):
    _ok(genesis_run("resume.py", str(tmp_path), "full"))
    _ok(genesis_run("resume.py", str(tmp_path), "resume"))
    for rank in range(2):
        full = genesis.load_checkpoint(tmp_path / f"full-rank{rank}.gck")
        resumed = genesis.load_checkpoint(tmp_path / f"resume-rank{rank}.gck")
        assert resumed["losses"] == full["losses"]
        for key, value in full["model"].items():
            assert np.array_equal(np.asarray(resumed["model"][key]), np.asarray(value)), key


# ---- a crashing rank ends the job ---------------------------------------------------------
def _check_crash_report(done: subprocess.CompletedProcess) -> None:
    assert done.returncode != 0
    assert "rank 0 sum [3.0, 3.0, 3.0]" in done.stdout  # the collective before the crash ran
    assert "got past the barrier" not in done.stdout
    assert "rank 1" in done.stderr and "failed" in done.stderr
    assert 'raise ZeroDivisionError("rank 1 cannot go on")' in done.stderr  # the traceback
    assert "ZeroDivisionError: rank 1 cannot go on" in done.stderr


def test_a_crashing_rank_ends_the_launched_job_with_its_traceback():
    done = genesis_run("crash.py")
    _check_crash_report(done)
    assert "genesis run: the job failed with exit status 1" in done.stderr


def test_a_script_run_directly_under_mpiexec_works_and_a_crash_ends_it():
    command = [find_mpiexec()]
    if os.geteuid() == 0:
        command.append("--allow-run-as-root")
    command += ["--map-by", ":OVERSUBSCRIBE", "-n", "2", sys.executable,
                str(PROGRAMS / "crash.py")]
    _check_crash_report(subprocess.run(command, env=_environment(), capture_output=True,
                                       text=True, timeout=TIMEOUT))
