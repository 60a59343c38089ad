"""``genesis run``: bad options, a missing MPI, the mpiexec command it builds, and a real launch
of a module (``-m``) on one process. The 2-process jobs are in tests/distributed/."""
import argparse
import os
import pathlib
import subprocess
import sys

import pytest

import genesis
from genesis.cli import main
from genesis.cli import run as run_cli
from genesis.distributed.bootstrap import rank_environment

SRC = str(pathlib.Path(genesis.__file__).resolve().parents[1])
HINT = 'pip install -e ".[distributed]" (in the Genesis source checkout)'


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "train.py"
    path.write_text("print('trained')\n")
    return str(path)


def test_help_lists_run(capsys):
    main([])
    assert "run" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_a_bad_nproc_per_node_is_a_usage_error(value, script, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--nproc-per-node", value, script])
    assert stop.value.code == 2
    assert (f"argument --nproc-per-node/--nproc_per_node: expected a positive int, 'auto' or "
            f"'cpu', got "
            f"'{value}'") in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--nnodes", "1:2"], "argument --nnodes: expected a positive int (elastic ranges such as "
                          "1:2 are not supported), got '1:2'"),
    (["--master-port", "70000"], "argument --master-port/--master_port: expected a port number"),
])
def test_other_bad_values_are_usage_errors(argv, message, script, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", *argv, script])
    assert stop.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--node-rank", "1"], "--node-rank 1: genesis run starts the processes of every node"),
    (["--nnodes", "2"], "--nnodes 2 needs --hostfile FILE"),
    (["--hostfile", "/no/such/hosts"], "--hostfile /no/such/hosts: no such file"),
])
def test_impossible_launches_are_refused_before_mpi_starts(argv, message, script, capsys):
    assert main(["run", *argv, script]) == 2
    assert f"genesis run: error: {message}" in capsys.readouterr().err


def test_a_missing_script_is_named(tmp_path, capsys):
    assert main(["run", "--nproc-per-node", "2", str(tmp_path / "nope.py")]) == 2
    assert "genesis run: error: no such script:" in capsys.readouterr().err


def test_without_mpi4py_the_error_names_the_install_command(script):
    code = ("import sys; sys.modules['mpi4py'] = None; from genesis.cli import main; "
            f"sys.exit(main(['run', '--nproc-per-node', '2', {script!r}]))")
    done = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=SRC),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"needs mpi4py, an optional dependency: {HINT}" in done.stderr


def test_without_mpiexec_the_error_names_the_install_command(script, tmp_path, monkeypatch,
                                                             capsys):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))  # no mpiexec beside it
    monkeypatch.setenv("PATH", str(tmp_path))
    assert run_cli.find_mpiexec() is None
    assert main(["run", "--nproc-per-node", "2", script]) == 1
    assert f"no mpiexec found beside {tmp_path / 'python'} or on PATH: {HINT}" in (
        capsys.readouterr().err)


def _args(**given):
    values = dict(nproc_per_node=4, nnodes=1, node_rank=0, master_addr=None, master_port=29500,
                  hostfile=None, module=False, script="train.py", script_args=["--lr", "0.1"])
    values.update(given)
    return argparse.Namespace(**values)


def test_the_command_runs_the_bootstrap_on_every_rank():
    command = run_cli.build_command(_args(), "/x/mpiexec", True, {})
    assert command[0] == "/x/mpiexec"
    assert ("--allow-run-as-root" in command) == (os.geteuid() == 0)
    assert command[command.index("-n") + 1] == "4"
    assert command[command.index("--map-by") + 1] == "ppr:4:node:OVERSUBSCRIBE"
    assert command[command.index("--bind-to") + 1] == "none"
    assert command[-6:] == [sys.executable, "-m", "genesis.distributed.bootstrap", "train.py",
                            "--lr", "0.1"]
    generic = run_cli.build_command(_args(module=True), "/y/mpiexec", False, {})
    assert generic == ["/y/mpiexec", "-n", "4", sys.executable, "-m",
                       "genesis.distributed.bootstrap", "-m", "train.py", "--lr", "0.1"]


def test_several_nodes_come_from_the_hostfile(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("# the cluster\n\nnode-a slots=8\nnode-b slots=8\n")
    args = _args(nnodes=2, hostfile=str(hosts))
    env = run_cli._environment(args)
    assert env["MASTER_ADDR"] == "node-a" and env["MASTER_PORT"] == "29500"
    command = run_cli.build_command(args, "/x/mpiexec", True, env)
    assert command[command.index("-n") + 1] == "8"
    assert command[command.index("--hostfile") + 1] == str(hosts)
    forwarded = [command[i + 1] for i, word in enumerate(command) if word == "-x"]
    assert {"MASTER_ADDR", "MASTER_PORT", "OMP_NUM_THREADS"} <= set(forwarded)


def test_threads_default_to_one_per_process_as_torchrun(monkeypatch, capsys):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert run_cli._environment(_args())["OMP_NUM_THREADS"] == "1"
    assert "OMP_NUM_THREADS=1" in capsys.readouterr().err
    assert "OMP_NUM_THREADS" not in run_cli._environment(_args(nproc_per_node=1))
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert run_cli._environment(_args())["OMP_NUM_THREADS"] == "3"


def test_rank_environment_from_mpich_variables():
    env = rank_environment({"PMI_RANK": "5", "PMI_SIZE": "8", "MPI_LOCALRANKID": "1",
                            "MPI_LOCALNRANKS": "4"})
    assert env == {"RANK": "5", "WORLD_SIZE": "8", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "4",
                   "GROUP_RANK": "1", "ROLE_RANK": "5", "ROLE_WORLD_SIZE": "8",
                   "GROUP_WORLD_SIZE": "2"}


def test_a_module_runs_with_its_arguments_and_torchrun_s_variables(tmp_path):
    (tmp_path / "job.py").write_text(
        "import os, sys\n"
        "print('ran', __name__, sys.argv[1:], os.environ['RANK'], os.environ['WORLD_SIZE'],"
        " os.environ['LOCAL_RANK'], os.environ['MASTER_PORT'])\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([SRC, str(tmp_path)]))
    done = subprocess.run([sys.executable, "-m", "genesis", "run", "--master-port", "29999",
                           "-m", "job", "--flag", "x"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ran __main__ ['--flag', 'x'] 0 1 0 29999" in done.stdout
